"""Which URLs in a page become embeds: WordPress's autoembed rule, as a pure scan.

A URL becomes an embed when it stands alone: the only thing in its own paragraph
(``<p>URL</p>``, or ``<p><a href="URL">URL</a></p>`` as Markdown writes ``<URL>``),
or alone on its own line of plain text. URLs inside running text, inside a link
with other text, and anything inside ``pre``, ``code``, ``script``, ``style``,
``textarea``, ``template`` or an existing ``<figure class="embedkit">`` are left
alone, so rendering a page twice changes nothing the second time.

The document is read with the linear tokenizer of :mod:`embedkit._parse.markup`; the
scan reports each standalone URL with its span, so the renderer
(:mod:`embedkit.page._render`) can replace exactly those blocks and leave every other
byte of the page unchanged.
The scan also finds consent placeholders and the provider scripts they list.

    >>> find_standalone_urls("<p>See https://a.example/x</p>\\n<p>https://b.example/y</p>")
    ['https://b.example/y']
"""

from __future__ import annotations

import html as htmllib
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from embedkit._parse.markup import ForeignDepth, Token, tokenize
from embedkit.resolve._refs import MAX_REF_LENGTH

__all__ = [
    "CONSENT_MARKER",
    "PageScanner",
    "Standalone",
    "find_standalone",
    "find_standalone_urls",
    "has_consent_placeholder",
    "placeholder_scripts",
    "scan",
]

#: The attribute that marks a consent placeholder (it lists the provider scripts).
CONSENT_MARKER = "data-embedkit-scripts"


#: Elements whose content is never scanned for URLs.
_OPAQUE = frozenset(
    {
        "pre",
        "code",
        "kbd",
        "samp",
        "script",
        "style",
        "textarea",
        "template",
        "title",
        "head",
        "noscript",
        "iframe",
        "object",
        "svg",
        "math",
        "button",
        "select",
        "option",
        "a",
    }
)
#: Elements whose direct text is read line by line (flow containers).
_LINE_CONTAINERS = frozenset(
    {
        "html",
        "body",
        "main",
        "article",
        "section",
        "aside",
        "header",
        "footer",
        "div",
        "blockquote",
    }
)
#: Elements that end a line: text before/after them starts a new line.
_BLOCKS = _LINE_CONTAINERS | frozenset(
    {
        "p",
        "br",
        "hr",
        "ul",
        "ol",
        "dl",
        "dt",
        "table",
        "tr",
        "tbody",
        "thead",
        "tfoot",
        "figure",
        "figcaption",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "nav",
        "form",
        "fieldset",
        "details",
        "summary",
        "li",
        "dd",
        "td",
        "th",
        "pre",
        "script",
        "style",
        "template",
        "head",
        "title",
        "meta",
        "link",
    }
)
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)


@dataclass(frozen=True, slots=True)
class Standalone:
    """A standalone URL and the span of the document it replaces.

    ``start``/``end`` are character offsets into the document: the whole
    ``<p>...</p>`` for a paragraph, the URL itself for a line of text.
    """

    url: str
    start: int
    end: int


