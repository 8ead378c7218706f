"""embedkit: social embeds that never break, and syndication that posts exactly once.

Resolve a post reference into sanitized, cached oEmbed HTML with a static fallback::

    >>> from embedkit import Resolver
    >>> r = Resolver(cache="memory://", offline=True)
    >>> r.resolve("https://x.com/Reuters/status/1636212467429621760").status
    'fallback'

Pages: :func:`render_html` and :func:`render_document` turn standalone URLs into
embeds. The syndicator lives in :mod:`embedkit.syndicate`.
"""

from __future__ import annotations

import typing

from embedkit._errors import (
    ArticleError,
    BlockedAddress,
    CacheError,
    ChannelError,
    ConfigError,
    ConnectionFailed,
    DocumentError,
    DoesNotFit,
    EmbedkitError,
    FetchError,
    Forbidden,
    InvalidReference,
    InvalidResponse,
    LedgerError,
    MissingCredential,
    NotFound,
    ProviderError,
    RateLimited,
    SyndicationError,
    Timeout,
)
from embedkit._models import Embed, EmbedKind, EmbedStatus, Ref
from embedkit._version import __version__ as __version__

if typing.TYPE_CHECKING:  # the names below are loaded on first use (see __getattr__)
    from embedkit.page import EmbedSource, render_document, render_html
    from embedkit.resolve import ProviderRegistry, Resolver, canonicalize, parse_ref
    from embedkit.resolve.cache import CacheBackend, CachePolicy, open_cache

__all__ = [
    "ArticleError",
    "BlockedAddress",
    "CacheBackend",
    "CacheError",
    "CachePolicy",
    "ChannelError",
    "ConfigError",
    "ConnectionFailed",
    "DocumentError",
    "DoesNotFit",
    "Embed",
    "EmbedKind",
    "EmbedSource",
    "EmbedStatus",
    "EmbedkitError",
    "FetchError",
    "Forbidden",
    "InvalidReference",
    "InvalidResponse",
    "LedgerError",
    "MissingCredential",
    "NotFound",
    "ProviderError",
    "ProviderRegistry",
    "RateLimited",
    "Ref",
    "Resolver",
    "SyndicationError",
    "Timeout",
    "canonicalize",
    "open_cache",
    "parse_ref",
    "render_document",
    "render_html",
]

# Where each lazily loaded name lives. The resolver pulls in httpx, jinja2, nh3 and
# the provider registry; loading it on first use keeps `import embedkit` (and so
# `embedkit --help`) light, while type checkers see the real names above.
_LAZY = {
    "EmbedSource": "embedkit.page",
    "render_document": "embedkit.page",
    "render_html": "embedkit.page",
    "ProviderRegistry": "embedkit.resolve",
    "Resolver": "embedkit.resolve",
    "canonicalize": "embedkit.resolve",
    "parse_ref": "embedkit.resolve",
    "CacheBackend": "embedkit.resolve.cache",
    "CachePolicy": "embedkit.resolve.cache",
    "open_cache": "embedkit.resolve.cache",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'embedkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
