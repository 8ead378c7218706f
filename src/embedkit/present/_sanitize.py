"""Clean untrusted provider HTML before it reaches a page.

Every provider's oEmbed ``html`` is treated as hostile. :func:`sanitize` cleans it
with nh3 against the policy of the *matched* platform (the tags, attributes and CSS
properties its markup really uses; see :mod:`embedkit._platforms`), or the strict
default policy when no platform matched (discovered answers, unknown providers).
A name a provider's answer gives itself never selects a policy.

- links keep ``http``/``https`` URLs only and get ``rel="noopener noreferrer"``;
- an ``<iframe>`` is kept only when its ``src`` host belongs to the platform (a
  foreign iframe is removed whole); it gets ``loading="lazy"`` and a ``title``, and
  its ``allow`` attribute is rebuilt from the platform's permission features
  (:func:`clean_allow`: no camera, microphone, geolocation, payment, usb...);
- inline ``style`` keeps only declarations that leave the box inside its figure
  (:func:`clean_style`: no ``position``, ``transform``, ``z-index``, negative margins,
  viewport units or oversized lengths).

Scripts never pass through. A ``<script src=...>`` whose URL is exactly on the
platform's list (:data:`KNOWN_SCRIPTS`: X's ``widgets.js``, Instagram's ``embed.js``...)
or on the ``extra_scripts`` the publisher's configuration adds (a trusted Mastodon
instance's ``embed.js``) is *collected* into :attr:`Sanitized.scripts` so that a page
can load it once; every other script is dropped silently.

The nh3 output then goes through a small re-serializer that escapes every text
node and attribute value again, removes iframe contents and iframes nh3 left
without a ``src``, and re-checks URLs, styles and permissions: a second line of
defence that can lose markup on hostile input but never emits anything unescaped.

Example::

    >>> s = sanitize('<blockquote class="twitter-tweet"><p>hi</p></blockquote>'
    ...              '<script async src="https://platform.twitter.com/widgets.js"></script>',
    ...              "x")
    >>> s.html
    '<blockquote class="twitter-tweet"><p>hi</p></blockquote>'
    >>> s.scripts
    ('https://platform.twitter.com/widgets.js',)
"""

from __future__ import annotations

import functools
import html as htmllib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import nh3

from embedkit import _platforms
from embedkit._parse.markup import Attributes, iter_tokens, unescape
from embedkit._platforms import DEFAULT_ALLOW, DEFAULT_POLICY
from embedkit._redaction import get_logger
from embedkit.present._dom import Document, read

__all__ = [
    "KNOWN_SCRIPTS",
    "MAX_ATTRIBUTES",
    "MAX_HTML_CHARS",
    "MAX_NESTING",
    "MAX_TAGS",
    "Sanitized",
    "clean_allow",
    "clean_style",
    "iframe_hosts",
    "sanitize",
    "sanitize_read",
]


log = get_logger(__name__)

#: Provider HTML longer than this, with more tags than :data:`MAX_TAGS`, elements
#: nested deeper than :data:`MAX_NESTING` or a tag with more attributes than
#: :data:`MAX_ATTRIBUTES` is not sanitized at all (the embed shows its static
#: fallback). nh3's tree builder, like every spec tree builder, searches the stack
#: of open elements for each tag, so its cost grows with the product of size and
#: depth (and with the attributes of one tag); these bounds keep it linear in the
#: input, and no real embed comes close to them.
MAX_HTML_CHARS = 256 * 1024
MAX_TAGS = 10_000
MAX_NESTING = 2_048
MAX_ATTRIBUTES = 256


@dataclass(frozen=True)
class Sanitized:
    """Cleaned provider markup and the allow-listed scripts it asked for."""

    html: str
    scripts: tuple[str, ...]


# -- iframe hosts ------------------------------------------------------------


def iframe_hosts(platform: str | None) -> frozenset[str]:
    """The iframe hosts of a platform's record (empty for unknown providers).

    A Mastodon instance, or an unknown provider's own host, is passed to
    :func:`sanitize` as ``extra_iframe_hosts``.
    """
    record = _platforms.get(platform)
    return record.iframe_hosts if record else frozenset()


