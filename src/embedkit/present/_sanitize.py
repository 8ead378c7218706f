"""Clean untrusted provider HTML before it reaches a page.

Every provider's oEmbed ``html`` is treated as hostile. :func:`sanitize` cleans it
with nh3 against an allowlist made for that provider (the tags and attributes its
markup really uses), keeps ``http``/``https`` links only, adds
``rel="noopener noreferrer"`` to links, keeps an ``<iframe>`` only when its ``src``
host belongs to the provider (a foreign iframe is removed whole), and gives every
kept iframe ``loading="lazy"`` and a ``title``.

Scripts never pass through. A ``<script src=...>`` whose URL is on the exact
allowlist (:data:`KNOWN_SCRIPTS`: X's ``widgets.js``, Instagram's ``embed.js``...)
is *collected* into :attr:`Sanitized.scripts` so that a page can load it once;
every other script is dropped silently.

The nh3 output then goes through a small re-serializer that escapes every text
node and attribute value again, removes iframe contents and iframes nh3 left
without a ``src``, and re-checks URLs: a second line of defence that can lose
markup on hostile input but never emits anything unescaped.

Example::

    >>> s = sanitize('<blockquote class="twitter-tweet"><p>hi</p></blockquote>'
    ...              '<script async src="https://platform.twitter.com/widgets.js"></script>',
    ...              "Twitter")
    >>> s.html
    '<blockquote class="twitter-tweet"><p>hi</p></blockquote>'
    >>> s.scripts
    ('https://platform.twitter.com/widgets.js',)
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3

from embedkit.net._redaction import get_logger

__all__ = [
    "KNOWN_SCRIPTS",
    "MAX_HTML_CHARS",
    "MAX_TAGS",
    "Sanitized",
    "iframe_hosts",
    "provider_key",
    "sanitize",
]


log = get_logger(__name__)

#: Provider HTML longer than this, or with more tags than :data:`MAX_TAGS`, is not
#: sanitized at all (the embed shows its static fallback): the HTML parser's cost
#: grows with nesting depth, and no real embed comes close to these sizes.
MAX_HTML_CHARS = 256 * 1024
MAX_TAGS = 10_000


@dataclass(frozen=True)
class Sanitized:
    """Cleaned provider markup and the allow-listed scripts it asked for."""

    html: str
    scripts: tuple[str, ...]


# -- provider names ----------------------------------------------------------

_ALIASES: Mapping[str, str] = {
    "twitter": "twitter",
    "x": "twitter",
    "xcom": "twitter",
    "youtube": "youtube",
    "vimeo": "vimeo",
    "bluesky": "bluesky",
    "blueskysocial": "bluesky",
    "bsky": "bluesky",
    "mastodon": "mastodon",
    "instagram": "instagram",
    "threads": "threads",
    "tiktok": "tiktok",
    "facebook": "facebook",
    "reddit": "reddit",
    "spotify": "spotify",
    "soundcloud": "soundcloud",
    "flickr": "flickr",
    "dailymotion": "dailymotion",
    "ted": "ted",
    "tumblr": "tumblr",
    "imgur": "imgur",
    "pinterest": "pinterest",
    "codepen": "codepen",
}


def provider_key(provider: str | None) -> str | None:
    """The policy key for a provider name or reference kind (``"Twitter"``, ``"x"``...).

    Returns ``None`` for a provider without a built-in policy.
    """
    if not provider:
        return None
    return _ALIASES.get(re.sub(r"[^a-z0-9]", "", provider.lower()))


# -- iframe hosts ------------------------------------------------------------

#: Hosts each provider's iframes may come from. ``*.host`` also matches subdomains,
#: ``host/path`` requires the path to start with ``/path``.
_IFRAME_HOSTS: Mapping[str, frozenset[str]] = {
    "twitter": frozenset({"platform.twitter.com"}),
    "youtube": frozenset(
        {"youtube.com", "www.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com"}
    ),
    "vimeo": frozenset({"player.vimeo.com"}),
    "bluesky": frozenset({"embed.bsky.app"}),
    "spotify": frozenset({"open.spotify.com", "embed.spotify.com"}),
    "soundcloud": frozenset({"w.soundcloud.com"}),
    "tiktok": frozenset({"www.tiktok.com"}),
    "instagram": frozenset({"www.instagram.com", "instagram.com"}),
    "threads": frozenset({"www.threads.net", "www.threads.com"}),
    "facebook": frozenset({"www.facebook.com"}),
    "reddit": frozenset({"embed.reddit.com", "www.redditmedia.com", "www.reddit.com/embed"}),
    "dailymotion": frozenset({"www.dailymotion.com", "geo.dailymotion.com"}),
    "ted": frozenset({"embed.ted.com"}),
    "codepen": frozenset({"codepen.io"}),
    "pinterest": frozenset({"assets.pinterest.com"}),
}


def iframe_hosts(provider: str | None) -> frozenset[str]:
    """The iframe hosts built in for a provider (empty for unknown providers).

    A Mastodon instance, or an unknown provider's own host, is passed to
    :func:`sanitize` as ``extra_iframe_hosts``.
    """
    key = provider_key(provider)
    return _IFRAME_HOSTS.get(key, frozenset()) if key else frozenset()


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

_FB_VERSIONS = (
    [f"v2.{n}" for n in range(13)]
    + [f"v3.{n}" for n in range(4)]
    + [f"v{n}.0" for n in range(4, 26)]
)
_FB_SDK = "https://connect.facebook.net/en_US/sdk.js"

_SCRIPTS_BY_PROVIDER: Mapping[str, frozenset[str]] = {
    "twitter": frozenset({"https://platform.twitter.com/widgets.js"}),
    "instagram": frozenset(
        {"https://www.instagram.com/embed.js", "https://platform.instagram.com/en_US/embeds.js"}
    ),
    "tiktok": frozenset({"https://www.tiktok.com/embed.js"}),
    "bluesky": frozenset({"https://embed.bsky.app/static/embed.js"}),
    "threads": frozenset({"https://www.threads.net/embed.js", "https://www.threads.com/embed.js"}),
    "facebook": frozenset({_FB_SDK, *(f"{_FB_SDK}#xfbml=1&version={v}" for v in _FB_VERSIONS)}),
    "reddit": frozenset(
        {"https://embed.reddit.com/widgets.js", "https://embed.redditmedia.com/widgets/platform.js"}
    ),
    "flickr": frozenset({"https://embedr.flickr.com/assets/client-code.js"}),
    "imgur": frozenset({"https://s.imgur.com/min/embed.js"}),
    "tumblr": frozenset({"https://assets.tumblr.com/post.js"}),
    "pinterest": frozenset({"https://assets.pinterest.com/js/pinit.js"}),
}

#: Every provider script embedkit lets a page load, as exact normalised URLs
#: (https, no query; Facebook's SDK keeps its ``#xfbml=1&version=...`` fragment).
#: A Mastodon instance's ``https://{instance}/embed.js`` is accepted in addition
#: when the provider is that instance.
KNOWN_SCRIPTS: frozenset[str] = frozenset().union(*_SCRIPTS_BY_PROVIDER.values())

_FB_FRAGMENT = re.compile(r"xfbml=1&version=v\d{1,2}\.\d{1,2}")
_FB_LOADER = re.compile(r"""["'](?P<src>(?:https:)?//connect\.facebook\.net/[^"'\s]+)["']""")


def _normalise_script(src: str) -> str | None:
    """Protocol-relative → https, http → https, query dropped (fragment only for FB)."""
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


class _ScriptFinder(HTMLParser):
    """Collects ``<script src>`` URLs and Facebook SDK loader URLs from raw HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.srcs: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._in_script = True
            src = dict(attrs).get("src")
            if src:
                self.srcs.append(src)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.srcs.extend(m.group("src") for m in _FB_LOADER.finditer(data))


