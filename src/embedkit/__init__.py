"""embedkit: social embeds that never break, and syndication that posts exactly once.

Resolve a post reference into sanitized, cached oEmbed HTML with a static fallback::

    >>> from embedkit import Resolver
    >>> r = Resolver(cache="memory://", offline=True)
    >>> r.resolve("https://x.com/Reuters/status/1636212467429621760").status
    'fallback'

The syndicator lives in :mod:`embedkit.syndicate`.
"""

from __future__ import annotations

from embedkit._version import __version__ as __version__
from embedkit.errors import (
    BlockedAddress,
    CacheError,
    ConfigError,
    EmbedkitError,
    FetchError,
    Forbidden,
    InvalidReference,
    InvalidResponse,
    NotFound,
    ProviderError,
    RateLimited,
    Timeout,
)
from embedkit.models import Embed, Ref

__all__ = [
    "BlockedAddress",
    "CacheError",
    "ConfigError",
    "Embed",
    "EmbedkitError",
    "FetchError",
    "Forbidden",
    "InvalidReference",
    "InvalidResponse",
    "NotFound",
    "ProviderError",
    "RateLimited",
    "Ref",
    "Resolver",
    "Timeout",
    "canonicalize",
    "parse_ref",
]


def __getattr__(name: str) -> object:
    # The resolver and reference parser pull in httpx, jinja2, nh3 and the provider
    # registry; load them on first use so `import embedkit` (and the CLI) stays light.
    if name == "Resolver":
        from embedkit.resolver import Resolver

        return Resolver
    if name in ("canonicalize", "parse_ref"):
        from embedkit import refs

        return getattr(refs, name)
    raise AttributeError(f"module 'embedkit' has no attribute {name!r}")
