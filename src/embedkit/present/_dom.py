"""A tiny DOM for reading provider blockquotes (never for rendering anything).

:func:`parse` builds a tree of :class:`Node` from markup with the standard
library's lenient HTML parser. Nesting deeper than :data:`MAX_DEPTH` is flattened,
so walking the tree never recurses without bound, and markup longer than
:data:`MAX_CHARS` is not parsed at all: the cost stays linear in the input.

>>> parse("<blockquote><p>Hello <b>there</b></p></blockquote>").find_all("p")[0].text()
'Hello there'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["MAX_CHARS", "MAX_DEPTH", "Node", "parse"]

#: Markup longer than this is not read (answers are capped at 1 MiB; real markup is a few KB).
MAX_CHARS = 1024 * 1024
#: Deeper nesting is flattened into the node at this depth.
MAX_DEPTH = 100

_VOID = frozenset({"br", "img", "hr", "wbr", "meta", "link", "input", "source"})


@dataclass
class Node:
    """An element: its tag, attributes and children (nodes and text)."""

    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = dataclasses.field(default_factory=list)

    def find_all(self, tag: str) -> list[Node]:
        """Every descendant element with this tag, in document order."""
        found: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag:
                    found.append(child)
                found.extend(child.find_all(tag))
        return found

    def text(self) -> str:
        """The text a reader sees: ``<br>`` as a line break, scripts and styles skipped."""
        parts: list[str] = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag == "br":
                parts.append("\n")
            elif child.tag not in ("script", "style", "svg"):
                inner = child.text()
                glued = parts and parts[-1] and not parts[-1][-1].isspace()
                if child.tag == "a" and glued and inner.startswith(("http", "pic.")):
                    inner = " " + inner  # X glues links to the preceding word
                parts.append(inner)
        return "".join(parts)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID and len(self.stack) < MAX_DEPTH:
            self.stack.append(node)  # deeper nesting is flattened: no recursion blow-up

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    """The tree of ``html`` (empty for markup over :data:`MAX_CHARS`); never raises."""
    builder = _TreeBuilder()
    if len(html) > MAX_CHARS:
        return builder.root
    try:
        builder.feed(html)
        builder.close()
    except Exception:  # a broken snapshot must not break the fallback
        pass
    return builder.root
