"""The one page-metadata parser: what an HTML page says about itself.

A news page describes itself several times over: OpenGraph
``<meta property="og:...">`` tags, Twitter Card ``<meta name="twitter:...">``
tags, JSON-LD (``NewsArticle``, ``Article``, often inside a Yoast-style
``@graph`` whose nodes point at each other by ``@id``), and plain ``<title>``,
``<meta name="description">`` and ``<h1>``. :func:`page_metadata` reads them all
and returns one :class:`PageMeta`. The syndicator's article loader uses it, and
so can a link card.

Per field, the first source that gives a usable value wins:

- **title**: ``og:title``, JSON-LD ``headline``, ``twitter:title``, JSON-LD
  ``name``, ``<title>``, the first ``<h1>``. A JSON-LD value must agree with
  one of the others (contain it, be contained in it, or share most of its
  words): Wikipedia's JSON-LD ``headline`` is a category ("capital of
  Germany"), not the title. ``<title>`` inside inline SVG is not the page's,
  and a trailing `` | Site Name`` (``-``, ``–``, ``—``, ``·``, ``»``, ``:``) is
  dropped when it names the site (``og:site_name`` or the publisher).
- **url**: ``og:url``, ``<link rel=canonical>``, JSON-LD ``url`` or
  ``mainEntityOfPage``, else the page's own address; relative URLs resolve
  against ``<base href>`` or the page's address, or, for a saved page read
  without one, against the URL the page declares.
- **description**: ``og:description``, JSON-LD ``description``,
  ``twitter:description``, ``<meta name=description>``.
- **image** (+ width and height when declared): ``og:image``, JSON-LD
  ``image`` (an ``ImageObject``'s ``url`` or ``contentUrl``; an ``@id`` such as
  ``…/#primaryimage`` is followed to its node, never taken as the image),
  ``twitter:image``, ``<link rel=image_src>``.
- **published**: ``article:published_time``, JSON-LD ``datePublished``, then
  the ``<meta>`` names sites use (``date``, ``pubdate``, ``dc.date``,
  ``parsely-pub-date``...) and ``<time itemprop=datePublished>``; read by
  :func:`embedkit._parse.dates.parse_datetime`. **modified**: JSON-LD
  ``dateModified``, ``article:modified_time``, ``og:updated_time``.
- **author**: JSON-LD ``author`` (a ``#/schema/person/…`` reference is followed
  to the person's ``name``), ``<meta name=author>``, ``article:author``,
  ``dc.creator``..., then the text of ``<a rel=author>``; a value that is a URL
  (a profile link) is never a name, and a leading "By " is dropped.
- **site_name**: ``og:site_name``, JSON-LD ``publisher`` or ``WebSite`` name,
  ``application-name``.
- **lang**: ``<html lang>``, ``Content-Language``, ``og:locale``, JSON-LD
  ``inLanguage``.
- **tags** are the page's explicit article tags (``article:tag``);
  **keywords** are its SEO keywords (JSON-LD ``keywords``, ``<meta
  name=keywords>``, ``news_keywords``), kept apart because they are often
  tracking labels ("Elevated:false").
- **type**: ``og:type``, else the JSON-LD node's ``@type``.

Bounded and linear: only the first :data:`MAX_DOCUMENT_CHARS` characters of a
page are read (its head, and the start of its body for ``<h1>``), with the
linear tokenizer of :mod:`embedkit._parse.markup`; JSON-LD blocks, nodes and
nesting are capped, and every returned field is cut to its cap. Broken JSON-LD
is skipped; nothing here raises for any input.

    >>> meta = page_metadata('<meta property="og:title" content="Hello">', "https://example.com/a")
    >>> meta.title, meta.url
    ('Hello', 'https://example.com/a')
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from embedkit._parse.charset import decode_html
from embedkit._parse.dates import parse_datetime
from embedkit._parse.markup import Tag, tokens
from embedkit._parse.urls import web_url

__all__ = ["MAX_DOCUMENT_CHARS", "PageMeta", "page_metadata"]

#: Only this much of a page is read (heads of real pages reach ~940,000 characters).
MAX_DOCUMENT_CHARS = 2_000_000
MAX_TITLE = 500
MAX_DESCRIPTION = 2000
MAX_NAME = 200  # author, site name
MAX_LIST = 30  # tags and keywords
MAX_WORD = 100  # one tag or keyword
_MAX_LD_BLOCKS = 32
_MAX_LD_CHARS = 2_000_000
_MAX_LD_NODES = 5000
_MAX_LD_DEPTH = 24
_MAX_META_VALUES = 2000
_MAX_H1 = 3

_ARTICLE_TYPES = (
    "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "reviewnewsarticle", "backgroundnewsarticle", "askpublicnewsarticle", "article",
    "blogposting", "liveblogposting", "socialmediaposting", "scholarlyarticle",
    "techarticle", "report", "review",
)  # fmt: skip
_PAGE_TYPES = ("webpage", "itempage", "aboutpage", "profilepage", "collectionpage", "faqpage")
_MEDIA_TYPES = ("videoobject", "podcastepisode", "audioobject", "product", "recipe", "event")
_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "datepublished", "date", "pubdate", "publishdate", "publish-date", "publish_date",
    "published_time", "article.published", "article_date_original", "dc.date",
    "dc.date.issued", "dcterms.date", "dcterms.issued", "dcterms.created",
    "citation_publication_date", "citation_date", "sailthru.date", "parsely-pub-date",
    "cxenseparse:recs:publishtime", "date.release",
)  # fmt: skip
_MODIFIED_META = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "datemodified",
    "dcterms.modified", "last-modified",
)  # fmt: skip
_AUTHOR_META = (
    "author", "article:author", "og:article:author", "dc.creator", "dcterms.creator",
    "parsely-author", "sailthru.author", "citation_author", "byl",
)  # fmt: skip
_LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}")
_WORDS = re.compile(r"\w+")
_DOMAIN_PATH = re.compile(r"[\w-]+(?:\.[\w-]+)+/")
_SITE_SUFFIX = re.compile(r"(.+)\s+[|\-–—·»:]\s+([^|\-–—·»]+)")
_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)
_LD_WRAPPER = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What a page declares about itself; ``None``/empty when it does not say.

    ``url`` is the page's canonical address (or the address it was read from);
    ``published`` and ``modified`` are timezone-aware; ``tags`` are explicit
    article tags and ``keywords`` SEO keywords.
    """

    title: str | None = None
    url: str | None = None
    description: str | None = None
    image: str | None = None
    image_width: int | None = None
    image_height: int | None = None
    site_name: str | None = None
    published: dt.datetime | None = None
    modified: dt.datetime | None = None
    author: str | None = None
    lang: str | None = None
    keywords: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    type: str | None = None


