"""The guarded transport: connections pinned to the addresses the network guard checked.

:class:`GuardedTransport` speaks HTTP/1.1 with the standard library's
:mod:`http.client`, over sockets that :class:`PinnedBackend` opens, kept alive
in a small pool of ours (:class:`ConnectionPool`). The client
(:mod:`embedkit.net._http`) resolves a host once through the DNS seam, checks
the addresses, and publishes them for the request in :data:`CURRENT_PERMIT`; the
backend then connects only to those, so a second DNS answer cannot smuggle a
private address past the guard (DNS rebinding). TLS still verifies the
certificate against the host name. Proxies from the environment are not used,
since a proxy would resolve names itself.

The client also publishes the fetch's wall-clock deadline in
:data:`CURRENT_DEADLINE`. Every socket operation (connect, TLS handshake, each
read and write) waits at most until then, so a server that trickles its headers
or body one byte at a time cannot keep a request open past the deadline, however
short each wait is. A response's status line and headers may take at most
:data:`MAX_HEAD_BYTES`.

Errors are httpx's (``httpx.ConnectError``, ``httpx.ReadTimeout``,
``httpx.RemoteProtocolError``…), so that :func:`~embedkit.net._sent.was_sent`
and every caller read them as from any httpx transport.
"""

from __future__ import annotations

import contextvars
import http.client
import io
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from embedkit.net._netguard import (
    DnsResolver,
    check_host,
    normalize_host,
    parse_ip_host,
    system_dns,
)

__all__ = [
    "BODY_LIMIT",
    "CURRENT_DEADLINE",
    "CURRENT_PERMIT",
    "MAX_HEAD_BYTES",
    "ConnectionPool",
    "GuardedTransport",
    "Permit",
    "PinnedBackend",
    "WireLimitExceeded",
    "ascii_host",
]

#: The most a response's status line and headers may take, in bytes.
MAX_HEAD_BYTES = 64 * 1024
#: The request extension that caps what a body may take on the wire (framing included).
BODY_LIMIT = "embedkit_body_limit"
_READ_SIZE = 64 * 1024
_RETRYABLE = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Permit:
    """Which addresses the current request may connect to for one origin."""

    host: str
    port: int
    addresses: tuple[str, ...] | None  # None: resolve through the DNS seam, unchecked


CURRENT_PERMIT: contextvars.ContextVar[Permit | None] = contextvars.ContextVar(
    "embedkit_http_permit", default=None
)

#: When the current fetch must end, on the ``time.monotonic()`` clock (None: no deadline).
CURRENT_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "embedkit_http_deadline", default=None
)


def ascii_host(url: httpx.URL) -> str:
    """The URL's host in its ASCII (IDNA 2008) form, the one its ``Host`` header carries.

    httpx's ``url.host`` decodes it to Unicode; handing that to DNS or TLS would
    encode it again by Python's older rules (``straße.test`` becomes
    ``strasse.test``, another domain).

    >>> ascii_host(httpx.URL("https://straße.test/"))
    'xn--strae-oqa.test'
    """
    return url.raw_host.decode("ascii")


