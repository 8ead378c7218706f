"""Page-level rendering: standalone URLs in an article become embeds.

Which URLs qualify is WordPress's autoembed rule (see :mod:`embedkit.page._autoembed`):
a URL alone in its own paragraph or on its own line. Only those blocks are
replaced, by offset: every other byte of the page is unchanged, and rendering a
page twice changes nothing the second time.

The provider scripts the embeds need (``widgets.js``...) are emitted once, before
``</body>``; in consent mode the page gets the one first-party consent script
instead (see :func:`consent_script_path`).

The page is scanned once. What the inserted embeds add to it (scripts already
present, consent placeholders) is read from each embed's own markup, once per
distinct markup (:func:`_fragment`); an embed whose markup could change how the
rest of the page reads (an element left open, a stray end tag, a ``</body>``)
makes the finished page be scanned again instead, as a whole.

Example::

    >>> from embedkit import Resolver
    >>> r = Resolver(cache="memory://", offline=True)
    >>> page = render_html("<p>https://x.com/Reuters/status/1636212467429621760</p>", r)
    >>> "March 16, 2023" in page
    True
"""

from __future__ import annotations

import functools
import html as htmllib
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jinja2

from embedkit._errors import ConfigError, DocumentError, InvalidReference
from embedkit._memo import LruMemo
from embedkit._models import Embed
from embedkit._parse.markup import tokenize
from embedkit.page._autoembed import (
    CONSENT_MARKER,
    PageScanner,
    Standalone,
    find_standalone,
    find_standalone_urls,
    has_consent_placeholder,
    placeholder_scripts,
    scan,
)
from embedkit.page._body import sanitize_body
from embedkit.resolve._refs import MAX_REF_LENGTH, parse_ref

__all__ = [
    "CONSENT_MARKER",
    "CONSENT_SCRIPT_NAME",
    "STYLESHEET_NAME",
    "DocumentSource",
    "EmbedSource",
    "RenderSummary",
    "Standalone",
    "consent_script_path",
    "embed_urls",
    "find_standalone",
    "find_standalone_urls",
    "has_consent_placeholder",
    "placeholder_scripts",
    "render_document",
    "render_html",
    "script_tags",
    "stylesheet_path",
    "summarize_embeds",
    "write_assets",
]

#: File name of the consent script next to a rendered page.
CONSENT_SCRIPT_NAME = "embedkit-consent.js"
#: File name of the page stylesheet next to a rendered page.
STYLESHEET_NAME = "embedkit.css"


class EmbedSource(Protocol):
    """What rendering a page needs from a resolver (a :class:`~embedkit.Resolver` is one).

    ``resolve_many`` resolves the page's URLs in one call, in order; ``consent``
    says whether embeds are consent placeholders.
    """

    @property
    def consent(self) -> bool: ...

    def resolve_many(self, refs: Iterable[str]) -> Sequence[Embed]: ...


class DocumentSource(EmbedSource, Protocol):
    """An :class:`EmbedSource` with the template environment a full page is built from."""

    @property
    def environment(self) -> jinja2.Environment: ...


_STATIC = Path(__file__).resolve().parents[1] / "static"


def _valid(url: str) -> bool:
    """Whether ``url`` is a reference; the answers for the last 4096 are remembered.

    A string longer than any reference is refused before the memo, so what it keeps
    stays within 4096 references' length, whatever pages are rendered.
    """
    return len(url) <= MAX_REF_LENGTH and _valid_reference(url)


@functools.lru_cache(maxsize=4096)
def _valid_reference(url: str) -> bool:
    try:
        parse_ref(url)
    except InvalidReference:
        return False
    return True


def _embeddable(embed: Embed) -> bool:
    """Whether an embed is worth showing instead of the URL as text.

    A URL that no provider, oEmbed discovery or link card can serve stays as
    written: no provider knows it and nothing came of its page (``provider is
    None`` and ``status == "fallback"``: offline, unreachable, refused by the
    network guard, or a page that declares no title). A link card
    (``kind == "card"``) is always shown, whatever its provider: it is built from
    the page, so its status is never ``fallback``.
    """
    return embed.kind == "card" or not (embed.provider is None and embed.status == "fallback")