def _is_url(text: str) -> bool:
    """A single absolute http(s) URL with a host and nothing else.

    Longer than any reference (:data:`~embedkit.resolve._refs.MAX_REF_LENGTH`), it
    could never become an embed: it is refused before ``urlsplit``, whose own memo
    would otherwise keep the last 128 such strings of untrusted pages.
    """
    if not text or len(text) > MAX_REF_LENGTH or any(c.isspace() or c in '<>"' for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


@dataclass
class _Paragraph:
    start: int
    text: list[str]
    href: str | None = None
    link_text: list[str] | None = None
    in_link: bool = False
    valid: bool = True

    def url(self) -> str | None:
        if not self.valid:
            return None
        outside = htmllib.unescape("".join(self.text)).strip()
        if self.href is None:
            return outside if _is_url(outside) else None
        inside = htmllib.unescape("".join(self.link_text or ())).strip()
        if outside or inside != self.href.strip() or not _is_url(inside):
            return None
        return inside


class PageScanner:
    """Walk a document's tokens once, recording standalone URLs and their offsets.

    The tokens come from :func:`~embedkit._parse.markup.tokenize`, which sees
    markup where a browser does: text inside raw-text elements, scripts, comments
    or a tag that never closes is never scanned. Nothing is found while the
    tokenizer counts an ``<svg>`` or ``<math>`` open, even one a browser has left
    (``<div><svg></div><xmp>``): there it reads ``<xmp>``, ``<noembed>`` or a
    CDATA section its own way, which may not be the browser's.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.stack: list[tuple[str, bool]] = []  # (tag, opaque)
        self.found: list[Standalone] = []
        self.script_srcs: list[str] = []
        self.placeholders = 0
        self.consent_scripts: dict[str, None] = {}  # listed by placeholders, first-seen order
        self.body_end: int | None = None
        self._paragraph: _Paragraph | None = None
        self._text: tuple[int, int] | None = None  # the pending text run
        self._block_before = True  # the pending text run starts after a block boundary
        self._opaque_depth = 0  # how many opaque elements are open
        self._opaque_links = 0  # how many of those are <a> elements
        self._open: dict[str, int] = {}  # how many elements of each name are open
        self._foreign = ForeignDepth()  # the tokenizer's count of open <svg>/<math>

    def run(self) -> PageScanner:
        for token in tokenize(self.source):
            kind = token.kind
            if kind == "data":
                self._data(token.start, token.end)
            elif kind == "start":
                self._start(token)
            elif kind == "end":
                self._end(token)
            else:  # raw text, comments and broken tags are not markup to scan
                self._markup(token.start, None)
                self._block_before = True
        self._flush_text(True)
        return self

    # -- context --------------------------------------------------------------

    def _opaque(self) -> bool:
        return self._opaque_depth > 0

    def _hidden(self) -> bool:
        """Whether text here may not be where a browser reads markup."""
        return self._opaque_depth > 0 or self._foreign.depth > 0

    def _container(self) -> str | None:
        return self.stack[-1][0] if self.stack else None

    # -- text runs --------------------------------------------------------------

    def _flush_text(self, block_after: bool) -> None:
        pending, self._text = self._text, None
        if pending is None:
            return
        if self._hidden() or self._paragraph is not None:
            return
        container = self._container()
        if container is not None and container not in _LINE_CONTAINERS:
            return
        start, end = pending
        raw = self.source[start:end]
        lines = raw.split("\n")
        pos = start
        for index, line in enumerate(lines):
            first, last = index == 0, index == len(lines) - 1
            bounded = (not first or self._block_before) and (not last or block_after)
            stripped = line.strip()
            if bounded and stripped:
                url = htmllib.unescape(stripped)
                if _is_url(url):
                    lead = len(line) - len(line.lstrip())
                    self.found.append(Standalone(url, pos + lead, pos + lead + len(stripped)))
            pos += len(line) + 1

    def _markup(self, offset: int, tag: str | None) -> int:
        """Called before every non-text item: ends the pending text run."""
        self._flush_text(tag is None or tag in _BLOCKS)
        return offset

    # -- tokens ------------------------------------------------------------------

    def _data(self, start: int, end: int) -> None:
        self._text = (start, end) if self._text is None else (self._text[0], end)
        paragraph = self._paragraph
        if paragraph is not None and not self._opaque_inside_paragraph():
            data = self.source[start:end]
            if paragraph.in_link and paragraph.link_text is not None:
                paragraph.link_text.append(data)
            else:
                paragraph.text.append(data)

    def _opaque_inside_paragraph(self) -> bool:
        # Inside the paragraph's own <a>, text is the link text, not opaque content.
        return self._opaque_depth > self._opaque_links

    def _start(self, token: Token) -> None:
        tag, attrs = token.name, token.attrs
        start = self._markup(token.start, tag)
        self._block_before = tag in _BLOCKS
        if tag == "script":
            src = _attr(attrs, "src")
            if src:
                self.script_srcs.append(src)
        for key, value in attrs:
            if key == CONSENT_MARKER:
                self.placeholders += 1
                self.consent_scripts.update(dict.fromkeys(_script_list(value)))
        paragraph = self._paragraph
        if paragraph is not None:
            if tag == "a" and paragraph.href is None and not "".join(paragraph.text).strip():
                paragraph.href = _attr(attrs, "href") or ""
                paragraph.link_text = []
                paragraph.in_link = True
            elif tag in _BLOCKS:
                self._paragraph = None  # an implied </p>: not a standalone paragraph
                self._pop("p")
            else:
                paragraph.valid = False
        if tag == "p" and self._paragraph is None and not self._hidden():
            if self.stack and self.stack[-1][0] == "p":
                self._pop("p")  # <p> inside <p> closes the first
            self._paragraph = _Paragraph(start=start, text=[])
        if tag in ("svg", "math"):
            self._foreign.start(tag, token.self_closing)
        if tag in _VOID or (tag in ("svg", "math") and token.self_closing):
            return
        opaque = tag in _OPAQUE and not (tag == "a" and self._paragraph is not None)
        opaque = opaque or (tag == "figure" and _has_class(attrs, "embedkit"))
        self._push(tag, opaque)

    def _end(self, token: Token) -> None:
        tag = token.name
        start = self._markup(token.start, tag)
        self._block_before = tag in _BLOCKS
        paragraph = self._paragraph
        if paragraph is not None:
            if tag == "a" and paragraph.in_link:
                paragraph.in_link = False
            elif tag == "p":
                url = paragraph.url()
                if url is not None:
                    self.found.append(Standalone(url, paragraph.start, token.end))
                self._paragraph = None
            elif tag in _BLOCKS:
                self._paragraph = None
        if tag == "body" and not self._opaque():
            self.body_end = start
        if tag in ("svg", "math"):
            self._foreign.end(tag)
        self._pop(tag)

    def _push(self, tag: str, opaque: bool) -> None:
        self.stack.append((tag, opaque))
        self._open[tag] = self._open.get(tag, 0) + 1
        if opaque:
            self._opaque_depth += 1
            self._opaque_links += tag == "a"

    def _pop(self, tag: str) -> None:
        """Close the innermost open ``tag`` and everything opened inside it."""
        if not self._open.get(tag):
            return  # a stray end tag: nothing to close (and no scan of the stack)
        while self.stack:
            name, opaque = self.stack.pop()
            self._open[name] -= 1
            if opaque:
                self._opaque_depth -= 1
                self._opaque_links -= name == "a"
            if name == tag:
                return


def _attr(attrs: tuple[tuple[str, str], ...], name: str) -> str | None:
    for key, value in attrs:
        if key == name:
            return value
    return None


def _script_list(value: str | None) -> list[str]:
    """The script URLs of a placeholder's ``data-embedkit-scripts`` (a JSON list)."""
    try:
        listed = json.loads(value or "[]")
    except ValueError:
        return []
    if not isinstance(listed, list):
        return []
    return [item for item in listed if isinstance(item, str)]


def _has_class(attrs: tuple[tuple[str, str], ...], name: str) -> bool:
    return any(key == "class" and value and name in value.split() for key, value in attrs)


def scan(html: str) -> PageScanner:
    """Scan a document once (see :class:`PageScanner`)."""
    return PageScanner(html).run()


def find_standalone(html: str) -> list[Standalone]:
    """The standalone URLs of a document with their spans, in document order."""
    return sorted(scan(html).found, key=lambda s: s.start)


def find_standalone_urls(html: str) -> list[str]:
    """The URLs that stand alone in their own paragraph or line, in document order.

    >>> find_standalone_urls("<p>See https://a.example/x</p>\\n<p>https://b.example/y</p>")
    ['https://b.example/y']
    """
    return [found.url for found in find_standalone(html)]


def has_consent_placeholder(html: str) -> bool:
    """Whether ``html`` holds a consent placeholder (a ``data-embedkit-scripts`` element)."""
    return CONSENT_MARKER in html and scan(html).placeholders > 0


def placeholder_scripts(html: str) -> tuple[str, ...]:
    """The provider scripts the consent placeholders in ``html`` list, each once."""
    if CONSENT_MARKER not in html:
        return ()
    return tuple(scan(html).consent_scripts)
