"""Fixtures for the cache tests: a real ``redis-server`` and one backend of each kind.

``redis_server`` starts ``redis-server`` on a free 127.0.0.1 port with no
persistence (``--save "" --appendonly no``) for the whole session; tests that
need it are skipped, with the reason, only when the binary is not installed.
Each Redis-backed test gets its own key prefix, so tests never see each
other's keys.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from embedkit.cache import CacheBackend, open_cache

REDIS_BINARY = shutil.which("redis-server")
NO_REDIS = "redis-server binary not found on PATH (apt-get install redis-server to run these)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """A running redis-server: its port, password and process."""

    port: int
    process: subprocess.Popen[bytes]
    password: str | None = None

    def url(self, *, db: int = 0, prefix: str | None = None, extra: str = "") -> str:
        auth = f":{self.password}@" if self.password else ""
        query = [f"prefix={prefix}"] if prefix else []
        if extra:
            query.append(extra)
        tail = f"?{'&'.join(query)}" if query else ""
        return f"redis://{auth}127.0.0.1:{self.port}/{db}{tail}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError:
        return False
    return reply.startswith((b"+PONG", b"-NOAUTH"))


def start_redis(workdir: Path, *, password: str | None = None) -> RedisServer:
    """Start redis-server on a free port (retrying if another process took it)."""
    if REDIS_BINARY is None:
        pytest.skip(NO_REDIS)
    workdir.mkdir(parents=True, exist_ok=True)
    for _attempt in range(5):
        port = free_port()
        args = [
            REDIS_BINARY, "--port", str(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(workdir),
            "--daemonize", "no", "--loglevel", "warning",
        ]  # fmt: skip
        if password:
            args += ["--requirepass", password]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            if _answers_ping(port):
                return RedisServer(port=port, process=process, password=password)
            time.sleep(0.02)
        process.kill()
        process.wait()
    raise RuntimeError("redis-server did not start on a free port after 5 attempts")


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