def _resolve(urls: Iterable[str], source: EmbedSource) -> dict[str, Embed]:
    """Resolve the valid URLs, each once, in one call."""
    unique = [url for url in dict.fromkeys(urls) if _valid(url)]
    if not unique:
        return {}
    embeds = list(source.resolve_many(unique))
    if len(embeds) != len(unique):
        raise ValueError(f"resolve_many returned {len(embeds)} embeds for {len(unique)} URLs")
    return dict(zip(unique, embeds, strict=True))


@dataclass(frozen=True, slots=True)
class _Embedded:
    """A document with its embeds in place, and what the inserted embeds need.

    ``scripts``: the provider scripts of live embeds. ``consent_scripts``: the
    scripts the inserted consent placeholders list (only embeds this pass
    inserted count, never markup that was on the page already), or ``None``
    when no placeholder was inserted. ``present``: the ``<script src>`` URLs on the
    new document; ``body_end``: where its ``</body>`` starts (``None``: a fragment).
    """

    html: str
    scripts: tuple[str, ...]
    consent_scripts: tuple[str, ...] | None
    present: tuple[str, ...] = ()
    body_end: int | None = None


@dataclass(frozen=True, slots=True)
class _Fragment:
    """What one embed's markup adds to a page (see :func:`_fragment`).

    ``scripts``: its ``<script src>`` URLs; ``consent``: the scripts its consent
    placeholders list, ``None`` without a placeholder; ``neutral``: the markup
    leaves the page around it reading exactly as before.
    """

    scripts: tuple[str, ...]
    consent: tuple[str, ...] | None
    neutral: bool


#: Elements that never have content (the HTML standard's void elements).
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
     "param", "source", "track", "wbr"}
)  # fmt: skip
#: What the markup of the embeds seen lately adds to a page: one scan per distinct markup.
_FRAGMENTS: LruMemo[str, _Fragment] = LruMemo(1024)
#: Longer markup is read again each time (its scan costs what its size does) rather
#: than kept: the memo stays within 1024 × 64 KiB whatever providers send.
_FRAGMENT_MEMO_MAX = 64 * 1024


def _balanced(markup: str) -> bool:
    """Whether every element ``markup`` opens it closes, and it closes nothing else."""
    depth: dict[str, int] = {}
    for token in tokenize(markup):
        if token.kind == "start":
            if token.name in _VOID or (token.self_closing and token.name in ("svg", "math")):
                continue
            depth[token.name] = depth.get(token.name, 0) + 1
        elif token.kind == "end":
            if token.name == "body" or not depth.get(token.name):
                return False
            depth[token.name] -= 1
    return not any(depth.values())


def _fragment(markup: str) -> _Fragment:
    """What ``markup`` adds to the page it is inserted in, remembered per markup.

    It is *neutral* when the page scanned with it in place reads the same
    everywhere else: it starts and ends with a tag, opens and closes its own
    elements only (so it ends outside any raw text, comment, script or opaque
    element: a ``</body>`` right after it still counts), and holds no
    ``</body>`` of its own. Then its scripts and consent placeholders are the
    page's too; otherwise the renderer scans the finished page again.
    """
    known = _FRAGMENTS.get(markup)
    if known is not None:
        return known
    probe = scan(markup + "</body>")
    neutral = (
        markup.startswith("<")
        and markup.endswith(">")
        and probe.body_end == len(markup)
        and _balanced(markup)
    )
    found = _Fragment(
        scripts=tuple(probe.script_srcs),
        consent=tuple(probe.consent_scripts) if probe.placeholders else None,
        neutral=neutral,
    )
    if len(markup) <= _FRAGMENT_MEMO_MAX:
        _FRAGMENTS.put(markup, found)
    return found


def _embed_found(
    html: str, page: PageScanner, found: list[Standalone], by_url: dict[str, Embed]
) -> _Embedded:
    parts: list[str] = []
    scripts: dict[str, None] = {}
    consent: dict[str, None] | None = None
    present = list(page.script_srcs)
    body_end = page.body_end
    neutral = True
    pos = 0
    for item in found:
        embed = by_url.get(item.url)
        if embed is None or not _embeddable(embed):
            continue
        markup = embed.html
        parts.append(html[pos : item.start])
        parts.append(markup)
        pos = item.end
        if page.body_end is not None and body_end is not None and item.start < page.body_end:
            body_end += len(markup) - (item.end - item.start)
        scripts.update(dict.fromkeys(embed.scripts))
        fragment = _fragment(markup)
        neutral = neutral and fragment.neutral
        if not fragment.neutral:
            listed = placeholder_scripts(markup) if has_consent_placeholder(markup) else None
        else:
            present.extend(fragment.scripts)
            listed = fragment.consent
        if listed is not None:
            consent = {} if consent is None else consent
            consent.update(dict.fromkeys(listed))
    parts.append(html[pos:])
    new = "".join(parts)
    if not neutral:  # an embed may change how the rest reads: scan the result itself
        again = scan(new)
        present, body_end = again.script_srcs, again.body_end
    return _Embedded(
        new,
        tuple(scripts),
        None if consent is None else tuple(consent),
        tuple(present),
        body_end,
    )


