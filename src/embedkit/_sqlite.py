"""The SQLite plumbing shared by the embed cache and the syndication ledger.

One home for what both files need: reading an ``sqlite:///`` URL
(:func:`path_from_url`), checking that the path can be a database at all
(:func:`check_path`), opening a connection in one of three modes
(:func:`connect`) and retrying while another process holds the lock
(:func:`retry_busy`).

Modes (SQLite's own URI vocabulary):

- ``rwc``: read, write, create. Missing parent folders are created. The
  commands that write use it.
- ``rw``: read and write an existing file; a missing one raises
  :class:`FileNotFoundError` (``cache purge`` has nothing to purge).
- ``ro``: read only. Nothing is created, migrated or locked for writing: not
  the file, not its folder, not even SQLite's ``-wal``/``-shm`` companions (when
  they are absent the file is opened ``immutable``; a writer that is active
  at that moment has them, and then they are shared). A missing file raises
  :class:`FileNotFoundError`. Read-only commands (``cache stats``,
  ``syndicate status``...) use it.

Errors: a URL that is not an SQLite file URL raises :class:`ValueError` with
the problem, for the caller to word (the cache and the ledger name their own
URL forms); a path that cannot be a database (a folder, a device, a FIFO, a
symlink loop, a name longer than the OS allows) raises
:class:`~embedkit._errors.ConfigError`; everything else is the
:class:`sqlite3.Error` or :class:`OSError` it was, for the caller to turn into
a :class:`~embedkit._errors.CacheError` or :class:`~embedkit._errors.LedgerError`.

>>> str(path_from_url("sqlite:////var/lib/embedkit/ledger.db"))
'/var/lib/embedkit/ledger.db'
>>> str(path_from_url("sqlite:///relative.db"))
'relative.db'
"""

from __future__ import annotations

import errno
import os
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import quote, unquote

from embedkit._errors import ConfigError
from embedkit._files import special_kind

__all__ = [
    "Mode",
    "check_path",
    "connect",
    "is_busy",
    "is_corrupt",
    "path_from_url",
    "retry_busy",
    "shown_path",
]

T = TypeVar("T")
Mode = Literal["rwc", "rw", "ro"]

_PREFIX = "sqlite:///"
#: SQLite primary result codes that mean "someone else holds the lock, try again".
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
#: Paths longer than this are shortened in messages (the middle is elided).
_SHOWN = 160


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as a message shows it: long ones shortened in the middle, on one line.

    >>> shown_path("/tmp/" + "x" * 300)[-20:]
    'xxx (305 characters)'
    """
    text = " ".join(str(path).splitlines())
    if len(text) <= _SHOWN:
        return text
    return f"{text[:100]}…{text[-40:]} ({len(text)} characters)"


def path_from_url(url: str) -> Path:
    """The file an ``sqlite:///`` URL names (``~`` expanded, ``%XX`` decoded).

    Three slashes then a relative path, or four for an absolute one. Raises
    :class:`ValueError` saying what is wrong: a host part, query options, no
    file, or ``:memory:``.
    """
    if url[: len(_PREFIX)].lower() != _PREFIX:
        raise ValueError("has a host part (an SQLite file URL starts with sqlite:/// )")
    rest = url[len(_PREFIX) :]
    if "?" in rest or "#" in rest:
        raise ValueError("has query options, which SQLite URLs here do not take")
    path = unquote(rest)
    if not path.strip():
        raise ValueError("names no file")
    if path == ":memory:":
        raise ValueError("asks for an in-memory SQLite database")
    return Path(path).expanduser()


def check_path(path: Path, what: str) -> bool:
    """Whether ``path`` exists; :class:`ConfigError` when it cannot be a database file.

    ``what`` names the file in messages ("the ledger", "sqlite cache").
    """
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False  # a file where a folder should be: creating it will say so
    except OSError as exc:
        raise ConfigError(f"{what} {shown_path(path)}: {_os_problem(exc)}") from exc
    kind = special_kind(info.st_mode)
    if kind is not None:
        raise ConfigError(f"{what} {shown_path(path)} is {kind}, not a database file")
    return True


def prepare(path: Path, mode: Mode, noun: str, error: type[Exception]) -> None:
    """Check ``path`` before it is opened in ``mode``; create its folder for ``"rwc"``.

    :class:`ConfigError` when the file cannot be a database or, in the other modes,
    does not exist; ``error`` (the caller's own error class) when its folder cannot
    be made. ``noun`` names the file in messages ("ledger", "cache").
    """
    what = f"the {noun}"
    if not check_path(path, what) and mode != "rwc":
        raise ConfigError(f"no {noun} at {shown_path(path)}: the file does not exist")
    if mode == "rwc":
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise error(
                f"cannot create the folder {shown_path(path.parent)} for {what}: "
                f"{exc.strerror or exc}"
            ) from exc


def _os_problem(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symlink loop"
    if exc.errno == errno.ENAMETOOLONG:
        return "the path is longer than the system allows"
    return exc.strerror or str(exc)


def connect(path: Path, *, mode: Mode, busy_timeout: float, what: str) -> sqlite3.Connection:
    """Open ``path`` in ``mode`` (see the module docs), with a busy timeout set.

    Transactions are explicit (``isolation_level=None``) and the connection may
    be used from another thread than the one that opened it (one at a time).
    """
    exists = check_path(path, what)
    if mode != "rwc" and not exists:
        raise FileNotFoundError(errno.ENOENT, "no such file", str(path))
    if mode == "rwc":
        path.parent.mkdir(parents=True, exist_ok=True)
        target: str = str(path)
        uri = False
    else:
        target = f"file:{quote(str(path.absolute()))}?mode={mode}"
        if mode == "ro" and not _has_wal_files(path):
            target += "&immutable=1"  # nothing to share with a writer: create nothing
        uri = True
    conn = sqlite3.connect(
        target, timeout=busy_timeout, isolation_level=None, check_same_thread=False, uri=uri
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    except BaseException:
        conn.close()
        raise
    return conn


def _has_wal_files(path: Path) -> bool:
    return Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists()


def is_busy(exc: BaseException) -> bool:
    """Whether an SQLite error means "locked by someone else, try again"."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _BUSY_CODES:
        return True
    message = str(exc).lower()
    return "locked" in message or "busy" in message


def is_corrupt(exc: BaseException) -> bool:
    """Whether an SQLite error means the file is not (or no longer) a usable database."""
    message = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and (
        "not a database" in message or "malformed" in message
    )


def retry_busy(
    operation: Callable[[], T],
    *,
    retry_for: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run ``operation``, retrying with backoff while SQLite reports "locked" or "busy".

    Gives up after ``retry_for`` seconds and raises the last error.
    """
    deadline = clock() + retry_for
    delay = 0.005
    while True:
        try:
            return operation()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or clock() >= deadline:
                raise
            sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)
