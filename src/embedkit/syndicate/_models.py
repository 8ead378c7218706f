"""The values that flow through the syndicator: articles, posts, publish results."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["Article", "Facet", "LinkCard", "Post", "Published", "RemotePost"]


@dataclass(frozen=True, slots=True)
class Article:
    """An article summary to announce.

    ``id`` is stable across runs: the explicit id when the source has one, else
    the canonical URL. ``publish_at`` (timezone-aware) holds a post back until
    that moment; ``published_at`` orders articles oldest first.

    ``image`` is always a web URL (``http``/``https``). A local picture is
    ``image_file``: the loaders set it only for a local article file that names
    an image inside its own folder, checked (see
    :mod:`embedkit.syndicate._images`), so nothing a feed, a page or a URL says
    ever names a local file. ``tags`` become hashtags; ``keywords`` are the
    source's SEO keywords, which become hashtags only when asked for
    (``tags_from="keywords"``).
    """

    id: str
    title: str
    url: str
    summary: str = ""
    tags: tuple[str, ...] = ()
    image: str | None = None
    published_at: datetime | None = None
    publish_at: datetime | None = None
    author: str | None = None
    lang: str | None = None
    image_file: Path | None = None
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Facet:
    """A Bluesky rich-text facet: a link or tag over UTF-8 byte offsets of the text."""

    byte_start: int
    byte_end: int
    kind: str  # "link" | "tag" | "mention"
    value: str  # the URI, the tag without "#", or the DID


@dataclass(frozen=True, slots=True)
class LinkCard:
    """A link preview card (Bluesky ``app.bsky.embed.external`` and the like)."""

    url: str
    title: str
    description: str = ""
    thumb: str | None = None  # image URL (a local picture travels as Post.image_file)


@dataclass(frozen=True, slots=True)
class Post:
    """One formatted post for one channel, already within that platform's rules.

    ``text`` is the whole post; ``length`` is its length as the platform counts it
    and ``limit`` the platform's maximum. ``thread`` holds the follow-up posts when
    a long summary was split (each fits on its own). ``text_hash`` identifies the
    text for idempotency keys and the ledger. ``image`` is a web URL and
    ``image_file`` a checked local picture (from :attr:`Article.image_file`);
    channels read either through one helper,
    :func:`embedkit.syndicate.channels._media.post_image`.
    """

    channel: str
    article_id: str
    text: str
    length: int
    limit: int
    facets: tuple[Facet, ...] = ()
    card: LinkCard | None = None
    image: str | None = None
    lang: str | None = None
    thread: tuple[str, ...] = ()
    text_hash: str = ""
    image_file: Path | None = None

    @property
    def fits(self) -> bool:
        """Whether the post is within the platform's limit."""
        return self.length <= self.limit

    def to_dict(self) -> dict[str, Any]:
        """The post as JSON-ready data, ``fits`` included (``preview --format json``)."""
        data = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {**data, "fits": self.fits}


@dataclass(frozen=True, slots=True)
class Published:
    """What a channel returns after accepting a post."""

    id: str
    url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RemotePost:
    """A post read back from a channel (used to reconcile unknown ledger rows)."""

    id: str
    text: str
    url: str | None = None
    created_at: datetime | None = None
    idempotency_key: str | None = None
