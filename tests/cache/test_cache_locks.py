"""Single-flight locks: every backend's ``lock()``, a fleet's lock in Redis, a bounded table."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.cache.redis_helpers import RedisServer, free_port
from tests.simulator import ProviderSimulator, Reply

from embedkit import Resolver
from embedkit.resolve.cache import CacheBackend, open_cache
from embedkit.resolve.cache._locks import LocalLocks


class Holder:
    """Holds ``key`` in another thread until :meth:`release` is called."""

    def __init__(self, cache: CacheBackend, key: str, ttl: float) -> None:
        self._taken = threading.Event()
        self._release = threading.Event()
        self.outcome: list[bool] = []

        def hold() -> None:
            with cache.lock(key, ttl) as held:
                self.outcome.append(held)
                self._taken.set()
                self._release.wait(10)

        self._thread = threading.Thread(target=hold)
        self._thread.start()
        assert self._taken.wait(10)
        assert self.outcome == [True]

    def release(self) -> None:
        self._release.set()
        self._thread.join(10)


def lock_in_thread(
    cache: CacheBackend, key: str, ttl: float
) -> tuple[threading.Thread, list[bool]]:
    """Ask for ``key`` in another thread; the list receives what ``lock`` yielded."""
    result: list[bool] = []

    def ask() -> None:
        with cache.lock(key, ttl) as held:
            result.append(held)

    thread = threading.Thread(target=ask)
    thread.start()
    return thread, result


def test_a_free_key_is_held(backend: CacheBackend) -> None:
    with backend.lock("k", 5.0) as held:
        assert held is True
    with backend.lock("k", 5.0) as again:  # released: free again
        assert again is True


def test_a_waiter_returns_after_the_holder_releases_and_does_not_hold(
    backend: CacheBackend,
) -> None:
    holder = Holder(backend, "k", 10.0)
    thread, result = lock_in_thread(backend, "k", 10.0)
    time.sleep(0.2)
    assert result == []  # still waiting for the holder
    with backend.lock("other", 10.0) as other:  # another key is not blocked
        assert other is True
    holder.release()
    thread.join(10)
    assert result == [False]


def test_a_waiter_gives_up_after_ttl(backend: CacheBackend) -> None:
    holder = Holder(backend, "k", 30.0)
    try:
        with backend.lock("k", 0.2) as held:
            assert held is False
    finally:
        holder.release()


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_the_lock_table_holds_only_what_is_held(kind: str, tmp_path: Path) -> None:
    cache = open_cache("memory://" if kind == "memory" else f"sqlite:///{tmp_path}/c.db")
    locks: LocalLocks = cache.locks  # type: ignore[attr-defined]
    seen: list[int] = []

    def one(n: int) -> None:
        with cache.lock(f"https://x.com/a/status/{n}", 5.0):
            seen.append(len(locks))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(5000)))
    assert len(locks) == 0
    assert max(seen) <= 8  # at most the number of threads, never the number of keys
    cache.close()


# -- Redis: one lock for every node ------------------------------------------------------


@pytest.fixture
def fleet_url(redis_server: RedisServer) -> str:
    return redis_server.url(prefix=f"lock-{uuid.uuid4().hex[:10]}:")


@pytest.mark.redis
def test_two_nodes_share_one_lock_in_redis(fleet_url: str) -> None:
    node_a, node_b = open_cache(fleet_url), open_cache(fleet_url)
    try:
        holder = Holder(node_a, "k", 10.0)
        thread, result = lock_in_thread(node_b, "k", 10.0)
        time.sleep(0.2)
        assert result == []  # node B waits for node A
        holder.release()
        thread.join(10)
        assert result == [False]
    finally:
        node_a.close()
        node_b.close()


@pytest.mark.redis
def test_the_redis_lock_expires_and_only_its_owner_releases_it(
    fleet_url: str, redis_server: RedisServer
) -> None:
    import redis

    raw = redis.Redis(host="127.0.0.1", port=redis_server.port)
    prefix = fleet_url.split("prefix=")[1]
    name = f"{prefix}lock:k"
    node_a, node_b = open_cache(fleet_url), open_cache(fleet_url)
    try:
        with node_a.lock("k", 0.3) as held_a:
            assert held_a is True
            assert 0 < raw.pttl(name) <= 300
            time.sleep(0.4)  # A outlives its lock: it expired in Redis
            assert not raw.exists(name)
            with node_b.lock("k", 10.0) as held_b:  # so B may take it
                assert held_b is True
                token_b = raw.get(name)
        # A's release came after B's: B's lock was not A's to delete.
        assert token_b is not None
        assert not raw.exists(name)  # B released its own on leaving
        raw.set(name, b"someone-else", px=200)  # a holder that died
        with node_a.lock("k", 5.0) as held:
            assert held is False  # waited for the expiry, did not take it
        assert not raw.exists(name)
    finally:
        node_a.close()
        node_b.close()
        raw.close()


@pytest.mark.redis
def test_without_redis_the_lock_degrades_to_the_process() -> None:
    pytest.importorskip("redis")
    cache = open_cache(f"redis://127.0.0.1:{free_port()}/0?socket_timeout=0.5")
    try:
        with cache.lock("k", 5.0) as held:
            assert held is True  # no Redis: this process's lock, and a fetch
            thread, result = lock_in_thread(cache, "k", 0.2)
            thread.join(10)
            assert result == [False]  # still one fetch per key within the process
        assert len(cache.locks) == 0  # type: ignore[attr-defined]
    finally:
        cache.close()


# -- the resolver uses them ------------------------------------------------------------------


def _slow_providers(simulator: ProviderSimulator, tmp_path: Path, delay: float) -> Path:
    path = simulator.providers_file(tmp_path, ["Twitter"])

    def answer(_request: object) -> bytes:
        time.sleep(delay)
        return (simulator.fixtures / "twitter-1.json").read_bytes()

    simulator.route("/twitter/oembed", handler=answer)
    return path


@pytest.mark.parametrize(
    "kind", ["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)]
)
def test_resolvers_on_one_cache_make_one_request_per_post(
    kind: str, simulator: ProviderSimulator, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Two resolvers (two nodes when the cache is Redis), 24 threads, 6 new posts at once."""
    providers = _slow_providers(simulator, tmp_path, 0.1)
    if kind == "redis":
        url = str(request.getfixturevalue("fleet_url"))
        caches = [open_cache(url), open_cache(url)]
    else:
        shared = open_cache("memory://" if kind == "memory" else f"sqlite:///{tmp_path}/c.db")
        caches = [shared, shared]
    resolvers = [
        Resolver(cache=c, providers=providers, allow_private_networks=True) for c in caches
    ]
    posts = [f"https://x.com/someone/status/{n}" for n in range(1, 7)]
    start = threading.Barrier(24)

    def client(n: int) -> list[str]:
        start.wait()
        resolver = resolvers[n % 2]
        return [resolver.resolve(post).status for post in posts]

    try:
        with ThreadPoolExecutor(24) as pool:
            statuses = [s for got in pool.map(client, range(24)) for s in got]
        assert simulator.count("/twitter/oembed") == len(posts)
        assert sorted({r.url_param or "" for r in simulator.requests}) == sorted(posts)
        assert statuses.count("fresh") == len(posts)
        assert set(statuses) == {"fresh", "cached"}
        for cache in caches:
            assert len(cache.locks) == 0  # type: ignore[attr-defined]
    finally:
        for resolver in resolvers:
            resolver.http.close()
        for cache in set(caches):
            cache.close()


