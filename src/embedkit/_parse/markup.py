"""The one HTML tokenizer: linear in its input, and markup where browsers see markup.

Every reader of untrusted HTML in embedkit goes through this module: the page scan
that finds standalone URLs (:mod:`embedkit.page._autoembed`), the sanitizer's passes
and the fallback's blockquote tree (:mod:`embedkit.present`), oEmbed discovery, page
metadata, feeds' ``html_to_text``.

Why not the standard library: :class:`html.parser.HTMLParser` is quadratic on
Python 3.11 for malformed input (``"<a " * 20_000``, 60 KB, takes half a minute;
``"<![:"`` raises ``AssertionError``), and it treats only ``script`` and ``style`` as
raw text. Why not a tree builder: spec tree builders are quadratic on deep nesting
(each start tag searches the stack of open elements); the few trees embedkit builds
bound their depth themselves.

What it follows from the WHATWG tokenizer is what decides *where markup is*: tags
and attributes (character references decoded, names lower-cased), comments
(``<!-->``, ``--!>``), bogus comments and doctypes, raw text (``style``, ``xmp``,
``iframe``, ``noembed``, ``noframes``, ``noscript``) and RCDATA (``title``,
``textarea``) up to their end tag, everything after ``<plaintext>``, the script data
states (including the double-escaped ``<script><!--<script>…</script>…-->`` form,
which a naive reader ends too early), CDATA sections only inside ``<svg>``/``<math>``,
and a tag whose attribute quote never closes, which ends the document (a browser
drops such a tag and everything after it).

Every step moves forward with ``str.find`` or a regular expression whose repetitions
are possessive, so nothing backtracks and the work is linear in the input. Two views
of the same tokens:

- :func:`tokenize` / :func:`iter_tokens`: :class:`Token` with its exact span, for
  readers that must keep every other byte of a document (the page renderer), and
  for fast single passes (the sanitizer);
- :func:`tokens`: decoded :class:`Tag` and :class:`Text` values, for readers that
  want attributes as a dict and text with character references decoded.

>>> [t.kind for t in tokenize("<p>a</p><xmp><p>b</p></xmp>")]
['start', 'data', 'end', 'start', 'raw', 'end']
>>> tokenize('<p title="open>https://x.example/</p>')[-1].kind
'broken'
>>> markup = '<p class=x>Japan &amp; <b>Korea</b><!-- c --><script>a<b</script>'
>>> [(t.name, t.attrs) if isinstance(t, Tag) else t.data for t in tokens(markup)]
... # doctest: +NORMALIZE_WHITESPACE
[('p', {'class': 'x'}), 'Japan & ', ('b', {}), 'Korea', ('b', {}), ('script', {}),
 'a<b', ('script', {})]
"""

from __future__ import annotations

import functools
import html as htmllib
import re
from collections.abc import Iterator
from typing import NamedTuple

__all__ = [
    "RAW_TEXT",
    "RCDATA",
    "ForeignDepth",
    "Tag",
    "Text",
    "Token",
    "attribute_dict",
    "html_to_text",
    "iter_tokens",
    "tokenize",
    "tokens",
    "unescape",
]

#: Elements whose content is text to the browser, up to the matching end tag
#: (``script`` and ``plaintext`` have their own rules and are not listed).
RAW_TEXT = frozenset(
    {"style", "xmp", "iframe", "noembed", "noframes", "noscript", "title", "textarea"}
)
#: The raw-text elements whose content has its character references decoded.
RCDATA = frozenset({"title", "textarea"})
_FOREIGN = ("svg", "math")
_RAW_OR_SCRIPT = RAW_TEXT | {"script", "plaintext"}

