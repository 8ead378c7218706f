"""What we know about a post, from the best source, for its static fallback.

A :class:`PostSnapshot` is the reader-facing facts of a post: its text, author,
handle, date, title, thumbnail. It comes from, best first:

1. :func:`from_oembed` — the last good oEmbed response. For social posts (X,
   Bluesky, Mastodon, Instagram, Threads, TikTok, Facebook) the text, author and
   date are parsed out of the provider's own ``<blockquote>``; for video, photo and
   link embeds the title, author and thumbnail come from the oEmbed fields.
2. :func:`from_x_api` — for X, the v2 API via tweepy when a bearer token is set.
3. :func:`from_url` — the URL alone: handle from the path, for X the post date
   decoded from the snowflake id, for YouTube the thumbnail derived from the id.

:func:`merge` fills the gaps of a better source from the weaker ones.

Example::

    >>> ref = Ref(raw="https://x.com/Reuters/status/1636260000000000000",
    ...           url="https://x.com/Reuters/status/1636260000000000000", kind="x")
    >>> s = from_url(ref, "Twitter")
    >>> s.handle, s.published.date()
    ('Reuters', datetime.date(2023, 3, 16))
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from embedkit._models import Ref
from embedkit.net._redaction import get_logger
from embedkit.present._sanitize import provider_key

__all__ = [
    "FAMILIES",
    "SNAPSHOT_FORMAT",
    "PostSnapshot",
    "display_name",
    "from_oembed",
    "from_url",
    "from_x_api",
    "merge",
    "snapshot_from_dict",
    "snapshot_to_dict",
    "snowflake_time",
    "template_family",
]

log = get_logger(__name__)

#: The fallback template families: ``fallback/{family}.html``.
FAMILIES = ("post", "video", "photo", "link")

#: Marker stored in :func:`snapshot_to_dict` output, so a cached snapshot is told
#: apart from raw oEmbed data.
SNAPSHOT_FORMAT = "embedkit-snapshot/1"

#: Milliseconds since the Unix epoch of X's snowflake epoch (2010-11-04T01:42:54.657Z).
X_EPOCH_MS = 1288834974657
#: Ids whose timestamp part is under a minute after the snowflake epoch are the old
#: sequential ids (the last ones were about 3e10); they carry no date.
_MIN_SNOWFLAKE = 60_000 << 22


@dataclass(frozen=True)
class PostSnapshot:
    """What we know about a post, from the best source.

    ``handle`` has no leading ``@`` (a Mastodon handle includes its instance:
    ``trwnh@mastodon.social``). ``published`` is a date or a UTC datetime;
    ``date_text`` is the date as the provider wrote it ("March 16, 2023").
    ``source`` is ``"snapshot"``, ``"x_api"`` or ``"url"``.
    """

    url: str
    provider: str | None
    family: str | None
    text: str | None = None
    author_name: str | None = None
    handle: str | None = None
    author_url: str | None = None
    published: datetime.date | datetime.datetime | None = None
    date_text: str | None = None
    title: str | None = None
    thumbnail_url: str | None = None
    duration: int | None = None
    source: str = "url"


# -- names and families ------------------------------------------------------

_DISPLAY = {
    "twitter": "X",
    "youtube": "YouTube",
    "vimeo": "Vimeo",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "instagram": "Instagram",
    "threads": "Threads",
    "tiktok": "TikTok",
    "facebook": "Facebook",
    "reddit": "Reddit",
    "spotify": "Spotify",
    "soundcloud": "SoundCloud",
    "flickr": "Flickr",
    "dailymotion": "Dailymotion",
    "ted": "TED",
    "tumblr": "Tumblr",
    "imgur": "Imgur",
    "pinterest": "Pinterest",
    "codepen": "CodePen",
}
_POST_KINDS = frozenset(
    {
        "twitter",
        "bluesky",
        "mastodon",
        "instagram",
        "threads",
        "tiktok",
        "facebook",
        "reddit",
        "tumblr",
    }
)
_VIDEO_KINDS = frozenset({"youtube", "vimeo", "dailymotion", "ted"})
_PHOTO_KINDS = frozenset({"flickr", "imgur"})


def display_name(provider: str | None, kind: str | None = None, url: str | None = None) -> str:
    """The name a reader knows: ``X`` for Twitter, ``Mastodon`` for any instance...

    Falls back to the provider's own name, then the URL's host, then ``"the web"``.
    """
    for name in (kind, provider):
        key = provider_key(name)
        if key:
            return _DISPLAY[key]
    if provider:
        return provider
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else "the web"


def template_family(
    family: str | None, provider: str | None = None, oembed_type: str | None = None
) -> str:
    """Which fallback template shows a post: ``post``, ``video``, ``photo`` or ``link``.

    ``family`` may already be one of those, or a reference kind / provider family
    (``"x"``, ``"youtube"``...); otherwise the provider and the oEmbed ``type`` decide.
    """
    if family in FAMILIES:
        return family
    for name in (family, provider):
        key = provider_key(name)
        if key in _POST_KINDS:
            return "post"
        if key in _VIDEO_KINDS:
            return "video"
        if key in _PHOTO_KINDS:
            return "photo"
    if oembed_type in ("video", "photo"):
        return oembed_type
    return "link"


# -- a tiny DOM for reading provider blockquotes -------------------------------

_VOID = frozenset({"br", "img", "hr", "wbr", "meta", "link", "input", "source"})
_MAX_DEPTH = 100


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node | str] = dataclasses.field(default_factory=list)

    def find_all(self, tag: str) -> list[_Node]:
        found: list[_Node] = []
        for child in self.children:
            if isinstance(child, _Node):
                if child.tag == tag:
                    found.append(child)
                found.extend(child.find_all(tag))
        return found

    def text(self) -> str:
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
        self.root = _Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID and len(self.stack) < _MAX_DEPTH:
            self.stack.append(node)  # deeper nesting is flattened: no recursion blow-up

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def _parse(html: str) -> _Node:
    builder = _TreeBuilder()
    try:
        builder.feed(html)
        builder.close()
    except Exception:  # a broken snapshot must not break the fallback
        pass
    return builder.root


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    out = "\n".join(line for line in lines if line)
    return out or None


_MONTH_NUMBERS = {
    name: i + 1
    for i, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_MDY = re.compile(r"(?P<m>[A-Za-z]+)\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})")


def _parse_date(text: str | None) -> datetime.date | datetime.datetime | None:
    """Parse "March 16, 2023", "Friday, December 5, 2014" or an ISO timestamp."""
    if not text:
        return None
    text = text.strip()
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    try:
        parsed = datetime.datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
    if parsed is not None:
        if parsed.tzinfo is not None:
            return parsed.astimezone(datetime.UTC)
        return parsed
    match = _MDY.search(text)
    if match:
        month = _MONTH_NUMBERS.get(match["m"].lower())
        if month is None:
            month = next((n for k, n in _MONTH_NUMBERS.items() if k[:3] == match["m"].lower()), 0)
        try:
            return datetime.date(int(match["y"]), month, int(match["d"]))
        except ValueError:
            return None
    return None


def _http_url(value: Any, base: Any = None) -> str | None:
    """``value`` as an absolute http(s) URL (relative ones joined to ``base``), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if isinstance(base, str) and base.startswith(("http://", "https://")):
        value = urljoin(base, value)
    if value.startswith("//"):
        value = "https:" + value
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return str(value)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


