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

import dataclasses
import re
from dataclasses import dataclass

from embedkit._parse.markup import RCDATA, attribute_dict, iter_tokens, unescape

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
    (the sanitizer decides which are allowed). ``depth``: the deepest the stack of
    open elements got, as a browser's tree builder would keep it. ``widest``: the most
    attributes one tag has.
    """

    root: Node
    scripts: tuple[str, ...]
    depth: int
    widest: int


def read(html: str) -> Document:
    """Read ``html`` once (nothing for markup over :data:`MAX_CHARS`); never raises."""
    root = Node("#root", {})
    if len(html) > MAX_CHARS:
        return Document(root, (), 0, 0)
    nodes = [root]  # the open elements that have a node (bounded), innermost last
    names: list[str] = []  # every open element, innermost last
    counts: dict[str, int] = {}
    scripts: list[str] = []
    foreign = depth = widest = 0
    for token in iter_tokens(html):
        kind = token.kind
        if kind == "data" or kind == "raw":
            text = html[token.start : token.end]
            if kind == "raw" and token.name == "script":
                scripts.extend(m.group("src") for m in _FB_LOADER.finditer(text))
            elif "&" in text and (kind == "data" or token.name in RCDATA):
                text = unescape(text)
            if text:
                nodes[-1].children.append(text)
        elif kind == "start":
            name = token.name
            attrs = attribute_dict(token.attrs) if token.attrs else {}
            widest = max(widest, len(token.attrs))
            if name == "script" and attrs.get("src"):
                scripts.append(attrs["src"])
            node = Node(name, attrs)
            nodes[-1].children.append(node)
            if name in _VOID or (token.self_closing and (foreign or name in _FOREIGN)):
                continue
            names.append(name)
            counts[name] = counts.get(name, 0) + 1
            depth = max(depth, len(names))
            foreign += name in _FOREIGN
            if len(nodes) < MAX_DEPTH:
                nodes.append(node)  # deeper nesting is flattened: no recursion blow-up
        elif kind == "end" and counts.get(token.name):
            while True:  # close the innermost open element of that name, and its children
                closed = names.pop()
                counts[closed] -= 1
                foreign -= closed in _FOREIGN
                if closed == token.name:
                    break
            del nodes[len(names) + 1 :]
    return Document(root, tuple(scripts), depth, widest)


def parse(html: str) -> Node:
    """The tree of ``html`` (empty for markup over :data:`MAX_CHARS`); never raises."""
    return read(html).root