def _host_allowed(url: str, patterns: Iterable[str]) -> bool:
    """Whether ``url`` is an https URL on one of ``patterns`` (see :data:`_IFRAME_HOSTS`)."""
    if not url or any(c in url for c in "\\\t\n\r ") or not url.isprintable():
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme != "https" or port not in (None, 443) or not parts.hostname:
        return False
    if parts.username is not None or parts.password is not None:
        return False
    host = parts.hostname.lower()
    path = parts.path or "/"
    for pattern in patterns:
        pattern = pattern.lower().strip()
        want_host, _, want_path = pattern.partition("/")
        if want_host.startswith("*."):
            base = want_host[2:]
            host_ok = host == base or host.endswith("." + base)
        else:
            host_ok = host == want_host
        if not host_ok:
            continue
        if not want_path:
            return True
        prefix = "/" + want_path.rstrip("/")
        if path == prefix or path.startswith(prefix + "/"):
            return True
    return False


# -- scripts -----------------------------------------------------------------

_FB_SDK = "https://connect.facebook.net/en_US/sdk.js"

#: Every provider script the platform records let a page load, as exact normalised
#: URLs (https, no query; Facebook's SDK keeps its ``#xfbml=1&version=...`` fragment).
#: Nothing else is ever collected, except the exact URLs the publisher's configuration
#: adds for one call (``extra_scripts``: a trusted Mastodon instance's ``embed.js``).
KNOWN_SCRIPTS: frozenset[str] = _platforms.bundled_scripts()

_FB_FRAGMENT = re.compile(r"xfbml=1&version=v\d{1,2}\.\d{1,2}")


#: No allowed script URL is longer (the platforms' are a few dozen characters): a
#: longer ``src`` is refused unread, so no memo keeps a provider's megabytes.
_MAX_SCRIPT_URL = 2048


def _normalise_script(src: str) -> str | None:
    """Protocol-relative → https, http → https, query dropped (fragment only for FB).

    Remembered: the same few script URLs come with every embed of a provider.
    ``None`` for what is not a script URL, or is longer than any allowed one.
    """
    if len(src) > _MAX_SCRIPT_URL:
        return None
    return _remembered_script(src)


def _normalise_script_text(src: str) -> str | None:
    src = htmllib.unescape(src.strip())
    if src.startswith("//"):
        src = "https:" + src
    try:
        parts = urlsplit(src)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or port not in (None, 80, 443):
        return None
    if parts.username is not None or parts.password is not None:
        return None
    url = f"https://{parts.hostname.lower()}{parts.path}"
    if url == _FB_SDK and _FB_FRAGMENT.fullmatch(parts.fragment):
        url += "#" + parts.fragment
    return url


_remembered_script = functools.lru_cache(maxsize=1024)(_normalise_script_text)


def _find_scripts(srcs: Iterable[str], allowed: frozenset[str]) -> tuple[str, ...]:
    """The script URLs in ``srcs`` that are exactly on ``allowed``, each once.

    ``srcs`` are the ``<script src>`` values and Facebook loader URLs of the raw
    markup, as :func:`embedkit.present._dom.read` found them.
    """
    if not allowed:
        return ()
    found: list[str] = []
    for src in srcs:
        url = _normalise_script(src)
        if url is not None and url in allowed and url not in found:
            found.append(url)
    return tuple(found)


# -- inline CSS ---------------------------------------------------------------

_BAD_STYLE = re.compile(
    r"expression|url\s*\(|javascript|vbscript|behavior|binding|@import|\\|&#|/\*|<|>",
    re.IGNORECASE,
)
_COLOR_FUNCTION = re.compile(r"\b(?:rgb|rgba|hsl|hsla)\([0-9.,%\s/]{0,60}\)")
_HEX_COLOR = re.compile(r"#[0-9a-f]{3,8}\b")
_CSS_VALUE = re.compile(r"[a-z0-9#%.,\s'\"-]*")
_NEGATIVE = re.compile(r"(?:^|[\s,])-[0-9.]")
_NUMBER = re.compile(r"([0-9]*\.?[0-9]+)([a-z%]*)")
_SMALL: Mapping[str, float] = {"px": 64.0, "pt": 48.0, "em": 4.0, "rem": 4.0, "%": 25.0, "": 1000.0}
_TALL: Mapping[str, float] = {"px": 1000.0, "pt": 750.0, "em": 60.0, "rem": 60.0, "%": 100.0}
_CAP: Mapping[str, float] = {"px": 10_000.0, "pt": 7_500.0, "em": 600.0, "rem": 600.0, "%": 100.0}
#: The largest number each property may hold, per unit (no unit listed: not allowed).
#: Widths only in percent of the figure; caps (max-*) may be large, since they only
#: shrink; everything else small. No viewport units, no negative numbers.
_LIMITS: Mapping[str, Mapping[str, float]] = {
    "width": {"%": 100.0},
    "min-width": {"%": 100.0},
    "height": _TALL,
    "min-height": _TALL,
    "max-width": _CAP,
    "max-height": _CAP,
    "font-size": {"px": 64.0, "pt": 48.0, "em": 4.0, "rem": 4.0, "%": 400.0},
    "line-height": {"px": 100.0, "pt": 75.0, "em": 6.0, "rem": 6.0, "%": 600.0, "": 10.0},
}