def _find_scripts(
    raw: str, key: str | None, provider: str | None, own_hosts: frozenset[str]
) -> tuple[str, ...]:
    finder = _ScriptFinder()
    try:
        finder.feed(raw)
        finder.close()
    except Exception:  # html.parser is lenient; never let a parse hiccup break rendering
        return ()
    allowed = _SCRIPTS_BY_PROVIDER.get(key, frozenset()) if key else frozenset()
    instance = (provider or "").strip().lower()
    found: list[str] = []
    for src in finder.srcs:
        url = _normalise_script(src)
        if url is None:
            continue
        host = urlsplit(url).hostname or ""
        mastodon = (
            url == f"https://{host}/embed.js"
            and host in own_hosts
            and (key == "mastodon" or instance == host)
        )
        if (url in allowed or mastodon) and url not in found:
            found.append(url)
    return tuple(found)


# -- per-provider allowlists --------------------------------------------------

_IFRAME = (
    "iframe: src width height title allow allowfullscreen frameborder scrolling referrerpolicy"
    " sandbox allowtransparency class"
)


@dataclass(frozen=True)
class _Policy:
    tags: frozenset[str]
    attributes: Mapping[str, frozenset[str]]
    data_prefix: bool = False


def _policy(*specs: str, data_prefix: bool = False) -> _Policy:
    """Build a policy from ``"tag: attr attr"`` specs (a bare ``"tag"`` allows no attributes).

    The same tag may appear in several specs; their attributes add up.
    """
    attributes: dict[str, set[str]] = {}
    for spec in specs:
        tag, _, names = spec.partition(":")
        attributes.setdefault(tag.strip(), set()).update(names.split())
    return _Policy(
        tags=frozenset(attributes) - {"*"},
        attributes={tag: frozenset(names) for tag, names in attributes.items() if names},
        data_prefix=data_prefix,
    )


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_LINK = "a: href title"
_IFRAME_ONLY = _policy(_IFRAME, "iframe: style")

