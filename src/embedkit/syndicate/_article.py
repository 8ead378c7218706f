"""Load articles to announce from files, folders, feeds and article pages.

Sources (the first match wins):

- an ``http(s)://`` URL: fetched through :class:`embedkit.net._http.HttpClient`
  with the network guard on; an RSS/Atom body is read as a feed, anything else
  as the article's HTML page;
- a folder: every file of a kind the loaders know, in name order (a list file
  or a feed adds all its entries); anything else is named in
  :attr:`Loaded.skipped` with the reason;
- ``.md``/``.markdown``: YAML front matter, the summary defaulting to the body's
  first paragraph; ``.json``, ``.yaml``/``.yml``: one object or a list of them;
  ``.xml``/``.rss``/``.atom``: a feed, one article per entry;
  ``.html``/``.htm``: a saved article page.

Each source is read by one of the shared parsers in :mod:`embedkit._parse`
(front matter, feeds, page metadata, character sets, dates, URLs), bounded in
size and time, so an untrusted feed or page can cost only so much.

Fields: ``title`` and ``url`` (required), ``summary``, ``tags`` (list or
comma-separated string), ``keywords``, ``image``, ``published_at`` (also
``published`` or ``date``), ``publish_at``, ``author``, ``lang``, ``id``.
Without an explicit ``id``, an article's id is its URL normalized by
:func:`article_id_for`. Every field is capped in size (:data:`LIMITS`).

Entries are independent: in a feed, a list or a folder, an entry or file that
cannot be read is named in :attr:`Loaded.skipped` (source, entry number,
field, reason) and the others still load. Rules for what a source says:

- **URLs** must be absolute ``http``/``https`` URLs with RFC 3986 characters
  and no credentials (:func:`embedkit._parse.urls.web_url`); a relative link
  in a feed resolves against ``xml:base``, then the feed's address (the
  ``url=`` given, the address it was fetched from, or its ``rel="self"``
  link), then the feed's own ``<link>``;
- a missing **title** in a feed falls back to the first sentence of the summary;
- **dates** are read by :func:`embedkit._parse.dates.parse_datetime` (RFC 822,
  ISO 8601, ``March 5, 2019``, ``05.03.2019`` by the feed's language...); one
  that cannot be read leaves ``published_at`` empty (a warning is logged),
  except ``publish_at``, which holds a post back and so must be exact;
- the **image** is a web URL; a local file is accepted only from a local
  Markdown, JSON or YAML article, inside that article's folder, and becomes
  :attr:`~embedkit.syndicate._models.Article.image_file`
  (:mod:`embedkit.syndicate._images`); anything else is dropped with a warning;
- **tags** are the article's own (front matter ``tags``, feed categories,
  ``article:tag``). SEO keywords (``keywords``, ``<meta name=keywords>``,
  JSON-LD ``keywords``, iTunes keywords) are kept in ``Article.keywords`` and
  become tags only with ``tags_from="keywords"``, or when the source string
  ends with the per-source setting ``#tags-from=keywords``
  (``https://example.com/feed.xml#tags-from=keywords``); an explicit
  ``tags_from`` argument wins over the source's setting.

A saved page that declares no address (no ``og:url``, no canonical link) loads
with ``url=`` (its address); for a feed file, ``url=`` is the feed's address.

Example::

    >>> article = load_article("articles/japan-korea.md")  # doctest: +SKIP
    >>> article.title  # doctest: +SKIP
    'Japan, South Korea bury trade hatchet amid security threats'
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from embedkit._errors import ArticleError
from embedkit._parse.dates import parse_datetime
from embedkit._parse.feed import MAX_FEED_BYTES, looks_like_feed, parse_feed
from embedkit._parse.frontmatter import FrontMatterError, load_yaml, split_front_matter
from embedkit._parse.markup import html_to_text
from embedkit._parse.pagemeta import page_metadata
from embedkit._parse.urls import is_tracking_parameter, web_url
from embedkit._redaction import get_logger
from embedkit.syndicate._images import local_image
from embedkit.syndicate._models import Article

if TYPE_CHECKING:
    from embedkit.net._http import HttpClient

__all__ = [
    "ARTICLE_SUFFIXES",
    "LIMITS",
    "Loaded",
    "Skipped",
    "TagsFrom",
    "article_from_mapping",
    "article_id_for",
    "load_article",
    "load_articles",
    "load_source",
]

log = get_logger("embedkit.syndicate")

TagsFrom = Literal["tags", "keywords"]

_MARKDOWN = (".md", ".markdown")
_JSON = (".json",)
_YAML = (".yaml", ".yml")
_FEED = (".xml", ".rss", ".atom")
_HTML = (".html", ".htm")
#: Every file kind the loaders read (a folder loads all of these).
ARTICLE_SUFFIXES = (*_MARKDOWN, *_JSON, *_YAML, *_FEED, *_HTML)
#: The largest local article file read, in bytes.
MAX_FILE_BYTES = MAX_FEED_BYTES
#: The most entries read from one feed or list.
MAX_ENTRIES = 1000
#: Size caps of the stored fields (characters; items for tags and keywords).
LIMITS: Mapping[str, int] = {
    "title": 500,
    "summary": 5000,
    "author": 200,
    "lang": 35,
    "id": 2048,
    "tags": 30,
    "tag": 100,
}
_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
    "application/feed+json",
)
_SOURCE_SETTING = re.compile(r"#tags-from=(tags|keywords)$")
_ITUNES = "http://www.itunes.com/"
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)")
_EMAIL_ONLY = re.compile(r"[^\s@]+@[^\s@]+")


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file, entry or list item that was not loaded, and why.

    ``invalid`` is True for input that is broken (a run reports it as an
    error) and False for a file that is simply not an article (``notes.txt``).
    """

    where: str
    reason: str
    invalid: bool = True

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Loaded:
    """What :func:`load_source` read: the articles, and what it skipped with reasons."""

    articles: tuple[Article, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    @property
    def invalid(self) -> tuple[Skipped, ...]:
        """The skipped items that are broken input (not merely other kinds of file)."""
        return tuple(s for s in self.skipped if s.invalid)


@dataclass
class _Collect:
    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def done(self) -> Loaded:
        return Loaded(tuple(self.articles), tuple(self.skipped))


def article_id_for(url: str) -> str:
    """A stable id for an article URL: the URL normalized, not resolved.

    The scheme and host are lower-cased, a default port, the fragment and
    tracking parameters (``utm_*``, ``fbclid``, ``gclid``...: the one list in
    :mod:`embedkit._parse.urls`) are dropped; the path and the other query
    parameters are kept as they are, in order.

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
        if not is_tracking_parameter(k)
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


# -- fields -----------------------------------------------------------------------------


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text_field(data: Mapping[str, Any], name: str, where: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ArticleError(f"{where}: field {name!r} must be text, not {type(value).__name__}")
    text = " ".join(str(value).split())
    return text or None


def _words(value: Any, where: str, name: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items: list[Any] | tuple[Any, ...]
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ArticleError(f"{where}: field {name!r} must be a list or a comma-separated string")
    found: list[str] = []
    for item in items:
        if not isinstance(item, str | int) or isinstance(item, bool):
            raise ArticleError(f"{where}: field {name!r} holds a {type(item).__name__}")
        word = " ".join(str(item).split())
        if word and len(word) <= LIMITS["tag"] and word not in found:
            found.append(word)
            if len(found) >= LIMITS["tags"]:
                break
    return tuple(found)


def _date(value: Any, where: str, name: str, lang: str | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    parsed = parse_datetime(value, lang)
    if parsed is None:
        shown = str(value)[:60] if isinstance(value, str) else type(value).__name__
        if name == "publish_at":  # holds a post back: a wrong guess would post it now
            raise ArticleError(f"{where}: field 'publish_at' is not a date: {shown!r}")
        log.warning("%s: field %r is not a date (%r); published_at left empty", where, name, shown)
    return parsed


def _image(
    value: str | None, where: str, folder: Path | None, base: str | None
) -> tuple[str | None, Path | None]:
    """``(image URL, local image)`` for an ``image`` value; at most one is set.

    With ``folder`` (a local article file) a value that is not an absolute web URL
    names a file in that folder; without it, a relative value is a URL relative to
    ``base``.
    """
    if not value:
        return None, None
    web = value.lower().startswith(("http:", "https:", "//"))
    if folder is None or web:
        try:
            return web_url(value, base), None
        except ValueError as problem:
            log.warning("%s: field 'image' %s; posting without it", where, problem)
            return None, None
    try:
        return None, local_image(value, folder)
    except ValueError as problem:
        log.warning("%s: field 'image': %s; posting without it", where, problem)
        return None, None


def article_from_mapping(
    data: Mapping[str, Any],
    where: str,
    *,
    folder: Path | None = None,
    base_url: str | None = None,
    tags_from: TagsFrom = "tags",
) -> Article:
    """Build an :class:`Article` from front matter, JSON, YAML, feed or page fields.

    ``where`` names the source in error messages (a path, ``path[2]``, a URL).
    ``folder`` is the article file's folder, for a local ``image`` (only local
    article files pass one); ``base_url`` resolves a relative ``url`` and
    ``image``. Raises :class:`ArticleError` naming the field.
    """
    if not isinstance(data, Mapping):
        raise ArticleError(f"{where}: expected an object with article fields")
    title = _text_field(data, "title", where)
    if not title:
        raise ArticleError(f"{where}: missing required field 'title'")
    raw_url = _text_field(data, "url", where)
    if not raw_url:
        raise ArticleError(f"{where}: missing required field 'url'")
    try:
        url = web_url(raw_url, base_url)
    except ValueError as problem:
        raise ArticleError(f"{where}: field 'url' {problem}: {raw_url[:80]!r}") from None
    lang = _text_field(data, "lang", where)
    published = None
    for key in ("published_at", "published", "date"):
        if data.get(key) not in (None, ""):
            published = _date(data[key], where, key, lang)
            break
    tags = _words(data.get("tags"), where, "tags")
    keywords = _words(data.get("keywords"), where, "keywords")
    if tags_from == "keywords":
        tags = tuple(dict.fromkeys((*tags, *keywords)))[: LIMITS["tags"]]
    image, image_file = _image(_text_field(data, "image", where), where, folder, base_url or url)
    explicit_id = _text_field(data, "id", where)
    author = _text_field(data, "author", where)
    return Article(
        id=_cap(explicit_id, LIMITS["id"]) if explicit_id else article_id_for(url),
        title=_cap(title, LIMITS["title"]),
        url=url,
        summary=_cap(_text_field(data, "summary", where) or "", LIMITS["summary"]),
        tags=tags,
        image=image,
        published_at=published,
        publish_at=_date(data.get("publish_at"), where, "publish_at", lang),
        author=_cap(author, LIMITS["author"]) if author else None,
        lang=_cap(lang, LIMITS["lang"]) if lang else None,
        image_file=image_file,
        keywords=keywords,
    )


# -- files ------------------------------------------------------------------------------


def _read(path: Path, where: str) -> bytes:
    if not path.exists():
        raise ArticleError(f"{where}: no such file")
    if not path.is_file():  # a FIFO or a device would block or never end
        raise ArticleError(f"{where}: not a regular file")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ArticleError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ArticleError(f"{where}: larger than {MAX_FILE_BYTES} bytes")
    return data


def _utf8(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _first_paragraph(body: str) -> str:
    """The first paragraph of a Markdown body as plain text ('' if none)."""
    import markdown

    rendered = markdown.markdown(body[:200_000])
    for chunk in rendered.split("</p>"):
        start = chunk.find("<p>")
        if start == -1:
            continue
        text = html_to_text(chunk[start + 3 :], max_chars=LIMITS["summary"])
        if text:
            return text
    return ""


def _first_sentence(text: str) -> str:
    """The first sentence of ``text`` (a missing feed title), at most 200 characters."""
    text = " ".join(text.split())
    match = _SENTENCE_END.search(text, 0, 400)
    sentence = text[: match.end()] if match else text
    if len(sentence) > 200:
        sentence = sentence[:200].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence


def _load_markdown(data: bytes, where: str, folder: Path, tags_from: TagsFrom) -> Loaded:
    try:
        fields, body = split_front_matter(_utf8(data, where))
    except FrontMatterError as exc:
        raise ArticleError(f"{where}: malformed front matter ({exc})") from None
    if not fields:
        raise ArticleError(f"{where}: no YAML front matter (missing required field 'title')")
    if not fields.get("summary"):
        fields["summary"] = _first_paragraph(body)
    article = article_from_mapping(fields, where, folder=folder, tags_from=tags_from)
    return Loaded((article,))


def _from_structured(data: Any, where: str, folder: Path, tags_from: TagsFrom) -> Loaded:
    if isinstance(data, Mapping):
        return Loaded((article_from_mapping(data, where, folder=folder, tags_from=tags_from),))
    if not isinstance(data, list):
        raise ArticleError(f"{where}: expected an article object or a list of them")
    if not data:
        raise ArticleError(f"{where}: the list of articles is empty")
    found = _Collect()
    for index, item in enumerate(data[:MAX_ENTRIES]):
        item_where = f"{where}[{index}]"
        try:
            found.articles.append(
                article_from_mapping(item, item_where, folder=folder, tags_from=tags_from)
            )
        except ArticleError as exc:
            found.skipped.append(Skipped(item_where, _reason(exc, item_where)))
    if len(data) > MAX_ENTRIES:
        found.skipped.append(Skipped(where, f"only the first {MAX_ENTRIES} items were read", False))
    return found.done()


def _load_json(data: bytes, where: str, folder: Path, tags_from: TagsFrom) -> Loaded:
    try:
        parsed = json.loads(_utf8(data, where))
    except ValueError as exc:
        raise ArticleError(f"{where}: malformed JSON ({exc})") from None
    except RecursionError:
        raise ArticleError(f"{where}: malformed JSON (nested too deeply)") from None
    return _from_structured(parsed, where, folder, tags_from)


def _load_yaml(data: bytes, where: str, folder: Path, tags_from: TagsFrom) -> Loaded:
    try:
        parsed = load_yaml(_utf8(data, where))
    except FrontMatterError as exc:
        raise ArticleError(f"{where}: malformed YAML ({exc})") from None
    return _from_structured(parsed, where, folder, tags_from)


def _reason(exc: ArticleError, where: str) -> str:
    message = str(exc)
    return message[len(where) + 2 :] if message.startswith(f"{where}: ") else message


# -- feeds and pages --------------------------------------------------------------------


def _entry_image(entry: Any) -> list[str]:
    found: list[str] = []
    for media in entry.get("media_content", []) or []:
        kind = str(media.get("medium") or media.get("type") or "image")
        if media.get("url") and (kind == "image" or kind.startswith("image/")):
            found.append(str(media["url"]))
    for thumb in entry.get("media_thumbnail", []) or []:
        if thumb.get("url"):
            found.append(str(thumb["url"]))
    for link in entry.get("enclosures", []) or []:
        if str(link.get("type", "")).startswith("image/") and link.get("href"):
            found.append(str(link["href"]))
    image = entry.get("image")
    if isinstance(image, Mapping) and image.get("href"):
        found.append(str(image["href"]))
    return found


def _entry_text(entry: Any, name: str, max_chars: int) -> str:
    """An entry's title or summary as plain text (the summary falls back to its content)."""
    value, detail = entry.get(name), entry.get(f"{name}_detail") or {}
    if not value and name == "summary":
        content = next((c for c in entry.get("content", []) or [] if c.get("value")), None)
        if content is not None:
            value, detail = content["value"], content
    if not value:
        return ""
    text = str(value)[: max_chars * 20]
    if str(detail.get("type", "text/html")) == "text/plain":
        return _cap(" ".join(text.split()), max_chars)
    return _cap(html_to_text(text, max_chars=max_chars + 1), max_chars)