#: The next place markup may start: a tag (group 1: "/" for an end tag, group 2: the
#: name; group 3: its attributes, group 4: the run of spaces and slashes before ">",
#: whose last "/" makes it self-closing), or "<!", "<?", "</" + something else
#: (comments and bogus comments). A tag that cannot finish (an unclosed quote, the end
#: of the document) matches only up to its name. The attribute grammar is the
#: attribute states of the WHATWG tokenizer; every repetition is possessive, and "="
#: after a name must be followed by a value (or ">"), so a failed attempt never tries
#: another reading of the same characters.
_NEXT = re.compile(
    r"<(?:(/?)([A-Za-z][^\t\n\f\r />]*+)(?:>|"
    r"((?:[\t\n\f\r /]*+[^\t\n\f\r />][^\t\n\f\r />=]*+[\t\n\f\r ]*+"
    r"""(?:=[\t\n\f\r ]*+(?:"[^"]*+"|'[^']*+'|[^\t\n\f\r >"'][^\t\n\f\r >]*+|(?=>))|(?!=)))*+)"""
    r"([\t\n\f\r /]*+)>|)|[!?]|/.)",
    re.DOTALL,
)
#: One attribute of a tag that :data:`_NEXT` matched: name, then the value
#: double-quoted, single-quoted or unquoted.
_ATTRIBUTE = re.compile(
    r"[\t\n\f\r /]*+([^\t\n\f\r />][^\t\n\f\r />=]*+)[\t\n\f\r ]*+"
    r"""(?:=[\t\n\f\r ]*+(?:"([^"]*+)"|'([^']*+)'|([^\t\n\f\r >"'][^\t\n\f\r >]*+))?)?"""
)
_COMMENT_END = re.compile(r"--!?>")
#: Tag names match the way browsers match them: ASCII letters case-insensitively and
#: nothing else. Python's IGNORECASE alone also lets "ſ" (U+017F) match "s", "ı"/"İ"
#: match "i" and the Kelvin sign match "k", so ``</ſtyle>`` would end a style that a
#: browser keeps reading as text.
_NAME_CASE = re.IGNORECASE | re.ASCII
_SCRIPT_DATA = re.compile(r"<!--|</script(?=[\t\n\f\r />])", _NAME_CASE)
_SCRIPT_ESCAPED = re.compile(r"-->|<(/?)script(?=[\t\n\f\r />])", _NAME_CASE)
_SCRIPT_DOUBLE = re.compile(r"-->|</script(?=[\t\n\f\r />])", _NAME_CASE)
#: What browsers lower-case in tag and attribute names: ASCII letters only.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _lower(name: str) -> str:
    """``name`` with its ASCII letters lower-cased, as a browser's tokenizer does."""
    return name.lower() if name.isascii() else name.translate(_ASCII_LOWER)


Attributes = tuple[tuple[str, str], ...]

unescape = htmllib.unescape


class Token(NamedTuple):
    """One token and its span ``[start, end)`` in the document.

    ``kind`` is ``start``/``end`` (a tag; ``name`` lower-cased, ``attrs`` in source
    order with names lower-cased and character references decoded), ``data`` (text
    between tags, not decoded: see :func:`unescape`), ``raw`` (the content of a
    raw-text element, a script or ``<plaintext>``, named by ``name``: text to the
    browser, possibly empty), ``comment`` (comments, doctypes, processing
    instructions, CDATA outside foreign content), or ``broken`` (a tag that never
    ends: it and the rest of the document are not markup to a browser).
    """

    kind: str
    start: int
    end: int
    name: str = ""
    attrs: Attributes = ()
    self_closing: bool = False


@functools.lru_cache(maxsize=32)
def _end_tag(name: str) -> re.Pattern[str]:
    return re.compile(r"</" + re.escape(name) + r"(?=[\t\n\f\r />])", _NAME_CASE)


def _script_end(html: str, pos: int) -> int:
    """Where a script's content ends (the ``<`` of its real ``</script``), or the end."""
    state = "data"
    while True:
        if state == "data":
            found = _SCRIPT_DATA.search(html, pos)
            if found is None:
                return len(html)
            if found.group(0) != "<!--":
                return found.start()
            # "<!-->" closes at once: the dashes of "<!--" count towards "-->".
            state, pos = "escaped", found.start() + 2
        elif state == "escaped":
            found = _SCRIPT_ESCAPED.search(html, pos)
            if found is None:
                return len(html)
            if found.group(0) == "-->":
                state = "data"
            elif found.group(1):
                return found.start()
            else:
                state = "double"
            pos = found.end()
        else:  # double-escaped: "</script" returns to escaped, "-->" to data
            found = _SCRIPT_DOUBLE.search(html, pos)
            if found is None:
                return len(html)
            state = "data" if found.group(0) == "-->" else "escaped"
            pos = found.end()


