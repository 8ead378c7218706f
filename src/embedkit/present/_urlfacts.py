"""What the URL alone says about a post: the weakest source of a static fallback.

:func:`from_url` needs no network and no cache: the post's date decoded from an X
snowflake id (:func:`snowflake_time`), a YouTube video's thumbnail from its id, and
the author's handle where the URL's handle *is* the author's. On Bluesky, Mastodon
and GoToSocial the handle is part of the post's address; on X, TikTok, Threads and
Instagram anyone can write any name before a real post id
(``x.com/AnyName/status/<real id>`` opens the real post), so a handle from such a URL
is never shown: the fallback says "a post on X" with the date until data confirms
the author (a snapshot or the X API).

Example::

    >>> url = "https://x.com/Reuters/status/1636260000000000000"
    >>> s = from_url(Ref(raw=url, url=url, kind="x"), "Twitter")
    >>> s.handle, s.published.date()
    (None, datetime.date(2023, 3, 16))
"""

from __future__ import annotations

import datetime
import re
from urllib.parse import parse_qs, urlsplit

from embedkit import _platforms
from embedkit._models import Ref
from embedkit.present._snapshot import PostSnapshot, layout_of

__all__ = ["X_EPOCH_MS", "from_url", "snowflake_time"]

#: Milliseconds since the Unix epoch of X's snowflake epoch (2010-11-04T01:42:54.657Z).
X_EPOCH_MS = 1288834974657
#: Ids whose timestamp part is under a minute after the snowflake epoch are the old
#: sequential ids (the last ones were about 3e10); they carry no date.
_MIN_SNOWFLAKE = 60_000 << 22


def snowflake_time(post_id: str | int | None) -> datetime.datetime | None:
    """The UTC creation time encoded in an X (Twitter) snowflake id, or None.

    ``(id >> 22) + 1288834974657`` is milliseconds since the Unix epoch. Ids from
    before snowflakes (November 2010) were sequential and carry no date.
    """
    if post_id is None:
        return None
    text = str(post_id)
    if not (text.isascii() and text.isdigit() and len(text) <= 20):
        return None
    number = int(text)
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


def _path_facts(kind: str | None, url: str) -> tuple[str | None, str | None]:
    """(handle, post id) as the URL's path shows them, for the platforms that have one."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    host = parts.hostname or ""
    if kind == "x" and len(segments) >= 3 and segments[1] == "status":
        return (segments[0] if segments[0] != "i" else None), segments[2]
    if kind == "x" and len(segments) >= 4 and segments[:3] == ["i", "web", "status"]:
        return None, segments[3]
    if kind == "bluesky" and len(segments) >= 4 and segments[0] == "profile":
        return segments[1], segments[3]
    if kind in ("tiktok", "threads") and segments and segments[0].startswith("@"):
        return segments[0][1:], segments[2] if len(segments) > 2 else None
    if kind in ("mastodon", "gotosocial") and segments and segments[0].startswith("@"):
        user = segments[0][1:]
        post = segments[-1] if len(segments) > 1 else None
        return (user if "@" in user else f"{user}@{host}"), post
    return None, None


def from_url(ref: Ref, provider: str | None) -> PostSnapshot:
    """What the URL alone tells: the X date, the YouTube thumbnail, a confirmed handle.

    The handle is kept only on platforms whose post address contains the author
    (:attr:`embedkit._platforms.Platform.author_in_url`).
    """
    platform = _platforms.get(ref.kind)
    path_handle, post_id = _path_facts(ref.kind, ref.url)
    handle = None
    if platform is not None and platform.author_in_url:
        handle = (ref.handle or path_handle or "").lstrip("@") or None
        host = urlsplit(ref.url).hostname
        if platform.any_host and handle and "@" not in handle and host:
            handle = f"{handle}@{host}"  # a fediverse handle names its instance
    post_id = ref.post_id or post_id
    published: datetime.datetime | None = None
    thumbnail = None
    if ref.kind == "x":
        published = snowflake_time(post_id)
    if ref.kind == "youtube":
        video = _youtube_id(ref)
        if video:
            thumbnail = f"https://i.ytimg.com/vi/{video}/hqdefault.jpg"
    return PostSnapshot(
        url=ref.url,
        provider=provider,
        layout=layout_of(ref.kind),
        handle=handle,
        published=published,
        thumbnail_url=thumbnail,
        source="url",
    )