@dataclass
class _Page:
    """The raw declarations collected from the markup."""

    meta: dict[str, list[str]] = field(default_factory=dict)
    lang: str | None = None
    base: str | None = None
    canonical: str | None = None
    image_src: str | None = None
    title: str | None = None
    h1: list[str] = field(default_factory=list)
    rel_author: str | None = None
    ld: list[str] = field(default_factory=list)
    meta_count: int = 0

    def add_meta(self, key: str, value: str) -> None:
        if self.meta_count < _MAX_META_VALUES:
            self.meta.setdefault(key, []).append(value)
            self.meta_count += 1

    def first(self, *keys: str) -> Iterator[str]:
        for key in keys:
            for value in self.meta.get(key, ()):
                if value.strip():
                    yield value.strip()


def _collect(text: str) -> _Page:
    page = _Page()
    foreign = 0  # depth inside <svg>/<math>: their <title> is not the page's
    in_title = in_ld = False
    h1_parts: list[str] | None = None
    h1_depth = 0
    author_parts: list[str] | None = None
    ld_chars = 0
    for token in tokens(text):
        if not isinstance(token, Tag):
            if in_title:
                page.title = token.data
                in_title = False
            elif in_ld:
                if len(page.ld) < _MAX_LD_BLOCKS and ld_chars + len(token.data) <= _MAX_LD_CHARS:
                    page.ld.append(token.data)
                    ld_chars += len(token.data)
                in_ld = False
            elif not token.raw:
                if h1_parts is not None:
                    h1_parts.append(token.data)
                if author_parts is not None and len(author_parts) < 20:
                    author_parts.append(token.data)
            continue
        name, attrs = token.name, token.attrs
        if name in ("svg", "math") and not token.self_closing:
            foreign = max(0, foreign + (-1 if token.end else 1))
            continue
        if token.end:
            if name == "a" and author_parts is not None:
                page.rel_author = " ".join("".join(author_parts).split())[:MAX_NAME] or None
                author_parts = None
            if name == "h1" and h1_parts is not None:
                h1_depth -= 1
                if h1_depth <= 0:
                    page.h1.append(" ".join("".join(h1_parts).split())[:MAX_TITLE])
                    h1_parts = None
            continue
        if name == "meta":
            key = (
                attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or ""
            ).strip().lower() or (attrs.get("http-equiv") or "").strip().lower()
            if key and "content" in attrs:
                page.add_meta(key, attrs["content"])
        elif name == "link":
            rel = attrs.get("rel", "").lower().split()
            if "canonical" in rel and page.canonical is None:
                page.canonical = attrs.get("href", "").strip() or None
            elif "image_src" in rel and page.image_src is None:
                page.image_src = attrs.get("href", "").strip() or None
        elif name == "a" and page.rel_author is None and author_parts is None:
            if "author" in attrs.get("rel", "").lower().split():
                author_parts = []
        elif name == "title" and foreign == 0 and page.title is None:
            in_title = True
        elif name == "script":
            in_ld = attrs.get("type", "").strip().lower() == "application/ld+json"
        elif name == "html" and page.lang is None:
            page.lang = attrs.get("lang", "").strip() or attrs.get("xml:lang", "").strip() or None
        elif name == "base" and page.base is None:
            page.base = attrs.get("href", "").strip() or None
        elif name == "h1" and foreign == 0:
            if h1_parts is None and len(page.h1) < _MAX_H1:
                h1_parts, h1_depth = [], 1
            elif h1_parts is not None:
                h1_depth += 1
        elif "itemprop" in attrs and name != "meta":
            value = attrs.get("datetime") or attrs.get("content")
            if value:
                page.add_meta(attrs["itemprop"].strip().lower(), value)
    return page