def _entry_language(entry: Any) -> str | None:
    for key in ("title_detail", "summary_detail"):
        language = (entry.get(key) or {}).get("language")
        if language:
            return str(language)
    return None


def _entry_author(entry: Any) -> str | None:
    detail = entry.get("author_detail") or {}
    name = detail.get("name") or entry.get("author")
    if not name or _EMAIL_ONLY.fullmatch(str(name).strip()):
        return None
    return str(name)


def _entry_fields(entry: Any, feed: Any) -> dict[str, Any]:
    lang = _entry_language(entry) or feed.get("language") or None
    summary = _entry_text(entry, "summary", LIMITS["summary"])
    title = _entry_text(entry, "title", LIMITS["title"]) or _first_sentence(summary)
    link = entry.get("link")
    terms = [t for t in entry.get("tags", []) or [] if t.get("term")]
    tags = [t["term"] for t in terms if t.get("scheme") != _ITUNES]
    keywords = [t["term"] for t in terms if t.get("scheme") == _ITUNES]
    media_keywords = entry.get("media_keywords")
    if isinstance(media_keywords, str):
        keywords += media_keywords.split(",")
    fields: dict[str, Any] = {
        "title": title,
        "url": link,
        "summary": summary,
        "tags": tags,
        "keywords": keywords,
        "author": _entry_author(entry),
        "lang": lang,
    }
    if entry.get("id"):
        fields["id"] = str(entry["id"])
    fields["published_at"] = entry.get("published") or entry.get("updated") or entry.get("created")
    images = _entry_image(entry)
    if images:
        fields["image"] = images[0]
    return fields