def _css_value_ok(prop: str, value: str) -> bool:
    """Whether a declaration's value keeps its box inside the figure (see :data:`_LIMITS`)."""
    text = _HEX_COLOR.sub("#0", _COLOR_FUNCTION.sub("0", value))
    if not _CSS_VALUE.fullmatch(text) or _NEGATIVE.search(text):
        return False
    limits = _LIMITS.get(prop, _SMALL)
    for number, unit in _NUMBER.findall(text):
        if float(number) == 0 and unit in ("", "px", "pt", "em", "rem", "%"):
            continue  # a zero is a zero in any unit
        if unit not in limits or float(number) > limits[unit]:
            return False
    return True


#: Properties that move or lift a box out of its own figure: never kept, whatever a
#: policy's allowlist says (defence in depth for a publisher's own policy).
NEVER_STYLE = frozenset(
    {
        "position", "inset", "top", "right", "bottom", "left", "transform", "translate",
        "rotate", "scale", "z-index", "float", "box-shadow", "outline", "clip-path",
        "mask", "filter", "zoom", "offset", "offset-path",
    }
)  # fmt: skip


def clean_style(value: str, allowed: frozenset[str]) -> str:
    """The declarations of an inline style that are allowed and safe, re-serialised.

    A property must be in ``allowed`` (see :data:`embedkit._platforms.STYLE_PROPERTIES`);
    its value may hold only keywords, colours and bounded lengths in px, pt, em, rem
    or % (no viewport units, no negative numbers, widths in percent); ``!important``
    is dropped. Anything else drops that declaration; a style that tries
    ``expression()``, ``url()``, escapes or comments is dropped whole. Returns ``""``
    when nothing is left.

    >>> clean_style("color: red; position: fixed; margin-top: -40px; width: 100vw",
    ...             frozenset({"color", "margin-top", "width", "position"}))
    'color: red'
    """
    if len(value) > 4096 or _BAD_STYLE.search(value):
        return ""
    kept: list[str] = []
    for declaration in value.split(";"):
        prop, sep, raw = declaration.partition(":")
        prop = prop.strip().lower()
        text = re.sub(r"!\s*important\s*$", "", raw.strip().lower()).strip()
        if (
            sep
            and text
            and prop in allowed
            and prop not in NEVER_STYLE
            and _css_value_ok(prop, text)
        ):
            kept.append(f"{prop}: {text}")
    return "; ".join(kept)


# -- iframe permissions ---------------------------------------------------------

_FEATURE = re.compile(r"[a-z][a-z0-9-]{0,40}")


def clean_allow(value: str, features: frozenset[str]) -> str:
    """An iframe ``allow`` value rebuilt from the permission ``features`` a platform keeps.

    Each directive's origin list is dropped (a kept feature applies to the iframe's
    own origin only); features the platform does not list, such as ``camera``,
    ``microphone``, ``geolocation``, ``payment`` or ``usb``, are dropped.

    >>> clean_allow("autoplay; camera *; fullscreen 'self'", frozenset({"autoplay", "fullscreen"}))
    'autoplay; fullscreen'
    """
    kept: list[str] = []
    for directive in value[:2048].split(";"):
        name = directive.strip().split(" ", 1)[0].lower()
        if _FEATURE.fullmatch(name) and name in features and name not in kept:
            kept.append(name)
    return "; ".join(kept)


