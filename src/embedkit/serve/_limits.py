"""Request limits: a per-client token bucket and a cap on query strings, as ASGI middleware.

The rate limit is in-process: each ``serve`` process (each uvicorn worker) keeps
its own buckets, so a fleet of N processes lets a client through up to N times
the rate. It keys on the client address uvicorn reports (the socket's peer, or
the forwarded address when uvicorn is told to trust a proxy).

>>> buckets = TokenBuckets(RateLimit(2, 1.0), clock=lambda: 0.0)
>>> [buckets.take("a") for _ in range(3)]
[0.0, 0.0, 0.5]
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from embedkit.serve._settings import RateLimit

__all__ = ["LimitsMiddleware", "TokenBuckets", "json_error_body"]

Scope = dict[str, Any]
ASGIApp = Callable[..., Any]

#: Paths that monitoring calls; never rate limited.
UNLIMITED_PATHS = frozenset({"/healthz", "/metrics", "/openapi.json"})


def json_error_body(status: int, message: str) -> bytes:
    """The JSON body of every error this service answers: ``{"error": ..., "status": ...}``."""
    return json.dumps({"error": message, "status": status}, ensure_ascii=False).encode()


class TokenBuckets:
    """One token bucket per client, ``limit.requests`` deep, refilled over ``limit.per`` s.

    At most ``max_clients`` buckets are kept; the least recently seen client is
    forgotten first (a full bucket is what it would have got anyway).
    """

    def __init__(
        self,
        limit: RateLimit,
        *,
        max_clients: int = 65_536,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.rate = limit.requests / limit.per
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, client: str) -> float:
        """Take one token for ``client``: ``0.0`` if allowed, else seconds until one is due."""
        now = self.clock()
        tokens, seen = self._buckets.pop(client, (float(self.limit.requests), now))
        tokens = min(float(self.limit.requests), tokens + (now - seen) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait


class LimitsMiddleware:
    """Refuse an over-long query string (414) and a client over its rate (429), as JSON."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_query_bytes: int,
        buckets: TokenBuckets | None,
        on_refused: Callable[[str], None] = lambda _reason: None,
    ) -> None:
        self.app = app
        self.max_query_bytes = max_query_bytes
        self.buckets = buckets
        self.on_refused = on_refused

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > self.max_query_bytes:
            self.on_refused("query_too_long")
            message = f"the query string is longer than {self.max_query_bytes} bytes"
            await _send_json(send, 414, message)
            return
        if self.buckets is not None and scope.get("path") not in UNLIMITED_PATHS:
            client = scope.get("client")
            wait = self.buckets.take(client[0] if client else "unknown")
            if wait > 0:
                self.on_refused("rate_limited")
                limit = self.buckets.limit
                message = (
                    f"rate limit of {limit.requests} requests per {limit.per:g} s exceeded; "
                    f"retry after {math.ceil(wait)} s"
                )
                await _send_json(send, 429, message, [(b"retry-after", b"%d" % math.ceil(wait))])
                return
        await self.app(scope, receive, send)


async def _send_json(
    send: Any, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json_error_body(status, message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
                (b"cache-control", b"no-store"),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