def _comment_end(html: str, lt: int, foreign: bool) -> int:
    """The end of a comment, doctype, bogus comment or (in foreign content) CDATA."""
    if html.startswith("<!--", lt):
        if html.startswith(">", lt + 4):
            return lt + 5  # "<!-->"
        if html.startswith("->", lt + 4):
            return lt + 6  # "<!--->"
        found = _COMMENT_END.search(html, lt + 4)
        return len(html) if found is None else found.end()
    if foreign and html.startswith("<![CDATA[", lt):
        close = html.find("]]>", lt + 9)
        return len(html) if close == -1 else close + 3
    close = html.find(">", lt + 1)
    return len(html) if close == -1 else close + 1


def _read_attributes(text: str) -> Attributes:
    """The attributes in the part of a tag that :data:`_NEXT` matched."""
    found = []
    for name, double, single, bare in _ATTRIBUTE.findall(text):
        value = double or single or bare
        found.append((_lower(name), unescape(value) if "&" in value else value))
    return tuple(found)


#: Short attribute texts repeat (``class="twitter-tweet"``, ``lang="en" dir="ltr"``):
#: they are read once. Longer ones are read every time, so the cache stays small.
_read_short_attributes = functools.lru_cache(maxsize=4096)(_read_attributes)


def _attributes(text: str) -> Attributes:
    return _read_short_attributes(text) if len(text) <= 128 else _read_attributes(text)


class ForeignDepth:
    """How many ``<svg>`` and ``<math>`` elements are open, as :func:`iter_tokens` counts them.

    Inside them the tokenizer reads ``<style>``, ``<xmp>``, ``<title>``... as markup
    (foreign content has no raw text) and ``<![CDATA[`` as a section. A flat tokenizer
    cannot know every way a browser leaves foreign content (``<div><svg></div>``
    closes the ``svg``), so a reader that must never take text for markup (the page
    scanner) treats the whole span as opaque: it counts the same way, with this.
    An end tag closes only an element of its own name that is open (``</math>``
    inside ``<svg>`` closes nothing).
    """

    __slots__ = ("depth", "math", "svg")

    def __init__(self) -> None:
        self.svg = self.math = self.depth = 0

    def start(self, name: str, self_closing: bool) -> int:
        """A start tag ``name`` (``svg`` or ``math``); returns the new depth."""
        if not self_closing:
            if name == "svg":
                self.svg += 1
            else:
                self.math += 1
            self.depth += 1
        return self.depth

    def end(self, name: str) -> int:
        """An end tag ``name`` (``svg`` or ``math``); returns the new depth."""
        if name == "svg" and self.svg:
            self.svg -= 1
            self.depth -= 1
        elif name == "math" and self.math:
            self.math -= 1
            self.depth -= 1
        return self.depth


def iter_tokens(html: str) -> Iterator[Token]:
    """The document's tokens in order, with exact spans (see :class:`Token`).

    The spans cover the document without gaps or overlaps.
    """
    new = tuple.__new__  # Token(...) without the named tuple's Python-level __new__
    length = len(html)
    pos = 0  # where the pending text run starts (the end of the last token)
    depth = ForeignDepth()  # inside <svg>/<math>: <![CDATA[ ... ]]> is a real section
    foreign = 0  # depth.depth, read on every tag
    search = _NEXT.search
    while True:
        found = search(html, pos)
        if found is None:
            break
        lt, end = found.span()
        if pos < lt:
            yield new(Token, ("data", pos, lt, "", (), False))
        slash, name, text, tail = found.groups()
        if name is None:  # "<!", "<?", "</" + not a letter
            end = lt + 3 if html.startswith("</>", lt) else _comment_end(html, lt, foreign > 0)
            yield new(Token, ("comment", lt, end, "", (), False))
            pos = end
            continue
        if html[end - 1] != ">":  # the document ends inside the tag
            yield new(Token, ("broken", lt, length, "", (), False))
            return
        name = _lower(name)
        attrs = _attributes(text) if text else ()
        self_closing = tail is not None and tail.endswith("/")
        pos = end
        if slash:
            yield new(Token, ("end", lt, end, name, attrs, self_closing))
            if foreign and name in _FOREIGN:
                foreign = depth.end(name)
            continue
        yield new(Token, ("start", lt, end, name, attrs, self_closing))
        if name in _FOREIGN:
            foreign = depth.start(name, self_closing)
        elif foreign:
            continue
        elif name in _RAW_OR_SCRIPT:
            if name == "script":
                close = _script_end(html, end)
            elif name == "plaintext":
                yield new(Token, ("raw", end, length, name, (), False))
                return
            else:
                match = _end_tag(name).search(html, end)
                close = length if match is None else match.start()
            yield new(Token, ("raw", end, close, name, (), False))
            pos = close
    if pos < length:
        yield new(Token, ("data", pos, length, "", (), False))