def _feed_articles(
    data: bytes,
    where: str,
    *,
    content_type: str | None,
    url: str | None,
    tags_from: TagsFrom,
) -> Loaded:
    try:
        parsed = parse_feed(data, content_type=content_type, url=url)
    except ValueError as exc:
        raise ArticleError(f"{where}: {exc}") from None
    feed = parsed.feed
    own = [link.get("href") for link in feed.get("links", []) or [] if link.get("rel") == "self"]
    bases = [url, *own, feed.get("link")]
    found = _Collect()
    entries = parsed.entries
    for index, entry in enumerate(entries[:MAX_ENTRIES], start=1):
        entry_where = f"{where} entry {index}"
        try:
            fields = _entry_fields(entry, feed)
            base = _base_for(fields.get("url"), bases, entry_where)
            found.articles.append(
                article_from_mapping(fields, entry_where, base_url=base, tags_from=tags_from)
            )
        except ArticleError as exc:
            found.skipped.append(Skipped(entry_where, _reason(exc, entry_where)))
    if len(entries) > MAX_ENTRIES:
        found.skipped.append(
            Skipped(where, f"only the first {MAX_ENTRIES} entries were read", False)
        )
    if not entries:
        raise ArticleError(f"{where}: the feed has no entries")
    return found.done()


