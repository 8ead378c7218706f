"""The guarded transport: connections pinned to the addresses the network guard checked.

:class:`GuardedTransport` is httpcore's HTTP/1.1 connections, kept alive in a
small pool of ours (:class:`ConnectionPool`), over a network backend of ours
(:class:`PinnedBackend`). The client (:mod:`embedkit.net._http`) resolves a
host once through the DNS seam, checks the addresses, and publishes them for the
request in :data:`CURRENT_PERMIT`; the backend then connects only to those, so a
second DNS answer cannot smuggle a private address past the guard (DNS
rebinding). TLS still verifies the certificate against the host name. Proxies
from the environment are not used, since a proxy would resolve names itself.

The client also publishes the fetch's wall-clock deadline in
:data:`CURRENT_DEADLINE`. Every socket operation of the backend (connect, TLS
handshake, each read and write) waits at most until then, so a server that
trickles its headers or body one byte at a time cannot keep a request open past
the deadline, however short each wait is.
"""

from __future__ import annotations

import contextvars
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from embedkit.net._netguard import (
    DnsResolver,
    check_host,
    normalize_host,
    parse_ip_host,
    system_dns,
)

__all__ = [
    "CURRENT_DEADLINE",
    "CURRENT_PERMIT",
    "ConnectionPool",
    "DeadlineStream",
    "GuardedTransport",
    "Permit",
    "PinnedBackend",
]


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


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` cut to what is left before the current deadline; raise once it passed."""
    deadline = CURRENT_DEADLINE.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the fetch deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the current fetch's deadline.

    The deadline is read from :data:`CURRENT_DEADLINE` at each call, so a kept-alive
    connection serves each request under that request's own deadline.
    """

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout)
        )
        return DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


_HTTPCORE_ERRORS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


def _as_httpx_error(exc: Exception) -> Exception:
    for core, mapped in _HTTPCORE_ERRORS:
        if isinstance(exc, core):
            return mapped(str(exc))
    return exc


class PinnedBackend(httpcore.NetworkBackend):
    """Opens TCP connections only to the addresses the client checked.

    Without a permit for the origin (a request that did not come through
    :class:`HttpClient`), the host is checked here when ``guard`` is on.
    """

    def __init__(self, dns: DnsResolver, guard: bool) -> None:
        self._dns = dns
        self._guard = guard
        self._inner = httpcore.SyncBackend()

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

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        addresses = self._addresses(host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    timeout=_bounded(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
                return DeadlineStream(stream)
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"no address to connect to for {host}")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by embedkit")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Stream(httpx.SyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._stream
        except Exception as exc:
            raise _as_httpx_error(exc) from exc

    def close(self) -> None:
        if hasattr(self._stream, "close"):
            self._stream.close()


class _PooledStream:
    """A response body that hands its connection back to the pool when closed."""

    def __init__(self, stream: Any, release: Any) -> None:
        self._stream = stream
        self._release = release

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        try:
            if hasattr(self._stream, "close"):
                self._stream.close()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class ConnectionPool:
    """Kept-alive connections per origin, taken and given back under one short lock.

    httpcore's own pool re-plans every queued request against every connection
    under its lock at each request; with dozens of threads on one origin that
    planning costs more than the request. Here a request takes an idle
    connection (or opens one) and gives it back when its body is closed.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        network_backend: httpcore.NetworkBackend,
        max_idle_per_origin: int = 32,
        keepalive_expiry: float = 30.0,
    ) -> None:
        self._ssl_context = ssl_context
        self._backend = network_backend
        self._max_idle = max_idle_per_origin
        self._expiry = keepalive_expiry
        self._idle: dict[tuple[bytes, bytes, int | None], list[httpcore.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def _take(self, key: tuple[bytes, bytes, int | None]) -> httpcore.HTTPConnection | None:
        while True:
            with self._lock:
                idle = self._idle.get(key)
                connection = idle.pop() if idle else None
            if connection is None:
                return None
            if connection.is_idle() and not connection.has_expired():
                return connection
            connection.close()

    def _give_back(
        self, key: tuple[bytes, bytes, int | None], connection: httpcore.HTTPConnection
    ) -> None:
        if not self._closed and connection.is_idle() and not connection.has_expired():
            with self._lock:
                idle = self._idle.setdefault(key, [])
                if len(idle) < self._max_idle:
                    idle.append(connection)
                    return
        connection.close()

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        url = request.url
        key = (url.scheme, url.host, url.port)
        while True:
            connection = self._take(key)
            fresh = connection is None
            if connection is None:
                connection = httpcore.HTTPConnection(
                    origin=url.origin,
                    ssl_context=self._ssl_context,
                    keepalive_expiry=self._expiry,
                    network_backend=self._backend,
                )
            try:
                response = connection.handle_request(request)
            except httpcore.ConnectionNotAvailable:
                connection.close()
                if fresh:
                    raise
                continue
            except BaseException:
                connection.close()
                raise
            return httpcore.Response(
                status=response.status,
                headers=response.headers,
                content=_PooledStream(
                    response.stream, lambda c=connection: self._give_back(key, c)
                ),
                extensions=response.extensions,
            )

    def close(self) -> None:
        self._closed = True
        with self._lock:
            idle = [c for connections in self._idle.values() for c in connections]
            self._idle.clear()
        for connection in idle:
            connection.close()


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport whose connections go only to checked addresses.

    It is httpcore's connections, pooled per origin, with a network backend that
    resolves names through ``dns`` and connects to the addresses
    :class:`HttpClient` checked for the request. TLS still verifies the
    certificate for the host name in the URL.
    """

    def __init__(self, *, dns: DnsResolver = system_dns, guard: bool = True) -> None:
        self._pool = ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=PinnedBackend(dns, guard),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = self._pool.handle_request(core_request)
        except Exception as exc:
            mapped = _as_httpx_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Stream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()