_HANDLE_IN_PARENS = re.compile(r"^\s*[—–-]?\s*(?P<name>.*?)\s*\(@(?P<handle>[\w.@-]+)\)\s*$", re.S)
_SHARED_BY = re.compile(
    r"(?:A post shared by|Post by|Posted by)\s+(?P<name>.*?)\s*\(@(?P<handle>[\w.]+)\)"
)


def _blockquote(root: _Node, cls: str) -> _Node | None:
    for quote in root.find_all("blockquote"):
        if cls in quote.attrs.get("class", "").split():
            return quote
    quotes = root.find_all("blockquote")
    return quotes[0] if quotes else None


def _first_paragraph(quote: _Node) -> dict[str, Any]:
    """The post text most providers put in the blockquote's first ``<p>``."""
    paragraphs = quote.find_all("p")
    return {"text": _clean(paragraphs[0].text())} if paragraphs else {}


def _parse_x(root: _Node) -> dict[str, Any]:
    quote = _blockquote(root, "twitter-tweet")
    if quote is None:
        return {}
    found = _first_paragraph(quote)
    direct_links = [c for c in quote.children if isinstance(c, _Node) and c.tag == "a"]
    byline = "".join(c for c in quote.children if isinstance(c, str))
    match = _HANDLE_IN_PARENS.match(byline)
    if match:
        found["author_name"] = _clean(match["name"])
        found["handle"] = match["handle"]
    if direct_links:
        date_text = _clean(direct_links[-1].text())
        found["date_text"] = date_text
        found["published"] = _parse_date(date_text)
    return found