def _base_for(link: Any, bases: list[Any], where: str) -> str | None:
    """The base for a relative entry link: the feed's address (given, fetched or its
    ``rel="self"`` link), then the feed's own ``<link>``."""
    if not isinstance(link, str) or urlsplit(link.strip()).scheme:
        return bases[0] if isinstance(bases[0], str) else None
    for base in bases:
        if isinstance(base, str) and urlsplit(base).scheme in ("http", "https"):
            return base
    raise ArticleError(
        f"{where}: field 'url' is relative ({link.strip()[:80]!r}) and the feed gives no "
        "address to resolve it against (pass the feed's URL with url= / --page-url)"
    )


def _page_article(
    data: bytes,
    where: str,
    *,
    page_url: str | None,
    explicit_url: str | None,
    content_type: str | None,
    tags_from: TagsFrom,
) -> Loaded:
    meta = page_metadata(data, explicit_url or page_url, content_type=content_type)
    url = explicit_url or meta.url
    if not url:
        raise ArticleError(
            f"{where}: missing required field 'url' (the page declares no og:url or "
            "canonical link; give its address with url= / --page-url)"
        )
    fields: dict[str, Any] = {
        "title": meta.title,
        "url": url,
        "summary": meta.description,
        "tags": list(meta.tags),
        "keywords": list(meta.keywords),
        "image": meta.image,
        "published_at": meta.published,
        "author": meta.author,
        "lang": meta.lang,
    }
    return Loaded((article_from_mapping(fields, where, tags_from=tags_from),))


