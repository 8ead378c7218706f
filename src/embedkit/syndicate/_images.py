"""Local images: allowed only beside a local article file, and read with care.

An article's ``image`` is a web URL. A local file can be the picture only when
the article itself is a local file (Markdown, JSON, YAML) that names it, and
then only inside that article's folder (issue 8: a feed once made the
syndicator upload ``/etc/passwd``). :func:`local_image` checks such a name when
the article is loaded and gives the file's real path, which the loader stores
in :attr:`Article.image_file <embedkit.syndicate._models.Article.image_file>`;
:func:`read_local_image` reads it when a channel uploads it:

- a relative name, without ``..``, that resolves (symbolic links followed)
  to a file inside the article's folder;
- a regular file (not ``/dev/zero``, a FIFO or a device), opened without
  following a final symbolic link and without blocking;
- at most ``max_bytes`` bytes, a limit enforced while reading (a file's
  reported size is not trusted);
- a PNG, JPEG, GIF or WebP image by its first bytes.

Problems raise :class:`ValueError` with a one-line reason.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["MAX_LOCAL_IMAGE_BYTES", "local_image", "read_local_image", "sniff_mime"]

#: The largest local image accepted when an article is loaded (channels have lower limits).
MAX_LOCAL_IMAGE_BYTES = 16 * 1024 * 1024

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


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


def _read(path: Path, max_bytes: int, *, head: int | None = None) -> bytes:
    """Up to ``max_bytes`` of a regular file (``head`` bytes only, when given)."""
    if os.path.realpath(path) != str(path):
        raise ValueError(f"{path.name!r} is no longer the file that was checked (a link?)")
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise ValueError(f"{path.name!r} cannot be opened: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path.name!r} is not a regular file")
        if info.st_size > max_bytes:
            raise ValueError(f"{path.name!r} is larger than the {max_bytes} bytes allowed")
        want = max_bytes + 1 if head is None else head
        chunks: list[bytes] = []
        size = 0
        while size < want:
            chunk = os.read(fd, min(1 << 16, want - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ValueError(f"{path.name!r} cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise ValueError(f"{path.name!r} is larger than the {max_bytes} bytes allowed")
    data = b"".join(chunks)
    if sniff_mime(data) is None:
        raise ValueError(f"{path.name!r} is not a PNG, JPEG, GIF or WebP image")
    return data


def read_local_image(path: Path, *, max_bytes: int) -> bytes:
    """The bytes of the local image at ``path`` (a real path), checked as the module says."""
    return _read(path, max_bytes)


def local_image(name: str, folder: Path) -> Path:
    """The real path of image ``name`` named by an article file in ``folder``.

    >>> local_image("../secret.png", Path("."))
    Traceback (most recent call last):
    ...
    ValueError: '../secret.png' goes up out of the article's folder ('..')
    """
    shown = name[:80]
    if not name or "\x00" in name:
        raise ValueError(f"{shown!r} is not a file name")
    candidate = Path(name)
    if candidate.is_absolute() or name.startswith(("~", "\\")) or ":" in candidate.parts[0]:
        raise ValueError(f"{shown!r} is not inside the article's folder (an absolute path)")
    if ".." in candidate.parts:
        raise ValueError(f"{shown!r} goes up out of the article's folder ('..')")
    try:
        root = folder.resolve(strict=True)
        real = (root / candidate).resolve(strict=True)
    except (OSError, RuntimeError):
        raise ValueError(f"{shown!r} does not exist in the article's folder") from None
    if not real.is_relative_to(root):
        raise ValueError(f"{shown!r} is a link to a file outside the article's folder")
    _read(real, MAX_LOCAL_IMAGE_BYTES, head=16)
    return real