#: What each provider's markup really uses.
_POLICIES: Mapping[str, _Policy] = {
    "twitter": _policy(
        "blockquote: class lang data-theme data-lang data-dnt data-width data-conversation"
        " data-cards data-align data-media-max-width",
        "p: lang dir",
        _LINK,
        "br",
        "span",
    ),
    "bluesky": _policy(
        "blockquote: class lang data-bluesky-uri data-bluesky-cid data-bluesky-embed-color-mode",
        "p: lang dir",
        _LINK,
        "br",
        "span",
    ),
    "mastodon": _policy(
        _IFRAME,
        "iframe: style",
        "blockquote: class style data-embed-url",
        _LINK,
        "a: target style",
        "div: style class",
        "p: style lang",
        "span: style",
        "br",
    ),
    "instagram": _policy(
        "blockquote: class style data-instgrm-captioned data-instgrm-permalink"
        " data-instgrm-version",
        "div: style",
        _LINK,
        "a: style target",
        "p: style",
        "time: style datetime title",
        _IFRAME,
        "br",
        "span",
    ),
    "threads": _policy(
        "blockquote: class style data-text-post-permalink data-text-post-version id",
        "div: style",
        _LINK,
        "a: style target",
        "span: style",
        "p: style",
        _IFRAME,
        "br",
    ),
    "tiktok": _policy(
        "blockquote: class style cite data-video-id data-embed-from",
        _LINK,
        "a: target",
        "p",
        "section",
        _IFRAME,
        "br",
        "span",
    ),
    "facebook": _policy(
        "div: class data-href data-width data-show-text data-allowfullscreen data-lazy",
        "blockquote: cite class",
        _LINK,
        "p",
        _IFRAME,
        "iframe: style",
        "br",
        "span",
    ),
    "reddit": _policy(
        "blockquote: class style data-embed-height data-embed-showtitle data-embed-showedits"
        " data-embed-created data-embed-showusername data-embed-theme",
        _LINK,
        _IFRAME,
        "iframe: style",
        "br",
        "p",
        "span",
    ),
    "flickr": _policy(_LINK, "a: data-flickr-embed", "img: src width height alt"),
    "tumblr": _policy("div: class data-href data-did", _LINK),
    "imgur": _policy("blockquote: class lang data-id data-context", _LINK),
    "pinterest": _policy(_IFRAME, _LINK, "a: data-pin-do", "img: src alt"),
    "youtube": _IFRAME_ONLY,
    "vimeo": _IFRAME_ONLY,
    "dailymotion": _IFRAME_ONLY,
    "ted": _IFRAME_ONLY,
    "spotify": _IFRAME_ONLY,
    "soundcloud": _IFRAME_ONLY,
    "codepen": _IFRAME_ONLY,
}