# -- sources ----------------------------------------------------------------------------


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def _split_setting(source: str | os.PathLike[str]) -> tuple[str, TagsFrom | None]:
    text = os.fspath(source)
    match = _SOURCE_SETTING.search(text)
    if match is None:
        return text, None
    setting: TagsFrom = "keywords" if match.group(1) == "keywords" else "tags"
    return text[: match.start()], setting


def _load_url(
    url: str, http: HttpClient | None, explicit_url: str | None, tags_from: TagsFrom
) -> Loaded:
    from embedkit.net._http import HttpClient, raise_for_status

    client = http or HttpClient()
    try:
        response = client.get(url, trusted=False, max_bytes=MAX_FEED_BYTES, truncate=True)
        raise_for_status(response)
    finally:
        if http is None:
            client.close()
    content_type = response.headers.get("content-type")
    if response.mime_type in _FEED_TYPES or looks_like_feed(response.content, content_type):
        if response.truncated:
            raise ArticleError(f"{url}: the feed is larger than {MAX_FEED_BYTES} bytes")
        return _feed_articles(
            response.content,
            url,
            content_type=content_type,
            url=explicit_url or response.url,
            tags_from=tags_from,
        )
    return _page_article(
        response.content,
        url,
        page_url=response.url,
        explicit_url=explicit_url,
        content_type=content_type,
        tags_from=tags_from,
    )