def _embed_all(html: str, source: EmbedSource) -> _Embedded:
    page = scan(html)
    found = sorted(page.found, key=lambda item: item.start)  # what find_standalone gives
    return _embed_found(html, page, found, _resolve((f.url for f in found), source))


def embed_urls(html: str, source: EmbedSource) -> tuple[str, tuple[str, ...]]:
    """Replace each standalone URL's block with its embed.

    Returns the new document and the provider scripts the embeds need, in
    first-seen order, each once. Every URL is resolved in one
    ``source.resolve_many`` call; references that are not valid
    (:class:`~embedkit.InvalidReference`)
    and URLs nothing could embed are left as they are. Running it on its own
    output changes nothing.
    """
    done = _embed_all(html, source)
    return done.html, done.scripts


def _attr(value: str) -> str:
    return htmllib.escape(value, quote=True)


def script_tags(
    scripts: Iterable[str],
    *,
    nonce: str | None = None,
    consent: bool = False,
    consent_script_url: str = CONSENT_SCRIPT_NAME,
    present: Iterable[str] = (),
) -> str:
    """The ``<script>`` tags for a page, each once, one per line.

    ``scripts`` are the provider scripts the page's embeds need. Normally each
    gets its own tag. In consent mode the page loads only ``consent_script_url``,
    and ``scripts`` become its ``data-embedkit-allow`` list: the only scripts it
    will load after a click, so markup injected into the page cannot make it
    load others (with the page's nonce). Scripts whose URL is in ``present``
    (already on the page) are skipped. ``nonce`` is set on every tag.
    """
    nonce_attr = f' nonce="{_attr(nonce)}"' if nonce else ""
    seen = set(present)
    wanted = list(dict.fromkeys(scripts))
    if consent:
        if consent_script_url in seen:
            return ""
        allow = json.dumps(wanted, separators=(",", ":"))
        return (
            f'<script src="{_attr(consent_script_url)}" defer{nonce_attr}'
            f' data-embedkit-allow="{_attr(allow)}"></script>\n'
        )
    tags = [
        f'<script async src="{_attr(src)}" charset="utf-8"{nonce_attr}></script>\n'
        for src in wanted
        if src not in seen
    ]
    return "".join(tags)


def _page_tags(
    done: _Embedded,
    *,
    nonce: str | None,
    consent: bool | None,
    consent_script_url: str | None,
) -> str:
    """The script tags a page still needs, given what is on it already."""
    if consent is None:
        consent = done.consent_scripts is not None or consent_script_url is not None
    if consent and done.consent_scripts is None:
        return ""  # no new placeholder: nothing to load, not even the consent script
    return script_tags(
        (done.consent_scripts or ()) if consent else done.scripts,
        nonce=nonce,
        consent=consent,
        consent_script_url=consent_script_url or CONSENT_SCRIPT_NAME,
        present=done.present,
    )