#: Unknown providers: text, links, images and own-host iframes; any data-* attribute.
_DEFAULT = _policy(
    "*: class lang dir style",
    _LINK,
    "a: target",
    "img: src alt width height",
    _IFRAME,
    "blockquote: cite",
    "time: datetime",
    "p",
    "br",
    "span",
    "div",
    "section",
    "em",
    "strong",
    "b",
    "i",
    "small",
    "ul",
    "ol",
    "li",
    "figure",
    "figcaption",
    "h2",
    "h3",
    "h4",
    "cite",
    data_prefix=True,
)

#: Tags removed together with everything inside them.
_CLEAN_CONTENT = _words(
    "script style svg math template noscript noembed noframes xmp textarea select object"
    " embed applet title head frameset"
)

#: CSS properties a provider may set inline (layout and colour only: no url(),
#: no positioning that could overlay the page).
_STYLE_PROPERTIES = _words(
    """color background-color border border-top border-right border-bottom border-left
    border-radius border-color border-style border-width box-shadow margin margin-top
    margin-right margin-bottom margin-left padding padding-top padding-right padding-bottom
    padding-left width height max-width min-width max-height min-height display
    flex-direction flex-grow flex-shrink flex align-items justify-content line-height
    font-family font-size font-style font-weight text-align text-decoration text-overflow
    overflow white-space transform vertical-align"""
)
_BAD_STYLE = re.compile(
    r"expression|url\s*\(|javascript|vbscript|behavior|binding|@import|\\|&#|/\*|<|>",
    re.IGNORECASE,
)
_BAD_URL_VALUE = re.compile(r"^\s*(?:javascript|vbscript|data|livescript|mocha)\s*:", re.IGNORECASE)
_URL_ATTRS = frozenset({"href", "src", "cite", "action", "formaction", "poster", "background"})
_ATTR_NAME = re.compile(r"^[a-z][a-z0-9_.:-]*$")
_VOID = frozenset({"br", "img", "hr", "wbr"})


def _attr_filter(hosts: frozenset[str]) -> Callable[[str, str, str], str | None]:
    def check(tag: str, attr: str, value: str) -> str | None:
        if attr.startswith(("on", "data-embedkit")) or attr in ("srcdoc", "formaction"):
            return None  # data-embedkit-* is the page's own contract, not the provider's
        if tag == "iframe" and attr == "src":
            return value if _host_allowed(value, hosts) else None
        if attr == "style":
            return None if _BAD_STYLE.search(value) else value
        if _BAD_URL_VALUE.match(htmllib.unescape(value).replace("\x00", "")):
            return None
        return value

    return check


def _safe_url(value: str) -> bool:
    cleaned = "".join(ch for ch in value if ch.isprintable() and not ch.isspace())
    try:
        scheme = urlsplit(cleaned).scheme.lower()
    except ValueError:
        return False
    return scheme in ("http", "https")


