"""What an ``embedkit serve`` app is configured with: :class:`ServeSettings`.

Everything here is the publisher's configuration (trusted): CLI options, or the
environment for ``embedkit.serve:app`` under a process manager. The resolver's
own settings (cache, providers, timeout, private networks) are read by
:class:`~embedkit.Resolver` from ``EMBEDKIT_CACHE`` and friends, as everywhere.

>>> parse_rate_limit("120/minute")
RateLimit(requests=120, per=60.0)
>>> parse_rate_limit("off") is None
True
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

from embedkit._config import env_flag
from embedkit._errors import ConfigError

__all__ = [
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_RECHECK_SECONDS",
    "ENV_ALLOW_ORIGINS",
    "ENV_CONSENT",
    "ENV_OFFLINE",
    "ENV_RATE_LIMIT",
    "ENV_RECHECK",
    "RateLimit",
    "ServeSettings",
    "parse_origin",
    "parse_rate_limit",
    "parse_recheck",
]

ENV_ALLOW_ORIGINS = "EMBEDKIT_SERVE_ALLOW_ORIGINS"
ENV_RATE_LIMIT = "EMBEDKIT_SERVE_RATE_LIMIT"
ENV_CONSENT = "EMBEDKIT_CONSENT"
ENV_OFFLINE = "EMBEDKIT_SERVE_OFFLINE"
ENV_RECHECK = "EMBEDKIT_SERVE_RECHECK_SECONDS"

#: How long an embed served from the cache is answered from memory before the cache is
#: read again for it (so another process's refresh or purge shows within this time).
DEFAULT_RECHECK_SECONDS = 1.0

#: Per client address: 300 requests a minute, in bursts of up to 300.
DEFAULT_RATE_LIMIT = "300/minute"
_DEFAULT_LIMIT = (300, 60.0)

_PERIODS = {"s": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0,
            "hour": 3600.0}  # fmt: skip
_RATE = re.compile(r"^\s*(\d{1,9})\s*/\s*([a-z]+)\s*$")


class RateLimit(NamedTuple):
    """``requests`` per ``per`` seconds for one client, as a token bucket of that size."""

    requests: int
    per: float


def parse_rate_limit(text: str) -> RateLimit | None:
    """Read ``N/second``, ``N/minute`` or ``N/hour`` (or ``s``, ``min``, ``h``); ``off``: none."""
    value = text.strip().lower()
    if value in ("off", "none", "0", ""):
        return None
    match = _RATE.match(value)
    if not match or match.group(2) not in _PERIODS or int(match.group(1)) == 0:
        raise ConfigError(
            f"rate limit {text!r} is not N/second, N/minute or N/hour (or 'off'), e.g. 300/minute"
        )
    return RateLimit(int(match.group(1)), _PERIODS[match.group(2)])


def parse_recheck(text: str | None) -> float:
    """Seconds an embed is answered from memory (``None`` or blank: the default).

    >>> parse_recheck("0"), parse_recheck(" 2.5 "), parse_recheck(None)
    (0.0, 2.5, 1.0)
    """
    if text is None or not text.strip():
        return DEFAULT_RECHECK_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ConfigError(f"recheck seconds must be a number, 0 or more, not {text.strip()!r}")
    return value


def parse_origin(text: str) -> str:
    """Check one CORS origin: ``*`` or ``scheme://host[:port]`` with nothing after it."""
    origin = text.strip()
    if origin == "*":
        return origin
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ConfigError(
            f"CORS origin {text!r} is not an origin: give scheme://host[:port], "
            "e.g. https://cms.example.com"
        )
    return origin.rstrip("/")


@dataclass(frozen=True)
class ServeSettings:
    """How the HTTP service behaves on top of its resolver.

    ``allow_origins``: the browser origins that may call it (CORS; none by
    default, so only servers and same-origin pages can). ``rate_limit``: per
    client address, in this process (``None`` turns it off). ``max_query_bytes``
    and ``max_body_bytes`` cap what a request may send; ``max_embeds`` caps the
    distinct URLs one ``POST /render`` may resolve. Resolves run in thread pools,
    off the event loop: ``hit_threads`` serve what the cache holds fresh (CPU
    work: a few threads go fastest), ``fetch_threads`` everything that may ask a
    provider (waiting on the network), so a slow provider never holds up cached
    embeds. ``recheck_seconds``: an embed served from the cache is answered from
    this process's memory, without a thread or a cache read, for this long (never
    past its expiry); a refresh or purge by another process shows within that time,
    and ``0`` reads the cache for every request. ``consent`` and
    ``offline`` are the resolver's modes when the app builds its own resolver.
    """

    allow_origins: tuple[str, ...] = ()
    rate_limit: RateLimit | None = RateLimit(*_DEFAULT_LIMIT)  # noqa: RUF009 (immutable)
    max_query_bytes: int = 4096
    max_body_bytes: int = 1_048_576
    max_embeds: int = 100
    hit_threads: int = 8
    fetch_threads: int = 64
    recheck_seconds: float = DEFAULT_RECHECK_SECONDS
    consent: bool = False
    offline: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.recheck_seconds) and self.recheck_seconds >= 0):
            raise ConfigError(f"recheck seconds must be 0 or more, not {self.recheck_seconds!r}")
        object.__setattr__(
            self, "allow_origins", tuple(parse_origin(o) for o in self.allow_origins)
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServeSettings:
        """Read ``EMBEDKIT_SERVE_*`` (see the module docs); ConfigError when malformed.

        ``EMBEDKIT_SERVE_ALLOW_ORIGINS`` holds origins separated by spaces or
        commas; ``EMBEDKIT_SERVE_RATE_LIMIT`` a rate like ``300/minute`` or ``off``;
        ``EMBEDKIT_CONSENT`` and ``EMBEDKIT_SERVE_OFFLINE`` are ``1``/``0``;
        ``EMBEDKIT_SERVE_RECHECK_SECONDS`` a number of seconds, ``0`` or more.
        """
        env = os.environ if env is None else env
        origins = tuple(o for o in re.split(r"[\s,]+", env.get(ENV_ALLOW_ORIGINS, "")) if o)
        rate = env.get(ENV_RATE_LIMIT)
        return cls(
            allow_origins=origins,
            rate_limit=parse_rate_limit(rate if rate is not None else DEFAULT_RATE_LIMIT),
            recheck_seconds=parse_recheck(env.get(ENV_RECHECK)),
            consent=env_flag(env, ENV_CONSENT),
            offline=env_flag(env, ENV_OFFLINE),
        )
