"""The syndication ledger: one durable row per (article, channel).

The ledger is what makes scheduled posting exactly-once. Before any network
call a run *claims* the (article, channel) pair in a SQLite transaction
(``BEGIN IMMEDIATE``, so two processes cannot both win); right after the
platform answers it records the result. States::

    (no row) / pending ──claim──► claimed ──► posted
                                     │   ├──► failed   (retryable: claimable again next run)
                                     │   └──► unknown  (the post may or may not exist)
                                     └── run died ──► unknown   (found by the next run)

``unknown`` rows are never claimed again automatically: ``reconcile`` looks for
the post on the channel and settles them as ``posted`` or ``pending`` (certainly
absent: the next run posts it). A claim remembers its owner (host, pid and the
process start time) so a claim whose process is gone is detected; a claim made
on another host expires after ``lease`` seconds.

Nothing secret is stored: a hash of the post text, the idempotency key (itself
a hash), and the platform's post id and URL.

A ledger opens in one of three modes (see :mod:`embedkit._sqlite`): ``rwc``
(the default: the file and its folder are created), ``rw`` (an existing file)
and ``ro`` (read only: nothing is created, migrated or write-locked, and stale
claims are reported by :meth:`Ledger.is_stale` instead of being swept). A
missing file in ``rw``/``ro`` mode raises :class:`~embedkit._errors.ConfigError`
("no ledger at ..."); a file that is not a ledger, or is damaged, raises
:class:`~embedkit._errors.LedgerError` naming it and is never replaced.

Example::

    ledger = open_ledger("sqlite:////var/lib/embedkit/ledger.db")
    if ledger.claim("a1", "mastodon", text_hash="…", idempotency_key="…", run_id="r1"):
        ...  # publish
        ledger.record_posted("a1", "mastodon", post_id="1", post_url="https://…")
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from embedkit import _sqlite
from embedkit._errors import ConfigError, LedgerError

__all__ = [
    "Ledger",
    "LedgerRow",
    "State",
    "default_ledger_path",
    "ledger_path",
    "open_ledger",
    "process_owner",
]

State = Literal["pending", "claimed", "posted", "failed", "unknown"]
_T = TypeVar("_T")

#: Seconds to keep retrying an operation that finds the ledger locked.
_RETRY_FOR = 10.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    article_id      TEXT NOT NULL,
    channel         TEXT NOT NULL,
    state           TEXT NOT NULL,
    retryable       INTEGER NOT NULL DEFAULT 0,
    post_id         TEXT,
    post_url        TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    text_hash       TEXT,
    match_hash      TEXT,
    claimed_at      REAL,
    updated_at      REAL NOT NULL,
    run_id          TEXT,
    idempotency_key TEXT,
    owner           TEXT,
    PRIMARY KEY (article_id, channel)
);
CREATE INDEX IF NOT EXISTS ledger_updated ON ledger (updated_at);
"""
_COLUMNS = (
    "article_id, channel, state, retryable, post_id, post_url, attempts, last_error, "
    "text_hash, match_hash, claimed_at, updated_at, run_id, idempotency_key, owner"
)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One (article, channel) entry of the ledger.

    ``retryable`` only matters for ``failed`` rows: a retryable failure (5xx,
    429, timeout before sending, run budget spent) is claimed again by the next
    run; a non-retryable one (401, 422, text too long) waits for
    ``reconcile --retry-failed``. ``match_hash`` is a hash of the normalised post
    text, used by reconcile to recognise the post among the channel's recent ones.
    """

    article_id: str
    channel: str
    state: State
    post_id: str | None
    post_url: str | None
    attempts: int
    last_error: str | None
    text_hash: str | None
    claimed_at: float | None
    updated_at: float
    run_id: str | None
    idempotency_key: str | None
    retryable: bool = False
    match_hash: str | None = None
    owner: str | None = None

    @property
    def claimable(self) -> bool:
        """Whether a run may claim this row and post."""
        return self.state == "pending" or (self.state == "failed" and self.retryable)

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data (what ``syndicate status --format json`` prints).

        Times are ISO 8601 in UTC; the claim's ``owner`` is left out.
        """
        data = asdict(self)
        del data["owner"]
        data["claimed_at"] = _iso(self.claimed_at)
        data["updated_at"] = _iso(self.updated_at)
        return data


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")


