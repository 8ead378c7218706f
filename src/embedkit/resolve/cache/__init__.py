"""The embed cache: entries, freshness rules, and backends chosen by one URL.

``open_cache`` turns a cache URL into a backend:

===============================  ==================================================
``sqlite:///relative.db``        an SQLite file, relative to the working directory
``sqlite:////abs/path.db``       an SQLite file at an absolute path (``~`` works)
``memory://``                    a dict in this process
``redis://host:port/db``         a Redis server shared by a fleet (``rediss://`` for
                                 TLS; ``redis://:password@host...`` is accepted and
                                 the password never shown)
===============================  ==================================================

Without a URL the ``EMBEDKIT_CACHE`` environment variable decides, and without
that a file in the user cache folder (``embeds.db`` under
``platformdirs.user_cache_dir("embedkit")``).

>>> cache = open_cache("memory://")
>>> cache.get(cache_key("https://youtu.be/x", {"maxwidth": 640})) is None
True
>>> cache.close()
"""

from __future__ import annotations

from embedkit.resolve.cache._base import (
    CacheBackend,
    CacheStats,
    Entry,
    VersionedBackend,
    cache_key,
)
from embedkit.resolve.cache._memory import MemoryCache
from embedkit.resolve.cache._open import ENV_VAR, default_cache_url, open_cache
from embedkit.resolve.cache._policy import CachePolicy, is_fresh, on_failure, on_gone, on_success
from embedkit.resolve.cache._redis import RedisCache
from embedkit.resolve.cache._sqlite import SQLiteCache

__all__ = [
    "ENV_VAR",
    "CacheBackend",
    "CachePolicy",
    "CacheStats",
    "Entry",
    "MemoryCache",
    "RedisCache",
    "SQLiteCache",
    "VersionedBackend",
    "cache_key",
    "default_cache_url",
    "is_fresh",
    "on_failure",
    "on_gone",
    "on_success",
    "open_cache",
]
