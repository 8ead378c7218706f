"""Reading a failed request: had any of it left before the failure?

A channel that fails to publish must decide between a safe retry and an
*ambiguous* outcome (the platform may have accepted the post). The answer is in
the exception: when the connection was never made (refused, DNS failure, connect
timeout, TLS handshake failure, a proxy that refused the tunnel, no free pooled
connection, a URL that could not be used) nothing was sent, and a retry cannot
post twice. Anything else — a read timeout, a connection cut while waiting — may
have come after the platform accepted the request.

:func:`was_sent` is the one place that knows this, for every HTTP stack the
channels run on: httpx/httpcore (webhooks, Threads, LinkedIn, Telegram, atproto),
requests/urllib3 (tweepy, Mastodon.py) and embedkit's own errors. It follows
wrappers (``MastodonNetworkError``, atproto's ``NetworkError``) to their cause.
requests and urllib3 are looked up only if they were imported, so this module
costs nothing when they are not used.

>>> import httpx
>>> was_sent(httpx.ProxyError("403 Forbidden")), was_sent(httpx.ReadTimeout("slow"))
(False, True)
"""

from __future__ import annotations

import socket
import ssl
import sys

import httpcore
import httpx

from embedkit._errors import BlockedAddress

__all__ = ["was_sent"]

#: Exceptions raised before any byte of the request left.
_NOT_SENT: tuple[type[BaseException], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.InvalidURL,
    httpcore.ConnectError,
    httpcore.ConnectTimeout,
    httpcore.PoolTimeout,
    httpcore.ProxyError,
    httpcore.UnsupportedProtocol,
    socket.gaierror,
    ConnectionRefusedError,
    ssl.SSLError,
    BlockedAddress,
)
#: Exceptions that say the request may have reached the server.
_MAYBE_SENT: tuple[type[BaseException], ...] = (httpx.TransportError, httpcore.NetworkError)
_MAX_CHAIN = 8


def _requests_verdict(exc: BaseException) -> bool | None:
    requests = sys.modules.get("requests")
    if requests is None:
        return None
    errors = requests.exceptions
    if isinstance(
        exc,
        errors.ConnectTimeout
        | errors.ProxyError
        | errors.SSLError
        | errors.InvalidURL
        | errors.MissingSchema
        | errors.InvalidSchema,
    ):
        return False
    if isinstance(exc, errors.ConnectionError):
        inner = exc.args[0] if exc.args else None
        verdict = _verdict(inner) if isinstance(inner, BaseException) else None
        return True if verdict is None else verdict
    if isinstance(exc, errors.RequestException):
        return True
    return None


def _urllib3_verdict(exc: BaseException) -> bool | None:
    urllib3 = sys.modules.get("urllib3")
    if urllib3 is None:
        return None
    errors = urllib3.exceptions
    if isinstance(
        exc,
        errors.NewConnectionError  # NameResolutionError (DNS) is one of these
        | errors.ConnectTimeoutError
        | errors.ProxyError
        | errors.SSLError
        | errors.LocationParseError,
    ):
        return False
    if isinstance(exc, errors.MaxRetryError):
        reason = exc.reason
        verdict = _verdict(reason) if isinstance(reason, BaseException) else None
        return True if verdict is None else verdict
    if isinstance(exc, errors.HTTPError):
        return True
    return None


def _verdict(exc: BaseException) -> bool | None:
    """True (maybe sent), False (nothing sent), or None (not a transport error)."""
    if isinstance(exc, _NOT_SENT):
        return False
    for reader in (_requests_verdict, _urllib3_verdict):
        verdict = reader(exc)
        if verdict is not None:
            return verdict
    if isinstance(exc, _MAYBE_SENT):
        return True
    return None


def was_sent(exc: BaseException | None) -> bool:
    """Whether the request may have reached the server before ``exc`` happened.

    False only when the exception (or, for a wrapper, its cause) proves that
    nothing was sent: connect errors and timeouts, DNS failures, TLS handshake
    failures, proxy errors, pool timeouts, unusable URLs and addresses refused
    by the network guard. Unknown exceptions count as sent, the safe guess.

    >>> import requests
    >>> was_sent(requests.exceptions.ConnectTimeout("connect timed out"))
    False
    >>> was_sent(requests.exceptions.ReadTimeout("read timed out"))
    True
    """
    current = exc
    for _ in range(_MAX_CHAIN):
        if current is None:
            break
        verdict = _verdict(current)
        if verdict is not None:
            return verdict
        current = current.__cause__ or current.__context__
    return True
