"""A post's picture for the channels that upload it: one helper, :func:`post_image`.

A :class:`~embedkit.syndicate._models.Post` carries its picture in one of two
fields, and every channel reads it through :func:`post_image`:

- ``image``: a web URL, fetched through :class:`embedkit.net._http.HttpClient`
  (the network guard, the deadline and the size cap apply). Anything else in
  this field (a local path such as ``/etc/passwd``) is refused: a feed or a
  page can fill this field, so it never names a local file.
- ``image_file``: a local picture that the loader checked (a local article's
  image inside its own folder, see :mod:`embedkit.syndicate._images`), read
  again here as a regular file with a hard byte limit and checked as an image
  (``/dev/zero`` or a FIFO swapped in meanwhile is refused).

Anything unusable raises :class:`ImageUnavailable`, which channels turn into
"post without the image" plus a warning (:func:`post_image` does that).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from embedkit._errors import FetchError, SyndicationError
from embedkit._redaction import get_logger
from embedkit.net._http import HttpClient
from embedkit.syndicate._images import read_local_image, sniff_mime
from embedkit.syndicate._models import Post

__all__ = [
    "Image",
    "ImageUnavailable",
    "image_ref",
    "load_image",
    "load_local_image",
    "post_image",
    "sniff_mime",
]

log = get_logger("embedkit.syndicate.channels")


class ImageUnavailable(SyndicationError):
    """The post's image cannot be used: missing, unreachable, too large, not an image."""


@dataclass(frozen=True, slots=True)
class Image:
    """Image bytes with their MIME type and a file name for multipart uploads."""

    data: bytes
    mime: str
    name: str

    def __repr__(self) -> str:
        return f"Image(name={self.name!r}, mime={self.mime!r}, bytes={len(self.data)})"


def _is_web_url(ref: str) -> bool:
    return ref.lower().startswith(("http://", "https://"))


def load_image(
    ref: str, *, max_bytes: int, timeout: float = 10.0, http: HttpClient | None = None
) -> Image:
    """Fetch the image at web URL ``ref``, at most ``max_bytes`` bytes.

    A ``ref`` that is not an ``http(s)://`` URL is refused: local pictures come
    only through :func:`load_local_image` (``Post.image_file``).
    """
    if not _is_web_url(ref):
        raise ImageUnavailable(
            f"image {ref[:60]!r} is not an http(s) URL (a local picture must come from "
            "a local article file, as image_file)"
        )
    name = Path(urlsplit(ref).path).name or "image"
    client = http or HttpClient(timeout=timeout)
    try:
        response = client.get(ref, max_bytes=max_bytes)
    except FetchError as exc:
        raise ImageUnavailable(f"image {name!r} could not be fetched: {exc}") from exc
    finally:
        if http is None:
            client.close()
    if response.status >= 400:
        raise ImageUnavailable(f"image {name!r} could not be fetched: HTTP {response.status}")
    data, declared = response.content, response.mime_type or None
    if len(data) > max_bytes:
        raise ImageUnavailable(f"image {name!r} is larger than the {max_bytes} bytes allowed")
    mime = sniff_mime(data, declared if declared and declared.startswith("image/") else None)
    if mime is None:
        raise ImageUnavailable(f"{name!r} is not a PNG, JPEG, GIF or WebP image")
    return Image(data=data, mime=mime, name=name)


def load_local_image(path: Path, *, max_bytes: int) -> Image:
    """Read a checked local picture (``Post.image_file``) with a hard byte limit."""
    try:
        data = read_local_image(path, max_bytes=max_bytes)
    except ValueError as exc:
        raise ImageUnavailable(f"image {exc}") from None
    mime = sniff_mime(data) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Image(data=data, mime=mime, name=path.name)


def image_ref(post: Post, *, card: bool = False) -> str | Path | None:
    """The post's picture: ``image_file`` first, else the web URL (``card``: the card's thumb)."""
    if post.image_file is not None:
        return post.image_file
    if card and post.card is not None and post.card.thumb:
        return post.card.thumb
    return post.image or None


def post_image(
    post: Post,
    channel: str,
    *,
    max_bytes: int,
    timeout: float,
    http: HttpClient | None,
    card: bool = False,
    fetch: Callable[[str], Image] | None = None,
    note: str = "posting without the image",
) -> Image | None:
    """The post's picture as bytes, or ``None`` (a warning is logged) when it cannot be used.

    Every channel that uploads a picture calls this. ``card=True`` prefers the
    link card's thumbnail URL; ``fetch`` replaces :func:`load_image` for web
    URLs (a channel's seam; it still gets only ``http(s)`` URLs, and its result
    is held to ``max_bytes``); ``note`` starts the warning.
    """
    ref = image_ref(post, card=card)
    if ref is None:
        return None
    try:
        if isinstance(ref, Path):
            return load_local_image(ref, max_bytes=max_bytes)
        if fetch is None or not _is_web_url(ref):
            return load_image(ref, max_bytes=max_bytes, timeout=timeout, http=http)
        image = fetch(ref)
        if len(image.data) > max_bytes:
            raise ImageUnavailable(f"image {image.name!r} is larger than {max_bytes} bytes")
        return image
    except ImageUnavailable as exc:
        log.warning("%s: %s: %s", channel, note, exc)
        return None