def _load_file(path: Path, explicit_url: str | None, tags_from: TagsFrom) -> Loaded:
    where = str(path)
    suffix = path.suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        if not path.exists():
            raise ArticleError(f"{where}: no such file")
        raise ArticleError(
            f"{where}: unknown article file type {suffix or '(none)'!r}; "
            f"expected {', '.join(ARTICLE_SUFFIXES)}"
        )
    data = _read(path, where)
    folder = path.parent
    try:
        if suffix in _MARKDOWN:
            return _load_markdown(data, where, folder, tags_from)
        if suffix in _JSON:
            return _load_json(data, where, folder, tags_from)
        if suffix in _YAML:
            return _load_yaml(data, where, folder, tags_from)
        if suffix in _FEED:
            return _feed_articles(
                data, where, content_type=None, url=explicit_url, tags_from=tags_from
            )
        return _page_article(
            data,
            where,
            page_url=None,
            explicit_url=explicit_url,
            content_type=None,
            tags_from=tags_from,
        )
    except RecursionError:  # a last guard: every parser bounds its nesting
        raise ArticleError(f"{where}: nested too deeply") from None


def _load_folder(path: Path, tags_from: TagsFrom) -> Loaded:
    found = _Collect()
    try:
        children = sorted(path.iterdir())
    except OSError as exc:
        raise ArticleError(f"{path}: cannot be listed ({exc.strerror or exc})") from None
    for child in children:
        suffix = child.suffix.lower()
        if child.is_dir():
            found.skipped.append(Skipped(str(child), "a folder (folders are not searched)", False))
        elif suffix not in ARTICLE_SUFFIXES:
            kind = f"{suffix!r} files" if suffix else "files without an extension"
            found.skipped.append(Skipped(str(child), f"not an article file ({kind})", False))
        else:
            try:
                loaded = _load_file(child, None, tags_from)
            except ArticleError as exc:
                found.skipped.append(Skipped(str(child), _reason(exc, str(child))))
                continue
            found.articles.extend(loaded.articles)
            found.skipped.extend(loaded.skipped)
    return found.done()


