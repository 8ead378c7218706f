"""Provider markup read once: a tiny DOM for the fallback, and what the sanitizer checks.

:func:`read` makes one pass of the linear tokenizer (:mod:`embedkit._parse.markup`)
over a provider's HTML and returns a :class:`Document`: the tree of :class:`Node` that
the blockquote readers walk (never used to render anything), the ``<script>``
sources the markup asks for, and how deep its elements nest. The sanitizer and the
fallback share that one read of an answer.

Everything stays linear in the input. The stack of open elements keeps a count per
tag name, so an end tag with nothing to close costs nothing, and every element is
pushed and popped at most once. Nesting deeper than :data:`MAX_DEPTH` is flattened
into the node at that depth, so walking the tree never recurses without bound.
Markup longer than :data:`MAX_CHARS` is not read at all.

>>> parse("<blockquote><p>Hello <b>there</b></p></blockquote>").find_all("p")[0].text()
'Hello there'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from embedkit._parse.markup import RCDATA, Attributes, iter_tokens, unescape

__all__ = ["MAX_CHARS", "MAX_DEPTH", "Document", "Node", "parse", "read"]

#: Markup longer than this is not read (answers are capped at 1 MiB; real markup is a few KB).
MAX_CHARS = 1024 * 1024
#: Deeper nesting is flattened into the node at this depth.
MAX_DEPTH = 100

#: Elements that never have content (a browser never puts them on the stack).
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta"}
    | {"param", "source", "track", "wbr"}
)
_FOREIGN = frozenset({"svg", "math"})
#: Elements whose content a reader of the page never sees as text.
_UNSEEN = frozenset({"script", "style", "svg", "iframe", "noembed", "noframes", "noscript"})
#: Script URLs a Facebook embed loads from inside an inline script.
_FB_LOADER = re.compile(r"""["'](?P<src>(?:https:)?//connect\.facebook\.net/[^"'\s]{1,300})["']""")


class Node:
    """An element: its tag, attributes and children (nodes and text)."""

    __slots__ = ("attrs", "children", "tag")

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Node | str] = []

    def __repr__(self) -> str:
        return f"Node({self.tag!r}, {self.attrs!r}, {len(self.children)} children)"

    def find_all(self, tag: str) -> list[Node]:
        """Every descendant element with this tag, in document order."""
        found: list[Node] = []
        pending = [iter(self.children)]  # a walk without recursion: each node seen once
        while pending:
            for child in pending[-1]:
                if isinstance(child, Node):
                    if child.tag == tag:
                        found.append(child)
                    if child.children:
                        pending.append(iter(child.children))
                        break
            else:
                pending.pop()
        return found

    def text(self) -> str:
        """The text a reader sees: ``<br>`` as a line break, scripts and styles skipped."""
        parts: list[str] = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag == "br":
                parts.append("\n")
            elif child.tag not in _UNSEEN:
                inner = child.text()
                glued = parts and parts[-1] and not parts[-1][-1].isspace()
                if child.tag == "a" and glued and inner.startswith(("http", "pic.")):
                    inner = " " + inner  # X glues links to the preceding word
                parts.append(inner)
        return "".join(parts)


@dataclass(frozen=True)
class Document:
    """One read of provider HTML.

    ``root``: the tree (``#root``). ``scripts``: every ``<script src>`` value and
    every Facebook SDK URL an inline script names, in document order, as written
    (the sanitizer decides which are allowed). ``attributes``: the attributes of
    every start tag that has some, in document order. ``depth``: the deepest the
    stack of open elements got, as a browser's tree builder would keep it.
    """

    root: Node
    scripts: tuple[str, ...] = ()
    attributes: tuple[Attributes, ...] = ()
    depth: int = 0

    @property
    def widest(self) -> int:
        """The most attributes one tag has."""
        return max(map(len, self.attributes), default=0)


def read(html: str) -> Document:
    """Read ``html`` once (nothing for markup over :data:`MAX_CHARS`); never raises."""
    root = Node("#root", {})
    if len(html) > MAX_CHARS:
        return Document(root)
    nodes = [root]  # the open elements that have a node (bounded), innermost last
    names: list[str] = []  # every open element, innermost last
    counts: dict[str, int] = {}
    scripts: list[str] = []
    attributes: list[Attributes] = []
    foreign = depth = 0
    parent = root.children  # where text and elements go: the innermost node's children
    for kind, start, end, name, attrs, self_closing in iter_tokens(html):
        if kind == "data":
            text = html[start:end]
            parent.append(unescape(text) if "&" in text else text)
        elif kind == "start":
            if attrs:
                attributes.append(attrs)
                values = dict(reversed(attrs))  # the first of a repeated name wins
                if name == "script" and values.get("src"):
                    scripts.append(values["src"])
            else:
                values = {}
            node = Node(name, values)
            parent.append(node)
            if name in _VOID or (self_closing and (foreign or name in _FOREIGN)):
                continue
            names.append(name)
            counts[name] = counts.get(name, 0) + 1
            if len(names) > depth:
                depth = len(names)
            if name in _FOREIGN:
                foreign += 1
            if len(nodes) < MAX_DEPTH:  # deeper nesting is flattened: no recursion blow-up
                nodes.append(node)
                parent = node.children
        elif kind == "raw":
            text = html[start:end]
            if name == "script":
                scripts.extend(m.group("src") for m in _FB_LOADER.finditer(text))
            elif name in RCDATA and "&" in text:
                text = unescape(text)
            if text:
                parent.append(text)
        elif kind == "end" and counts.get(name):
            while True:  # close the innermost open element of that name, and its children
                closed = names.pop()
                counts[closed] -= 1
                if closed in _FOREIGN:
                    foreign -= 1
                if closed == name:
                    break
            del nodes[len(names) + 1 :]
            parent = nodes[-1].children
    return Document(root, tuple(scripts), tuple(attributes), depth)


def parse(html: str) -> Node:
    """The tree of ``html`` (empty for markup over :data:`MAX_CHARS`); never raises."""
    return read(html).root
