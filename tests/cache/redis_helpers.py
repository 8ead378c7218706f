"""A real ``redis-server`` for tests: started on a free 127.0.0.1 port, no persistence.

Used by tests/cache/conftest.py's fixtures and by tests that need a second
server (with a password, for instance). When the binary is missing,
:func:`start_redis` skips the calling test and says why.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

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