# -- the cleaner ------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Tags removed together with everything inside them.
_CLEAN_CONTENT = _words(
    "script style svg math template noscript noembed noframes xmp textarea select object"
    " embed applet title head frameset"
)

_BAD_URL_VALUE = re.compile(r"^\s*(?:javascript|vbscript|data|livescript|mocha)\s*:", re.IGNORECASE)
_URL_ATTRS = frozenset({"href", "src", "cite", "action", "formaction", "poster", "background"})
_ATTR_NAME = re.compile(r"^[a-z][a-z0-9_.:-]*$")
_VOID = frozenset({"br", "img", "hr", "wbr"})


def _check_attribute(tag: str, attr: str, value: str) -> str | None:
    """nh3's attribute filter, the same for every policy (``value`` arrives decoded).

    Event handlers, ``srcdoc``, ``formaction`` and ``data-embedkit-*`` (the page's own
    contract, not the provider's) go; a style that tries ``expression()``, ``url()``,
    escapes or comments goes whole; a ``javascript:``-like value goes even when its
    characters are written as references. Iframe hosts are checked afterwards, by
    the re-serializer, with the hosts of the one embed.
    """
    del tag  # the same rules on every element
    if attr == "style":
        return None if _BAD_STYLE.search(value) else value
    if attr.startswith(("on", "data-embedkit")) or attr in ("srcdoc", "formaction"):
        return None
    return None if _bad_url_value(value) else value


def _bad_url_value(value: str) -> bool:
    """A ``javascript:``-like value, even when its characters are written as references."""
    return (":" in value or "&" in value) and bool(
        _BAD_URL_VALUE.match(htmllib.unescape(value).replace("\x00", ""))
    )


#: Markup whose tokens depend on the tree a browser builds, not on the tokenizer alone:
#: foreign content, ``<noscript>`` (parsed as markup with scripting off), ``<select>``,
#: ``<frameset>`` and ``<template>`` (which ignore or move what they hold).
_TREE_DEPENDENT = re.compile(r"<(?:svg|math|noscript|select|frameset|template)", re.IGNORECASE)


def _filter_could_act(html: str, document: Document) -> bool:
    """Whether nh3's attribute filter could remove anything from ``html``.

    When it could not, nh3 runs without it: a Python callback per attribute makes nh3
    take the GIL back for each one, which under many threads costs far more than the
    check. The answer is read from the one pass of the linear tokenizer; markup where
    that pass could see other attributes than nh3's tree builder always gets the
    filter. Either way the re-serializer applies the same checks to nh3's output.
    """
    if _TREE_DEPENDENT.search(html):
        return True
    for attrs in document.attributes:
        for name, value in attrs:
            if name == "style":
                if "&" in value or _BAD_STYLE.search(value):
                    return True
            elif _check_attribute("", name, value) is None:
                return True
    return False


@functools.cache
def _cleaner(platform: str | None, *, filtered: bool) -> nh3.Cleaner:
    """The nh3 cleaner of a platform record's policy (``None``: the default), built once.

    ``filtered``: with :func:`_check_attribute` as nh3's attribute filter.
    """
    record = _platforms.get(platform)
    policy = record.sanitizer if record else DEFAULT_POLICY
    attributes = {tag: set(names) for tag, names in policy.attributes.items()}
    set_values: dict[str, dict[str, str]] = {}
    if "iframe" in policy.tags:
        attributes["iframe"] = set(attributes.get("iframe", set())) - {"loading"}
        set_values["iframe"] = {"loading": "lazy"}
    return nh3.Cleaner(
        tags=set(policy.tags),
        clean_content_tags=set(_CLEAN_CONTENT),
        attributes=attributes,
        attribute_filter=_check_attribute if filtered else None,
        strip_comments=True,
        link_rel="noopener noreferrer",
        generic_attribute_prefixes={"data-"} if policy.data_prefix else None,
        set_tag_attribute_values=set_values or None,
        url_schemes={"http", "https"},
        url_relative="deny",
        filter_style_properties=set(policy.style_properties),
    )


_INVISIBLE = re.compile(r"\s")