def load_source(
    source: str | os.PathLike[str],
    *,
    http: HttpClient | None = None,
    url: str | None = None,
    tags_from: TagsFrom | None = None,
) -> Loaded:
    """Every article in ``source`` (a URL, a folder, a file), and what was skipped.

    ``url`` is the address of a saved page or a feed file (see the module doc);
    ``tags_from="keywords"`` adds the source's SEO keywords to the tags (the
    default, ``None``, takes the source's own ``#tags-from=`` setting, else
    ``"tags"``). Raises :class:`ArticleError` when the source as a whole cannot
    be read (no such file, a malformed file, a refused feed), and the network
    errors of :class:`~embedkit.net._http.HttpClient` for a URL; a bad entry or
    file inside it is a :class:`Skipped` instead.
    """
    text, setting = _split_setting(source)
    chosen: TagsFrom = tags_from or setting or "tags"
    if tags_from not in (None, "tags", "keywords"):
        raise ArticleError(f"tags_from must be 'tags' or 'keywords', not {tags_from!r}")
    explicit: str | None = None
    if url is not None:
        try:
            explicit = web_url(url)
        except ValueError as problem:
            raise ArticleError(f"url= {problem}: {url[:80]!r}") from None
    if _is_url(text):
        return _load_url(text, http, explicit, chosen)
    path = Path(text)
    if path.is_dir():
        if explicit is not None:
            raise ArticleError(f"{path}: url= names one page or feed, not a folder")
        return _load_folder(path, chosen)
    return _load_file(path, explicit, chosen)


def load_articles(
    source: str | os.PathLike[str],
    *,
    http: HttpClient | None = None,
    errors: list[ArticleError] | None = None,
    url: str | None = None,
    tags_from: TagsFrom | None = None,
) -> list[Article]:
    """Every article in ``source``: a feed's entries, a folder's files, or one file.

    Like :func:`load_source`, returning only the articles: what was skipped is
    logged (a warning for broken input, an info line for other files) and each
    broken item is also appended to ``errors`` when given. When nothing at all
    could be loaded from a single file or URL because it is broken, raises
    :class:`ArticleError` naming the first problem.
    """
    loaded = load_source(source, http=http, url=url, tags_from=tags_from)
    for skipped in loaded.skipped:
        if skipped.invalid:
            log.warning("skipped %s", skipped, extra={"event": "article_error"})
            if errors is not None:
                errors.append(ArticleError(str(skipped)))
        else:
            log.info("skipped %s", skipped)
    invalid = loaded.invalid
    text, _ = _split_setting(source)
    if not loaded.articles and invalid and (_is_url(text) or not Path(text).is_dir()):
        more = f" (and {len(invalid) - 1} more)" if len(invalid) > 1 else ""
        raise ArticleError(f"{invalid[0]}{more}")
    return list(loaded.articles)


def load_article(
    source: str | os.PathLike[str],
    *,
    entry: int | str | None = None,
    http: HttpClient | None = None,
    url: str | None = None,
    tags_from: TagsFrom | None = None,
) -> Article:
    """One article from a file, a feed or a URL.

    When ``source`` holds several articles (a feed, a JSON or YAML list),
    ``entry`` selects one: an index (0 = first) or an id or URL; the default is the
    first. ``url`` and ``tags_from`` are as for :func:`load_source`.
    """
    text, _ = _split_setting(source)
    where = text
    if not _is_url(text) and Path(text).is_dir():
        raise ArticleError(f"{where}: is a directory; use load_articles()")
    articles = load_articles(source, http=http, url=url, tags_from=tags_from)
    if not articles:
        raise ArticleError(f"{where}: no article could be loaded")
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
