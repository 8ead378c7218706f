"""An independent checker for sanitized HTML, used by the render tests.

It parses markup with the standard library's ``html.parser`` (not with the code
under test) and lists every way the markup could run script or load a foreign
frame: a ``<script>``, an ``on*`` handler, a ``javascript:``/``vbscript:``/``data:``
URL, ``srcdoc``, a dangerous element, an iframe from a host outside the allowed set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser
from urllib.parse import urlsplit

FORBIDDEN_TAGS = frozenset(
    {
        "script",
        "object",
        "embed",
        "applet",
        "base",
        "meta",
        "link",
        "form",
        "svg",
        "math",
        "style",
        "frame",
        "frameset",
    }
)
URL_ATTRS = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "poster",
        "background",
        "data",
        "cite",
        "srcset",
        "lowsrc",
        "dynsrc",
    }
)
_BAD_SCHEME = re.compile(r"^(?:javascript|vbscript|data|livescript|mocha):")


def _squash(value: str) -> str:
    """Lower-case a URL with the whitespace and control characters browsers ignore removed."""
    return "".join(ch for ch in value if ch.isprintable() and not ch.isspace()).lower()


class _Collector(HTMLParser):
    def __init__(self, allowed_hosts: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed_hosts = allowed_hosts
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags.append((tag, values))
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"{name} handler on <{tag}>")
            if name == "srcdoc":
                self.problems.append(f"srcdoc on <{tag}>")
            if name in URL_ATTRS and _BAD_SCHEME.match(_squash(value)):
                self.problems.append(f"{name}={value!r} on <{tag}>")
            if name == "style" and re.search(r"expression|javascript|url\(", value, re.I):
                self.problems.append(f"style={value!r} on <{tag}>")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append("<meta http-equiv>")
        if tag == "iframe":
            host = (urlsplit(values.get("src", "")).hostname or "").lower()
            if host not in self.allowed_hosts:
                self.problems.append(f"iframe from {host or 'nowhere'!r}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def problems(html: str, allowed_iframe_hosts: Iterable[str] = ()) -> list[str]:
    """Everything unsafe in ``html`` (an empty list when it is clean)."""
    collector = _Collector(frozenset(h.lower() for h in allowed_iframe_hosts))
    collector.feed(html)
    collector.close()
    found = list(collector.problems)
    if "<script" in html.lower():
        found.append("literal <script")
    return found


def tags(html: str) -> list[tuple[str, dict[str, str]]]:
    """Every start tag in ``html`` with its attributes, in document order."""
    collector = _Collector(frozenset())
    collector.feed(html)
    collector.close()
    return collector.tags