def _bounded(timeout: float | None, error: type[httpx.TimeoutException]) -> float | None:
    """``timeout`` cut to what is left before the current deadline; raise once it passed."""
    deadline = CURRENT_DEADLINE.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the fetch deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class _Wire:
    """A connected socket whose every read and write ends by the fetch's deadline.

    It is the ``sock`` that :class:`http.client.HTTPConnection` writes to and its
    responses read from. They all read through one buffered reader, so bytes a
    server sent past the end of a response stay visible (:meth:`leftover`) instead
    of vanishing with a per-response buffer. Like a socket, it closes for real only
    once the last response file is closed. ``limit`` caps what the current part of
    an answer may still read (its head, then its body with the framing).
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.timeout: float | None = None  # the current request's per-operation timeout
        self.limit: int | None = None  # bytes the answer may still read from the socket
        self.limit_message = ""
        self.limit_error: type[httpx.RemoteProtocolError] = httpx.RemoteProtocolError
        self._received = 0  # bytes read from the socket...
        self._consumed = 0  # ...and handed on to http.client: the rest is buffered
        self._set_timeout: float | None = -1.0  # what the socket has: none set yet
        self._files = 0
        self._closed = False
        self.reader = io.BufferedReader(_WireReader(self), _READ_SIZE)

    def _wait_at_most(self, error: type[httpx.TimeoutException]) -> None:
        """Let the next operation wait the timeout, and never past the deadline.

        Setting a socket's timeout is a system call: it is made only when the
        wait must change (a new timeout, or the deadline is nearer than it).
        """
        wait = _bounded(self.timeout, error)
        if wait != self._set_timeout:
            self.sock.settimeout(wait)
            self._set_timeout = wait

    def sendall(self, data: bytes) -> None:
        self._wait_at_most(httpx.WriteTimeout)
        try:
            self.sock.sendall(data)
        except TimeoutError as exc:
            raise httpx.WriteTimeout("timed out sending the request") from exc
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__) from exc

    def recv_into(self, buffer: Any) -> int:
        self._wait_at_most(httpx.ReadTimeout)
        try:
            count = self.sock.recv_into(buffer)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("timed out reading the response") from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
        self._received += count
        if self.limit is not None:
            self.limit -= count
            if self.limit < 0:
                raise self.limit_error(self.limit_message)
        return count

    def consumed(self, count: int) -> int:
        """Count ``count`` bytes as handed on to http.client; returns it."""
        self._consumed += count
        return count

    def bound(
        self,
        limit: int | None,
        message: str,
        error: type[httpx.RemoteProtocolError] = httpx.RemoteProtocolError,
    ) -> None:
        """From now on the answer may read at most ``limit`` more bytes (None: no cap)."""
        self.limit = limit
        self.limit_message = message
        self.limit_error = error

    def makefile(self, mode: str = "rb") -> _ResponseFile:
        self._files += 1
        return _ResponseFile(self)

    def file_closed(self) -> None:
        self._files -= 1
        if self._closed and self._files <= 0:
            self.sock.close()

    def leftover(self) -> bool:
        """Whether anything is waiting past the last answer: buffered, or on the socket.

        A kept-alive connection with such bytes (the server closed it, or sent
        something unasked) is never used again.
        """
        if self._received != self._consumed:
            return True  # read past the last answer: still in the buffer
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        poller = select.poll()  # waiting on the socket, or its end (a close)
        poller.register(self.sock, select.POLLIN)
        return bool(poller.poll(0))

    def close(self) -> None:
        self._closed = True
        if self._files <= 0:
            self.sock.close()


class _WireReader(io.RawIOBase):
    def __init__(self, wire: _Wire) -> None:
        self._wire = wire

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._wire.recv_into(buffer)


class _ResponseFile(io.RawIOBase):
    """What one :class:`http.client.HTTPResponse` reads: the wire's one buffered reader.

    Closing it (http.client does, at the end of each answer) leaves the reader open
    for the connection's next answer.
    """

    def __init__(self, wire: _Wire) -> None:
        self._wire = wire
        self._reader = wire.reader

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> bytes:
        line = self._reader.readline(-1 if size is None else size)
        self._wire.consumed(len(line))
        return line

    def read(self, size: int | None = -1) -> bytes:
        data = self._reader.read(size)
        self._wire.consumed(len(data))
        return data

    def read1(self, size: int = -1) -> bytes:
        data = self._reader.read1(size)
        self._wire.consumed(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        return self._wire.consumed(self._reader.readinto(buffer))

    def peek(self, size: int = 0) -> bytes:
        return self._reader.peek(size)

    def close(self) -> None:
        if not self.closed:
            super().close()
            self._wire.file_closed()


class WireLimitExceeded(httpx.RemoteProtocolError):
    """A body took more bytes on the wire, framing included, than its request allowed."""


class _Response(http.client.HTTPResponse):
    """http.client's response, skipping every interim (1xx) answer, not only 100.

    Python's ``http.client`` skips ``100 Continue`` only: a ``103 Early Hints`` would
    be taken for the answer, and the real one for the next request's.
    """

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if status == 101:
                raise http.client.HTTPException("the server switched protocols unasked")
            if not 100 < status < 200:
                return version, status, reason
            http.client.parse_headers(self.fp)  # an interim answer's headers, skipped


class _Connection(http.client.HTTPConnection):
    """One HTTP/1.1 connection, over a socket the pool opened through the guard."""

    response_class = _Response

    def __init__(self, host: str, port: int, wire: _Wire) -> None:
        super().__init__(host, port)
        self.sock = wire
        self.wire = wire
        self.idle_since = time.monotonic()

    def connect(self) -> None:
        # http.client reconnects by itself to the host by name; embedkit never
        # does: every connection is opened by the pool, to checked addresses.
        raise http.client.NotConnected("the connection was closed")


class PinnedBackend:
    """Opens TCP connections only to the addresses the client checked.

    Without a permit for the origin (a request that did not come through
    :class:`HttpClient`), the host is checked here when ``guard`` is on.
    """

    def __init__(self, dns: DnsResolver, guard: bool) -> None:
        self._dns = dns
        self._guard = guard

    def _addresses(self, host: str, port: int) -> list[str]:
        name = normalize_host(host)
        permit = CURRENT_PERMIT.get()
        if permit is not None and (permit.host, permit.port) == (name, port):
            if permit.addresses is not None:
                return list(permit.addresses)
        elif self._guard:
            return check_host(name, port, dns=self._dns)
        literal = parse_ip_host(name)
        return [str(literal)] if literal is not None else list(self._dns(name, port))

    def connect(self, host: str, port: int, timeout: float | None = None) -> socket.socket:
        """A TCP socket to one of ``host``'s permitted addresses (TCP_NODELAY set)."""
        failure: Exception | None = None
        for address in self._addresses(host, port):
            try:
                sock = socket.create_connection(
                    (address, port), timeout=_bounded(timeout, httpx.ConnectTimeout)
                )
            except TimeoutError as exc:
                failure = httpx.ConnectTimeout(f"timed out connecting to {host}")
                failure.__cause__ = exc
                continue
            except OSError as exc:
                failure = httpx.ConnectError(str(exc) or type(exc).__name__)
                failure.__cause__ = exc
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        raise failure or httpx.ConnectError(f"no address to connect to for {host}")


