"""Fixtures for the cache tests: a real ``redis-server`` and one backend of each kind.

``redis_server`` starts ``redis-server`` on a free 127.0.0.1 port with no
persistence (``--save "" --appendonly no``) for the whole session; tests that
need it are skipped, with the reason, only when the binary is not installed.
Each Redis-backed test gets its own key prefix, so tests never see each
other's keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cache.redis_helpers import RedisServer, start_redis

from embedkit.resolve.cache import CacheBackend, open_cache


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server for the whole session (no persistence, loopback only)."""
    server = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A URL to the session's Redis with a key prefix of its own for this test."""
    return redis_server.url(prefix=f"test-{uuid.uuid4().hex[:12]}:")


def _open(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "memory":
        return "memory://"
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/cache.db"
    return str(request.getfixturevalue("redis_url"))


BACKENDS = ["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=BACKENDS)
def cache_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A cache URL for each backend kind (memory, sqlite in tmp_path, redis)."""
    return _open(request.param, request, tmp_path)


@pytest.fixture
def backend(cache_url: str) -> Iterator[CacheBackend]:
    """An open backend of each kind, closed after the test."""
    cache = open_cache(cache_url)
    try:
        yield cache
    finally:
        cache.close()


SHARED_BACKENDS = ["sqlite", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=SHARED_BACKENDS)
def shared_cache_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A cache URL that several processes/instances can open (sqlite, redis)."""
    return _open(request.param, request, tmp_path)