# -- JSON-LD ------------------------------------------------------------------------


def _ld_blocks(scripts: Iterable[str]) -> Iterator[Any]:
    for script in scripts:
        body = _LD_WRAPPER.sub("", script.strip())
        try:
            yield json.loads(body, strict=False)
        except (ValueError, RecursionError):
            continue  # a broken JSON-LD block is common; the other sources remain


class _Graph:
    """Every JSON-LD node of a page, indexed by ``@id``, with the top-level ones in order."""

    def __init__(self, scripts: Iterable[str]) -> None:
        self.top: list[dict[str, Any]] = []
        self.by_id: dict[str, dict[str, Any]] = {}
        count = 0
        for blob in _ld_blocks(scripts):
            stack: list[tuple[Any, int, bool]] = [(blob, 0, True)]
            while stack and count < _MAX_LD_NODES:
                value, depth, top = stack.pop()
                count += 1
                if depth > _MAX_LD_DEPTH:
                    continue
                if isinstance(value, list):
                    stack.extend((item, depth + 1, top) for item in reversed(value))
                elif isinstance(value, dict):
                    if top and ("@type" in value or "@graph" not in value):
                        self.top.append(value)
                    node_id = value.get("@id")
                    if isinstance(node_id, str) and len(value) > 1:
                        known = self.by_id.get(node_id)
                        if known is None or ("@type" in value and "@type" not in known):
                            self.by_id[node_id] = value  # a typed node beats an inline stub
                    for key, item in value.items():
                        if isinstance(item, dict | list):
                            stack.append((item, depth + 1, top and key in ("@graph", "mainEntity")))

    def resolve(self, value: Any) -> Any:
        """Follow an ``{"@id": ...}`` reference (or a bare id string) to its node."""
        for _ in range(3):
            if isinstance(value, dict) and isinstance(value.get("@id"), str):
                node = self.by_id.get(value["@id"])
                if node is None or node is value:
                    return value
                value = node
            else:
                return value
        return value

    def node(self, page_urls: set[str]) -> dict[str, Any]:
        """The page's main node: an article (the one for this page), else a web page."""
        for kinds in (_ARTICLE_TYPES, _MEDIA_TYPES, _PAGE_TYPES):
            found = [n for n in self.top if _types(n) & set(kinds)]
            if not found:
                continue
            for node in found:
                urls = {_as_text(node.get("url")), _as_text(self.resolve(node.get("@id")))}
                entity = self.resolve(node.get("mainEntityOfPage"))
                if isinstance(entity, dict):
                    urls |= {_as_text(entity.get("@id")), _as_text(entity.get("url"))}
                if urls & page_urls:
                    return node
            return found[0]
        return {}

    def kind(self, kind: str) -> dict[str, Any]:
        for node in self.top:
            if kind in _types(node):
                return node
        return {}


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", [])
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower().rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict) and isinstance(value.get("@value"), str):
        return str(value["@value"]).strip() or None
    if isinstance(value, list) and value:
        return _as_text(value[0])
    return None


