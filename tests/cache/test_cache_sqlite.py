"""What only the SQLite backend promises: the file, its schema, locks and damage."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from embedkit._errors import CacheError, ConfigError
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


def test_folder_in_place_of_the_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "embeds.db"
    path.mkdir()
    with pytest.raises(ConfigError, match=f"{path} is a folder, not a database file"):
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


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("mode", ["ro", "rw"])
def test_a_missing_file_is_reported_and_nothing_is_created(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "sub" / "embeds.db"
    with pytest.raises(ConfigError, match=f"no cache at {path}"):
        open_cache(f"sqlite:///{path}", mode=mode)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_read_only_reads_and_creates_changes_and_locks_nothing(tmp_path: Path) -> None:
    path = tmp_path / "embeds.db"
    writer = open_cache(f"sqlite:///{path}")
    writer.set(make("k"))
    writer.close()  # the last connection gone: SQLite removes -wal and -shm
    before = tree(tmp_path)
    reader = open_cache(f"sqlite:///{path}", mode="ro")
    try:
        assert reader.get("k") == make("k")
        assert reader.stats(NOW).entries == 1
        with pytest.raises(CacheError, match="read-only"):
            reader.set(make("other"))
        # A writer is never locked out by a reader.
        other = SQLiteCache(path, busy_timeout=0.05, retry_for=0.2)
        other.set(make("k2"))
        other.close()
    finally:
        reader.close()
    after = tree(tmp_path)
    assert set(after) == set(before) == {"embeds.db"}


def test_read_only_sees_a_live_writers_entries(tmp_path: Path) -> None:
    path = tmp_path / "embeds.db"
    writer = open_cache(f"sqlite:///{path}")
    try:
        writer.set(make("k"))  # still open: -wal and -shm exist and are shared
        reader = open_cache(f"sqlite:///{path}", mode="ro")
        assert reader.get("k") == make("k")
        reader.close()
    finally:
        writer.close()


def test_read_only_never_migrates_a_foreign_or_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()  # a valid, empty SQLite file
    with pytest.raises(CacheError, match="not an embedkit cache"):
        open_cache(f"sqlite:///{path}", mode="ro")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_read_only_names_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "embeds.db"
    path.write_bytes(b"not a database at all " * 100)
    with pytest.raises(CacheError, match="not a usable SQLite database"):
        open_cache(f"sqlite:///{path}", mode="ro")


#: The schema of a cache file written before entries had versions (embedkit 0.x).
OLD_SCHEMA = """
CREATE TABLE entries (
    key TEXT PRIMARY KEY, url TEXT NOT NULL, provider TEXT, provider_norm TEXT,
    params TEXT NOT NULL, data TEXT, fetched_at REAL NOT NULL, expires_at REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('ok', 'gone')), snapshot TEXT, snapshot_at REAL,
    error TEXT
);
CREATE TABLE blocks (provider TEXT PRIMARY KEY, until REAL NOT NULL);
PRAGMA user_version = 1;
INSERT INTO entries VALUES ('k', 'https://youtu.be/x', 'YouTube', 'youtube', '{}',
    '{"html": "k"}', 1700000000.0, 1700000060.0, 'ok', NULL, NULL, NULL);
"""


def old_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    conn.close()


def columns(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[1] for row in conn.execute("PRAGMA table_info(entries)")}


def test_a_file_from_before_versions_gets_the_column_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "embeds.db"
    old_file(path)
    cache = SQLiteCache(path)
    try:
        assert "version" in columns(path)
        assert cache.get_versioned("k") == (make("k"), None)  # an old row: no version
        assert cache.version("k") is None
        cache.set(make("k"))
        found = cache.get_versioned("k")
        assert found is not None
        assert found[1] is not None
        assert cache.version("k") == found[1]
    finally:
        cache.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1  # old readers still read


def test_read_only_reads_a_file_from_before_versions_without_changing_it(tmp_path: Path) -> None:
    path = tmp_path / "embeds.db"
    old_file(path)
    reader = SQLiteCache(path, mode="ro")
    try:
        assert reader.get("k") == make("k")
        assert reader.get_versioned("k") == (make("k"), None)
        assert reader.version("k") is None
    finally:
        reader.close()
    assert "version" not in columns(path)


def test_every_write_is_a_new_version_and_writers_never_share_one(tmp_path: Path) -> None:
    path = tmp_path / "embeds.db"
    first, second = SQLiteCache(path), SQLiteCache(path)
    try:
        seen = set()
        for writer in (first, second) * 50:
            writer.set(make("k"))
            seen.add(first.version("k"))
            assert second.version("k") == first.version("k")
        assert len(seen) == 100
        second.delete("k")
        assert first.version("k") is None
    finally:
        first.close()
        second.close()
