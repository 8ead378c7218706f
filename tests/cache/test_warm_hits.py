"""Warm hits: a resolver hands a finished embed out again only while the cache agrees.

A resolver remembers the embed it served from a fresh entry, and on the next ask
reads only the entry's *version* from the backend. These tests change the cache
behind its back (another resolver on the same backend, another process, an older
embedkit writing without versions) and check that the next hit shows the change;
that expiry, ``refresh=True``, consent and parameters behave as without the memo;
and that the memo holds a bounded number of entries. Everything goes through the
real backends (memory, SQLite, a real redis-server) and the provider simulator.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Hashable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from tests.simulator import REUTERS_STATUS_ID, ProviderSimulator, fixture_bytes

from embedkit import Embed, Resolver
from embedkit.resolve._resolver import _Hot, _HotMemo
from embedkit.resolve.cache import CacheStats, Entry, MemoryCache, open_cache

POST = f"https://twitter.com/Reuters/status/{REUTERS_STATUS_ID}"
CANONICAL = f"https://x.com/reuters/status/{REUTERS_STATUS_ID}"
TWITTER = "/twitter/oembed"
NOW = 1_700_000_000.0
ROOT = Path(__file__).parents[2]


class Clock:
    """A clock the test moves by hand (the resolver's clock seam)."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def answer(text: str) -> dict[str, Any]:
    """The recorded Reuters answer with ``text`` as the post's words."""
    data: dict[str, Any] = json.loads(fixture_bytes("twitter-reuters.json"))
    data["html"] = data["html"].replace(
        "LIVE: Japanese Prime Minister Fumio Kishida welcomes South Korean President Yoon Suk Yeol",
        text,
    )
    return data


@pytest.fixture
def providers(simulator: ProviderSimulator, tmp_path: Path) -> Path:
    path = simulator.providers_file(tmp_path)
    simulator.route(TWITTER, body=answer("first words"), when_url=CANONICAL)
    return path


class Pair:
    """Two resolvers on one cache: ``a`` is the one with the memo under test."""

    def __init__(self, cache_url: str, providers: Path, **kw: Any) -> None:
        self.clock_a, self.clock_b = Clock(), Clock()
        shared = MemoryCache() if cache_url == "memory://" else None
        self.a = Resolver(
            cache=shared or cache_url, providers=providers, clock=self.clock_a, env={}, **kw
        )
        self.b = Resolver(
            cache=shared or cache_url, providers=providers, clock=self.clock_b, env={}, **kw
        )

    def close(self) -> None:
        self.a.close()
        self.b.close()


@pytest.fixture
def pair(cache_url: str, providers: Path) -> Iterator[Pair]:
    both = Pair(cache_url, providers)
    try:
        yield both
    finally:
        both.close()


def warm(resolver: Resolver, ref: str = POST, **params: Any) -> Embed:
    """Resolve twice: the second answer comes from the cache (and is remembered)."""
    resolver.resolve(ref, **params)
    embed = resolver.resolve(ref, **params)
    assert embed.status in ("cached", "gone"), embed
    return embed


# -- the same embed, handed out again ----------------------------------------------


def test_a_warm_hit_is_the_same_read_only_embed(pair: Pair) -> None:
    first = warm(pair.a)
    again = pair.a.resolve(POST)
    assert again is first
    assert "first words" in again.html
    assert again.data["author_name"] == "Reuters"
    with pytest.raises(TypeError, match="read-only"):
        again.data["html"] = "<script>alert(1)</script>"  # type: ignore[index]
    assert json.loads(json.dumps(again.data))["author_name"] == "Reuters"
    copy = dict(again.data)
    copy["author_name"] = "someone else"
    assert pair.a.resolve(POST).data["author_name"] == "Reuters"


def test_remembered_answers_only_what_resolve_would_hand_out_at_once(
    pair: Pair, simulator: ProviderSimulator
) -> None:
    assert pair.a.remembered(POST) is None  # nothing served yet: nothing fetched either
    assert simulator.count(TWITTER) == 0
    first = warm(pair.a)
    assert pair.a.remembered(POST) is first
    assert pair.a.remembered(POST, maxwidth=400) is None  # other parameters, other embed
    assert pair.a.remembered(POST, no_such_parameter=1) is None  # never raises
    assert pair.b.cache.purge(url=CANONICAL) == 1
    assert pair.a.remembered(POST) is None  # another resolver's purge is seen
    assert simulator.count(TWITTER) == 1


def test_the_first_hit_from_another_shape_of_the_post_is_cached_not_fresh(pair: Pair) -> None:
    assert pair.a.resolve(POST).status == "fresh"
    assert pair.a.resolve(POST).status == "cached"
    other = pair.a.resolve(f"https://x.com/Reuters/status/{REUTERS_STATUS_ID}")
    assert other.status == "cached"
    assert other.ref == f"https://x.com/Reuters/status/{REUTERS_STATUS_ID}"


# -- another writer changes the entry: the next hit shows it ----------------------


def test_another_resolvers_refresh_is_seen_on_the_next_hit(
    pair: Pair, simulator: ProviderSimulator
) -> None:
    before = warm(pair.a)
    simulator.route(TWITTER, body=answer("second words"), when_url=CANONICAL)
    pair.clock_b.now = NOW + 10
    refreshed = pair.b.resolve(POST, refresh=True)
    assert refreshed.status == "fresh"
    after = pair.a.resolve(POST)
    assert after is not before
    assert after.status == "cached"
    assert "second words" in after.html
    assert after.fetched_at == NOW + 10
    assert simulator.count(TWITTER) == 2


def test_another_resolvers_tombstone_is_seen_on_the_next_hit(
    pair: Pair, simulator: ProviderSimulator
) -> None:
    warm(pair.a)
    simulator.route(TWITTER, body={"error": "gone"}, status=404, when_url=CANONICAL)
    pair.clock_b.now = NOW + 10
    assert pair.b.resolve(POST, refresh=True).status == "gone"
    shown = pair.a.resolve(POST)
    assert shown.status == "gone"
    assert pair.a.resolve(POST).status == "gone"  # and the tombstone is served again


def test_another_resolvers_failure_record_is_seen_on_the_next_hit(
    pair: Pair, simulator: ProviderSimulator
) -> None:
    before = warm(pair.a)
    simulator.route(TWITTER, body="upstream trouble", status=503, when_url=CANONICAL)
    assert pair.b.resolve(POST, refresh=True).status == "stale"  # recorded in the entry
    after = pair.a.resolve(POST)
    assert after is not before  # the entry was written again: read again
    assert after.status == "cached"
    assert after.html == before.html


def test_a_purge_is_seen_on_the_next_hit(pair: Pair, simulator: ProviderSimulator) -> None:
    warm(pair.a)
    assert pair.b.cache.purge(url=CANONICAL) == 1
    again = pair.a.resolve(POST)
    assert again.status == "fresh"  # nothing cached any more: asked again
    assert simulator.count(TWITTER) == 2


def test_a_delete_is_seen_on_the_next_hit(pair: Pair, simulator: ProviderSimulator) -> None:
    warm(pair.a)
    assert pair.b.cache.delete(CANONICAL)
    assert pair.a.resolve(POST).status == "fresh"
    assert simulator.count(TWITTER) == 2


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "embedkit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )


def test_another_process_refreshing_or_purging_is_seen(
    shared_cache_url: str, providers: Path, simulator: ProviderSimulator
) -> None:
    with Resolver(cache=shared_cache_url, providers=providers, env={}) as resolver:
        before = warm(resolver)
        simulator.route(TWITTER, body=answer("words from elsewhere"), when_url=CANONICAL)
        _cli("resolve", "--refresh", "--cache", shared_cache_url, "--providers", str(providers),
             POST)  # fmt: skip
        after = resolver.resolve(POST)
        assert after is not before
        assert after.status == "cached"
        assert "words from elsewhere" in after.html

        _cli("cache", "purge", "--cache", shared_cache_url, "--url", POST)
        assert resolver.resolve(POST).status == "fresh"
    assert simulator.count(TWITTER) == 3


def test_an_sqlite_row_written_without_a_version_is_seen(tmp_path: Path, providers: Path) -> None:
    """An older embedkit sharing the file writes rows without the version column."""
    url = f"sqlite:///{tmp_path}/cache.db"
    with Resolver(cache=url, providers=providers, env={}) as resolver:
        warm(resolver)
        conn = sqlite3.connect(tmp_path / "cache.db")
        row = conn.execute("SELECT data FROM entries WHERE key = ?", (CANONICAL,)).fetchone()
        data = json.loads(row[0])
        data["html"] = data["html"].replace("first words", "an older writer's words")
        with conn:  # what an older embedkit's INSERT OR REPLACE does: no version column
            conn.execute(
                "INSERT OR REPLACE INTO entries (key, url, provider, provider_norm, params, "
                "data, fetched_at, expires_at, state, snapshot, snapshot_at, error) "
                "SELECT key, url, provider, provider_norm, params, ?, fetched_at + 1, "
                "expires_at, state, snapshot, snapshot_at, error FROM entries WHERE key = ?",
                (json.dumps(data), CANONICAL),
            )
        conn.close()
        after = resolver.resolve(POST)
        assert after.status == "cached"
        assert "an older writer" in after.html
        assert resolver.resolve(POST) is not after  # no version: read in full each time


@pytest.mark.redis
def test_a_redis_value_written_without_a_version_is_seen(redis_url: str, providers: Path) -> None:
    import redis

    with Resolver(cache=redis_url, providers=providers, env={}) as resolver:
        warm(resolver)
        prefix = redis_url.split("prefix=")[1]
        client = redis.Redis.from_url(redis_url.split("?")[0])
        name = f"{prefix}embed:{CANONICAL}"
        raw = client.get(name)
        assert isinstance(raw, bytes)
        stored = json.loads(raw)
        assert stored["ver"]  # what this embedkit writes
        del stored["ver"]  # what an older one writes when it refreshes the post
        stored["data"]["html"] = stored["data"]["html"].replace("first words", "older words")
        stored["fetched_at"] += 1
        client.set(name, json.dumps(stored))
        client.close()
        after = resolver.resolve(POST)
        assert "older words" in after.html
        assert resolver.resolve(POST) is not after


# -- freshness, refresh, consent and parameters are what they were ---------------


def test_expiry_turns_a_hit_into_a_refresh(pair: Pair, simulator: ProviderSimulator) -> None:
    hit = warm(pair.a)
    assert hit.expires_at is not None
    pair.clock_a.now = hit.expires_at
    assert pair.a.resolve(POST).status == "fresh"
    assert simulator.count(TWITTER) == 2


def test_an_expired_entry_is_served_stale_offline(cache_url: str, providers: Path) -> None:
    both = Pair(cache_url, providers)
    try:
        hit = warm(both.a)
        assert hit.expires_at is not None
        offline = Resolver(
            cache=both.a.cache, providers=providers, clock=both.clock_a, env={}, offline=True
        )
        assert offline.resolve(POST).status == "cached"
        both.clock_a.now = hit.expires_at + 1
        assert offline.resolve(POST).status == "stale"
    finally:
        both.close()


def test_refresh_asks_the_provider_even_after_a_hit(
    pair: Pair, simulator: ProviderSimulator
) -> None:
    hit = warm(pair.a)
    refreshed = pair.a.resolve(POST, refresh=True)
    assert refreshed.status == "fresh"
    assert refreshed is not hit
    assert simulator.count(TWITTER) == 2
    assert pair.a.resolve(POST).status == "cached"


def test_consent_and_parameters_give_their_own_embeds(
    cache_url: str, providers: Path, simulator: ProviderSimulator
) -> None:
    both = Pair(cache_url, providers)
    consenting = Resolver(
        cache=both.a.cache, providers=providers, clock=both.clock_a, env={}, consent=True
    )
    try:
        live = warm(both.a)
        placeholder = warm(consenting)
        assert simulator.count(TWITTER) == 1  # one entry, shown two ways
        assert "data-embedkit-scripts" in placeholder.html
        assert "data-embedkit-scripts" not in live.html
        assert both.a.resolve(POST) is live
        assert consenting.resolve(POST) is placeholder

        narrow = both.a.resolve(POST, maxwidth=300)
        assert narrow.status == "fresh"  # another entry: asked for
        assert simulator.last(TWITTER).query["maxwidth"] == "300"
        assert both.a.resolve(POST, maxwidth=300).status == "cached"
        assert both.a.resolve(POST) is live
        assert both.a.resolve(POST, maxwidth="300") is both.a.resolve(POST, maxwidth=300)
        assert simulator.count(TWITTER) == 2
    finally:
        consenting.close()
        both.close()


def test_an_unknown_parameter_still_raises_on_a_warm_post(pair: Pair) -> None:
    warm(pair.a)
    with pytest.raises(TypeError, match="unknown embed parameter"):
        pair.a.resolve(POST, colour="red")


def test_a_warm_batch_needs_no_worker_threads(pair: Pair) -> None:
    refs = [POST, f"https://x.com/Reuters/status/{REUTERS_STATUS_ID}"]
    first = [warm(pair.a, ref) for ref in refs]
    seen: list[Embed] = []
    again = pair.a.resolve_many(refs * 3, on_result=seen.append)
    assert [e is f for e, f in zip(again, first * 3, strict=True)] == [True] * 6
    assert len(seen) == 6
    assert not [t for t in threading.enumerate() if t.name.startswith("embedkit-resolve")]


# -- bounded ------------------------------------------------------------------------


class CountingCache:
    """A backend that counts full reads and version reads of the one it wraps."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.url = inner.url
        self.full_reads = 0
        self.version_reads = 0

    def get(self, key: str) -> Entry | None:
        self.full_reads += 1
        return self.inner.get(key)  # type: ignore[no-any-return]

    def get_versioned(self, key: str) -> tuple[Entry, Hashable | None] | None:
        self.full_reads += 1
        return self.inner.get_versioned(key)  # type: ignore[no-any-return]

    def version(self, key: str) -> Hashable | None:
        self.version_reads += 1
        return self.inner.version(key)  # type: ignore[no-any-return]

    def set(self, entry: Entry) -> None:
        self.inner.set(entry)

    def delete(self, key: str) -> bool:
        return self.inner.delete(key)  # type: ignore[no-any-return]

    def purge(self, **filters: Any) -> int:
        return self.inner.purge(**filters)  # type: ignore[no-any-return]

    def stats(self, now: float) -> CacheStats:
        return self.inner.stats(now)  # type: ignore[no-any-return]

    def blocked_until(self, provider: str) -> float | None:
        return self.inner.blocked_until(provider)  # type: ignore[no-any-return]

    def block(self, provider: str, until: float) -> None:
        self.inner.block(provider, until)

    def lock(self, key: str, ttl: float) -> AbstractContextManager[bool]:
        return self.inner.lock(key, ttl)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.inner.close()


def test_a_hit_reads_the_version_only_and_the_memo_keeps_the_last_n(
    cache_url: str, providers: Path, simulator: ProviderSimulator
) -> None:
    simulator.route(TWITTER, body=answer("any post"))
    cache = CountingCache(open_cache(cache_url))
    posts = [f"https://x.com/someone/status/{n}" for n in range(1, 11)]
    with Resolver(cache=cache, providers=providers, env={}, presentation_memo=4) as resolver:
        for post in posts:
            warm(resolver, post)
        assert len(resolver._hot) == 4  # entries, whatever their size

        full, versions = cache.full_reads, cache.version_reads
        for post in posts[-4:]:  # the last four are remembered: one version read each
            resolver.resolve(post)
        assert (cache.full_reads - full, cache.version_reads - versions) == (0, 4)

        full = cache.full_reads
        for post in posts[:6]:  # forgotten: read in full (and remembered again)
            assert resolver.resolve(post).status == "cached"
        assert cache.full_reads - full == 6
        assert len(resolver._hot) == 4


class Unversioned(CountingCache):
    """A backend of someone else's: the protocol's methods, no versions."""

    get_versioned = None  # type: ignore[assignment]
    version = None  # type: ignore[assignment]


def test_a_backend_without_versions_is_read_in_full_every_time(
    cache_url: str, providers: Path
) -> None:
    cache = Unversioned(open_cache(cache_url))
    with Resolver(cache=cache, providers=providers, env={}) as resolver:
        first = warm(resolver)
        reads = cache.full_reads
        again = resolver.resolve(POST)
        assert again is not first
        assert again.status == "cached"
        assert again.html == first.html
        assert cache.full_reads == reads + 1


def test_no_memo_at_all_with_a_presentation_memo_of_zero(cache_url: str, providers: Path) -> None:
    cache = CountingCache(open_cache(cache_url))
    with Resolver(cache=cache, providers=providers, env={}, presentation_memo=0) as resolver:
        first = warm(resolver)
        assert resolver.resolve(POST) is not first
        assert resolver.resolve(POST).html == first.html
        assert cache.version_reads == 0
        assert len(resolver._hot) == 0


def test_the_memo_is_bounded_by_weight_as_well_as_by_count() -> None:
    """A provider answering with huge posts cannot make the memo hold huge amounts."""

    def hot(n: int, size: int) -> _Hot:
        embed = Embed(ref=f"r{n}", url=f"u{n}", status="cached", provider=None,
                      html="x" * size)  # fmt: skip
        return _Hot(None, f"k{n}", n, NOW, embed)

    memo = _HotMemo(100, max_bytes=50_000)
    for n in range(20):
        memo.put(n, hot(n, 10_000))
    assert len(memo) == 4  # about 10 kB each: four fit in 50 kB
    assert memo.weight <= 50_000
    assert [memo.get(n) is not None for n in (15, 16, 17, 18, 19)] == [False] + [True] * 4
    memo.put("huge", hot(99, 60_000))  # heavier than the whole budget: not kept
    assert memo.get("huge") is None
    assert len(memo) == 4
    memo.put(19, hot(19, 10_000))  # replacing an item does not count it twice
    assert len(memo) == 4
    assert memo.weight <= 50_000
