"""The SQLite cache backend (``sqlite:///path``): one file, safe across processes.

The file runs in WAL mode (set once the file is known to be an embedkit
cache, so another program's database is never altered), so readers never wait
for writers. Writers take the lock up front (``BEGIN IMMEDIATE``) and wait up
to ``busy_timeout`` for each other; on top of that every operation is retried
with backoff while SQLite still reports "database is locked" or "busy", so
those errors never reach the caller. Each write is one statement in one
transaction: a crash leaves either the old entry or the new one, never half
of one.

Connections come from a small pool, so the backend can be shared by a thread
pool; each thread borrows a connection for one operation and gives it back.
A read is one ``SELECT`` (one statement is its own snapshot: no explicit
transaction around it).

Every write gives the row a new ``version``: a random 63-bit number, so writers in
different processes never give a key the same one. :meth:`SQLiteCache.version`
reads that column alone (a primary-key lookup that never touches the payload),
which is what a resolver's cache hit costs. The column was added without a new
schema version: a file from an older embedkit gets it on first open for writing
(``ALTER TABLE ... ADD COLUMN``, instant), and an older embedkit sharing the file
keeps reading and writing it (its rows have no version and are read in full).

The schema is versioned with ``PRAGMA user_version``: a file written by a newer
embedkit is refused with a :class:`~embedkit._errors.CacheError` rather than
misread. A file that is not an SQLite database also gives a CacheError naming
the path, and is never overwritten.

``mode`` is how the file is opened (see :mod:`embedkit._sqlite`): ``rwc`` (the
default) creates it and its folder; ``rw`` needs an existing file; ``ro`` reads
an existing file without creating, migrating or write-locking anything (what
``embedkit cache stats`` uses). A missing file in ``rw``/``ro`` mode, and a path
that cannot be a database (a folder, a device), raise
:class:`~embedkit._errors.ConfigError`.

>>> import tempfile, os
>>> cache = SQLiteCache(os.path.join(tempfile.mkdtemp(), "sub", "embeds.db"))
>>> cache.stats(0.0).entries
0
>>> cache.close()
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from embedkit import _sqlite
from embedkit._errors import CacheError
from embedkit.resolve.cache._base import NO_PROVIDER, CacheStats, Entry
from embedkit.resolve.cache._locks import LocalLocks

__all__ = ["SCHEMA_VERSION", "SQLiteCache"]

T = TypeVar("T")

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key           TEXT PRIMARY KEY,
    url           TEXT NOT NULL,
    provider      TEXT,
    provider_norm TEXT,
    params        TEXT NOT NULL,
    data          TEXT,
    fetched_at    REAL NOT NULL,
    expires_at    REAL NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('ok', 'gone')),
    snapshot      TEXT,
    snapshot_at   REAL,
    error         TEXT,
    version       INTEGER
);
CREATE INDEX IF NOT EXISTS entries_provider ON entries (provider_norm);
CREATE INDEX IF NOT EXISTS entries_url ON entries (url);
CREATE INDEX IF NOT EXISTS entries_expires ON entries (expires_at);
CREATE TABLE IF NOT EXISTS blocks (
    provider TEXT PRIMARY KEY,
    until    REAL NOT NULL
);
"""

_COLUMNS = (
    "key, url, provider, params, data, fetched_at, expires_at, state, snapshot, snapshot_at, error"
)
_SELECT = f"SELECT {_COLUMNS} FROM entries WHERE key = ?"
_SELECT_VERSIONED = f"SELECT {_COLUMNS}, version FROM entries WHERE key = ?"
_SELECT_VERSION = "SELECT version FROM entries WHERE key = ?"