class _Rewriter(HTMLParser):
    """Re-serialises nh3 output, escaping everything again, and fixes up iframes."""

    def __init__(
        self,
        tags: frozenset[str],
        hosts: frozenset[str],
        title: str,
        *,
        force_title: bool,
        fill: bool,
    ) -> None:
        super().__init__(convert_charrefs=True)
        self.tags = tags
        self.hosts = hosts
        self.title = title
        self.force_title = force_title
        self.fill = fill
        self.out: list[str] = []
        self.skip = 0

    def set_cdata_mode(self, elem: str, *, escapable: bool = False) -> None:
        """Never treat anything as raw text: nh3 output has no script or style."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip:
            if tag == "iframe":
                self.skip += 1
            return
        if tag not in self.tags:
            return
        kept: dict[str, str] = {}
        for name, value in attrs:
            value = value or ""
            if not _ATTR_NAME.match(name) or name.startswith(("on", "data-embedkit")):
                continue
            if name == "srcdoc":
                continue
            if name in _URL_ATTRS and not _safe_url(value):
                continue
            if _BAD_URL_VALUE.match(value.replace("\x00", "")):
                continue
            if name == "style" and _BAD_STYLE.search(value):
                continue
            kept.setdefault(name, value)
        if tag == "iframe":
            self.skip = 1
            if not _host_allowed(kept.get("src", ""), self.hosts):
                return
            kept["loading"] = "lazy"
            if self.force_title or not kept.get("title", "").strip():
                kept["title"] = self.title
            if self.fill:
                kept["width"] = "100%"
                kept["height"] = "100%"
        rendered = "".join(f' {n}="{htmllib.escape(v, quote=True)}"' for n, v in kept.items())
        self.out.append(f"<{tag}{rendered}>")
        if tag == "iframe":
            self.out.append("</iframe>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and tag != "iframe":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            if tag == "iframe":
                self.skip -= 1
            return
        if tag in self.tags and tag not in _VOID and tag != "iframe":
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(htmllib.escape(data, quote=False))


def sanitize(
    html: str,
    provider: str | None,
    *,
    extra_iframe_hosts: Iterable[str] = (),
    iframe_title: str | None = None,
    fill_iframes: bool = False,
) -> Sanitized:
    """Clean provider HTML for ``provider`` and collect its allow-listed scripts.

    ``extra_iframe_hosts`` adds the hosts a caller knows belong to the provider (a
    Mastodon instance, an unknown provider's own host; ``*.example.com`` matches
    subdomains). ``iframe_title`` replaces every kept iframe's title (the oEmbed
    title); without it an iframe keeps its own title or gets the provider's name.
    ``fill_iframes`` sets width and height to 100% for a responsive wrapper.
    """
    if not html or not html.strip():
        return Sanitized(html="", scripts=())
    if len(html) > MAX_HTML_CHARS or html.count("<") > MAX_TAGS:
        # real embed markup is a few KB; deeply nested megabytes only cost CPU time
        log.warning("provider HTML from %s is too large to sanitize; using the fallback", provider)
        return Sanitized(html="", scripts=())
    key = provider_key(provider)
    policy = _POLICIES.get(key, _DEFAULT) if key else _DEFAULT
    own = frozenset(h.strip().lower() for h in extra_iframe_hosts if h and h.strip())
    hosts = iframe_hosts(provider) | own
    scripts = _find_scripts(html, key, provider, own)
    attributes = {tag: set(names) for tag, names in policy.attributes.items()}
    set_values: dict[str, dict[str, str]] = {}
    if "iframe" in policy.tags:
        attributes["iframe"] = set(attributes.get("iframe", set())) - {"loading"}
        set_values["iframe"] = {"loading": "lazy"}
    cleaned = nh3.clean(
        html,
        tags=set(policy.tags),
        clean_content_tags=set(_CLEAN_CONTENT),
        attributes=attributes,
        attribute_filter=_attr_filter(hosts),
        strip_comments=True,
        link_rel="noopener noreferrer",
        generic_attribute_prefixes={"data-"} if policy.data_prefix else None,
        set_tag_attribute_values=set_values or None,
        url_schemes={"http", "https"},
        url_relative="deny",
        filter_style_properties=set(_STYLE_PROPERTIES),
    )
    title = (iframe_title or "").strip()
    rewriter = _Rewriter(
        policy.tags | {"iframe"} if "iframe" in policy.tags else policy.tags,
        hosts,
        title or (provider or "Embedded content"),
        force_title=bool(title),
        fill=fill_iframes,
    )
    rewriter.feed(cleaned)
    rewriter.close()
    return Sanitized(html="".join(rewriter.out).strip(), scripts=scripts)