class _Body(httpx.SyncByteStream):
    """A response body; the connection goes back to the pool once it was read to the end."""

    def __init__(self, response: http.client.HTTPResponse, done: Callable[[bool], None]) -> None:
        self._response = response
        self._done: Callable[[bool], None] | None = done
        self._complete = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            while True:
                chunk = self._response.read1(_READ_SIZE)
                if not chunk:
                    # http.client leaves a Content-Length body open at its end
                    self._complete = self._response.length == 0 or self._response.isclosed()
                    return
                yield chunk
        except http.client.HTTPException as exc:
            raise httpx.RemoteProtocolError(_describe(exc)) from exc
        except (ValueError, OSError) as exc:  # a reader closed under us, a failed TLS record
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc

    def close(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            self._response.close()
            done(self._complete)


def _clean_framing(response: http.client.HTTPResponse) -> bool:
    """Whether where the answer ends is beyond doubt, so its connection may serve again.

    Not when it names both a length and a transfer coding, more than one length, a
    coding other than ``chunked``, or a body for a status that has none (RFC 9112 §6):
    a server that writes that may write the rest later, as the next answer.
    """
    codings = response.msg.get_all("transfer-encoding") or []
    lengths = response.msg.get_all("content-length") or []
    if len(lengths) > 1 or (codings and lengths):
        return False
    if codings and [c.strip().lower() for c in codings] != ["chunked"]:
        return False
    bodiless = response.status in (204, 304)
    return not (bodiless and (codings or (lengths and lengths[0].strip() != "0")))


def _head_size(reason: str, fields: list[tuple[str, str]]) -> int:
    """About how many bytes a response's status line and header fields took."""
    return len(reason) + 15 + sum(len(k) + len(v) + 4 for k, v in fields)


def _describe(exc: http.client.HTTPException) -> str:
    if isinstance(exc, http.client.IncompleteRead):
        return "the server closed the connection before the end of the body"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(exc, http.client.LineTooLong):
        return f"a line of the response is too long ({exc})"
    return f"the response is not valid HTTP/1.1 ({type(exc).__name__}: {exc})"


class ConnectionPool:
    """Kept-alive connections per origin, taken and given back under one short lock.

    A request takes an idle connection (or opens one through the backend) and
    the body hands it back when it was read to the end and the server keeps it
    open. An idle connection that has bytes waiting (the server closed it, or
    sent something unasked) is dropped, never reused.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        network_backend: PinnedBackend,
        max_idle_per_origin: int = 32,
        keepalive_expiry: float = 30.0,
    ) -> None:
        self._ssl_context = ssl_context
        self._backend = network_backend
        self._max_idle = max_idle_per_origin
        self._expiry = keepalive_expiry
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def _take(self, key: tuple[str, str, int]) -> _Connection | None:
        while True:
            with self._lock:
                idle = self._idle.get(key)
                connection = idle.pop() if idle else None
            if connection is None:
                return None
            fresh = time.monotonic() - connection.idle_since < self._expiry
            if fresh and not connection.wire.leftover():
                return connection
            connection.close()

    def _give_back(self, key: tuple[str, str, int], connection: _Connection) -> None:
        if not self._closed:
            connection.idle_since = time.monotonic()
            with self._lock:
                idle = self._idle.setdefault(key, [])
                if len(idle) < self._max_idle:
                    idle.append(connection)
                    return
        connection.close()

    def _open(self, scheme: str, host: str, port: int, timeout: float | None) -> _Connection:
        sock = self._backend.connect(host, port, timeout)
        if scheme == "https":
            try:
                sock.settimeout(_bounded(timeout, httpx.ConnectTimeout))
                sock = self._ssl_context.wrap_socket(sock, server_hostname=host)
            except TimeoutError as exc:
                sock.close()
                raise httpx.ConnectTimeout(f"timed out in the TLS handshake with {host}") from exc
            except (OSError, ssl.SSLError) as exc:
                sock.close()
                raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
            except BaseException:
                sock.close()
                raise
        return _Connection(host, port, _Wire(sock))

    def send(
        self,
        method: str,
        scheme: str,
        host: str,
        port: int | None,
        target: str,
        headers: Sequence[tuple[bytes | str, bytes | str]],
        *,
        body: bytes = b"",
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        body_limit: int | None = None,
    ) -> httpx.Response:
        """Send one request to ``scheme://host:port`` and read the answer's head.

        ``target`` is the request target (path and query, already encoded);
        ``headers`` are sent as given (``Host`` among them). The body streams from
        the response; the connection goes back to the pool when it was read to
        the end. ``body_limit`` caps the bytes the body may take on the wire, its
        framing included (chunk sizes, extensions, trailers).
        """
        port = port or (443 if scheme == "https" else 80)
        key = (scheme, host, port)
        retried = False
        while True:
            # A retry never takes another pooled connection: it may be as stale.
            connection = None if retried else self._take(key)
            reused = connection is not None
            if connection is None:
                connection = self._open(scheme, host, port, connect_timeout)
            try:
                response, fields = self._exchange(
                    connection, method, target, headers, body, read_timeout, body_limit
                )
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                connection.close()
                # A kept-alive connection the server closed while it sat idle: nothing
                # was answered, and a GET may be sent once more, on a new connection.
                stale = isinstance(exc.__cause__, http.client.RemoteDisconnected | OSError)
                if reused and stale and not retried and method in _RETRYABLE:
                    retried = True
                    continue
                raise
            except BaseException:
                connection.close()
                raise

            def done(
                complete: bool,
                connection: _Connection = connection,
                response: http.client.HTTPResponse = response,
            ) -> None:
                reusable = complete and not response.will_close and _clean_framing(response)
                if reusable:  # leftovers are seen when the connection is taken
                    self._give_back(key, connection)
                else:
                    connection.close()

            try:
                return httpx.Response(
                    status_code=response.status,
                    # http.client read the header bytes as Latin-1: these are those bytes
                    headers=[
                        (name.encode("latin-1"), value.encode("latin-1")) for name, value in fields
                    ],
                    stream=_Body(response, done),
                    extensions={
                        "http_version": b"HTTP/1.1" if response.version == 11 else b"HTTP/1.0",
                        "reason_phrase": response.reason.encode("latin-1", "replace"),
                    },
                )
            except BaseException:
                response.close()
                connection.close()
                raise

    @staticmethod
    def _exchange(
        connection: _Connection,
        method: str,
        target: str,
        headers: Sequence[tuple[bytes | str, bytes | str]],
        body: bytes,
        timeout: float | None,
        body_limit: int | None,
    ) -> tuple[http.client.HTTPResponse, list[tuple[str, str]]]:
        """The answer's head, and its header fields (read once)."""
        wire = connection.wire
        wire.timeout = timeout
        wire.bound(None, "")
        try:
            connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                connection.putheader(name, value)
            connection.endheaders(body or None)
            # What the head may read: the cap, and what one read takes past the head.
            wire.bound(
                MAX_HEAD_BYTES + _READ_SIZE,
                f"the response's headers are larger than {MAX_HEAD_BYTES} bytes",
            )
            response = connection.getresponse()
            wire.bound(
                body_limit,
                f"the answer takes more than {body_limit} bytes on the wire with its framing",
                WireLimitExceeded,
            )
            fields = response.getheaders()
            if _head_size(response.reason, fields) > MAX_HEAD_BYTES:
                response.close()
                raise httpx.RemoteProtocolError(
                    f"the response's headers are larger than {MAX_HEAD_BYTES} bytes"
                )
            return response, fields
        except http.client.HTTPException as exc:
            raise httpx.RemoteProtocolError(_describe(exc)) from exc
        except ValueError as exc:  # http.client refused a header or the target
            raise httpx.LocalProtocolError(str(exc)) from exc

    def close(self) -> None:
        self._closed = True
        with self._lock:
            idle = [c for connections in self._idle.values() for c in connections]
            self._idle.clear()
        for connection in idle:
            connection.close()


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport whose connections go only to checked addresses.

    It is :mod:`http.client`'s HTTP/1.1, pooled per origin, over connections
    that resolve names through ``dns`` and go to the addresses
    :class:`HttpClient` checked for the request. TLS still verifies the
    certificate for the host name in the URL.
    """

    def __init__(
        self,
        *,
        dns: DnsResolver = system_dns,
        guard: bool = True,
        on_request: Callable[[str], object] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``on_request`` is called with ``scheme://host[:port]/path`` (no query) before
        each request is sent (the service counts upstream requests with it).
        ``ssl_context`` verifies servers (default: httpx's, with certifi's roots; it
        must check host names)."""
        if ssl_context is not None and not ssl_context.check_hostname:
            raise ValueError("the TLS context must check host names")
        self._pool = ConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(),
            network_backend=PinnedBackend(dns, guard),
        )
        self._on_request = on_request

    def _seen(self, scheme: str, host: str, port: int | None, target: str) -> None:
        if self._on_request is not None:
            authority = host if port is None else f"{host}:{port}"
            self._on_request(f"{scheme}://{authority}{target.partition('?')[0]}")

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        timeouts = request.extensions.get("timeout", {})
        target = url.raw_path.decode("ascii")
        host = ascii_host(url)
        self._seen(url.scheme, host, url.port, target)
        return self._pool.send(
            request.method,
            url.scheme,
            host,
            url.port,
            target,
            request.headers.raw,
            body=request.read() if request.method not in _RETRYABLE else b"",
            connect_timeout=timeouts.get("connect"),
            read_timeout=timeouts.get("read"),
            body_limit=request.extensions.get(BODY_LIMIT),
        )

    def send(
        self,
        scheme: str,
        host: str,
        port: int | None,
        target: str,
        headers: Sequence[tuple[str, str]],
        timeout: float | None,
        body_limit: int | None = None,
    ) -> httpx.Response:
        """GET ``target`` from ``scheme://host:port`` without building an ``httpx.Request``.

        :class:`HttpClient` calls this for URLs it read itself; ``headers`` must
        include ``Host``.
        """
        self._seen(scheme, host, port, target)
        return self._pool.send(
            "GET",
            scheme,
            host,
            port,
            target,
            headers,
            connect_timeout=timeout,
            read_timeout=timeout,
            body_limit=body_limit,
        )

    def close(self) -> None:
        self._pool.close()