def _dumps(value: Mapping[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(dict(value), ensure_ascii=False, separators=(",", ":"))


def _loads(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("a JSON column does not hold an object")
    return value


class SQLiteCache:
    """An embed cache in one SQLite file, shared safely by threads and processes.

    ``busy_timeout`` is how long SQLite itself waits for a lock; ``retry_for``
    is how long this backend keeps retrying an operation that still found the
    database locked before giving up with a CacheError.
    """

    backend = "sqlite"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        url: str | None = None,
        busy_timeout: float = 10.0,
        retry_for: float = 60.0,
        mode: _sqlite.Mode = "rwc",
    ) -> None:
        self.path = Path(path).expanduser().absolute()
        self.location = str(self.path)
        self.url = url if url is not None else f"sqlite:///{self.path}"
        self.busy_timeout = busy_timeout
        self.retry_for = retry_for
        self.mode: _sqlite.Mode = mode
        self._pool: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._guard = threading.Lock()
        #: One writing transaction at a time from this process's threads: they queue
        #: here and wake as soon as the writer is done, where SQLite's busy handler
        #: would have them sleep and poll (1, 2, 5... 100 ms) for its file lock.
        self._writing = threading.Lock()
        self._closed = False
        #: Whether the file has the version column (an old file opened read-only may not).
        self._versioned = False
        #: Single-flight locks for this process's threads (other processes on the
        #: same file are not coordinated: a fleet that must be shares Redis).
        self.locks = LocalLocks()
        _sqlite.prepare(self.path, mode, "cache", CacheError)
        if mode == "ro":
            self._run(self._check_schema)
            return
        self._run(self._init_schema, write=False)
        # WAL is a property of the file: set once the file is known to be ours.
        self._run(lambda conn: conn.execute("PRAGMA journal_mode = WAL"), transaction=False)

    def __repr__(self) -> str:
        return f"SQLiteCache({self.url!r})"

    # -- connections, transactions, retries -----------------------------------

    def _connect(self) -> sqlite3.Connection:
        # Transactions are explicit below; pooled: one thread at a time, never two.
        conn = _sqlite.connect(
            self.path, mode=self.mode, busy_timeout=self.busy_timeout, what="sqlite cache"
        )
        if self.mode != "ro":
            try:
                conn.execute("PRAGMA synchronous = NORMAL")
            except BaseException:
                conn.close()
                raise
        return conn

    def _return(self, conn: sqlite3.Connection, usable: bool = True) -> None:
        """Put a connection back in the pool, or close it (broken, or the cache closed).

        Only idle connections are in the pool, so :meth:`close` never closes one that
        another thread is using: that thread closes it here.
        """
        with self._guard:
            if usable and not self._closed:
                self._pool.put(conn)
                return
        with suppress(sqlite3.Error):
            conn.close()

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._guard:
            if self._closed:
                raise CacheError(f"sqlite cache at {self.location} is closed")
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self._connect()
        broken = False
        try:
            yield conn
        except BaseException:
            broken = conn.in_transaction
            if broken:
                try:
                    conn.rollback()
                    broken = False
                except sqlite3.Error:
                    pass
            raise
        finally:
            self._return(conn, usable=not broken)

    def _run(
        self,
        operation: Callable[[sqlite3.Connection], T],
        *,
        write: bool = False,
        transaction: bool = True,
    ) -> T:
        """Run ``operation`` in one transaction, retrying while the database is locked.

        ``transaction=False`` runs it as it is: for one statement, which SQLite makes
        atomic by itself, with one trip into SQLite instead of three. Writes from
        this process's threads take turns on a lock first.
        """
        if write and self.mode == "ro":
            raise CacheError(f"sqlite cache at {self.location} is open read-only")

        def once() -> T:
            with self._connection() as conn:
                if not transaction:
                    return operation(conn)
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                result = operation(conn)
                conn.execute("COMMIT")
                return result

        try:
            if not write:
                return _sqlite.retry_busy(once, retry_for=self.retry_for)
            with self._writing:
                return _sqlite.retry_busy(once, retry_for=self.retry_for)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        except OSError as exc:
            raise CacheError(
                f"sqlite cache at {self.location} cannot be opened: {exc.strerror or exc}"
            ) from exc
        except (ValueError, TypeError) as exc:
            raise CacheError(
                f"sqlite cache at {self.location} holds or was given an unusable entry: {exc}"
            ) from exc

    def _error(self, exc: sqlite3.Error) -> CacheError:
        message = str(exc)
        if _sqlite.is_corrupt(exc):
            return CacheError(
                f"sqlite cache at {self.location} is not a usable SQLite database "
                f"({message}); move or delete the file, or choose another cache URL"
            )
        return CacheError(f"sqlite cache at {self.location} failed: {message}")

    def _check_schema(self, conn: sqlite3.Connection) -> None:
        """Read-only mode: the file must already be an embedkit cache of this version."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise CacheError(
                f"sqlite cache at {self.location} has schema version {version}, newer than "
                f"this embedkit understands ({SCHEMA_VERSION}); upgrade embedkit"
            )
        if version < SCHEMA_VERSION:
            raise CacheError(
                f"sqlite cache at {self.location} is not an embedkit cache (schema version "
                f"{version}); nothing was changed"
            )
        self._versioned = self._has_version_column(conn)  # read-only: never added here

    def _has_version_column(self, conn: sqlite3.Connection) -> bool:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(entries)")}
        return "version" in columns

    def _add_version_column(self, conn: sqlite3.Connection) -> None:
        """A file from before entry versions: add the column (under the write lock)."""
        if self._has_version_column(conn):
            return
        conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        if not self._has_version_column(conn):  # another process may have added it
            conn.execute("ALTER TABLE entries ADD COLUMN version INTEGER")

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            self._add_version_column(conn)
            self._versioned = True
            return
        if version > SCHEMA_VERSION:
            raise CacheError(
                f"sqlite cache at {self.location} has schema version {version}, newer than "
                f"this embedkit understands ({SCHEMA_VERSION}); upgrade embedkit or use "
                "another cache file"
            )
        # Version 0: a new file, or another program's database. Take the write lock,
        # then look again: another process may have created the schema meanwhile.
        conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )]  # fmt: skip
        if tables:
            raise CacheError(
                f"sqlite cache at {self.location} is another program's database (it has "
                f"tables {', '.join(tables)}); choose a separate file for the embed cache"
            )
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._versioned = True

    # -- the backend protocol -------------------------------------------------

    @staticmethod
    def _row_to_entry(row: tuple[Any, ...]) -> Entry:
        key, url, provider, params, data, fetched, expires, state, snap, snap_at, error = row
        return Entry(
            key=key,
            url=url,
            provider=provider,
            params={str(k): str(v) for k, v in (_loads(params) or {}).items()},
            data=_loads(data),
            fetched_at=float(fetched),
            expires_at=float(expires),
            state=state,
            snapshot=_loads(snap),
            snapshot_at=None if snap_at is None else float(snap_at),
            error=error,
        )

    def _select(self, sql: str, key: str) -> tuple[Any, ...] | None:
        """One primary-key ``SELECT``: a pooled connection, no explicit transaction.

        The common case costs the statement alone; anything unusual (an empty
        pool, a busy or closed database) goes through :meth:`_run`, which
        connects, retries and words the error.
        """
        if not self._closed:
            try:
                conn = self._pool.get_nowait()
            except queue.Empty:
                pass
            else:
                try:
                    row: tuple[Any, ...] | None = conn.execute(sql, (key,)).fetchone()
                except sqlite3.Error:
                    pass  # busy, closed meanwhile...: the careful path below says what
                else:
                    self._return(conn)
                    return row
                self._give_back(conn)

        def read(conn: sqlite3.Connection) -> tuple[Any, ...] | None:
            found: tuple[Any, ...] | None = conn.execute(sql, (key,)).fetchone()
            return found

        return self._run(read, transaction=False)

    def _give_back(self, conn: sqlite3.Connection) -> None:
        """Return a connection after a failed statement: to the pool if still usable."""
        try:
            usable = not conn.in_transaction
        except sqlite3.Error:  # closed meanwhile
            usable = False
        self._return(conn, usable)

    def get(self, key: str) -> Entry | None:
        try:
            row = self._select(_SELECT, key)
            return None if row is None else self._row_to_entry(row)
        except (ValueError, TypeError) as exc:
            raise self._unusable(exc) from exc

    def get_versioned(self, key: str) -> tuple[Entry, Hashable | None] | None:
        if not self._versioned:
            entry = self.get(key)
            return None if entry is None else (entry, None)
        try:
            row = self._select(_SELECT_VERSIONED, key)
            return None if row is None else (self._row_to_entry(row[:-1]), row[-1])
        except (ValueError, TypeError) as exc:
            raise self._unusable(exc) from exc

    def version(self, key: str) -> Hashable | None:
        if not self._versioned:
            return None
        row = self._select(_SELECT_VERSION, key)
        return None if row is None else row[0]

    def _unusable(self, exc: Exception) -> CacheError:
        return CacheError(
            f"sqlite cache at {self.location} holds or was given an unusable entry: {exc}"
        )

    def set(self, entry: Entry) -> None:
        try:
            row = self._entry_to_row(entry)
        except (TypeError, ValueError) as exc:
            raise CacheError(
                f"sqlite cache at {self.location}: entry {entry.key!r} is not JSON data: {exc}"
            ) from exc

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO entries (key, url, provider, provider_norm, params, "
                "data, fetched_at, expires_at, state, snapshot, snapshot_at, error, version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, secrets.randbits(63)),
            )

        self._run(write, write=True, transaction=False)  # one statement: atomic alone

    @staticmethod
    def _entry_to_row(entry: Entry) -> tuple[Any, ...]:
        return (
            entry.key,
            entry.url,
            entry.provider,
            None if entry.provider is None else entry.provider.casefold(),
            _dumps(entry.params),
            _dumps(entry.data),
            float(entry.fetched_at),
            float(entry.expires_at),
            entry.state,
            _dumps(entry.snapshot),
            entry.snapshot_at,
            entry.error,
        )

    def delete(self, key: str) -> bool:
        def remove(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM entries WHERE key = ?", (key,)).rowcount > 0

        return self._run(remove, write=True, transaction=False)

    def purge(
        self, *, provider: str | None = None, url: str | None = None, all: bool = False
    ) -> int:
        if provider is None and url is None and not all:
            raise ValueError("purge needs provider=, url= or all=True")
        clauses: list[str] = []
        args: list[str] = []
        if provider is not None:
            clauses.append("provider_norm = ?")
            args.append(provider.casefold())
        if url is not None:
            clauses.append("url = ?")
            args.append(url)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""

        def remove(conn: sqlite3.Connection) -> int:
            return conn.execute(f"DELETE FROM entries{where}", args).rowcount

        return self._run(remove, write=True)

    def stats(self, now: float) -> CacheStats:
        def count(conn: sqlite3.Connection) -> tuple[int, int, int, dict[str, int]]:
            entries, gone, expired = conn.execute(
                "SELECT count(*), coalesce(sum(state = 'gone'), 0), "
                "coalesce(sum(expires_at <= ?), 0) FROM entries",
                (now,),
            ).fetchone()
            providers = dict(
                conn.execute(
                    "SELECT coalesce(provider, ?), count(*) FROM entries "
                    "GROUP BY coalesce(provider, ?)",
                    (NO_PROVIDER, NO_PROVIDER),
                ).fetchall()
            )
            return entries, gone, expired, providers

        entries, gone, expired, providers = self._run(count, write=False)
        size = 0
        for suffix in ("", "-wal"):
            with suppress(OSError):
                size += os.path.getsize(f"{self.path}{suffix}")
        return CacheStats(
            backend=self.backend,
            location=self.location,
            entries=int(entries),
            gone=int(gone),
            expired=int(expired),
            providers=providers,
            size_bytes=size,
        )

    def blocked_until(self, provider: str) -> float | None:
        row = self._select("SELECT until FROM blocks WHERE provider = ?", provider.casefold())
        return None if row is None else float(row[0])

    def block(self, provider: str, until: float) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO blocks (provider, until) VALUES (?, ?)",
                (provider.casefold(), float(until)),
            )

        self._run(write, write=True, transaction=False)

    def lock(self, key: str, ttl: float) -> AbstractContextManager[bool]:
        return self.locks.lock(key, ttl)

    def close(self) -> None:
        # Idle connections close now; one in use closes when its thread returns it
        # (closing it under a running statement would crash the process).
        with self._guard:
            self._closed = True
        while True:
            try:
                conn = self._pool.get_nowait()
            except queue.Empty:
                return
            with suppress(sqlite3.Error):
                conn.close()