def render_html(
    html: str,
    source: EmbedSource,
    *,
    nonce: str | None = None,
    consent: bool | None = None,
    consent_script_url: str | None = None,
    trusted_body: bool = False,
) -> str:
    """Turn standalone URLs into embeds and add the page's scripts once.

    The author's markup is untrusted by default: it is cleaned with an allowlist
    fit for articles (:func:`~embedkit.page._body.sanitize_body`) before any embed
    is inserted, so a full document comes back as its cleaned content.
    ``trusted_body=True`` keeps the markup as it is (sites whose authors may write
    HTML, or embedkit's own output rendered again).

    The scripts go just before ``</body>``, or at the end of a fragment; a
    script already on the page is not added again, so rendering twice changes
    nothing when the output is rendered again with ``trusted_body=True``.
    ``source`` is the resolver (any :class:`EmbedSource`).
    ``consent`` says whether the page is in consent mode; ``None`` (the default)
    follows ``source.consent``, else tells from the embeds (consent placeholders)
    or from a given ``consent_script_url``. In consent mode the page gets one
    ``<script src=consent_script_url defer data-embedkit-allow=[...]>`` (default
    ``embedkit-consent.js``, see :func:`write_assets`) instead of any provider
    script; its allow list holds the scripts the inserted placeholders need and
    nothing else. ``nonce`` is set on every script tag added (for a
    ``script-src 'nonce-...'`` Content-Security-Policy).
    """
    if consent is None:
        consent = source.consent or None
    if not trusted_body:
        html = sanitize_body(html)
    done = _embed_all(html, source)
    new = done.html
    tags = _page_tags(done, nonce=nonce, consent=consent, consent_script_url=consent_script_url)
    if not tags:
        return new
    if done.body_end is None:
        return new + ("" if not new or new.endswith("\n") else "\n") + tags
    return new[: done.body_end] + tags + new[done.body_end :]


# -- assets -------------------------------------------------------------------------


def consent_script_path() -> Path:
    """The packaged consent script (``embedkit/static/consent.js``)."""
    return _STATIC / "consent.js"


def stylesheet_path() -> Path:
    """The packaged page stylesheet (``embedkit/static/embedkit.css``)."""
    return _STATIC / "embedkit.css"


def write_assets(out_dir: str | os.PathLike[str]) -> list[Path]:
    """Copy the files a rendered page links to into ``out_dir``; return their paths.

    Writes ``embedkit-consent.js`` and ``embedkit.css`` there and nowhere else.
    Call it with the folder of the page that :func:`render_document` wrote
    (``embedkit render -o`` does, and says so); a page printed to stdout gets
    no assets written. A missing folder raises
    :class:`~embedkit._errors.ConfigError`; one that cannot be written, the
    :class:`OSError`.
    """
    folder = Path(out_dir)
    if not folder.is_dir():
        raise ConfigError(f"output folder {str(folder)!r} does not exist")
    written = []
    for source, name in (
        (consent_script_path(), CONSENT_SCRIPT_NAME),
        (stylesheet_path(), STYLESHEET_NAME),
    ):
        target = folder / name
        shutil.copyfile(source, target)
        written.append(target)
    return written


# -- documents ------------------------------------------------------------------------

#: Markdown extensions: tables, fenced code, footnotes, attribute lists; sane lists.
MARKDOWN_EXTENSIONS = ("extra", "sane_lists")


def markdown_document(text: str, path: Path) -> tuple[dict[str, Any], str]:
    """A Markdown document's front matter and its body as HTML (embeds not yet placed).

    ``path`` names the document in the :class:`DocumentError` for bad front matter.
    """
    import markdown

    from embedkit._parse.frontmatter import FrontMatterError, split_front_matter

    try:
        metadata, content = split_front_matter(text)  # the syndicator's loader too
    except FrontMatterError as exc:
        line = f" (line {exc.line})" if exc.line is not None else ""
        raise DocumentError(f"{path}: malformed front matter{line}: {exc.problem}") from exc
    body = markdown.markdown(content, extensions=list(MARKDOWN_EXTENSIONS))
    return metadata, body


def _document_title(html: str) -> str | None:
    """The text of an HTML document's first ``<title>``, if it has one."""
    for token in tokenize(html):
        if token.kind == "raw" and token.name == "title":
            return " ".join(htmllib.unescape(html[token.start : token.end]).split()) or None
    return None


def _is_full_document(html: str) -> bool:
    head = html.lstrip()[:1024].lower()
    return head.startswith("<!doctype") or head.startswith("<html")


