"""A linear HTML tokenizer that sees markup where browsers see markup.

The autoembed scan must never find a "standalone URL" in a place a browser does
not parse as markup: inside ``<xmp>``, ``<noembed>``, ``<noframes>``,
``<noscript>``, ``<iframe>``, ``<style>``, ``<title>``, ``<textarea>``, after
``<plaintext>``, inside a ``<script>`` (including the double-escaped
``<script><!--<script>…</script>…-->`` form, which a naive parser ends too early),
inside a comment, or inside a tag whose attribute quote is never closed (a browser
drops such a tag and everything after it). Python's ``html.parser`` treats only
``script`` and ``style`` as raw text, so this module follows the WHATWG tokenizer
for the parts that decide *where markup is*, and reports each token with its exact
character span.

Every step moves forward through the document with ``str.find`` or an anchored
regular expression without nested repetition, so the work is linear in the input.

>>> [t.kind for t in tokenize("<p>a</p><xmp><p>b</p></xmp>")]
['start', 'data', 'end', 'start', 'raw', 'end']
>>> tokenize('<p title="open>https://x.example/</p>')[-1].kind
'broken'
"""

from __future__ import annotations

import functools
import html as htmllib
import re
from typing import NamedTuple

__all__ = ["RAW_TEXT", "Token", "tokenize"]

#: Elements whose content is text to the browser, up to the matching end tag.
RAW_TEXT = frozenset(
    {"style", "xmp", "iframe", "noembed", "noframes", "noscript", "title", "textarea"}
)

#: The next place markup may start: a start or end tag (group 1: "/", group 2: the
#: name), or "<!", "<?", "</" + something else (comments and bogus comments).
_NEXT = re.compile(r"<(?:(/?)([A-Za-z][^\t\n\f\r />]*)|[!?]|/.)", re.DOTALL)
_ATTR_NAME_END = re.compile(r"[\t\n\f\r />=]")
_UNQUOTED_END = re.compile(r"[\t\n\f\r >]")
_SKIP = re.compile(r"[\t\n\f\r /]*")
_SKIP_SPACE = re.compile(r"[\t\n\f\r ]*")
_COMMENT_END = re.compile(r"--!?>")
_SCRIPT_DATA = re.compile(r"<!--|</script(?=[\t\n\f\r />])", re.IGNORECASE)
_SCRIPT_ESCAPED = re.compile(r"-->|<(/?)script(?=[\t\n\f\r />])", re.IGNORECASE)
_SCRIPT_DOUBLE = re.compile(r"-->|</script(?=[\t\n\f\r />])", re.IGNORECASE)


class Token(NamedTuple):
    """One token and its span ``[start, end)`` in the document.

    ``kind`` is ``start``/``end`` (a tag; ``name`` lower-cased, ``attrs`` with
    character references decoded), ``data`` (text between tags), ``raw`` (the
    content of a raw-text element or script: text to the browser), ``comment``
    (comments, doctypes, processing instructions, CDATA outside foreign content),
    or ``broken`` (a tag that never ends: it and the rest of the document are not
    markup to a browser).
    """

    kind: str
    start: int
    end: int
    name: str = ""
    attrs: tuple[tuple[str, str], ...] = ()
    self_closing: bool = False


@functools.lru_cache(maxsize=32)
def _end_tag(name: str) -> re.Pattern[str]:
    return re.compile(r"</" + re.escape(name) + r"(?=[\t\n\f\r />])", re.IGNORECASE)


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


def _attributes(html: str, pos: int) -> tuple[int, tuple[tuple[str, str], ...], bool] | None:
    """Read a tag's attributes from ``pos``; return (end of tag, attrs, self-closing).

    ``None`` when the document ends inside the tag (an unclosed quote, say).
    """
    attrs: list[tuple[str, str]] = []
    length = len(html)
    while True:
        skipped = _SKIP.match(html, pos)
        assert skipped is not None
        slash = skipped.end() > pos and html[skipped.end() - 1] == "/"
        pos = skipped.end()
        if pos >= length:
            return None
        if html[pos] == ">":
            return pos + 1, tuple(attrs), slash
        # An attribute name; a leading "=" belongs to the name (a parse error).
        found = _ATTR_NAME_END.search(html, pos + 1)
        if found is None:
            return None
        name = html[pos : found.start()].lower()
        pos = _SKIP_SPACE.match(html, found.start()).end()  # type: ignore[union-attr]
        value = ""
        if pos < length and html[pos] == "=":
            pos = _SKIP_SPACE.match(html, pos + 1).end()  # type: ignore[union-attr]
            if pos >= length:
                return None
            quote = html[pos]
            if quote in "\"'":
                close = html.find(quote, pos + 1)
                if close == -1:
                    return None
                value, pos = html[pos + 1 : close], close + 1
            elif quote != ">":
                end = _UNQUOTED_END.search(html, pos)
                if end is None:
                    return None
                value, pos = html[pos : end.start()], end.start()
        attrs.append((name, htmllib.unescape(value) if "&" in value else value))


def tokenize(html: str) -> list[Token]:
    """The document's tokens in order, with exact spans (see :class:`Token`)."""
    tokens: list[Token] = []
    append = tokens.append
    length = len(html)
    pos = 0  # where the pending text run starts (the end of the last token)
    foreign = 0  # depth inside <svg>/<math>, where <![CDATA[ ... ]]> is a real section
    search = _NEXT.search
    while True:
        found = search(html, pos)
        if found is None:
            break
        lt = found.start()
        if pos < lt:
            append(Token("data", pos, lt))
        name = found.group(2)
        if name is None:  # "<!", "<?", "</" + not a letter
            end = lt + 3 if html.startswith("</>", lt) else _comment_end(html, lt, foreign > 0)
            append(Token("comment", lt, end))
            pos = end
            continue
        name = name.lower()
        closing = found.group(1) == "/"
        at = found.end()
        attrs: tuple[tuple[str, str], ...] = ()
        if at < length and html[at] == ">":  # the common case: no attributes
            end, self_closing = at + 1, False
        else:
            read = _attributes(html, at)
            if read is None:
                append(Token("broken", lt, length))
                return tokens
            end, attrs, self_closing = read
        append(Token("end" if closing else "start", lt, end, name, attrs, self_closing))
        pos = end
        if closing:
            if foreign and name in ("svg", "math"):
                foreign -= 1
            continue
        if name in ("svg", "math"):
            foreign += not self_closing
        elif foreign:
            continue
        elif name == "plaintext":
            append(Token("raw", end, length, name))
            return tokens
        elif name in RAW_TEXT or name == "script":
            if name == "script":
                close = _script_end(html, end)
            else:
                match = _end_tag(name).search(html, end)
                close = length if match is None else match.start()
            if close > end:
                append(Token("raw", end, close, name))
            pos = close
    if pos < length:
        append(Token("data", pos, length))
    return tokens


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