def _is_url_like(text: str) -> bool:
    """A link (a profile URL, an ``@id``), not a name."""
    lowered = text.strip().lower()
    return lowered.startswith(("http://", "https://", "//", "#", "/", "www.")) or bool(
        _DOMAIN_PATH.match(lowered)
    )


def _names(graph: _Graph, value: Any, depth: int = 0) -> list[str]:
    """People's or organizations' names in a JSON-LD value (references followed)."""
    if depth > 3:
        return []
    if isinstance(value, list):
        return [name for item in value[:10] for name in _names(graph, item, depth + 1)]
    if isinstance(value, str):
        node = graph.by_id.get(value.strip())
        if node is not None:
            return _names(graph, node, depth + 1)
        return [] if _is_url_like(value.strip()) else [value.strip()]
    if isinstance(value, dict):
        node = graph.resolve(value)
        name = _as_text(node.get("name")) if isinstance(node, dict) else None
        if name is None and isinstance(node, dict):
            given = _as_text(node.get("givenName")) or ""
            family = _as_text(node.get("familyName")) or ""
            name = f"{given} {family}".strip() or None
        return [name] if name and not _is_url_like(name) else []
    return []


def _dimension(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 7:
        number = int(value.strip())
    else:
        return None
    return number if 0 < number < 100_000 else None


def _ld_images(graph: _Graph, value: Any, depth: int = 0) -> Iterator[tuple[str, Any, Any]]:
    """``(url, width, height)`` candidates from a JSON-LD ``image`` value."""
    if depth > 3:
        return
    if isinstance(value, list):
        for item in value[:10]:
            yield from _ld_images(graph, item, depth + 1)
    elif isinstance(value, str):
        node = graph.by_id.get(value.strip())
        if node is not None and node is not value:
            yield from _ld_images(graph, node, depth + 1)
        else:
            yield value, None, None
    elif isinstance(value, dict):
        node = graph.resolve(value)
        if not isinstance(node, dict):
            return
        for key in ("url", "contentUrl"):
            url = node.get(key)
            if isinstance(url, str) and url.strip():
                yield url, node.get("width"), node.get("height")
                return
            if isinstance(url, list | dict):
                yield from _ld_images(graph, url, depth + 1)
                return


def _keywords(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value[: MAX_LIST * 2] if isinstance(v, str | int)]
    if isinstance(value, str):
        return [part.strip() for part in value.split(",")]
    return []


# -- choosing -----------------------------------------------------------------------


def _clean(value: str | None, cap: int) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    if not text:
        return None
    return text if len(text) <= cap else text[: cap - 1].rstrip() + "…"


def _norm(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))


