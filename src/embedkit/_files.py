"""What a local path that is not a regular file is, in words, for messages about it."""

from __future__ import annotations

import stat

__all__ = ["special_kind"]

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def special_kind(mode: int) -> str | None:
    """ "a folder", "a device"... for a file mode that is not a regular file's, else None.

    >>> special_kind(stat.S_IFDIR | 0o755)
    'a folder'
    >>> special_kind(stat.S_IFREG | 0o644) is None
    True
    """
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return None