def _safe_url(value: str) -> bool:
    cleaned = value
    if not value.isprintable() or _INVISIBLE.search(value):
        cleaned = "".join(ch for ch in value if ch.isprintable() and not ch.isspace())
    if cleaned.startswith(("http://", "https://")) and "[" not in cleaned and "]" not in cleaned:
        return True  # what urlsplit says of it, without the work (brackets can raise)
    try:
        scheme = urlsplit(cleaned).scheme.lower()
    except ValueError:
        return False
    return scheme in ("http", "https")


def _kept_attributes(attrs: Attributes, styles: frozenset[str]) -> dict[str, str]:
    """The attributes the re-serializer keeps, checked again (the first of a name wins)."""
    kept: dict[str, str] = {}
    for name, value in attrs:
        if name in kept or not _ATTR_NAME.match(name):
            continue
        if name.startswith(("on", "data-embedkit")) or name in ("srcdoc", "formaction"):
            continue
        if name in _URL_ATTRS and not _safe_url(value):
            continue
        if _bad_url_value(value):
            continue
        if name == "style":
            value = clean_style(value, styles)
            if not value:
                continue
        kept[name] = value
    return kept


class _Iframes:
    """What the re-serializer does to the iframes of one embed."""

    __slots__ = ("allow", "fill", "force_title", "hosts", "title")

    def __init__(
        self,
        *,
        hosts: frozenset[str],
        title: str,
        force_title: bool,
        fill: bool,
        allow: frozenset[str],
    ) -> None:
        self.hosts = hosts
        self.title = title
        self.force_title = force_title
        self.fill = fill
        self.allow = allow

    def fix(self, kept: dict[str, str]) -> None:
        kept["loading"] = "lazy"
        if self.force_title or not kept.get("title", "").strip():
            kept["title"] = self.title
        if self.fill:
            kept["width"] = "100%"
            kept["height"] = "100%"
        allow = clean_allow(kept.pop("allow", ""), self.allow)
        if allow:
            kept["allow"] = allow
        if "allowfullscreen" in kept and "fullscreen" not in self.allow:
            del kept["allowfullscreen"]


class _Rewriter:
    """Re-serialises nh3 output for one policy, escaping everything again.

    One pass of the linear tokenizer. Only the policy's tags are written, each
    attribute is checked again and escaped, every text is escaped, an iframe is
    written empty (and only from an allowed host), and nothing inside an iframe is
    written. What a start tag becomes depends only on its text (iframes aside), so
    the tags providers repeat (``<p lang="en" dir="ltr">``) are rewritten once.
    """

    _MAX_REMEMBERED = 4096

    def __init__(self, tags: frozenset[str], styles: frozenset[str]) -> None:
        self.tags = tags
        self.styles = styles
        self._rewritten: dict[str, str] = {}

    def _start_tag(self, tag: str, attrs: Attributes, self_closing: bool) -> str:
        kept = _kept_attributes(attrs, self.styles) if attrs else {}
        return self._render(tag, kept) + (f"</{tag}>" if self_closing and tag not in _VOID else "")

    @staticmethod
    def _render(tag: str, kept: dict[str, str]) -> str:
        escape = htmllib.escape
        return f"<{tag}" + "".join(f' {n}="{escape(v, quote=True)}"' for n, v in kept.items()) + ">"

    def rewrite(self, cleaned: str, frames: _Iframes) -> str:
        out: list[str] = []
        escape = htmllib.escape
        tags = self.tags
        rewritten = self._rewritten
        skip = 0  # inside an iframe
        for kind, start, end, tag, attrs, self_closing in iter_tokens(cleaned):
            if kind == "data" or kind == "raw":  # raw: an iframe's content (or, never, other)
                if not skip:
                    text = cleaned[start:end]
                    if kind == "data" and "&" in text:
                        text = unescape(text)
                    if "&" in text or "<" in text or ">" in text:
                        text = escape(text, quote=False)
                    out.append(text)
            elif kind == "start":
                if skip:
                    skip += tag == "iframe"
                elif tag not in tags:
                    continue
                elif tag == "iframe":
                    skip = 1
                    kept = _kept_attributes(attrs, self.styles) if attrs else {}
                    if _host_allowed(kept.get("src", ""), frames.hosts):
                        frames.fix(kept)
                        out.append(self._render(tag, kept) + "</iframe>")
                else:
                    source = cleaned[start:end]
                    done = rewritten.get(source)
                    if done is None:
                        done = self._start_tag(tag, attrs, self_closing)
                        if len(source) <= 256:
                            if len(rewritten) >= self._MAX_REMEMBERED:
                                rewritten.clear()
                            rewritten[source] = done
                    out.append(done)
            elif kind == "end":
                if skip:
                    skip -= tag == "iframe"
                elif tag in tags and tag not in _VOID and tag != "iframe":
                    out.append(f"</{tag}>")
        return "".join(out)