def _agrees(candidate: str, references: list[str]) -> bool:
    """Whether a title candidate matches another source's title (see the module doc)."""
    mine = _norm(candidate)
    if not mine:
        return False
    words = set(mine.split())
    for reference in references:
        theirs = _norm(reference)
        if not theirs:
            continue
        if mine in theirs or theirs in mine:
            return True
        shared = words & set(theirs.split())
        if len(shared) >= 0.6 * len(words):
            return True
    return False


def _without_site(title: str, site_name: str) -> str:
    """``<title>`` without a trailing `` | Site`` (or ``-``, ``–``, ``—``, ``·``, ``»``)."""
    match = _SITE_SUFFIX.match(title.strip())
    if match is None:
        return title
    head, tail = match.group(1), _norm(match.group(2))
    site = _norm(site_name)
    if tail and head.strip() and (site.startswith(tail) or tail.startswith(site)):
        return head
    return title


def _title(page: _Page, node: dict[str, Any], site_name: str | None) -> str | None:
    og = next(page.first("og:title"), None)
    twitter = next(page.first("twitter:title", "twitter:text:title"), None)
    plain = page.title if page.title and page.title.strip() else None
    h1 = next((h for h in page.h1 if h.strip()), None)
    references = [t for t in (og, twitter, plain, *page.h1) if t]
    headline, name = _as_text(node.get("headline")), _as_text(node.get("name"))
    candidates = [
        og,
        headline if headline and (not references or _agrees(headline, references)) else None,
        twitter,
        name if name and (not references or _agrees(name, references)) else None,
        next(page.first("dc.title", "parsely-title", "sailthru.title"), None),
        plain,
        h1,
    ]
    if site_name:
        candidates = [_without_site(c, site_name) if c else c for c in candidates]
    return next((t for t in (_clean(c, MAX_TITLE) for c in candidates) if t), None)


def _lang(page: _Page, node: dict[str, Any]) -> str | None:
    for value in (
        page.lang,
        next(page.first("content-language", "language", "dc.language"), None),
        next(page.first("og:locale"), None),
        _as_text(node.get("inLanguage")),
    ):
        if value:
            tag = value.strip().replace("_", "-").split(",")[0].strip()
            if _LANG.fullmatch(tag):
                return tag
    return None


def _url(value: str | None, base: str | None) -> str | None:
    if not value:
        return None
    try:
        return web_url(value, base)
    except ValueError:
        return None


def _unique(values: Iterable[str], cap: int = MAX_LIST) -> tuple[str, ...]:
    found: list[str] = []
    seen: set[str] = set()
    for value in values:
        text = " ".join(value.split())
        if text and len(text) <= MAX_WORD and text.casefold() not in seen:
            seen.add(text.casefold())
            found.append(text)
            if len(found) >= cap:
                break
    return tuple(found)


