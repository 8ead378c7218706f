"""What only the Redis backend promises: key expiry, prefixes, indexes, auth, failures."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from tests.cache.redis_helpers import RedisServer, free_port, start_redis

from embedkit._errors import CacheError, ConfigError
from embedkit.resolve.cache import Entry, open_cache

if TYPE_CHECKING:
    from redis import Redis

redis = pytest.importorskip("redis", reason="the redis package (embedkit[redis]) is not installed")

pytestmark = pytest.mark.redis

NOW = 1_700_000_000.0
DAY = 86_400


def make(key: str, *, ttl: float = 3600, provider: str | None = "YouTube") -> Entry:
    return Entry(key=key, url=f"https://youtu.be/{key}", provider=provider, params={},
                 data={"html": key}, fetched_at=NOW, expires_at=NOW + ttl)  # fmt: skip


@pytest.fixture
def raw(redis_server: RedisServer) -> Iterator[Redis]:
    client = redis.Redis(host="127.0.0.1", port=redis_server.port)
    try:
        yield client
    finally:
        client.close()


def prefix() -> str:
    return f"t-{uuid.uuid4().hex[:10]}:"


def test_layout_of_keys(redis_server: RedisServer, raw: Redis) -> None:
    p = prefix()
    cache = open_cache(redis_server.url(prefix=p))
    cache.set(make("k1"))
    cache.block("YouTube", time.time() + 30)
    keys = {k.decode() for k in raw.scan_iter(match=f"{p}*")}
    assert keys == {
        f"{p}embed:k1",
        f"{p}idx:url:https://youtu.be/k1",
        f"{p}idx:provider:youtube",
        f"{p}block:youtube",
    }
    cache.close()


@pytest.mark.parametrize(
    ("extra", "ttl", "expected_seconds"),
    [
        ("", 3600, 3600 + 90 * DAY),  # default retention: 90 days past expiry
        ("retention=600", 3600, 4200),
        ("retention=600", 0, 600),
        ("retention=600", -50, 600),  # an entry already expired when written
    ],
)
def test_entry_key_expiry_outlives_the_entry(
    redis_server: RedisServer, raw: Redis, extra: str, ttl: float, expected_seconds: float
) -> None:
    p = prefix()
    cache = open_cache(redis_server.url(prefix=p, extra=extra))
    cache.set(make("k", ttl=ttl))
    for name in (f"{p}embed:k", f"{p}idx:provider:youtube", f"{p}idx:url:https://youtu.be/k"):
        pttl = raw.pttl(name)
        assert expected_seconds * 1000 - 5000 <= pttl <= expected_seconds * 1000, name
    cache.close()


def test_retention_none_never_expires(redis_server: RedisServer, raw: Redis) -> None:
    p = prefix()
    cache = open_cache(redis_server.url(prefix=p, extra="retention=none"))
    cache.set(make("k"))
    assert raw.pttl(f"{p}embed:k") == -1
    assert raw.pttl(f"{p}idx:provider:youtube") == -1
    cache.close()


def test_index_lives_as_long_as_its_longest_member(redis_server: RedisServer, raw: Redis) -> None:
    p = prefix()
    cache = open_cache(redis_server.url(prefix=p, extra="retention=100"))
    cache.set(make("long", ttl=5000))
    cache.set(make("short", ttl=0))
    assert raw.pttl(f"{p}idx:provider:youtube") > 5000 * 1000
    cache.close()


def test_expired_keys_leave_purge_correct(redis_server: RedisServer, raw: Redis) -> None:
    p = prefix()
    cache = open_cache(redis_server.url(prefix=p, extra="retention=0.05"))
    cache.set(make("gone-soon", ttl=0))
    slow = open_cache(redis_server.url(prefix=p))
    slow.set(make("stays"))
    time.sleep(0.2)
    assert cache.get("gone-soon") is None
    assert cache.purge(provider="YouTube") == 1
    assert raw.exists(f"{p}idx:provider:youtube") == 0
    cache.close()
    slow.close()


def test_prefixes_keep_caches_apart(redis_server: RedisServer) -> None:
    one = open_cache(redis_server.url(prefix=prefix()))
    two = open_cache(redis_server.url(prefix=prefix()))
    one.set(make("k"))
    two.set(make("k"))
    two.set(make("k2"))
    assert one.purge(all=True) == 1
    assert one.stats(NOW).entries == 0
    assert two.stats(NOW).entries == 2
    assert two.get("k") is not None
    one.close()
    two.close()


def test_glob_characters_in_prefix(redis_server: RedisServer) -> None:
    star = open_cache(redis_server.url(prefix="t*["))
    plain = open_cache(redis_server.url(prefix=f"tx{uuid.uuid4().hex[:6]}["))
    star.purge(all=True)
    plain.set(make("k"))
    star.set(make("k"))
    assert star.purge(all=True) == 1
    assert plain.get("k") is not None
    plain.close()
    star.close()


def test_other_databases_are_separate(redis_server: RedisServer) -> None:
    p = prefix()
    db0 = open_cache(redis_server.url(db=0, prefix=p))
    db3 = open_cache(redis_server.url(db=3, prefix=p))
    db0.set(make("k"))
    assert db3.get("k") is None
    assert db0.stats(NOW).location == f"127.0.0.1:{redis_server.port}/0"
    assert db3.stats(NOW).location == f"127.0.0.1:{redis_server.port}/3"
    db0.close()
    db3.close()


def test_block_key_expires_after_its_end(redis_server: RedisServer, raw: Redis) -> None:
    p = prefix()
    cache = open_cache(redis_server.url(prefix=p))
    cache.block("Twitter", time.time() + 30)
    pttl = raw.pttl(f"{p}block:twitter")
    assert 30_000 < pttl <= (30 + 600) * 1000  # the end time plus a grace period
    cache.close()


def test_unreadable_value_is_a_cache_error_on_get(redis_server: RedisServer, raw: Redis) -> None:
    p = prefix()
    cache = open_cache(redis_server.url(prefix=p))
    raw.set(f"{p}embed:k", b"\xff not json")
    with pytest.raises(CacheError, match="unusable entry"):
        cache.get("k")
    assert cache.stats(NOW).providers == {"(unreadable)": 1}
    assert cache.purge(all=True) == 1
    cache.close()


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis-auth"), password="hunter2-s3cret")
    try:
        yield server
    finally:
        server.stop()


def test_password_in_url_works_and_is_never_shown(secured: RedisServer) -> None:
    url = secured.url(prefix=prefix())
    cache = open_cache(url)
    cache.set(make("k"))
    assert cache.get("k") == make("k")
    shown = f"{cache.url} {cache!r} {cache.stats(NOW)}"
    assert "hunter2" not in shown
    assert cache.url == f"redis://:***@127.0.0.1:{secured.port}/0?" + url.split("?")[1]
    cache.close()


def test_wrong_password_is_a_cache_error_without_it(secured: RedisServer) -> None:
    cache = open_cache(f"redis://:wrong-pass-xyz@127.0.0.1:{secured.port}/0")
    with pytest.raises(CacheError) as info:
        cache.get("k")
    assert f"127.0.0.1:{secured.port}/0" in str(info.value)
    assert "wrong-pass-xyz" not in str(info.value)
    assert "wrong-pass-xyz" not in repr(info.value)
    assert info.value.__cause__ is None  # the redis exception (and its args) is not chained
    cache.close()


def test_missing_password_is_a_cache_error(secured: RedisServer) -> None:
    cache = open_cache(f"redis://127.0.0.1:{secured.port}/0")
    with pytest.raises(CacheError, match="redis cache at"):
        cache.set(make("k"))
    cache.close()


def test_no_server_is_a_quick_cache_error() -> None:
    port = free_port()
    cache = open_cache(f"redis://:pw-secret@127.0.0.1:{port}/0?socket_timeout=1")
    started = time.monotonic()
    for call in (lambda: cache.get("k"), lambda: cache.stats(NOW),
                 lambda: cache.block("X", NOW), lambda: cache.purge(all=True)):  # fmt: skip
        with pytest.raises(CacheError, match=f"127.0.0.1:{port}/0") as info:
            call()
        assert "pw-secret" not in str(info.value)
    assert time.monotonic() - started < 10
    cache.close()


def test_config_error_type_for_bad_redis_options() -> None:
    with pytest.raises(ConfigError, match="retention"):
        open_cache("redis://127.0.0.1:1/0?retention=-3")
