"""Several processes on one SQLite file, and a writer killed mid-write."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.cache.cache_workers import entry, write_and_read, write_forever

from embedkit.resolve.cache import SQLiteCache, open_cache

ROOT = Path(__file__).resolve().parents[2]

WRITERS = 4
SECONDS = 2.0


def test_processes_share_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    open_cache(url).close()  # the schema exists before the race starts
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 1.5  # after every child has imported embedkit
    with ctx.Pool(WRITERS) as pool:
        results = pool.starmap(
            write_and_read, [(url, w, WRITERS, start_at, SECONDS) for w in range(WRITERS)]
        )
    assert [r["errors"] for r in results] == [[]] * WRITERS
    assert all(r["written"] > 20 for r in results), results
    assert sum(r["seen"] for r in results) > 0, "readers never saw another writer's entry"

    cache = open_cache(url)
    try:
        stats = cache.stats(0.0)
        assert stats.entries == sum(r["written"] for r in results)
        assert dict(stats.providers) == {f"Writer{r['writer']}": r["written"] for r in results}
        for r in results:
            for n in range(r["written"]):
                assert cache.get(f"w{r['writer']}-{n}") == entry(r["writer"], n)
    finally:
        cache.close()


def test_writer_killed_mid_write_leaves_only_whole_entries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/crash.db"
    ready = tmp_path / "ready"
    blob = 200_000
    ctx = multiprocessing.get_context("spawn")
    process = ctx.Process(target=write_forever, args=(url, blob, str(ready)))
    process.start()
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            if time.monotonic() > deadline or not process.is_alive():
                pytest.fail("the writer never got going")
            time.sleep(0.01)
        time.sleep(0.3)
    finally:
        process.kill()
        process.join()

    cache = open_cache(url)
    try:
        count = cache.stats(0.0).entries
        assert count >= 5
        for n in range(count):
            assert cache.get(f"w0-{n}") == entry(0, n, blob=blob)
        cache.set(entry(0, count, blob=10))  # still writable after the crash
    finally:
        cache.close()


def test_threads_of_one_process_take_turns_writing_without_waiting_on_sqlite(
    tmp_path: Path,
) -> None:
    # SQLite's own wait for its file lock sleeps and polls; with none allowed
    # (busy_timeout and retry_for at zero) a thread that met another's write
    # would fail. The threads of one process queue on the cache's lock instead.
    cache = SQLiteCache(tmp_path / "cache.db", busy_timeout=0.0, retry_for=0.0)
    try:
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda n: cache.set(entry(1, n)), range(800)))
        assert all(cache.get(f"w1-{n}") is not None for n in range(800))
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda n: cache.delete(f"w1-{n}"), range(800)))
        assert cache.get("w1-1") is None
    finally:
        cache.close()


CLOSE_UNDER_LOAD = """
import sys, threading, time
from tests.cache.cache_workers import entry
from embedkit._errors import CacheError
from embedkit.resolve.cache import open_cache

problems = []
for round_ in range(8):
    cache = open_cache(f"sqlite:///{sys.argv[1]}/c{round_}.db")

    def work(writer):
        for n in range(200):
            try:
                cache.set(entry(writer, n))
                cache.get(f"w{writer}-{n}")
                cache.delete(f"w{writer}-{n}")
            except CacheError:
                pass  # closed: the one error a caller may see
            except BaseException as exc:
                problems.append(repr(exc))
                return

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(0.01)
    cache.close()
    for thread in threads:
        thread.join(30)
print(problems or "only CacheError")
"""


def test_closing_a_sqlite_cache_that_threads_are_using_is_a_cache_error_not_a_crash(
    tmp_path: Path,
) -> None:
    # Closing a connection under another thread's running statement crashed the
    # interpreter (SIGSEGV); close() now closes idle connections only.
    done = subprocess.run(
        [sys.executable, "-c", CLOSE_UNDER_LOAD, str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "only CacheError"