def render_document(
    path: str | os.PathLike[str],
    resolver: DocumentSource,
    *,
    page_template: str = "page.html",
    nonce: str | None = None,
    trusted_body: bool = False,
) -> str:
    """Render a Markdown or HTML file into a complete HTML page with embeds.

    The body is the author's, untrusted by default: the HTML the Markdown produces
    (Markdown passes raw HTML through) or the HTML file's content is cleaned with
    an allowlist fit for articles before embeds are inserted; an HTML file is then
    wrapped in ``page_template`` like a fragment. ``trusted_body=True`` keeps the
    author's markup, and a full HTML document its own layout.

    ``.md``/``.markdown``: the front matter (``title``, ``summary``, ``tags``,
    ``published``, ``url``, ``lang``, ``author``...) becomes the page template's
    context and the body is converted to HTML (Python-Markdown with
    :data:`MARKDOWN_EXTENSIONS`; a URL on its own line becomes a paragraph and
    thus an embed). ``.html``/``.htm``: a trusted full document keeps its own
    layout and gets the embeds and scripts in place; anything else is wrapped in
    ``page_template``. The page links ``embedkit.css`` and, in consent mode,
    ``embedkit-consent.js``: write them beside the page with :func:`write_assets`.
    """
    from markupsafe import Markup

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DocumentError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        if trusted_body and _is_full_document(text):
            return render_html(text, resolver, nonce=nonce, trusted_body=True)
        meta: dict[str, Any] = {}
        title = _document_title(text)
        if title:
            meta["title"] = title
        body = text
    elif suffix in (".md", ".markdown"):
        meta, body = markdown_document(text, path)
    else:
        raise DocumentError(f"cannot render {str(path)!r}: expected a .md or .html file")
    if not trusted_body:
        body = sanitize_body(body)
    done = _embed_all(body, resolver)
    body = done.html
    tags = _page_tags(done, nonce=nonce, consent=resolver.consent or None, consent_script_url=None)
    context = {key: value for key, value in meta.items() if isinstance(key, str)}
    context.setdefault("title", path.stem.replace("-", " ").replace("_", " ").capitalize())
    template = resolver.environment.get_template(page_template)
    page = template.render(
        meta=context,
        body=Markup(body),
        scripts=Markup(tags),
        nonce=nonce,
        stylesheet=STYLESHEET_NAME,
    )
    return page if page.endswith("\n") else page + "\n"


# -- what a render did ------------------------------------------------------------------

#: Statuses in the order a summary lists them.
_STATUS_ORDER = ("fresh", "cached", "stale", "gone", "fallback")


def _why(embed: Embed) -> str:
    if embed.error == "offline":
        return "offline"
    return "provider error" if embed.error else "no provider data"


@dataclass(frozen=True, slots=True)
class RenderSummary:
    """What the embeds of a rendered page are: how many, and how each was served.

    ``embeds`` are the embeds placed on the page (URLs nothing could embed stay
    text and are not counted), each once, in page order.
    """

    embeds: tuple[Embed, ...]

    @property
    def counts(self) -> dict[str, int]:
        """How many embeds have each status (only statuses that occur)."""
        found = dict.fromkeys(_STATUS_ORDER, 0)
        for embed in self.embeds:
            found[embed.status] = found.get(embed.status, 0) + 1
        return {status: n for status, n in found.items() if n}

    def line(self) -> str:
        """One line for people, e.g. ``3 embeds: 1 cached, 2 fallback (offline)``."""
        total = len(self.embeds)
        if not total:
            return "no embeds"
        parts = []
        for status, n in self.counts.items():
            part = f"{n} {status}"
            if status in ("fallback", "stale"):
                reasons: dict[str, int] = {}
                for embed in self.embeds:
                    if embed.status == status:
                        reasons[_why(embed)] = reasons.get(_why(embed), 0) + 1
                if len(reasons) == 1:
                    part += f" ({next(iter(reasons))})"
                else:
                    part += " (" + ", ".join(f"{c} {w}" for w, c in reasons.items()) + ")"
            parts.append(part)
        return f"{total} embed{'s' if total != 1 else ''}: {', '.join(parts)}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``total``, ``counts`` and one item per embed."""
        return {
            "total": len(self.embeds),
            "counts": self.counts,
            "embeds": [
                {
                    "url": embed.url,
                    "status": embed.status,
                    "provider": embed.provider,
                    "error": embed.error,
                }
                for embed in self.embeds
            ],
        }


def summarize_embeds(embeds: Iterable[Embed]) -> RenderSummary:
    """Summarize the embeds a render resolved (each URL once; non-embeddable ones left out).

    >>> from embedkit import Embed
    >>> summarize_embeds([Embed("u", "u", "fallback", "YouTube", "", error="offline")]).line()
    '1 embed: 1 fallback (offline)'
    """
    unique = {embed.url: embed for embed in embeds if _embeddable(embed)}
    return RenderSummary(tuple(unique.values()))
