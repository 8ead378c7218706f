"""Real ``embedkit serve`` processes on loopback ports, a provider simulator, a Redis.

``start_serve(env, *args)`` runs ``python -m embedkit serve --port P ...`` (the
real CLI, real uvicorn) and waits until ``/healthz`` answers; its log goes to a
file so a chatty server never blocks on a full pipe. Every server started by a
test is stopped after it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.cache.redis_helpers import NO_REDIS, REDIS_BINARY, RedisServer, free_port
from tests.simulator import ProviderSimulator

pytest.importorskip("starlette", reason="embedkit[serve] is not installed")
pytest.importorskip("uvicorn", reason="embedkit[serve] is not installed")

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Server:
    """One running ``embedkit serve`` process."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"embedkit serve exited:\n{server.log.read_text()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"embedkit serve did not come up:\n{server.log.read_text()}")


def launch(env: dict[str, str], *args: str, log_dir: Path) -> Server:
    """Start ``embedkit serve`` on a free port (without waiting for it)."""
    port = free_port()
    log = log_dir / f"serve-{port}.log"
    with log.open("wb") as out:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "embedkit", "serve", "--port", str(port), *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(port, process, log)


@pytest.fixture
def start_serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start servers for one test: ``start_serve(env, *cli_args)`` (all stopped afterwards)."""
    started: list[Server] = []

    def start(env: dict[str, str], *args: str, count: int = 1) -> Server:
        servers = [launch(env, *args, log_dir=tmp_path) for _ in range(count)]
        started.extend(servers)
        for server in servers:
            _wait_until_up(server)
        return servers[0]

    start.started = started  # type: ignore[attr-defined]
    try:
        yield start
    finally:
        for server in started:
            server.stop()


def serve_env(
    simulator: ProviderSimulator, folder: Path, cache: str | None = None
) -> dict[str, str]:
    """The environment of a server that talks to ``simulator`` as its providers."""
    providers = simulator.providers_file(folder)
    return {
        "EMBEDKIT_CACHE": cache or f"sqlite:///{folder}/cache.db",
        "EMBEDKIT_PROVIDERS": str(providers),
        "EMBEDKIT_ALLOW_PRIVATE_NETWORKS": "1",  # the simulator is on 127.0.0.1
        "EMBEDKIT_TIMEOUT": "5",
    }


class RestartableRedis:
    """A redis-server on a fixed port that a test may kill and start again."""

    def __init__(self, workdir: Path) -> None:
        if REDIS_BINARY is None:
            pytest.skip(NO_REDIS)
        self.workdir = workdir
        self.port = free_port()
        self.server: RedisServer | None = None

    def start(self) -> None:
        args = [
            str(REDIS_BINARY), "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
            "--daemonize", "no", "--loglevel", "warning",
        ]  # fmt: skip
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.server = RedisServer(self.port, process)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import redis

                if redis.Redis(port=self.port, socket_timeout=0.5).ping():
                    return
            except Exception:  # not up yet
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.server is not None:
            self.server.process.kill()
            self.server.process.wait()
            self.server = None

    def url(self, prefix: str = "fleet:") -> str:
        return f"redis://127.0.0.1:{self.port}/0?prefix={prefix}&socket_timeout=1"


@pytest.fixture
def restartable_redis(tmp_path: Path) -> Iterator[RestartableRedis]:
    pytest.importorskip("redis")
    redis = RestartableRedis(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()
