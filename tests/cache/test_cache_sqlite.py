"""What only the SQLite backend promises: the file, its schema, locks and damage."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from embedkit._errors import CacheError
from embedkit.resolve.cache import Entry, open_cache
from embedkit.resolve.cache._sqlite import SQLiteCache

NOW = 1_700_000_000.0


def make(key: str) -> Entry:
    return Entry(key=key, url="https://youtu.be/x", provider="YouTube", params={},
                 data={"html": key}, fetched_at=NOW, expires_at=NOW + 60)  # fmt: skip


def test_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "embeds.db"
    cache = open_cache(f"sqlite:///{path}")
    try:
        cache.set(make("k"))
    finally:
        cache.close()
    assert path.is_file()


def test_file_is_wal_with_versioned_schema(tmp_path: Path) -> None:
    path = tmp_path / "embeds.db"
    open_cache(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master "
                                                  "WHERE type = 'index'")}  # fmt: skip
    assert {"entries_provider", "entries_url"} <= indexes


def test_reopening_keeps_entries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/embeds.db"
    first = open_cache(url)
    first.set(make("k"))
    first.close()
    second = open_cache(url)
    try:
        assert second.get("k") == make("k")
    finally:
        second.close()


@pytest.mark.parametrize(
    "content",
    [
        b"this is not an SQLite database, just some text that happens to be here\n" * 20,
        b"SQLite format 3\x00" + b"\xff" * 4000,  # a damaged header
    ],
)
def test_corrupt_file_is_a_cache_error_naming_the_path(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "embeds.db"
    path.write_bytes(content)
    with pytest.raises(CacheError) as info:
        open_cache(f"sqlite:///{path}")
    assert str(path) in str(info.value)
    assert "not a usable SQLite database" in str(info.value)
    assert path.read_bytes() == content  # never overwritten


def test_folder_in_place_of_the_file_is_a_cache_error(tmp_path: Path) -> None:
    path = tmp_path / "embeds.db"
    path.mkdir()
    with pytest.raises(CacheError, match=str(path)):
        open_cache(f"sqlite:///{path}")


def test_unwritable_folder_is_a_cache_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(CacheError, match="cannot create the folder"):
        open_cache(f"sqlite:///{blocker}/sub/embeds.db")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "embeds.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(CacheError, match=r"schema version 99"):
        open_cache(f"sqlite:///{path}")


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, article TEXT)")
        conn.execute("INSERT INTO entries (article) VALUES ('kept')")
    with pytest.raises(CacheError, match=r"another program's database .*entries"):
        open_cache(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT article FROM entries").fetchall() == [("kept",)]
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_damaged_row_is_a_cache_error(tmp_path: Path) -> None:
    path = tmp_path / "embeds.db"
    cache = open_cache(f"sqlite:///{path}")
    try:
        cache.set(make("k"))
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE entries SET data = '{broken' WHERE key = 'k'")
        with pytest.raises(CacheError, match=str(path)):
            cache.get("k")
    finally:
        cache.close()


def test_lock_held_longer_than_busy_timeout_never_surfaces(tmp_path: Path) -> None:
    """Another writer holds the lock 10x longer than busy_timeout: the write still lands."""
    path = tmp_path / "embeds.db"
    cache = SQLiteCache(path, busy_timeout=0.05)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    released = threading.Event()

    def release() -> None:
        time.sleep(0.5)
        holder.execute("COMMIT")
        released.set()

    thread = threading.Thread(target=release)
    thread.start()
    try:
        started = time.monotonic()
        cache.set(make("k"))
        assert released.is_set()
        assert time.monotonic() - started >= 0.4
        assert cache.get("k") == make("k")
    finally:
        thread.join()
        holder.close()
        cache.close()


def test_lock_held_past_retry_window_is_a_cache_error(tmp_path: Path) -> None:
    path = tmp_path / "embeds.db"
    cache = SQLiteCache(path, busy_timeout=0.02, retry_for=0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(CacheError, match=r"locked"):
            cache.set(make("k"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    cache.set(make("k"))  # usable again once the lock is gone
    assert cache.get("k") == make("k")
    cache.close()


def test_stats_reports_file_size(tmp_path: Path) -> None:
    cache = open_cache(f"sqlite:///{tmp_path}/embeds.db")
    try:
        stats = cache.stats(NOW)
        assert stats.backend == "sqlite"
        assert stats.location == str(tmp_path / "embeds.db")
        assert stats.size_bytes is not None
        assert stats.size_bytes > 0
    finally:
        cache.close()
