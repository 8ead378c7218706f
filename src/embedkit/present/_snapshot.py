"""The static fallback's facts about a post (:class:`PostSnapshot`) and their cache form.

A snapshot is what a reader needs to recognise a post without any third-party code:
its text, author, handle, date, title, thumbnail. The sources that fill it, best
first, live beside this module: the provider's own markup
(:mod:`embedkit.present._blockquotes`), the X API (:mod:`embedkit.resolve._xapi`) and
the URL alone (:mod:`embedkit.present._urlfacts`). :func:`merge` fills the gaps of a
better source from the weaker ones; :func:`snapshot_to_dict` and
:func:`snapshot_from_dict` are the form a snapshot takes in the cache.

>>> best = PostSnapshot(url="u", provider="Twitter", layout="post", text="hi", source="x_api")
>>> merge(best, PostSnapshot(url="u", provider=None, layout="post", handle="a")).handle
'a'
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from embedkit import _platforms
from embedkit._values import as_int

__all__ = [
    "SNAPSHOT_FORMAT",
    "PostSnapshot",
    "layout_of",
    "merge",
    "snapshot_from_dict",
    "snapshot_to_dict",
]

#: Marker stored in :func:`snapshot_to_dict` output, so a cached snapshot is told
#: apart from raw oEmbed data.
SNAPSHOT_FORMAT = "embedkit-snapshot/1"


@dataclass(frozen=True)
class PostSnapshot:
    """What we know about a post, from the best source.

    ``handle`` has no leading ``@`` (a Mastodon handle includes its instance:
    ``trwnh@mastodon.social``). ``published`` is a date or a UTC datetime;
    ``date_text`` is the date as the provider wrote it ("March 16, 2023").
    ``layout`` is the card that shows it (``post``, ``video``, ``photo``, ``link``).
    ``source`` is ``"snapshot"``, ``"x_api"`` or ``"url"``.
    """

    url: str
    provider: str | None
    layout: str | None
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


def layout_of(platform: str | None, oembed_type: str | None = None) -> _platforms.Layout:
    """Which card shows a post: the platform's layout, else the oEmbed ``type`` decides.

    ``platform`` may also already be a layout name (``"video"``...).

    >>> layout_of("x"), layout_of(None, "video"), layout_of(None, "rich")
    ('post', 'video', 'link')
    """
    for layout in _platforms.LAYOUTS:
        if platform == layout:
            return layout
    record = _platforms.get(platform)
    if record is not None:
        return record.layout
    if oembed_type == "video":
        return "video"
    if oembed_type == "photo":
        return "photo"
    return "link"


def merge(best: PostSnapshot, *weaker: PostSnapshot | None) -> PostSnapshot:
    """``best`` with its empty fields filled from ``weaker`` sources, in order."""
    # Field values are immutable (str, int, dates), so no deep copy is needed.
    names = _FIELD_NAMES
    values = {name: getattr(best, name) for name in names}
    for other in weaker:
        if other is None:
            continue
        for name in names:
            value = getattr(other, name)
            if values[name] in (None, "") and value not in (None, ""):
                values[name] = value
    return PostSnapshot(**values)


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(PostSnapshot))


def snapshot_to_dict(s: PostSnapshot) -> dict[str, Any]:
    """A JSON-ready dict of a snapshot (dates as ISO strings), for the cache."""
    data = dataclasses.asdict(s)
    published = s.published
    data["published"] = published.isoformat() if published is not None else None
    data["format"] = SNAPSHOT_FORMAT
    return data


_TEXT_FIELDS = (
    "url",
    "provider",
    "layout",
    "text",
    "author_name",
    "handle",
    "author_url",
    "date_text",
    "title",
    "thumbnail_url",
    "source",
)


def snapshot_from_dict(d: Mapping[str, Any]) -> PostSnapshot:
    """The inverse of :func:`snapshot_to_dict`; unknown keys are ignored, junk is dropped.

    A dict cached by an older version (``family`` instead of ``layout``) reads too.
    """
    names = {f.name for f in dataclasses.fields(PostSnapshot)}
    values = {k: v for k, v in d.items() if k in names}
    if "layout" not in values and "family" in d:
        values["layout"] = d["family"]
    raw = values.get("published")
    published: datetime.date | datetime.datetime | None = None
    if isinstance(raw, str) and 0 < len(raw) <= 64:
        try:
            published = (
                datetime.datetime.fromisoformat(raw)
                if "T" in raw
                else datetime.date.fromisoformat(raw)
            )
        except ValueError:
            published = None
    values["published"] = published
    values["duration"] = as_int(values.get("duration"))
    values.setdefault("url", "")
    values.setdefault("provider", None)
    values.setdefault("layout", None)
    for name in _TEXT_FIELDS:
        if name in values and values[name] is not None and not isinstance(values[name], str):
            values[name] = str(values[name])
    if not values.get("source"):
        values["source"] = "snapshot"
    return PostSnapshot(**values)
