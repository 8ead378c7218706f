"""Retry decisions for publishing: pure functions, no I/O.

After a publish attempt fails, :func:`decide` says what to do next:

- ``retry`` after ``delay`` seconds: a retryable error (timeout before sending,
  connection refused, 5xx, 429) while the run's time budget allows, or an
  ambiguous error on an *idempotent* channel (the same Idempotency-Key makes a
  second attempt safe);
- ``fail``: the request itself is wrong (400/401/403/422, text too long); or a
  retryable error once the budget or the attempts are spent (``retryable`` then
  says the next run may try again);
- ``unknown``: the request may have been accepted (a timeout after it was sent)
  and a blind retry could post twice.

Example::

    >>> policy = RetryPolicy(base=1.0, factor=2.0, jitter=0.0)
    >>> backoff_delay(3, policy, random=lambda: 0.5)
    4.0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from embedkit._errors import ChannelError, DoesNotFit, MissingCredential

__all__ = ["Decision", "RetryPolicy", "backoff_delay", "decide"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to retry one post within one run.

    The n-th retry waits ``base * factor**(n-1)`` seconds (capped at
    ``max_delay``), spread by ``±jitter`` (a fraction), and never less than the
    platform's Retry-After. At most ``max_attempts`` attempts per post per run.
    """

    base: float = 1.0
    factor: float = 2.0
    max_delay: float = 60.0
    jitter: float = 0.25
    max_attempts: int = 5


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do after a failed attempt."""

    action: Literal["retry", "fail", "unknown"]
    reason: str
    delay: float = 0.0
    retryable: bool = False  # for "fail": may the next run try again?


def backoff_delay(
    attempt: int,
    policy: RetryPolicy,
    *,
    random: Callable[[], float],
    retry_after: float | None = None,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based).

    ``random`` returns a float in [0, 1) (``random.Random().random``); 0.5 means
    no jitter. A Retry-After from the platform is a floor, never shortened.
    """
    delay = min(policy.base * policy.factor ** max(attempt - 1, 0), policy.max_delay)
    delay *= 1 + policy.jitter * (2 * random() - 1)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return max(delay, 0.0)


def describe(error: BaseException) -> str:
    """A one-line reason for the ledger and the summary."""
    message = str(error) or type(error).__name__
    status = error.status if isinstance(error, ChannelError) else None
    if status is not None and f"HTTP {status}" not in message:
        return f"HTTP {status}: {message}"
    return message


def decide(
    error: BaseException,
    *,
    idempotent: bool,
    attempt: int,
    policy: RetryPolicy,
    remaining: float,
    random: Callable[[], float],
) -> Decision:
    """Decide what follows a failed publish attempt.

    ``attempt`` counts the attempts made so far (1 after the first);
    ``remaining`` is the run's time budget left, in seconds.
    """
    reason = describe(error)
    if isinstance(error, (DoesNotFit, MissingCredential)):
        return Decision("fail", reason)
    if not isinstance(error, ChannelError):
        # Something unexpected broke while the request may have been in flight.
        return Decision("unknown", f"unexpected error while posting: {reason}")
    if not (error.retryable or error.ambiguous):
        return Decision("fail", reason)
    if error.ambiguous and not idempotent:
        return Decision(
            "unknown",
            f"{reason} (the request may have been accepted; not retried on a channel "
            "without idempotency keys)",
        )
    delay = backoff_delay(attempt, policy, random=random, retry_after=error.retry_after)
    if attempt < policy.max_attempts and delay <= remaining:
        return Decision("retry", reason, delay=delay)
    spent = "attempts" if attempt >= policy.max_attempts else "run time budget"
    if error.ambiguous:
        return Decision("unknown", f"{reason} (gave up after {attempt} attempts: {spent} spent)")
    return Decision("fail", f"{reason} (gave up: {spent} spent)", retryable=True)