def process_owner(pid: int | None = None, host: str | None = None) -> str:
    """Identify a process for stale-claim detection: ``host|pid|start time``."""
    pid = os.getpid() if pid is None else pid
    host = socket.gethostname() if host is None else host
    return f"{host}|{pid}|{_start_time(pid) or ''}"


def _start_time(pid: int) -> str | None:
    """The process start time in clock ticks (Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def _process_state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[0] if fields else None


def _owner_alive(owner: str | None, *, claimed_at: float | None, now: float, lease: float) -> bool:
    """Whether the process that made a claim may still be working on it."""
    if not owner:
        return claimed_at is not None and now - claimed_at < lease
    host, _, rest = owner.partition("|")
    pid_text, _, start = rest.partition("|")
    if host != socket.gethostname() or not pid_text.isdigit():
        return claimed_at is not None and now - claimed_at < lease
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if _process_state(pid) in ("Z", "X"):
        return False
    current = _start_time(pid)
    return not (start and current and current != start)


def default_ledger_path() -> Path:
    """The default ledger file: ``ledger.db`` in the user data folder."""
    import platformdirs

    return Path(platformdirs.user_data_dir("embedkit")) / "ledger.db"


def ledger_path(url: str | None = None, *, env: Mapping[str, str] | None = None) -> Path:
    """The file a ledger URL names (``EMBEDKIT_LEDGER``, else the default, when None).

    ``sqlite:///relative.db``, ``sqlite:////abs/path.db`` (``~`` and ``%XX``
    work) or a bare file path. Raises :class:`~embedkit._errors.ConfigError` for
    anything else.
    """
    env = os.environ if env is None else env
    url = url or env.get("EMBEDKIT_LEDGER") or None
    if url is None:
        return default_ledger_path()
    if url[:7].lower() == "sqlite:":
        try:
            return _sqlite.path_from_url(url)
        except ValueError as exc:
            raise ConfigError(
                f"ledger URL {url!r} {exc}; use sqlite:///path/to/ledger.db"
            ) from None
    if "://" in url:
        raise ConfigError(f"unsupported ledger URL {url!r}: use sqlite:///path/to/ledger.db")
    return Path(url).expanduser()


def open_ledger(
    url: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
    lease: float = 900.0,
    mode: _sqlite.Mode = "rwc",
) -> Ledger:
    """Open the ledger a URL names: ``sqlite:///relative.db`` or ``sqlite:////abs/path.db``.

    Without a URL, ``EMBEDKIT_LEDGER`` is used, else ``ledger.db`` in the user
    data folder. A bare file path is accepted too. ``mode`` is ``"rwc"`` (create
    the file and its folder), ``"rw"`` (an existing file) or ``"ro"`` (read only;
    see the module docs).
    """
    return Ledger(ledger_path(url, env=env), clock=clock, lease=lease, mode=mode)


class Ledger:
    """A SQLite ledger of syndicated posts, safe across threads and processes.

    ``clock`` returns seconds since the epoch (injectable for tests); ``owner``
    identifies this process for stale-claim detection (see :func:`process_owner`);
    ``lease`` is how long a claim by a process on another host is trusted.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        owner: str | None = None,
        lease: float = 900.0,
        busy_timeout: float = 30.0,
        mode: _sqlite.Mode = "rwc",
    ) -> None:
        self.path = Path(path)
        self.mode: _sqlite.Mode = mode
        self._clock = clock
        self._owner = owner or process_owner()
        self._lease = lease
        self._lock = threading.RLock()
        shown = _sqlite.shown_path(self.path)
        _sqlite.prepare(self.path, mode, "ledger", LedgerError)
        try:
            self._db = _sqlite.connect(
                self.path, mode=mode, busy_timeout=busy_timeout, what="the ledger"
            )
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(f"cannot open the ledger {shown}: {_reason(exc)}") from exc
        try:
            if mode == "ro":
                self._check_table()
            else:
                self._retry(lambda: self._db.execute("PRAGMA journal_mode = WAL").fetchone())
                self._retry(lambda: self._db.executescript(_SCHEMA))
        except sqlite3.Error as exc:
            self._db.close()
            raise LedgerError(self._unusable(exc)) from exc

    def _unusable(self, exc: sqlite3.Error) -> str:
        shown = _sqlite.shown_path(self.path)
        if _sqlite.is_corrupt(exc):
            return (
                f"the ledger {shown} is not a usable SQLite database ({exc}); it was left "
                "as it is: restore it from a backup, or move it aside to start a new one"
            )
        return f"cannot open the ledger {shown}: {exc}"

    def _check_table(self) -> None:
        found = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger'"
        ).fetchone()
        if found is None:
            raise LedgerError(
                f"{_sqlite.shown_path(self.path)} is not an embedkit ledger (it has no "
                "ledger table)"
            )

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- low level -------------------------------------------------------------

    def _retry(self, func: Callable[[], _T]) -> _T:
        return _sqlite.retry_busy(func, retry_for=_RETRY_FOR)

    def is_stale(self, row: LedgerRow) -> bool:
        """Whether ``row`` is a claim whose run is gone (what :meth:`sweep_stale` settles).

        Reads nothing and writes nothing: read-only views use it to show such rows.
        """
        return row.state == "claimed" and not _owner_alive(
            row.owner, claimed_at=row.claimed_at, now=self._clock(), lease=self._lease
        )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: the write lock is taken before reading."""
        if self.mode == "ro":
            raise LedgerError(f"the ledger {self.path} is open read-only")
        with self._lock:
            try:
                self._retry(lambda: self._db.execute("BEGIN IMMEDIATE"))
            except sqlite3.Error as exc:
                raise LedgerError(f"cannot lock the ledger {self.path}: {exc}") from exc
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                try:
                    self._db.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._db.execute("ROLLBACK")
                    raise LedgerError(f"cannot write the ledger {self.path}: {exc}") from exc

    def _query(self, sql: str, params: Iterable[object] = ()) -> list[LedgerRow]:
        with self._lock:
            try:
                cursor = self._retry(lambda: self._db.execute(sql, tuple(params)))
                return [_row(values) for values in cursor.fetchall()]
            except sqlite3.Error as exc:
                raise LedgerError(f"cannot read the ledger {self.path}: {exc}") from exc

    def _get(self, db: sqlite3.Connection, article_id: str, channel: str) -> LedgerRow | None:
        values = db.execute(
            f"SELECT {_COLUMNS} FROM ledger WHERE article_id = ? AND channel = ?",
            (article_id, channel),
        ).fetchone()
        return None if values is None else _row(values)

    def _stale_to_unknown(self, db: sqlite3.Connection, row: LedgerRow, now: float) -> LedgerRow:
        """Turn a claim whose process is gone into ``unknown`` (inside a transaction)."""
        if row.state != "claimed" or _owner_alive(
            row.owner, claimed_at=row.claimed_at, now=now, lease=self._lease
        ):
            return row
        error = (
            f"run {row.run_id} stopped after claiming this post; it may or may not have "
            "been published (run `embedkit syndicate reconcile`)"
        )
        db.execute(
            "UPDATE ledger SET state = 'unknown', last_error = ?, updated_at = ?, owner = NULL "
            "WHERE article_id = ? AND channel = ?",
            (error, now, row.article_id, row.channel),
        )
        return self._get(db, row.article_id, row.channel) or row

    def _update(
        self,
        article_id: str,
        channel: str,
        sql: str,
        params: tuple[object, ...],
        *,
        states: tuple[str, ...] | None = None,
    ) -> bool:
        """Update one row; with ``states``, only when it is in one of them (else False)."""
        where = "article_id = ? AND channel = ?"
        if states is not None:
            where += f" AND state IN ({', '.join('?' * len(states))})"
        try:
            with self._transaction() as db:
                cursor = db.execute(
                    f"UPDATE ledger SET {sql} WHERE {where}",
                    (*params, article_id, channel, *(states or ())),
                )
                if cursor.rowcount == 1:
                    return True
                if states is None:
                    raise LedgerError(
                        f"no ledger row for {article_id!r} on {channel} in {self.path}"
                    )
                return False
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot write the ledger {self.path}: {exc}") from exc

    # -- claims and results ----------------------------------------------------

    def claim(
        self,
        article_id: str,
        channel: str,
        *,
        text_hash: str,
        idempotency_key: str,
        run_id: str,
        match_hash: str | None = None,
    ) -> bool:
        """Claim (article, channel) for this run; True only if this caller may post.

        Claimable: no row yet, a ``pending`` row, or a retryable ``failed`` row.
        Never: ``posted``, ``unknown``, non-retryable ``failed``, or ``claimed`` by a
        live run. A claim whose run died becomes ``unknown`` here and is refused.
        """
        now = self._clock()
        try:
            with self._transaction() as db:
                row = self._get(db, article_id, channel)
                if row is not None:
                    row = self._stale_to_unknown(db, row, now)
                    if not row.claimable:
                        return False
                    db.execute(
                        "UPDATE ledger SET state = 'claimed', retryable = 0, text_hash = ?, "
                        "match_hash = ?, idempotency_key = ?, run_id = ?, owner = ?, "
                        "claimed_at = ?, updated_at = ? WHERE article_id = ? AND channel = ?",
                        (
                            text_hash,
                            match_hash,
                            idempotency_key,
                            run_id,
                            self._owner,
                            now,
                            now,
                            article_id,
                            channel,
                        ),
                    )
                else:
                    db.execute(
                        f"INSERT INTO ledger ({_COLUMNS}) VALUES "
                        "(?, ?, 'claimed', 0, NULL, NULL, 0, NULL, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            article_id,
                            channel,
                            text_hash,
                            match_hash,
                            now,
                            now,
                            run_id,
                            idempotency_key,
                            self._owner,
                        ),
                    )
                return True
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot write the ledger {self.path}: {exc}") from exc

    def record_posted(
        self,
        article_id: str,
        channel: str,
        *,
        post_id: str,
        post_url: str | None = None,
        attempts: int = 1,
    ) -> None:
        """The platform accepted the post: remember its id and URL."""
        self._update(
            article_id,
            channel,
            "state = 'posted', retryable = 0, post_id = ?, post_url = ?, "
            "attempts = attempts + ?, last_error = NULL, owner = NULL, updated_at = ?",
            (post_id, post_url, attempts, self._clock()),
        )

    def record_failed(
        self, article_id: str, channel: str, *, error: str, retryable: bool, attempts: int = 1
    ) -> None:
        """The post certainly did not go out; ``retryable`` lets the next run try again."""
        self._update(
            article_id,
            channel,
            "state = 'failed', retryable = ?, attempts = attempts + ?, last_error = ?, "
            "owner = NULL, updated_at = ?",
            (int(retryable), attempts, error, self._clock()),
        )

    def record_unknown(
        self, article_id: str, channel: str, *, error: str, attempts: int = 1
    ) -> None:
        """The post may or may not exist: only reconcile (or a person) may settle it."""
        self._update(
            article_id,
            channel,
            "state = 'unknown', retryable = 0, attempts = attempts + ?, last_error = ?, "
            "owner = NULL, updated_at = ?",
            (attempts, error, self._clock()),
        )

    def release(self, article_id: str, channel: str, *, reason: str | None = None) -> None:
        """Give a claim back unused (nothing was sent): the row becomes ``pending``."""
        self._update(
            article_id,
            channel,
            "state = 'pending', retryable = 0, last_error = ?, owner = NULL, updated_at = ?",
            (reason, self._clock()),
        )

    def settle_posted(
        self, article_id: str, channel: str, *, post_id: str, post_url: str | None, note: str
    ) -> bool:
        """Reconcile found the post of an ``unknown`` row: it is ``posted``.

        Returns False (and changes nothing) when the row is no longer ``unknown``.
        """
        return self._update(
            article_id,
            channel,
            "state = 'posted', retryable = 0, post_id = ?, post_url = ?, last_error = ?, "
            "updated_at = ?",
            (post_id, post_url, note, self._clock()),
            states=("unknown",),
        )

    def reopen(self, article_id: str, channel: str, *, reason: str) -> bool:
        """Make an ``unknown`` or ``failed`` row claimable again (``pending``).

        Returns False (and changes nothing) when the row is in another state by now.
        """
        return self._update(
            article_id,
            channel,
            "state = 'pending', retryable = 0, last_error = ?, owner = NULL, updated_at = ?",
            (reason, self._clock()),
            states=("unknown", "failed"),
        )

    def sweep_stale(self) -> list[LedgerRow]:
        """Turn every claim whose run is gone into ``unknown``; return those rows."""
        now = self._clock()
        changed: list[LedgerRow] = []
        try:
            with self._transaction() as db:
                rows = [
                    _row(v)
                    for v in db.execute(
                        f"SELECT {_COLUMNS} FROM ledger WHERE state = 'claimed'"
                    ).fetchall()
                ]
                for row in rows:
                    after = self._stale_to_unknown(db, row, now)
                    if after.state != row.state:
                        changed.append(after)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot write the ledger {self.path}: {exc}") from exc
        return changed

    def mark_existing(self, article_ids: Iterable[str], channel: str) -> int:
        """Record articles as already posted (without a post id); return how many were new.

        Used on a first run against an existing feed, so that turning embedkit on
        does not flood the channel. Rows that already exist are left alone.
        """
        now = self._clock()
        added = 0
        try:
            with self._transaction() as db:
                for article_id in dict.fromkeys(article_ids):
                    cursor = db.execute(
                        f"INSERT OR IGNORE INTO ledger ({_COLUMNS}) VALUES "
                        "(?, ?, 'posted', 0, NULL, NULL, 0, ?, NULL, NULL, NULL, ?, "
                        "'mark-existing', NULL, NULL)",
                        (article_id, channel, "marked as already posted (--mark-existing)", now),
                    )
                    added += cursor.rowcount
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot write the ledger {self.path}: {exc}") from exc
        return added

    # -- reading ---------------------------------------------------------------

    def get(self, article_id: str, channel: str) -> LedgerRow | None:
        """The row for (article, channel), or None."""
        rows = self._query(
            f"SELECT {_COLUMNS} FROM ledger WHERE article_id = ? AND channel = ?",
            (article_id, channel),
        )
        return rows[0] if rows else None

    def rows(
        self, channel: str | None = None, limit: int | None = 50, *, state: str | None = None
    ) -> list[LedgerRow]:
        """The most recently updated rows, newest first, optionally for one channel/state."""
        where, params = [], []
        if channel is not None:
            where.append("channel = ?")
            params.append(channel)
        if state is not None:
            where.append("state = ?")
            params.append(state)
        sql = f"SELECT {_COLUMNS} FROM ledger"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY updated_at DESC, article_id, channel"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self._query(sql, params)

    def history(self, article_id: str) -> list[LedgerRow]:
        """Every channel's row for one article, by channel name."""
        return self._query(
            f"SELECT {_COLUMNS} FROM ledger WHERE article_id = ? ORDER BY channel", (article_id,)
        )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def _row(values: tuple[object, ...]) -> LedgerRow:
    (
        article_id,
        channel,
        state,
        retryable,
        post_id,
        post_url,
        attempts,
        last_error,
        text_hash,
        match_hash,
        claimed_at,
        updated_at,
        run_id,
        idempotency_key,
        owner,
    ) = values
    return LedgerRow(
        article_id=str(article_id),
        channel=str(channel),
        state=state,  # type: ignore[arg-type]
        post_id=post_id,  # type: ignore[arg-type]
        post_url=post_url,  # type: ignore[arg-type]
        attempts=int(attempts),  # type: ignore[call-overload]
        last_error=last_error,  # type: ignore[arg-type]
        text_hash=text_hash,  # type: ignore[arg-type]
        claimed_at=claimed_at,  # type: ignore[arg-type]
        updated_at=float(updated_at),  # type: ignore[arg-type]
        run_id=run_id,  # type: ignore[arg-type]
        idempotency_key=idempotency_key,  # type: ignore[arg-type]
        retryable=bool(retryable),
        match_hash=match_hash,  # type: ignore[arg-type]
        owner=owner,  # type: ignore[arg-type]
    )