def test_a_waiter_shares_the_holders_failure(simulator: ProviderSimulator, tmp_path: Path) -> None:
    """The provider fails while others wait: they take its outcome, not another request."""
    providers = simulator.providers_file(tmp_path, ["Twitter"])

    def failing(_request: object) -> Reply:
        time.sleep(0.3)
        return Reply(status=503, body=b'{"error": "down"}')

    simulator.route("/twitter/oembed", handler=failing)
    with Resolver(cache="memory://", providers=providers, allow_private_networks=True) as r:
        start = threading.Barrier(8)

        def client(_n: int) -> str:
            start.wait()
            return r.resolve("https://x.com/someone/status/42").status

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(client, range(8)))
    assert statuses == ["fallback"] * 8
    assert simulator.count("/twitter/oembed") == 1


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_rss_after_100k_distinct_resolves_stays_near_rss_after_10k(tmp_path: Path) -> None:
    """Issue 10: a long-lived resolver stays bounded.

    About 3 minutes of CPU, so it runs only when asked for: ``pytest -m slow``.
    The quick tests above check the lock table itself.
    """
    result = subprocess.run(
        [sys.executable, "-m", "tests.cache.rss_worker", str(tmp_path / "c.db"), "100000",
         "10000", "100000"],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        check=True,
        timeout=1700,
    )  # fmt: skip
    report = json.loads(result.stdout)
    rss = {int(n): kib for n, kib in report["rss_kib"].items()}
    assert report["locks"] == 0
    assert report["remembered"] == 4096  # the resolver's default presentation_memo
    assert rss[100000] - rss[10000] < 4 * 1024, rss  # KiB: within 4 MiB