def _parse_bluesky(root: _Node) -> dict[str, Any]:
    quote = _blockquote(root, "bluesky-embed")
    if quote is None:
        return {}
    found = _first_paragraph(quote)
    links = [c for c in quote.children if isinstance(c, _Node) and c.tag == "a"]
    if links:
        match = _HANDLE_IN_PARENS.match(links[0].text())
        if match:
            found["author_name"] = _clean(match["name"])
            found["handle"] = match["handle"]
    if len(links) > 1:
        found["published"] = _parse_date(links[-1].text())
    return found


def _parse_tiktok(root: _Node) -> dict[str, Any]:
    quote = _blockquote(root, "tiktok-embed")
    if quote is None:
        return {}
    found = _first_paragraph(quote)
    for link in quote.find_all("a"):
        label = link.text().strip()
        if label.startswith("@"):
            found["handle"] = label[1:]
            break
    return found


def _parse_generic(root: _Node, cls: str) -> dict[str, Any]:
    """Instagram, Threads, Facebook, Mastodon: "shared by Name (@handle)", a <time>, a <p>."""
    quote = _blockquote(root, cls)
    if quote is None:
        return {}
    found: dict[str, Any] = {}
    whole = quote.text()
    match = _SHARED_BY.search(whole)
    if match:
        found["author_name"] = _clean(match["name"])
        found["handle"] = match["handle"]
    times = quote.find_all("time")
    if times:
        found["published"] = _parse_date(times[0].attrs.get("datetime"))
    paragraphs = [p for p in quote.find_all("p") if not _SHARED_BY.search(p.text())]
    if paragraphs:
        found["text"] = _clean(paragraphs[0].text())
    posted_on = re.search(r"Posted by .*? on (?P<date>.+?)\s*$", whole, re.S)
    if posted_on and "published" not in found:
        found["date_text"] = _clean(posted_on["date"])
        found["published"] = _parse_date(posted_on["date"])
    return found


_PARSERS: dict[str, Callable[[_Node], dict[str, Any]]] = {
    "twitter": _parse_x,
    "bluesky": _parse_bluesky,
    "tiktok": _parse_tiktok,
    "instagram": lambda root: _parse_generic(root, "instagram-media"),
    "threads": lambda root: _parse_generic(root, "text-post-media"),
    "facebook": lambda root: _parse_generic(root, "fb-xfbml-parse-ignore"),
    "mastodon": lambda root: _parse_generic(root, "mastodon-embed"),
}


def _mastodon_handle(author_url: str | None) -> str | None:
    if not author_url:
        return None
    parts = urlsplit(author_url)
    match = re.fullmatch(r"/@(?P<user>[\w.]+)/?", parts.path)
    if match and parts.hostname:
        return f"{match['user']}@{parts.hostname}"
    return None


def from_oembed(data: Mapping[str, Any], ref: Ref, provider: str | None) -> PostSnapshot:
    """Read a post out of an oEmbed response (a fresh one or the cached snapshot)."""
    oembed_type = data.get("type") if isinstance(data.get("type"), str) else None
    kind = (
        provider_key(ref.kind)
        or provider_key(provider)
        or provider_key(
            data.get("provider_name") if isinstance(data.get("provider_name"), str) else None
        )
    )
    family = template_family(ref.kind, provider, oembed_type)
    base = data.get("provider_url")
    fields: dict[str, Any] = {
        "title": _clean(data["title"]) if isinstance(data.get("title"), str) else None,
        "author_name": _clean(data["author_name"])
        if isinstance(data.get("author_name"), str)
        else None,
        "author_url": _http_url(data.get("author_url"), base),
        "thumbnail_url": _http_url(data.get("thumbnail_url")),
        "duration": _as_int(data.get("duration")),
    }
    if oembed_type == "photo" and fields["thumbnail_url"] is None:
        fields["thumbnail_url"] = _http_url(data.get("url"))
    html = data.get("html")
    parser = _PARSERS.get(kind or "")
    if isinstance(html, str) and parser is not None:
        parsed = parser(_parse(html))
        for name, value in parsed.items():
            if value is not None:
                fields[name] = value
    named = _HANDLE_IN_PARENS.match(fields["author_name"] or "")
    if named:  # Bluesky's author_name is "Name (@handle)"
        fields["author_name"] = _clean(named["name"])
        fields.setdefault("handle", named["handle"])
    if kind == "instagram" and fields.get("text") is None and fields["title"]:
        fields["text"] = fields["title"]
    if kind == "mastodon" and not fields.get("handle"):
        fields["handle"] = _mastodon_handle(fields["author_url"])
    if (
        kind == "tiktok"
        and not fields.get("handle")
        and isinstance(data.get("author_unique_id"), str)
    ):
        fields["handle"] = data["author_unique_id"]
    return PostSnapshot(url=ref.url, provider=provider, family=family, source="snapshot", **fields)


