"""What every channel is: the :class:`Channel` protocol and the decisions they share.

A channel publishes one formatted :class:`~embedkit.syndicate._models.Post` to one
platform and reads the account's recent posts back for reconciling. The pure
helpers here decide how a failure is classified (:func:`classify_http_error`),
derive the idempotency key (:func:`idempotency_key`) and read credentials from
the environment (:func:`require_env`). :func:`redact` is re-exported from its one
home, :mod:`embedkit._redaction`; whether a failed request was sent at all
is decided by :func:`embedkit.net._sent.was_sent`.

Example::

    >>> err = classify_http_error(429, sent=True, retry_after=30, reason="mastodon: slow down")
    >>> (err.retryable, err.ambiguous, err.retry_after)
    (True, False, 30)
    >>> err = classify_http_error(None, sent=True, reason="mastodon: read timed out")
    >>> (err.retryable, err.ambiguous)
    (True, True)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

from embedkit._errors import ChannelError, MissingCredential
from embedkit._redaction import redact
from embedkit.syndicate._models import Post, Published, RemotePost

__all__ = [
    "REASON_LIMIT",
    "Channel",
    "classify_http_error",
    "idempotency_key",
    "redact",
    "require_env",
    "truncate_reason",
]

#: How much of a platform's error text goes into a message.
REASON_LIMIT = 300


@runtime_checkable
class Channel(Protocol):
    """One outgoing platform account.

    ``idempotent`` is True when the platform recognises a retried request and
    does not post twice (Mastodon's ``Idempotency-Key``, a deterministic
    Bluesky record key, the file channel's key check); a job may then retry
    after an ambiguous failure. ``recent`` raises :class:`NotImplementedError`
    where the platform cannot list the account's posts (webhooks, Telegram).
    """

    name: str
    idempotent: bool

    def publish(self, post: Post, *, idempotency_key: str) -> Published:
        """Publish ``post``; return its id and URL, or raise ChannelError."""
        ...

    def recent(self, limit: int = 40) -> list[RemotePost]:
        """The account's most recent posts, newest first."""
        ...

    def close(self) -> None:
        """Release the channel's connections (sessions it opened itself)."""
        ...


def idempotency_key(article_id: str, channel: str, text_hash: str) -> str:
    """A stable key for one article's post on one channel with one text.

    The same article, channel and text always give the same key (so a retry
    is recognised); a different text gives a new key. 64 hex digits of SHA-256.

    >>> idempotency_key("a1", "mastodon", "h") == idempotency_key("a1", "mastodon", "h")
    True
    >>> len(idempotency_key("a1", "mastodon", "h"))
    64
    """
    material = json.dumps(["embedkit-idempotency-v1", article_id, channel, text_hash])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def truncate_reason(text: str, limit: int = REASON_LIMIT) -> str:
    """One line of at most ``limit`` characters, for a platform's error text."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def classify_http_error(
    status: int | None,
    *,
    sent: bool,
    retry_after: float | None = None,
    reason: str = "",
) -> ChannelError:
    """The :class:`ChannelError` for a failed request, classified for the retry logic.

    - 400/401/403/404/413/422 (and other 4xx): the request is wrong, not retryable;
    - 429: retryable, with ``retry_after`` seconds when the platform said;
    - 408 and 5xx: retryable;
    - no status, and the request had been sent (read timeout, connection cut
      while waiting): retryable but *ambiguous*, the post may exist;
    - no status, nothing sent (connection refused, connect timeout): retryable,
      not ambiguous.

    ``reason`` (the platform's error text, already free of secrets) starts the message.
    """
    reason = truncate_reason(reason) if reason else ""
    if status is None:
        if sent:
            what = "no answer after the request was sent; the post may have been published"
            return ChannelError(_join(reason, what), retryable=True, ambiguous=True)
        return ChannelError(
            _join(reason, "the request could not be sent"), retryable=True, ambiguous=False
        )
    if status == 429:
        wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        return ChannelError(
            _join(reason, f"HTTP 429, rate limited{wait}"),
            status=status,
            retryable=True,
            retry_after=retry_after,
        )
    if status == 408 or status >= 500:
        return ChannelError(
            _join(reason, f"HTTP {status}, the platform failed; retryable"),
            status=status,
            retryable=True,
            retry_after=retry_after,
        )
    label = "the request was refused" if status >= 400 else "an unexpected answer"
    return ChannelError(_join(reason, f"HTTP {status}, {label}; not retryable"), status=status)


def _join(reason: str, what: str) -> str:
    return f"{reason} ({what})" if reason else what


def require_env(channel: str, env: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """The values of ``names`` from ``env``; :class:`MissingCredential` names every one missing.

    >>> require_env("x", {"A": "1"}, ["A"])
    {'A': '1'}
    """
    wanted = list(names)
    missing = [n for n in wanted if not (env.get(n) or "").strip()]
    if missing:
        raise MissingCredential(
            f"channel {channel!r} needs the environment variable"
            f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}; set "
            f"{'them' if len(missing) > 1 else 'it'} (see docs/channels.md)"
        )
    return {n: env[n].strip() for n in wanted}
