"""Freshness and staleness decisions for cache entries, as pure functions.

Nothing here reads a clock or touches storage: ``now`` is passed in (the
resolver's injected clock), and each function returns a new :class:`Entry`.

The rules:

- A successful fetch makes the new oEmbed data both the served ``data`` and
  the ``snapshot``; it expires after the provider's ``cache_age`` clamped to
  ``[min_ttl, max_ttl]`` (``default_ttl`` when the provider gives none).
- A 404/410 makes a tombstone (``state="gone"``) that keeps the old snapshot
  and is rechecked after ``gone_recheck`` seconds.
- Any other failure only records the error: data, snapshot and expiry stay as
  they were, so a bad response never overwrites a good snapshot and the stale
  entry keeps being served (stale-if-error).

>>> policy = CachePolicy()
>>> e = on_success(None, key="k", url="u", provider="P", params={},
...                data={"html": "<p>hi</p>", "cache_age": "60"}, now=0.0, policy=policy)
>>> e.expires_at, is_fresh(e, 3599.0), is_fresh(e, 3600.0)
(3600.0, True, False)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from embedkit._errors import ConfigError
from embedkit.resolve.cache._base import Entry

__all__ = ["CachePolicy", "is_fresh", "on_failure", "on_gone", "on_success"]


def _seconds(value: object) -> float | None:
    """``value`` as a number of seconds, or ``None`` when it is not a usable number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an int beyond float range: as good as infinite
            number = math.inf if value > 0 else -math.inf
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return None if math.isnan(number) else number


@dataclass(frozen=True)
class CachePolicy:
    """How long entries live, in seconds.

    ``min_ttl``/``max_ttl`` bound the provider's ``cache_age``; ``default_ttl``
    applies when the provider gives none (or garbage); ``gone_recheck`` is how
    long a tombstone is trusted before the provider is asked again.
    """

    min_ttl: float = 3600
    max_ttl: float = 30 * 86400
    default_ttl: float = 86400
    gone_recheck: float = 3600

    def __post_init__(self) -> None:
        for name in ("min_ttl", "max_ttl", "default_ttl", "gone_recheck"):
            value = getattr(self, name)
            usable = isinstance(value, int | float) and not isinstance(value, bool)
            if not usable or not 0 <= value < math.inf:
                raise ConfigError(f"CachePolicy.{name} must be a number >= 0, not {value!r}")
        if self.min_ttl > self.max_ttl:
            raise ConfigError(
                f"CachePolicy.min_ttl ({self.min_ttl}) exceeds max_ttl ({self.max_ttl})"
            )

    def ttl(self, cache_age: object) -> float:
        """Seconds an entry lives, from the provider's ``cache_age``.

        Numbers and numeric strings are clamped into ``[min_ttl, max_ttl]``;
        absent or unusable values (``None``, ``"soon"``, ``True``, ``NaN``, a
        list) give ``default_ttl``, itself clamped.

        >>> CachePolicy().ttl("3153600000"), CachePolicy().ttl(-5), CachePolicy().ttl("x")
        (2592000.0, 3600.0, 86400.0)
        """
        seconds = _seconds(cache_age)
        if seconds is None:
            seconds = float(self.default_ttl)
        return float(min(max(seconds, self.min_ttl), self.max_ttl))


def is_fresh(entry: Entry, now: float) -> bool:
    """Whether ``entry`` may be served without asking the provider: ``now < expires_at``.

    A tombstone is fresh until its recheck time, like any other entry.
    """
    return now < entry.expires_at


def on_success(
    old: Entry | None,
    *,
    key: str,
    url: str,
    provider: str | None,
    params: Mapping[str, str],
    data: Mapping[str, Any],
    now: float,
    policy: CachePolicy,
) -> Entry:
    """The entry after the provider answered with ``data``: new data and new snapshot.

    The provider name falls back to the old entry's when none is given.
    """
    answer = dict(data)  # the data and the snapshot: one object, never changed in place
    return Entry(
        key=key,
        url=url,
        provider=provider if provider is not None else (old.provider if old else None),
        params=dict(params),
        data=answer,
        fetched_at=now,
        expires_at=now + policy.ttl(data.get("cache_age")),
        state="ok",
        snapshot=answer,
        snapshot_at=now,
        error=None,
    )


def on_gone(
    old: Entry | None,
    *,
    key: str,
    url: str,
    provider: str | None,
    params: Mapping[str, str],
    now: float,
    policy: CachePolicy,
    error: str,
) -> Entry:
    """The tombstone after a 404/410: keeps the old snapshot, rechecks after ``gone_recheck``.

    The served ``data`` becomes the snapshot (``None`` when there never was one).
    """
    snapshot = old.snapshot if old is not None else None
    return Entry(
        key=key,
        url=url,
        provider=provider if provider is not None else (old.provider if old else None),
        params=dict(params),
        data=snapshot,
        fetched_at=now,
        expires_at=now + policy.gone_recheck,
        state="gone",
        snapshot=snapshot,
        snapshot_at=old.snapshot_at if old is not None and snapshot is not None else None,
        error=error,
    )


def on_failure(old: Entry, *, now: float, error: str) -> Entry:
    """The entry after a failed fetch (timeout, 5xx, 429, bad JSON): only ``error`` changes.

    Data, snapshot, state, ``fetched_at`` and ``expires_at`` are untouched, so a
    bad response never overwrites a good snapshot and the entry is served stale.
    ``now`` is accepted for symmetry and future use (it is not recorded).
    """
    del now
    return replace(old, error=error)