# -- the URL alone ---------------------------------------------------------------


def snowflake_time(post_id: str | int | None) -> datetime.datetime | None:
    """The UTC creation time encoded in an X (Twitter) snowflake id, or None.

    ``(id >> 22) + 1288834974657`` is milliseconds since the Unix epoch. Ids from
    before snowflakes (November 2010) were sequential and carry no date.
    """
    if post_id is None:
        return None
    try:
        number = int(str(post_id))
    except ValueError:
        return None
    if number < _MIN_SNOWFLAKE or number >= 1 << 63:
        return None
    millis = (number >> 22) + X_EPOCH_MS
    return datetime.datetime.fromtimestamp(millis / 1000, tz=datetime.UTC)


_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")


def _youtube_id(ref: Ref) -> str | None:
    if ref.post_id and _YOUTUBE_ID.fullmatch(ref.post_id):
        return ref.post_id
    parts = urlsplit(ref.url)
    candidates = parse_qs(parts.query).get("v", [])
    segments = [s for s in parts.path.split("/") if s]
    if (parts.hostname or "").endswith("youtu.be") and segments:
        candidates.append(segments[0])
    if len(segments) >= 2 and segments[0] in ("shorts", "embed", "live", "v"):
        candidates.append(segments[1])
    return next((c for c in candidates if _YOUTUBE_ID.fullmatch(c)), None)