def page_metadata(
    document: str | bytes, url: str | None = None, *, content_type: str | None = None
) -> PageMeta:
    """What ``document`` (an HTML page, text or bytes) declares about itself.

    ``url`` is the page's address, for relative URLs and as the fallback
    ``url``; bytes are decoded by :func:`embedkit._parse.charset.decode_html`
    (``content_type`` is the HTTP header, when there is one).
    """
    if isinstance(document, bytes):
        document = decode_html(document[: MAX_DOCUMENT_CHARS * 2], content_type=content_type).text
    page = _collect(document[:MAX_DOCUMENT_CHARS])
    graph = _Graph(page.ld)
    page_url = _url(url, None) if url else None
    declared = [
        *page.first("og:url"),
        *([page.canonical] if page.canonical else []),
        *page.first("twitter:url"),
    ]
    base = _url(page.base, page_url) or page_url
    if base is None:  # a saved page without its address: the one it declares
        base = next((u for u in (_url(d, None) for d in declared) if u), None)
    page_urls = {u for u in (_url(d, base) for d in [*declared, url or ""]) if u}
    node = graph.node(page_urls)
    entity = graph.resolve(node.get("mainEntityOfPage") or node.get("isPartOf"))
    ld_urls = [_as_text(node.get("url"))]
    if isinstance(entity, dict):
        ld_urls.append(_as_text(entity.get("@id")) or _as_text(entity.get("url")))
    elif isinstance(entity, str):
        ld_urls.append(entity)
    canonical = next(
        (u for u in (_url(d, base) for d in [*declared, *(x for x in ld_urls if x)]) if u),
        page_url,
    )
    image_base = base or canonical

    publisher = graph.resolve(node.get("publisher"))
    site_name = _clean(
        next(page.first("og:site_name"), None)
        or next(iter(_names(graph, publisher)), None)
        or _as_text(graph.kind("website").get("name"))
        or next(page.first("application-name", "apple-mobile-web-app-title"), None),
        MAX_NAME,
    )

    image = width = height = None
    og_images = [*page.first("og:image", "og:image:url", "og:image:secure_url")]
    image_candidates: list[tuple[str, Any, Any]] = [
        (value, next(page.first("og:image:width"), None), next(page.first("og:image:height"), None))
        for value in og_images[:3]
    ]
    image_candidates += list(_ld_images(graph, node.get("image")))[:5]
    image_candidates += list(_ld_images(graph, node.get("thumbnailUrl")))[:2]
    image_candidates += [
        (value, None, None)
        for value in [*page.first("twitter:image", "twitter:image:src", "image"), page.image_src]
        if value
    ][:5]
    for candidate, w, h in image_candidates:
        image = _url(candidate, image_base)
        if image:
            width, height = _dimension(w), _dimension(h)
            break

    published = None
    dates = [
        *page.first(*_PUBLISHED_META[:3]),
        _as_text(node.get("datePublished")),
        _as_text(node.get("dateCreated")),
        _as_text(node.get("uploadDate")),
        *page.first(*_PUBLISHED_META[3:]),
    ]
    lang = _lang(page, node)
    for value in dates:
        published = parse_datetime(value, lang) if value else None
        if published is not None:
            break

    modified = None
    for value in (_as_text(node.get("dateModified")), *page.first(*_MODIFIED_META)):
        modified = parse_datetime(value, lang) if value else None
        if modified is not None:
            break

    authors = _names(graph, node.get("author")) or _names(graph, node.get("creator"))
    authors += [value for value in page.first(*_AUTHOR_META) if not _is_url_like(value)]
    if page.rel_author:
        authors.append(page.rel_author)
    author = next((a for a in (_clean(_BY.sub("", a), MAX_NAME) for a in authors) if a), None)

    description = _clean(
        next(page.first("og:description"), None)
        or _as_text(node.get("description"))
        or (_as_text(entity.get("description")) if isinstance(entity, dict) else None)
        or next(page.first("twitter:description", "description", "dc.description"), None),
        MAX_DESCRIPTION,
    )
    keywords = _unique(
        [
            *_keywords(node.get("keywords")),
            *(k for value in page.first("keywords", "news_keywords") for k in _keywords(value)),
        ]
    )
    ld_type = node.get("@type")
    ld_type = ld_type[0] if isinstance(ld_type, list) and ld_type else ld_type
    kind = next(page.first("og:type"), None) or (ld_type if isinstance(ld_type, str) else None)
    return PageMeta(
        title=_title(page, node, site_name),
        url=canonical,
        description=description,
        image=image,
        image_width=width if image else None,
        image_height=height if image else None,
        site_name=site_name,
        published=published,
        modified=modified,
        author=author,
        lang=lang,
        keywords=keywords,
        tags=_unique(page.first("article:tag", "og:article:tag")),
        type=_clean(kind, 64),
    )