@functools.cache
def _rewriter(platform: str | None) -> _Rewriter:
    """The re-serializer of a platform record's policy (``None``: the default)."""
    record = _platforms.get(platform)
    policy = record.sanitizer if record else DEFAULT_POLICY
    return _Rewriter(policy.tags, policy.style_properties)


def _script_urls(urls: Iterable[str]) -> frozenset[str]:
    normalised = (_normalise_script(url) for url in urls if url)
    return frozenset(url for url in normalised if url is not None)


def sanitize(
    html: str,
    platform: str | None,
    *,
    extra_scripts: Iterable[str] = (),
    extra_iframe_hosts: Iterable[str] = (),
    iframe_title: str | None = None,
    fill_iframes: bool = False,
) -> Sanitized:
    """Clean provider HTML with the policy of ``platform`` and collect its allowed scripts.

    ``platform`` is the id of the matched provider's platform record (``"x"``,
    ``"youtube"``...); ``None`` (or an id no record has) gets the strict default
    policy. ``extra_scripts`` are exact script URLs the publisher's configuration
    allows for this embed (a trusted Mastodon instance's ``embed.js``).
    ``extra_iframe_hosts`` adds the hosts a caller knows belong to the provider (a
    Mastodon instance, an unknown provider's own host; ``*.example.com`` matches
    subdomains). ``iframe_title`` replaces every kept iframe's title (the oEmbed
    title); without it an iframe keeps its own title or gets the platform's name.
    ``fill_iframes`` sets width and height to 100% for a responsive wrapper.
    """
    return sanitize_read(
        html,
        None,
        platform,
        extra_scripts=extra_scripts,
        extra_iframe_hosts=extra_iframe_hosts,
        iframe_title=iframe_title,
        fill_iframes=fill_iframes,
    )


def sanitize_read(
    html: str,
    document: Document | None,
    platform: str | None,
    *,
    extra_scripts: Iterable[str] = (),
    extra_iframe_hosts: Iterable[str] = (),
    iframe_title: str | None = None,
    fill_iframes: bool = False,
) -> Sanitized:
    """:func:`sanitize`, with ``html`` already read (``document``: its :func:`read`).

    Presentation reads an answer's markup once, for this and for the fallback.
    """
    if not html or not html.strip():
        return Sanitized(html="", scripts=())
    if len(html) > MAX_HTML_CHARS or html.count("<") > MAX_TAGS:
        # real embed markup is a few KB; deeply nested megabytes only cost CPU time
        log.warning("provider HTML for %s is too large to sanitize; using the fallback", platform)
        return Sanitized(html="", scripts=())
    document = document if document is not None else read(html)
    if document.depth > MAX_NESTING or document.widest > MAX_ATTRIBUTES:
        log.warning("provider HTML for %s is too deeply nested to sanitize", platform)
        return Sanitized(html="", scripts=())
    record = _platforms.get(platform)
    hosts = record.iframe_hosts if record else frozenset()
    if extra_iframe_hosts:
        hosts = hosts | frozenset(h.strip().lower() for h in extra_iframe_hosts if h and h.strip())
    allowed_scripts = record.scripts if record else frozenset()
    if extra_scripts:
        allowed_scripts = allowed_scripts | _script_urls(extra_scripts)
    scripts = _find_scripts(document.scripts, allowed_scripts) if document.scripts else ()
    key = record.id if record else None
    cleaned = _cleaner(key, filtered=_filter_could_act(html, document)).clean(html)
    title = (iframe_title or "").strip()
    frames = _Iframes(
        hosts=hosts,
        title=title or (record.name if record else "Embedded content"),
        force_title=bool(title),
        fill=fill_iframes,
        allow=record.iframe_allow if record else DEFAULT_ALLOW,
    )
    return Sanitized(html=_rewriter(key).rewrite(cleaned, frames).strip(), scripts=scripts)