def _handle_from_path(kind: str | None, url: str) -> tuple[str | None, str | None]:
    """(handle, post id) as the URL's path shows them, for the providers that have one."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    host = parts.hostname or ""
    if kind == "twitter" and len(segments) >= 3 and segments[1] == "status":
        handle = segments[0] if segments[0] != "i" else None
        return handle, segments[2]
    if kind == "twitter" and len(segments) >= 4 and segments[:3] == ["i", "web", "status"]:
        return None, segments[3]
    if kind == "bluesky" and len(segments) >= 4 and segments[0] == "profile":
        return segments[1], segments[3]
    if kind in ("tiktok", "threads") and segments and segments[0].startswith("@"):
        return segments[0][1:], segments[2] if len(segments) > 2 else None
    if kind == "mastodon" and segments and segments[0].startswith("@"):
        user = segments[0][1:]
        return (user if "@" in user else f"{user}@{host}"), (
            segments[1] if len(segments) > 1 else None
        )
    if kind == "instagram" and segments and segments[0] not in ("p", "reel", "tv", "reels"):
        return segments[0], None
    return None, None


def from_url(ref: Ref, provider: str | None) -> PostSnapshot:
    """What the URL alone tells: handle from the path, X date, YouTube thumbnail."""
    kind = provider_key(ref.kind) or provider_key(provider)
    family = template_family(ref.kind, provider)
    handle, post_id = _handle_from_path(kind, ref.url)
    handle = (ref.handle or handle or "").lstrip("@") or None
    host = urlsplit(ref.url).hostname
    if kind == "mastodon" and handle and "@" not in handle and host:
        handle = f"{handle}@{host}"  # a Mastodon handle names its instance
    post_id = ref.post_id or post_id
    published: datetime.datetime | None = None
    thumbnail = None
    if kind == "twitter":
        published = snowflake_time(post_id)
    if kind == "youtube":
        video = _youtube_id(ref)
        if video:
            thumbnail = f"https://i.ytimg.com/vi/{video}/hqdefault.jpg"
    return PostSnapshot(
        url=ref.url,
        provider=provider,
        family=family,
        handle=handle,
        published=published,
        thumbnail_url=thumbnail,
        source="url",
    )


def merge(best: PostSnapshot, *weaker: PostSnapshot | None) -> PostSnapshot:
    """``best`` with its empty fields filled from ``weaker`` sources, in order."""
    # Field values are immutable (str, int, dates), so no deep copy is needed.
    names = [f.name for f in dataclasses.fields(PostSnapshot)]
    values = {name: getattr(best, name) for name in names}
    for other in weaker:
        if other is None:
            continue
        for name in names:
            value = getattr(other, name)
            if values[name] in (None, "") and value not in (None, ""):
                values[name] = value
    return PostSnapshot(**values)


# -- the X API -------------------------------------------------------------------


class _RedactBearer(logging.Filter):
    """Removes ``Bearer <token>`` from tweepy's debug log lines."""

    _pattern = re.compile(r"Bearer [^'\"\s,}]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "Bearer " in record.msg:
            record.msg = self._pattern.sub("Bearer [redacted]", record.msg)
        return True


_REDACTOR = _RedactBearer()


def from_x_api(ref: Ref, bearer_token: str, *, timeout: float = 5.0) -> PostSnapshot | None:
    """Fetch an X post's text, author and date with the v2 API (tweepy).

    Any failure — no id, network error, 4xx/5xx, a deleted post, an unexpected
    shape — returns None: the next fallback source takes over. The token is never
    logged or put in a message (tweepy's own debug log lines are redacted).
    """
    import requests
    import tweepy

    post_id = ref.post_id or _handle_from_path("twitter", ref.url)[1]
    if not post_id or not post_id.isdigit() or not bearer_token:
        return None
    tweepy_log = logging.getLogger("tweepy.client")
    if _REDACTOR not in tweepy_log.filters:
        tweepy_log.addFilter(_REDACTOR)

    class _TimeoutSession(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> requests.Response:
            kwargs.setdefault("timeout", timeout)
            return super().request(*args, **kwargs)

    try:
        client = tweepy.Client(bearer_token=bearer_token)
        client.session = _TimeoutSession()
        response = client.get_tweet(
            post_id,
            expansions=["author_id"],
            tweet_fields=["created_at"],
            user_fields=["username", "name"],
        )
        tweet = response.data
        if tweet is None:
            return None
        users = response.includes.get("users", []) if response.includes else []
        author = next((u for u in users if str(u.id) == str(tweet.author_id)), None)
        created = tweet.created_at
        if isinstance(created, datetime.datetime) and created.tzinfo is not None:
            created = created.astimezone(datetime.UTC)
        handle = author.username if author is not None else None
        return PostSnapshot(
            url=ref.url,
            provider="Twitter",
            family="post",
            text=_clean(tweet.text),
            author_name=author.name if author is not None else None,
            handle=handle,
            author_url=f"https://x.com/{handle}" if handle else None,
            published=created,
            source="x_api",
        )
    except Exception as exc:  # any failure falls through to the next source
        message = str(exc).replace(bearer_token, "[redacted]")
        log.warning("X API lookup for post %s failed: %s: %s", post_id, type(exc).__name__, message)
        return None


# -- caching ---------------------------------------------------------------------


def snapshot_to_dict(s: PostSnapshot) -> dict[str, Any]:
    """A JSON-ready dict of a snapshot (dates as ISO strings), for the cache."""
    data = dataclasses.asdict(s)
    published = s.published
    data["published"] = published.isoformat() if published is not None else None
    data["format"] = SNAPSHOT_FORMAT
    return data


def snapshot_from_dict(d: Mapping[str, Any]) -> PostSnapshot:
    """The inverse of :func:`snapshot_to_dict`; unknown keys are ignored."""
    names = {f.name for f in dataclasses.fields(PostSnapshot)}
    values = {k: v for k, v in d.items() if k in names}
    raw = values.get("published")
    published: datetime.date | datetime.datetime | None = None
    if isinstance(raw, str) and raw:
        try:
            published = (
                datetime.datetime.fromisoformat(raw)
                if "T" in raw
                else datetime.date.fromisoformat(raw)
            )
        except ValueError:
            published = None
    values["published"] = published
    values["duration"] = _as_int(values.get("duration"))
    values.setdefault("url", "")
    values.setdefault("provider", None)
    values.setdefault("family", None)
    for name in (
        "url",
        "provider",
        "family",
        "text",
        "author_name",
        "handle",
        "author_url",
        "date_text",
        "title",
        "thumbnail_url",
        "source",
    ):
        if name in values and values[name] is not None and not isinstance(values[name], str):
            values[name] = str(values[name])
    if not values.get("source"):
        values["source"] = "snapshot"
    return PostSnapshot(**values)
