"""Load articles to announce from files, feeds and article pages.

Sources (the first match wins):

- an ``http(s)://`` URL: fetched through :class:`embedkit.net._http.HttpClient` with the
  network guard on; an RSS/Atom body is read as a feed, anything else as the
  article's HTML page (OpenGraph, Twitter Card, JSON-LD ``NewsArticle``);
- a directory (:func:`load_articles` only): every ``.md``, ``.json``, ``.yaml`` and
  ``.yml`` file in it, by name;
- ``.md``/``.markdown``: YAML front matter, the summary defaulting to the body's
  first paragraph; ``.json``, ``.yaml``/``.yml``: one object or a list of them;
  ``.xml``/``.rss``/``.atom``: a feed, one article per entry;
  ``.html``/``.htm``: a saved article page.

Fields: ``title`` and ``url`` (required), ``summary``, ``tags`` (list or
comma-separated string), ``image``, ``published_at`` (also ``published`` or
``date``), ``publish_at``, ``author``, ``lang``, ``id``. Dates are ISO 8601 or
RFC 2822 and come back timezone-aware (a naive time is taken as UTC). Without an
explicit ``id``, an article's id is its URL normalized by :func:`article_id_for`.

Anything wrong raises :class:`~embedkit._errors.ArticleError` naming the file (or
URL) and the field::

    articles/x.md: missing required field 'url'

Example::

    >>> article = load_article("articles/japan-korea.md")  # doctest: +SKIP
    >>> article.title  # doctest: +SKIP
    'Japan, South Korea bury trade hatchet amid security threats'
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
import frontmatter
import markdown
import yaml

from embedkit._errors import ArticleError
from embedkit.syndicate._models import Article
from embedkit.syndicate._pagemeta import html_to_text, page_metadata

if TYPE_CHECKING:
    from embedkit.net._http import HttpClient

__all__ = ["article_from_mapping", "article_id_for", "load_article", "load_articles"]

_MARKDOWN = (".md", ".markdown")
_JSON = (".json",)
_YAML = (".yaml", ".yml")
_FEED = (".xml", ".rss", ".atom")
_HTML = (".html", ".htm")
_DIRECTORY_SUFFIXES = (".md", ".json", ".yaml", ".yml")
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid")
_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
)


class _YamlLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so that a bad date names its field."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _FrontMatter(frontmatter.YAMLHandler):  # type: ignore[misc,name-defined]
    def load(self, fm: str, **kwargs: object) -> Any:
        return yaml.load(fm, Loader=_YamlLoader)


def article_id_for(url: str) -> str:
    """A stable id for an article URL: the URL normalized, not resolved.

    The scheme and host are lower-cased, a default port, the fragment and
    tracking parameters (``utm_*``, ``fbclid``, ``gclid``...) are dropped; the
    path and the other query parameters are kept as they are, in order.

    >>> article_id_for("HTTPS://News.Example.com:443/a?utm_source=x&id=7#top")
    'https://news.example.com/a?id=7'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "https" and port == 443) or (scheme == "http" and port == 80)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING)
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def _parse_date(value: Any, where: str, field: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            try:
                parsed = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                raise ArticleError(
                    f"{where}: field {field!r} is not a date: {text[:60]!r}"
                ) from None
    else:
        raise ArticleError(f"{where}: field {field!r} is not a date: {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _text_field(data: Mapping[str, Any], field: str, where: str) -> str | None:
    value = data.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ArticleError(f"{where}: field {field!r} must be text, not {type(value).__name__}")
    text = str(value).strip()
    return text or None


def _tags(value: Any, where: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items: list[Any] | tuple[Any, ...]
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ArticleError(f"{where}: field 'tags' must be a list or a comma-separated string")
    tags: list[str] = []
    for item in items:
        if not isinstance(item, str | int):
            raise ArticleError(f"{where}: field 'tags' holds a {type(item).__name__}")
        tag = str(item).strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tuple(tags)


def article_from_mapping(data: Mapping[str, Any], where: str) -> Article:
    """Build an :class:`Article` from front matter, JSON, YAML or page metadata.

    ``where`` names the source in error messages (a path, ``path[2]``, a URL).
    """
    if not isinstance(data, Mapping):
        raise ArticleError(f"{where}: expected an object with article fields")
    title = _text_field(data, "title", where)
    if not title:
        raise ArticleError(f"{where}: missing required field 'title'")
    url = _text_field(data, "url", where)
    if not url:
        raise ArticleError(f"{where}: missing required field 'url'")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ArticleError(f"{where}: field 'url' is not an http(s) URL: {url[:80]!r}")
    published = None
    for key in ("published_at", "published", "date"):
        if data.get(key) not in (None, ""):
            published = _parse_date(data[key], where, key)
            break
    explicit_id = _text_field(data, "id", where)
    return Article(
        id=explicit_id or article_id_for(url),
        title=" ".join(title.split()),
        url=url,
        summary=" ".join((_text_field(data, "summary", where) or "").split()),
        tags=_tags(data.get("tags"), where),
        image=_text_field(data, "image", where),
        published_at=published,
        publish_at=_parse_date(data.get("publish_at"), where, "publish_at"),
        author=_text_field(data, "author", where),
        lang=_text_field(data, "lang", where),
    )


def _first_paragraph(body: str) -> str:
    """The first paragraph of a Markdown body as plain text ('' if none)."""
    rendered = markdown.markdown(body)
    for chunk in rendered.split("</p>"):
        start = chunk.find("<p>")
        if start == -1:
            continue
        text = html_to_text(chunk[start + 3 :])
        if text:
            return text
    return ""


def _load_markdown(path: Path, where: str) -> list[Article]:
    try:
        post = frontmatter.loads(path.read_text("utf-8"), handler=_FrontMatter())
    except (yaml.YAMLError, ValueError) as exc:
        raise ArticleError(f"{where}: malformed front matter ({_first_line(exc)})") from exc
    data = dict(post.metadata)
    if not data:
        raise ArticleError(f"{where}: no YAML front matter (missing required field 'title')")
    if not data.get("summary"):
        data["summary"] = _first_paragraph(post.content)
    return [article_from_mapping(data, where)]


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _from_structured(data: Any, where: str) -> list[Article]:
    if isinstance(data, list):
        if not data:
            raise ArticleError(f"{where}: the list of articles is empty")
        return [article_from_mapping(item, f"{where}[{i}]") for i, item in enumerate(data)]
    if isinstance(data, Mapping):
        return [article_from_mapping(data, where)]
    raise ArticleError(f"{where}: expected an article object or a list of them")


def _load_json(path: Path, where: str) -> list[Article]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except ValueError as exc:
        raise ArticleError(f"{where}: malformed JSON ({exc})") from exc
    return _from_structured(data, where)


def _load_yaml(path: Path, where: str) -> list[Article]:
    try:
        data = yaml.load(path.read_text("utf-8"), Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        raise ArticleError(f"{where}: malformed YAML ({_first_line(exc)})") from exc
    return _from_structured(data, where)


def _entry_image(entry: Any) -> str | None:
    for media in entry.get("media_content", []) or []:
        if media.get("url") and media.get("medium", "image") == "image":
            return str(media["url"])
    for thumb in entry.get("media_thumbnail", []) or []:
        if thumb.get("url"):
            return str(thumb["url"])
    for link in entry.get("enclosures", []) or []:
        if str(link.get("type", "")).startswith("image/") and link.get("href"):
            return str(link["href"])
    return None


def _entry_summary(entry: Any) -> str:
    """The entry's summary, else the start of its content (Atom feeds often have only that)."""
    if entry.get("summary"):
        return str(entry["summary"])
    for content in entry.get("content", []) or []:
        if content.get("value"):
            return str(content["value"])
    return ""


def _entry_language(entry: Any) -> str | None:
    for key in ("title_detail", "summary_detail"):
        language = (entry.get(key) or {}).get("language")
        if language:
            return str(language)
    return None


def _struct_time(value: time.struct_time | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime(*value[:6], tzinfo=dt.UTC)


def _feed_articles(content: bytes, where: str) -> list[Article]:
    parsed = feedparser.parse(content)  # bytes: feedparser never fetches anything
    if parsed.get("bozo") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise ArticleError(f"{where}: malformed feed ({_first_line(problem) if problem else ''})")
    if not parsed.get("version") and not parsed.entries:
        raise ArticleError(f"{where}: not an RSS or Atom feed")
    feed_lang = parsed.feed.get("language") or None
    articles: list[Article] = []
    for index, entry in enumerate(parsed.entries):
        entry_where = f"{where} entry {index + 1}"
        link = entry.get("link")
        data: dict[str, Any] = {
            "title": html_to_text(entry.get("title", "")),
            "url": link,
            "summary": html_to_text(_entry_summary(entry)),
            "tags": [t.get("term") for t in entry.get("tags", []) if t.get("term")],
            "image": _entry_image(entry),
            "author": entry.get("author"),
            "lang": _entry_language(entry) or feed_lang,
        }
        if entry.get("id") or link:
            data["id"] = entry.get("id") or article_id_for(str(link))
        article = article_from_mapping(data, entry_where)
        published = _struct_time(entry.get("published_parsed") or entry.get("updated_parsed"))
        if published is None and (entry.get("published") or entry.get("updated")):
            raise ArticleError(f"{entry_where}: field 'published' is not a date")
        articles.append(replace(article, published_at=published))
    if not articles:
        raise ArticleError(f"{where}: the feed has no entries")
    return articles


def _is_url(source: str | os.PathLike[str]) -> bool:
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def _load_url(url: str, http: HttpClient | None) -> list[Article]:
    from embedkit.net._http import HttpClient, raise_for_status

    client = http or HttpClient()
    try:
        response = client.get(url, trusted=False)
        raise_for_status(response)
    finally:
        if http is None:
            client.close()
    head = response.content[:512].lstrip().lower()
    if response.mime_type in _FEED_TYPES or head.startswith((b"<?xml", b"<rss", b"<feed")):
        return _feed_articles(response.content, url)
    metadata = page_metadata(response.text(), response.url)
    return [article_from_mapping(metadata, url)]


def _load_file(path: Path) -> list[Article]:
    where = str(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ArticleError(f"{where}: no such file")
    if suffix in _MARKDOWN:
        return _load_markdown(path, where)
    if suffix in _JSON:
        return _load_json(path, where)
    if suffix in _YAML:
        return _load_yaml(path, where)
    if suffix in _FEED:
        return _feed_articles(path.read_bytes(), where)
    if suffix in _HTML:
        metadata = page_metadata(path.read_text("utf-8", errors="replace"), "")
        return [article_from_mapping(metadata, where)]
    raise ArticleError(
        f"{where}: unknown article file type {suffix or '(none)'!r}; "
        "expected .md, .json, .yaml, .yml, .xml, .rss, .atom or .html"
    )


def load_articles(
    source: str | os.PathLike[str],
    *,
    http: HttpClient | None = None,
    errors: list[ArticleError] | None = None,
) -> list[Article]:
    """Every article in ``source``: a feed's entries, a directory's files, or one file.

    A directory yields the articles of its ``.md``, ``.json``, ``.yaml`` and ``.yml``
    files in file-name order (a JSON or YAML list adds all its items). A malformed
    file raises :class:`ArticleError`; pass an ``errors`` list to have a
    directory's malformed files collected there and skipped instead, so one bad
    file does not hold back the others.
    """
    if _is_url(source):
        return _load_url(str(source), http)
    path = Path(source)
    if path.is_dir():
        articles: list[Article] = []
        for child in sorted(path.iterdir()):
            if child.is_file() and child.suffix.lower() in _DIRECTORY_SUFFIXES:
                try:
                    articles.extend(_load_file(child))
                except ArticleError as exc:
                    if errors is None:
                        raise
                    errors.append(exc)
        return articles
    return _load_file(path)


def load_article(
    source: str | os.PathLike[str],
    *,
    entry: int | str | None = None,
    http: HttpClient | None = None,
) -> Article:
    """One article from a file, a feed or a URL.

    When ``source`` holds several articles (a feed, a JSON or YAML list),
    ``entry`` selects one: an index (0 = first) or an id or URL; the default is the
    first.
    """
    where = str(source)
    if not _is_url(source) and Path(source).is_dir():
        raise ArticleError(f"{where}: is a directory; use load_articles()")
    articles = load_articles(source, http=http)
    if entry is None:
        return articles[0]
    if isinstance(entry, int):
        if not -len(articles) <= entry < len(articles):
            raise ArticleError(f"{where}: no entry {entry} (it has {len(articles)})")
        return articles[entry]
    for article in articles:
        if entry in (article.id, article.url):
            return article
    raise ArticleError(f"{where}: no entry with id or URL {entry!r}")
