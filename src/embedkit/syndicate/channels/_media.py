"""Loading a post's image (a local path or a URL) for the channels that upload it.

Remote images are fetched through :class:`embedkit.net._http.HttpClient`, so the
network guard, timeouts and the size cap apply; local files are checked for
size before they are read. Anything unusable raises :class:`ImageUnavailable`,
which channels turn into "post without the image" plus a warning.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from embedkit._errors import FetchError, SyndicationError
from embedkit.net._http import HttpClient
from embedkit.net._redaction import get_logger

__all__ = ["Image", "ImageUnavailable", "image_or_none", "load_image", "sniff_mime"]

log = get_logger("embedkit.syndicate.channels")

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


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


def sniff_mime(data: bytes, fallback: str | None = None) -> str | None:
    """The image MIME type from the first bytes (PNG, JPEG, GIF, WebP), else ``fallback``.

    >>> sniff_mime(b"\\x89PNG\\r\\n\\x1a\\n....")
    'image/png'
    """
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return fallback


def load_image(
    ref: str, *, max_bytes: int, timeout: float = 10.0, http: HttpClient | None = None
) -> Image:
    """Read ``ref`` (``http(s)://`` URL or a local path), at most ``max_bytes`` bytes."""
    if ref.startswith(("http://", "https://")):
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
    else:
        path = Path(ref)
        name = path.name
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise ImageUnavailable(
                    f"image {path} is {size} bytes, more than the {max_bytes} allowed"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise ImageUnavailable(f"image {path} cannot be read: {exc}") from exc
        declared = mimetypes.guess_type(name)[0]
    if len(data) > max_bytes:
        raise ImageUnavailable(f"image {name!r} is larger than the {max_bytes} bytes allowed")
    mime = sniff_mime(data, declared if declared and declared.startswith("image/") else None)
    if mime is None:
        raise ImageUnavailable(f"{name!r} is not a PNG, JPEG, GIF or WebP image")
    return Image(data=data, mime=mime, name=name)


def image_or_none(
    ref: str, channel: str, *, max_bytes: int, timeout: float, http: HttpClient | None
) -> Image | None:
    """:func:`load_image`, except that an unusable image is logged and skipped.

    A post is still worth sending without its picture, so channels use this and
    post text-only when it returns ``None``.
    """
    try:
        return load_image(ref, max_bytes=max_bytes, timeout=timeout, http=http)
    except ImageUnavailable as exc:
        log.warning("%s: posting without the image: %s", channel, exc)
        return None
