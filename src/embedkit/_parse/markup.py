"""A linear HTML tokenizer for reading metadata, and ``html_to_text``.

Why not a tree builder: the standard library's :class:`html.parser.HTMLParser`
is quadratic on Python 3.11 for malformed input (``"<a " * 40_000``, 120 KB,
takes minutes; ``"<![" * n`` raises ``AssertionError``), and spec tree
builders are quadratic on deep nesting (``"<div>" * 100_000`` takes 90 s in
Lexbor) because each start tag searches the stack of open elements. Reading a
page's metadata needs no tree: this tokenizer follows the tokenization rules of
the WHATWG HTML standard closely enough for that (tags and attributes as the
standard's encoding "prescan" reads them, comments, raw-text elements such as
``<script>`` and ``<style>``, character references) and is linear by
construction: every step moves forward, and a construct that never ends (an
unclosed comment, quote or ``<script>``) ends the document, as it does in a
browser.

    >>> markup = '<p class=x>Japan &amp; <b>Korea</b><!-- c --><script>a<b</script>'
    >>> [(t.name, t.attrs) if isinstance(t, Tag) else t.data for t in tokens(markup)]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('p', {'class': 'x'}), 'Japan & ', ('b', {}), 'Korea', ('b', {}), ('script', {}),
     'a<b', ('script', {})]
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["RAW_TEXT_ELEMENTS", "Tag", "Text", "html_to_text", "tokens"]

#: Elements whose content is text up to their end tag (never markup).
RAW_TEXT_ELEMENTS = frozenset(
    {"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title"}
)
_ESCAPABLE_RAW = frozenset({"textarea", "title"})  # RCDATA: character references decoded
_MAX_ATTRIBUTES = 64
_MARKUP = re.compile(r"<[A-Za-z!?/]")
_TAG_NAME = re.compile(r"[^\t\n\f\r />]*")
_SPACE = re.compile(r"[\t\n\f\r /]*")
_ATTR_NAME = re.compile(r"[^\t\n\f\r />=][^\t\n\f\r />=]*|=[^\t\n\f\r />=]*")
_SPACES = re.compile(r"[\t\n\f\r ]*")
_UNQUOTED = re.compile(r"[^\t\n\f\r >]*")
_END_TAGS = {
    name: re.compile(rf"</{name}(?=[\t\n\f\r />])|</{name}$", re.IGNORECASE)
    for name in RAW_TEXT_ELEMENTS
}
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_HIDDEN = frozenset({"script", "style", "template", "noscript", "svg", "math", "head", "title"})
_WHITESPACE = re.compile(r"\s+")


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


def _is_letter(char: str) -> bool:
    return ("a" <= char <= "z") or ("A" <= char <= "Z")


def _attributes(text: str, pos: int) -> tuple[dict[str, str], int] | None:
    """Attributes from ``pos`` up to and including ``>``; ``None`` at end of input."""
    attrs: dict[str, str] = {}
    length = len(text)
    while True:
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= length:
            return None
        if text[pos] == ">":
            return attrs, pos + 1
        name_match = _ATTR_NAME.match(text, pos)
        assert name_match is not None  # the character is none of the stop characters
        name = name_match.group().lower()
        pos = _SPACES.match(text, name_match.end()).end()  # type: ignore[union-attr]
        value = ""
        if pos < length and text[pos] == "=":
            pos = _SPACES.match(text, pos + 1).end()  # type: ignore[union-attr]
            if pos >= length:
                return None
            quote = text[pos]
            if quote in "\"'":
                close = text.find(quote, pos + 1)
                if close < 0:
                    return None  # an unclosed quote runs to the end: the tag never ends
                value = text[pos + 1 : close]
                pos = close + 1
            else:
                unquoted = _UNQUOTED.match(text, pos)
                assert unquoted is not None
                value = unquoted.group()
                pos = unquoted.end()
        if name and name not in attrs and len(attrs) < _MAX_ATTRIBUTES:
            attrs[name] = html.unescape(value) if "&" in value else value


def tokens(text: str) -> Iterator[Tag | Text]:
    """The tags and text of ``text`` in document order (comments and doctypes dropped).

    Tag and attribute names are lower-cased; attribute values and ordinary text
    have character references decoded; the content of a raw-text element comes
    as one ``Text(raw=True)`` (decoded only for ``<title>`` and ``<textarea>``).
    """
    pos = 0
    length = len(text)
    while pos < length:
        found = _MARKUP.search(text, pos)  # a "<" before anything else is text
        if found is None:
            yield Text(html.unescape(text[pos:]), raw=False)
            return
        lt = found.start()
        if lt > pos:
            yield Text(html.unescape(text[pos:lt]), raw=False)
        nxt = text[lt + 1 : lt + 2]
        if _is_letter(nxt):
            name_match = _TAG_NAME.match(text, lt + 1)
            assert name_match is not None
            name = name_match.group().lower()
            parsed = _attributes(text, name_match.end())
            if parsed is None:
                return
            attrs, pos = parsed
            yield Tag(name, attrs, end=False, self_closing=text[pos - 2] == "/")
            if name in RAW_TEXT_ELEMENTS:
                closing = _END_TAGS[name].search(text, pos)
                stop = closing.start() if closing else length
                content = text[pos:stop]
                if name in _ESCAPABLE_RAW and "&" in content:
                    content = html.unescape(content)
                yield Text(content, raw=True)
                if closing is None:
                    return
                close = text.find(">", closing.end())
                if close < 0:
                    return
                yield Tag(name, {}, end=True)
                pos = close + 1
            elif name == "plaintext":
                yield Text(text[pos:], raw=True)
                return
        elif nxt == "/" and _is_letter(text[lt + 2 : lt + 3]):
            name_match = _TAG_NAME.match(text, lt + 2)
            assert name_match is not None
            parsed = _attributes(text, name_match.end())  # end tags may carry (ignored) attributes
            if parsed is None:
                return
            pos = parsed[1]
            yield Tag(name_match.group().lower(), {}, end=True)
        elif text.startswith("<!--", lt):
            close = text.find("-->", lt + 4)
            if close < 0:
                return
            pos = close + 3
        else:  # "<!", "<?", "</" + non-letter: a doctype, a processing instruction, a comment
            close = text.find(">", lt + 2)
            if close < 0:
                return
            pos = close + 1


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
            if token.name in _HIDDEN and token.name not in RAW_TEXT_ELEMENTS:
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
