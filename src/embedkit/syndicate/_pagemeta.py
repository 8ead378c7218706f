"""Read an article's metadata from its HTML page: OpenGraph, Twitter Card, JSON-LD.

A news page describes itself three times over: OpenGraph ``<meta property="og:...">``
tags, Twitter Card ``<meta name="twitter:...">`` tags and a JSON-LD
``NewsArticle`` script. :func:`page_metadata` reads all three with the standard
library's HTML parser and merges them field by field (OpenGraph first, then
JSON-LD, then Twitter Card, then plain ``<title>``/``<meta name=description>``),
returning a plain mapping that :mod:`embedkit.syndicate._article` turns into an
:class:`~embedkit.syndicate._models.Article`. :func:`html_to_text` is the small
tag stripper used for feed summaries.

Example::

    >>> page_metadata('<meta property="og:title" content="Hello">', "https://example.com/a")
    {'title': 'Hello', 'url': 'https://example.com/a'}
"""

from __future__ import annotations

import html
import json
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import regex

__all__ = ["html_to_text", "page_metadata"]

_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "blogposting",
    "liveblogposting",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "webpage",
}
_BLOCK_TAGS = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"}
_SKIP_TAGS = {"script", "style", "template", "noscript"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skip:
            self._skip -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The readable text of an HTML fragment, entities decoded and spaces collapsed.

    >>> html_to_text("<p>Japan &amp; <b>South Korea</b></p><script>x()</script>")
    'Japan & South Korea'
    """
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text: str = regex.sub(r"\s+", " ", "".join(parser.parts))
    return text.strip()


class _MetaParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, list[str]] = {}
        self.canonical: str | None = None
        self.lang: str | None = None
        self.title_parts: list[str] = []
        self.json_ld: list[str] = []
        self._in_title = False
        self._in_ld = False
        self._ld_parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "html" and values.get("lang"):
            self.lang = values["lang"].strip()
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values:
                self.meta.setdefault(key, []).append(values["content"].strip())
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.canonical = values.get("href", "").strip() or None
        elif tag == "title":
            self._in_title = True
        elif tag == "script" and values.get("type", "").strip().lower() == "application/ld+json":
            self._in_ld = True
            self._ld_parts = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "script" and self._in_ld:
            self._in_ld = False
            self.json_ld.append("".join(self._ld_parts))

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif self._in_ld:
            self._ld_parts.append(data)


def _ld_objects(blob: Any) -> list[dict[str, Any]]:
    """Every JSON-LD node in a parsed script: top level, lists and ``@graph``."""
    found: list[dict[str, Any]] = []
    if isinstance(blob, list):
        for item in blob:
            found.extend(_ld_objects(item))
    elif isinstance(blob, dict):
        found.append(blob)
        found.extend(_ld_objects(blob.get("@graph", [])))
    return found


def _ld_types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", [])
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds}


def _ld_text(value: Any, key: str = "name") -> str | None:
    """A string from a JSON-LD value that may be a string, an object or a list."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        inner = value.get(key) or value.get("url") or value.get("@id")
        return _ld_text(inner, key)
    if isinstance(value, list):
        for item in value:
            text = _ld_text(item, key)
            if text:
                return text
    return None


def _ld_article(scripts: list[str]) -> dict[str, Any]:
    for script in scripts:
        try:
            blob = json.loads(script)
        except ValueError:
            continue  # a broken JSON-LD block on a page is common; the other sources remain
        nodes = _ld_objects(blob)
        # Prefer a real article node over a generic WebPage.
        nodes.sort(key=lambda n: "webpage" in _ld_types(n))
        for node in nodes:
            if _ld_types(node) & _ARTICLE_TYPES:
                return node
    return {}


def _keywords(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return []


def page_metadata(markup: str, page_url: str) -> dict[str, Any]:
    """The article fields an HTML page declares about itself.

    Keys (only those found): ``title``, ``url``, ``summary``, ``image``,
    ``published_at`` (the raw string), ``tags`` (list), ``author``, ``lang``.
    ``url`` falls back to ``<link rel=canonical>`` and then to ``page_url``;
    relative URLs are resolved against ``page_url`` (or, for a saved page read
    without one, against the article URL it declares).
    """
    parser = _MetaParser()
    parser.feed(markup)
    parser.close()
    meta = parser.meta
    ld = _ld_article(parser.json_ld)

    def first(*candidates: str | None) -> str | None:
        for candidate in candidates:
            if candidate and candidate.strip():
                return html.unescape(candidate.strip())
        return None

    def og(key: str) -> str | None:
        values = meta.get(key)
        return values[0] if values else None

    page_title = "".join(parser.title_parts).strip() or None
    found: dict[str, Any] = {
        "title": first(
            og("og:title"), _ld_text(ld.get("headline")), og("twitter:title"), page_title
        ),
        "url": first(og("og:url"), _ld_text(ld.get("url")), parser.canonical, page_url),
        "summary": first(
            og("og:description"),
            _ld_text(ld.get("description")),
            og("twitter:description"),
            og("description"),
        ),
        "image": first(
            og("og:image"),
            og("og:image:url"),
            _ld_text(ld.get("image"), "url"),
            og("twitter:image"),
            og("twitter:image:src"),
        ),
        "published_at": first(
            og("article:published_time"), _ld_text(ld.get("datePublished")), og("date")
        ),
        "author": first(og("article:author"), _ld_text(ld.get("author")), og("author")),
        "lang": first(og("og:locale"), _ld_text(ld.get("inLanguage")), parser.lang),
    }
    tags = meta.get("article:tag") or _keywords(ld.get("keywords")) or _keywords(og("keywords"))
    if tags:
        found["tags"] = [html.unescape(t) for t in tags]
    if found.get("url"):
        found["url"] = urljoin(page_url, found["url"])
    if found.get("image"):
        found["image"] = urljoin(page_url or found.get("url") or "", found["image"])
    if found.get("lang"):
        found["lang"] = str(found["lang"]).replace("_", "-")
    return {key: value for key, value in found.items() if value}