def tokenize(html: str) -> list[Token]:
    """The document's tokens in order, with exact spans (see :class:`Token`)."""
    return list(iter_tokens(html))


# -- the decoded view ------------------------------------------------------------

_MAX_ATTRIBUTES = 64


class Tag(NamedTuple):
    """A start tag (``end=False``) with its attributes, or an end tag."""

    name: str
    attrs: dict[str, str]
    end: bool
    self_closing: bool = False


class Text(NamedTuple):
    """Character data; ``raw`` for the content of ``<script>``/``<style>``...."""

    data: str
    raw: bool


def attribute_dict(attrs: Attributes) -> dict[str, str]:
    """Attributes as a browser keeps them: the first of a repeated name wins.

    At most 64 are kept (a tag with more is hostile, not a page's metadata).
    """
    kept: dict[str, str] = {}
    for name, value in attrs:
        if name not in kept:
            kept[name] = value
            if len(kept) >= _MAX_ATTRIBUTES:
                break
    return kept


def tokens(text: str) -> Iterator[Tag | Text]:
    """The tags and text of ``text`` in document order (comments and doctypes dropped).

    Tag and attribute names are lower-cased; attribute values and ordinary text
    have character references decoded; the content of a raw-text element comes
    as one ``Text(raw=True)`` (decoded only for ``<title>`` and ``<textarea>``).
    Nothing follows a tag that never ends.
    """
    for token in iter_tokens(text):
        kind = token.kind
        if kind == "data":
            data = text[token.start : token.end]
            yield Text(unescape(data) if "&" in data else data, raw=False)
        elif kind == "start":
            yield Tag(token.name, attribute_dict(token.attrs), False, token.self_closing)
        elif kind == "end":
            yield Tag(token.name, {}, True)
        elif kind == "raw":
            data = text[token.start : token.end]
            if token.name in RCDATA and "&" in data:
                data = unescape(data)
            yield Text(data, raw=True)
        elif kind == "broken":
            return


_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
#: Elements whose content a reader does not see (raw-text ones are skipped anyway).
_HIDDEN = frozenset({"template", "svg", "math", "head"})
_WHITESPACE = re.compile(r"\s+")


def html_to_text(markup: str, *, max_chars: int | None = None) -> str:
    """The readable text of an HTML fragment, entities decoded and spaces collapsed.

    Script, style, template, ``<noscript>`` and SVG content is dropped; block
    elements separate words. ``max_chars`` stops collecting once that much text
    has been read (the result is then at most that long).

    >>> html_to_text("<p>Japan &amp; <b>South Korea</b></p><script>x()</script>")
    'Japan & South Korea'
    """
    parts: list[str] = []
    size = 0
    hidden = 0
    for token in tokens(markup):
        if isinstance(token, Tag):
            if token.name in _HIDDEN:
                if not token.self_closing:
                    hidden = max(0, hidden + (-1 if token.end else 1))
            elif token.name in _BLOCK:
                parts.append(" ")
            continue
        if token.raw or hidden:
            continue
        parts.append(token.data)
        size += len(token.data)
        if max_chars is not None and size > 2 * max_chars:
            break
    text = _WHITESPACE.sub(" ", "".join(parts)).strip()
    return text[:max_chars] if max_chars is not None else text
