"""The backend contract, run against memory, SQLite (tmp_path) and a real redis-server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from embedkit._errors import CacheError
from embedkit.resolve.cache import CacheBackend, Entry, VersionedBackend, cache_key, open_cache

NOW = 1_700_000_000.0
TWEET = "https://x.com/reuters/status/1636212467429621760"
VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"

UNICODE_DATA: dict[str, Any] = {
    "type": "rich",
    "author_name": "Reuters",
    "html": "<blockquote><p lang=\"ja\">日本と韓国、貿易摩擦を解消 🇯🇵🤝🇰🇷</p>"
            "<p dir=\"rtl\">مرحبا</p>\u2028line\u2029sep \x00nul</blockquote>",
    "width": 550,
    "height": None,
    "ratio": 0.5625,
    "flags": [True, False, None, {"nested": ["ü", 1, 2.5]}],
    "cache_age": "3153600000",
}  # fmt: skip


def make(
    key: str = "k1",
    *,
    url: str = TWEET,
    provider: str | None = "Twitter",
    data: dict[str, Any] | None = None,
    expires_at: float = NOW + 3600,
    state: str = "ok",
    params: dict[str, str] | None = None,
    error: str | None = None,
) -> Entry:
    data = {"html": f"<p>{key}</p>"} if data is None else data
    return Entry(
        key=key, url=url, provider=provider, params=params or {}, data=data,
        fetched_at=NOW - 60, expires_at=expires_at, state=state,  # type: ignore[arg-type]
        snapshot=data, snapshot_at=NOW - 60, error=error,
    )  # fmt: skip


def test_backend_satisfies_the_protocol(backend: CacheBackend) -> None:
    assert isinstance(backend, CacheBackend)
    assert backend.url.split(":", 1)[0] in ("memory", "sqlite", "redis")


def test_get_missing_is_none(backend: CacheBackend) -> None:
    assert backend.get("nothing here") is None


def test_roundtrip_of_unicode_data(backend: CacheBackend) -> None:
    key = cache_key(TWEET, {"maxwidth": 550, "lang": "ja"})
    entry = Entry(
        key=key, url=TWEET, provider="Twitter", params={"lang": "ja", "maxwidth": "550"},
        data=UNICODE_DATA, fetched_at=NOW - 1.25, expires_at=NOW + 86_400.5, state="ok",
        snapshot=UNICODE_DATA, snapshot_at=NOW - 1.25, error="earlier: HTTP 503 ⚠",
    )  # fmt: skip
    backend.set(entry)
    got = backend.get(key)
    assert got == entry
    assert got is not None
    assert got.data is not None
    assert got.data["html"].startswith('<blockquote><p lang="ja">日本と韓国')


def test_tombstone_without_snapshot_roundtrips(backend: CacheBackend) -> None:
    tomb = Entry(key="t", url=TWEET, provider=None, params={}, data=None, fetched_at=NOW,
                 expires_at=NOW + 3600, state="gone", error="HTTP 404")  # fmt: skip
    backend.set(tomb)
    assert backend.get("t") == tomb


def test_set_replaces(backend: CacheBackend) -> None:
    backend.set(make("k1", data={"html": "old"}))
    backend.set(make("k1", data={"html": "new"}, state="gone"))
    got = backend.get("k1")
    assert got is not None
    assert (got.data, got.state) == ({"html": "new"}, "gone")


def test_values_are_copies(backend: CacheBackend) -> None:
    data = {"html": "<p>a</p>", "list": [1]}
    backend.set(make("k1", data=data))
    data["html"] = "changed before read"
    got = backend.get("k1")
    assert got is not None
    assert got.data == {"html": "<p>a</p>", "list": [1]}
    got.data["list"].append(2)
    again = backend.get("k1")
    assert again is not None
    assert again.data == {"html": "<p>a</p>", "list": [1]}


def test_delete(backend: CacheBackend) -> None:
    backend.set(make("k1"))
    backend.set(make("k2"))
    assert backend.delete("k1") is True
    assert backend.get("k1") is None
    assert backend.get("k2") is not None
    assert backend.delete("k1") is False


def fill(backend: CacheBackend) -> None:
    backend.set(make("tw-a", url=TWEET, provider="Twitter"))
    backend.set(make("tw-b", url=TWEET, provider="Twitter", params={"theme": "dark"}))
    backend.set(make("tw-c", url=TWEET + "9", provider="twitter"))
    backend.set(make("yt", url=VIDEO, provider="YouTube"))
    backend.set(make("anon", url="https://example.org/p/1", provider=None))


@pytest.mark.parametrize(
    ("filters", "removed", "left"),
    [
        ({"provider": "Twitter"}, 3, {"yt", "anon"}),
        ({"provider": "TWITTER"}, 3, {"yt", "anon"}),
        ({"provider": "YouTube"}, 1, {"tw-a", "tw-b", "tw-c", "anon"}),
        ({"provider": "Vimeo"}, 0, {"tw-a", "tw-b", "tw-c", "yt", "anon"}),
        ({"url": TWEET}, 2, {"tw-c", "yt", "anon"}),
        ({"url": TWEET + "9"}, 1, {"tw-a", "tw-b", "yt", "anon"}),
        ({"url": TWEET, "provider": "YouTube"}, 0, {"tw-a", "tw-b", "tw-c", "yt", "anon"}),
        ({"url": VIDEO, "provider": "youtube"}, 1, {"tw-a", "tw-b", "tw-c", "anon"}),
        ({"all": True}, 5, set()),
        ({"all": True, "provider": "YouTube"}, 1, {"tw-a", "tw-b", "tw-c", "anon"}),
    ],
)
def test_purge(
    backend: CacheBackend, filters: dict[str, Any], removed: int, left: set[str]
) -> None:
    fill(backend)
    assert backend.purge(**filters) == removed
    keys = {"tw-a", "tw-b", "tw-c", "yt", "anon"}
    assert {k for k in keys if backend.get(k) is not None} == left
    assert backend.stats(NOW).entries == len(left)


def test_purge_needs_a_filter(backend: CacheBackend) -> None:
    fill(backend)
    with pytest.raises(ValueError, match="all=True"):
        backend.purge()
    assert backend.stats(NOW).entries == 5


def test_purge_follows_a_changed_provider(backend: CacheBackend) -> None:
    backend.set(make("k", provider=None))
    backend.set(make("k", provider="Bluesky"))
    assert backend.purge(provider="(none)") == 0
    assert backend.purge(provider="Twitter") == 0
    assert backend.get("k") is not None
    assert backend.purge(provider="Bluesky") == 1


def test_stats(backend: CacheBackend) -> None:
    empty = backend.stats(NOW)
    assert (empty.entries, empty.gone, empty.expired, dict(empty.providers)) == (0, 0, 0, {})
    backend.set(make("a", provider="Twitter", expires_at=NOW + 10))
    backend.set(make("b", provider="Twitter", expires_at=NOW - 10))
    backend.set(make("c", provider="YouTube", expires_at=NOW, state="gone"))
    backend.set(make("d", provider=None, expires_at=NOW - 1, state="gone"))
    stats = backend.stats(NOW)
    assert stats.entries == 4
    assert stats.gone == 2
    assert stats.expired == 3  # b, c (due exactly now) and d
    assert dict(stats.providers) == {"Twitter": 2, "YouTube": 1, "(none)": 1}
    assert stats.backend in backend.url.split(":", 1)[0]
    assert stats.location
    assert backend.stats(NOW - 100).expired == 0


def test_block(backend: CacheBackend) -> None:
    assert backend.blocked_until("Twitter") is None
    backend.block("Twitter", NOW + 30.5)
    assert backend.blocked_until("Twitter") == NOW + 30.5
    assert backend.blocked_until("twitter") == NOW + 30.5
    assert backend.blocked_until("YouTube") is None
    backend.block("Twitter", NOW + 5)  # last write wins
    assert backend.blocked_until("Twitter") == NOW + 5


def test_block_is_kept_apart_from_entries(backend: CacheBackend) -> None:
    backend.block("Twitter", NOW + 30)
    assert backend.stats(NOW).entries == 0
    backend.set(make("k"))
    assert backend.purge(all=True) == 1
    assert backend.blocked_until("Twitter") == NOW + 30


def test_unserializable_data_is_a_cache_error(backend: CacheBackend) -> None:
    with pytest.raises(CacheError):
        backend.set(make("k", data={"bad": {1, 2}}))
    assert backend.get("k") is None


def test_closed_backend_raises_cache_error(cache_url: str) -> None:
    cache = open_cache(cache_url)
    cache.set(make("k"))
    cache.close()
    cache.close()  # idempotent
    with pytest.raises(CacheError, match="closed"):
        cache.get("k")
    with pytest.raises(CacheError, match="closed"):
        cache.set(make("k"))


def test_shared_between_instances(shared_cache_url: str) -> None:
    writer = open_cache(shared_cache_url)
    reader = open_cache(shared_cache_url)
    try:
        writer.set(make("k", data=UNICODE_DATA))
        writer.block("YouTube", NOW + 99)
        got = reader.get("k")
        assert got is not None
        assert got.data == UNICODE_DATA
        assert reader.blocked_until("youtube") == NOW + 99
        assert reader.purge(provider="Twitter") == 1
        assert writer.get("k") is None
    finally:
        writer.close()
        reader.close()


def run_threads(count: int, target: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def body(n: int) -> None:
        try:
            start.wait()
            target(n)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_threads_hammering_one_backend(backend: CacheBackend) -> None:
    rounds = 120

    def work(n: int) -> None:
        for i in range(rounds):
            key = f"t{n}-{i}"
            backend.set(make(key, provider=f"P{n % 3}", data={"n": n, "i": i, "s": "日本"}))
            got = backend.get(key)
            assert got is not None
            assert got.data == {"n": n, "i": i, "s": "日本"}
            other = backend.get(f"t{(n + 1) % 8}-{i}")
            assert other is None or other.data is not None
            if i % 10 == 0:
                backend.delete(key)
                backend.set(make(key, provider=f"P{n % 3}", data={"n": n, "i": i, "s": "日本"}))
                backend.block(f"P{n}", NOW + i)
            if i % 40 == 0:
                backend.stats(NOW)

    assert run_threads(8, work) == []
    stats = backend.stats(NOW)
    assert stats.entries == 8 * rounds
    assert dict(stats.providers) == {"P0": 3 * rounds, "P1": 3 * rounds, "P2": 2 * rounds}
    for n in range(8):
        for i in range(rounds):
            got = backend.get(f"t{n}-{i}")
            assert got is not None
            assert got.data == {"n": n, "i": i, "s": "日本"}


def test_every_backend_versions_its_entries(backend: CacheBackend) -> None:
    assert isinstance(backend, VersionedBackend)
    assert backend.version("k1") is None
    assert backend.get_versioned("k1") is None
    backend.set(make("k1", data={"html": "a"}))
    first = backend.version("k1")
    assert first is not None
    assert backend.get_versioned("k1") == (make("k1", data={"html": "a"}), first)
    assert backend.version("k1") == first  # reading changes nothing
    backend.set(make("k1", data={"html": "a"}))  # the same entry again: still a new write
    second = backend.version("k1")
    assert second not in (None, first)
    backend.set(make("k2"))
    assert backend.version("k1") == second  # another key's write leaves it alone
    backend.purge(url=TWEET)
    assert backend.version("k1") is None
    backend.set(make("k1"))
    assert backend.version("k1") not in (None, first, second)
    backend.delete("k1")
    assert backend.version("k1") is None


def test_a_closed_backend_refuses_version_reads(cache_url: str) -> None:
    cache = open_cache(cache_url)
    cache.set(make("k1"))
    cache.close()
    with pytest.raises(CacheError):
        cache.version("k1")  # type: ignore[attr-defined]
