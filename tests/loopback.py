"""Local servers for tests: a raw TCP listener and a quiet threading HTTP server.

The provider simulator speaks correct HTTP; the tests of hostile servers need to
write exactly the bytes they choose (malformed headers, a proxy refusing its
tunnel, a server that never answers). :class:`Loopback` accepts connections in a
background thread and hands each to a function::

    with Loopback(lambda conn: conn.sendall(b"HTTP/1.1 200 OK\\r\\n...")) as server:
        http.get(server.url("/oembed"))
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer

__all__ = ["LocalHTTPServer", "Loopback", "read_head"]

#: What a client that gives up on a request leaves behind on the server side.
_CLIENT_LEFT = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)


class LocalHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server for tests on 127.0.0.1 that never blocks a test's end.

    The clients under test hang up on purpose (deadlines, size caps, cancelled
    batches); that is not a server error, so it is not printed. Anything else a
    handler raises still is.
    """

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], _CLIENT_LEFT):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def read_head(conn: socket.socket) -> bytes:
    """Read a request up to the end of its headers (or until the client stops)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class Loopback:
    """A listener on 127.0.0.1 (random port) that calls ``handle(conn)`` per connection.

    The connection is closed after ``handle`` returns, unless ``keep`` is true (then
    it stays open until :meth:`close`, like a server that never answers).
    """

    def __init__(self, handle: Callable[[socket.socket], object], *, keep: bool = False) -> None:
        self._handle = handle
        self._keep = keep
        self._held: list[socket.socket] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if self._keep:
                self._held.append(conn)  # before the handler runs: close() must see it
            with contextlib.suppress(OSError):
                self._handle(conn)
            if not self._keep:
                conn.close()

    def close(self) -> None:
        self._sock.close()
        for conn in self._held:
            conn.close()

    def __enter__(self) -> Loopback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
