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

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

import platformdirs

from embedkit.cache.base import CacheBackend, CacheStats, Entry, cache_key, redact_url
from embedkit.cache.memory import MemoryCache
from embedkit.cache.policy import CachePolicy, is_fresh, on_failure, on_gone, on_success
from embedkit.cache.sqlite import SQLiteCache
from embedkit.errors import ConfigError

__all__ = [
    "ENV_VAR",
    "CacheBackend",
    "CachePolicy",
    "CacheStats",
    "Entry",
    "cache_key",
    "default_cache_url",
    "is_fresh",
    "on_failure",
    "on_gone",
    "on_success",
    "open_cache",
]

#: The environment variable that names the cache URL.
ENV_VAR = "EMBEDKIT_CACHE"

ACCEPTED_FORMS = (
    "sqlite:///relative.db, sqlite:////absolute/path.db, memory://, "
    "redis://[:password@]host[:port][/db], rediss://..."
)


def default_cache_url(env: Mapping[str, str] = os.environ) -> str:
    """The cache URL used when none is given: ``EMBEDKIT_CACHE``, else the user cache file.

    >>> default_cache_url({"EMBEDKIT_CACHE": "memory://"})
    'memory://'
    """
    configured = env.get(ENV_VAR, "").strip()
    if configured:
        return configured
    folder = Path(platformdirs.user_cache_dir("embedkit")).absolute()
    return f"sqlite:///{(folder / 'embeds.db').as_posix()}"


def _bad(url: str, problem: str) -> ConfigError:
    return ConfigError(f"cache URL {redact_url(url)!r} {problem}; use one of: {ACCEPTED_FORMS}")


def _sqlite_path(url: str) -> Path:
    prefix = "sqlite:///"
    if url[: len(prefix)].lower() != prefix:
        raise _bad(url, "has a host part (an SQLite file URL starts with sqlite:/// )")
    rest = url[len(prefix) :]
    if "?" in rest or "#" in rest:
        raise _bad(url, "has query options, which SQLite cache URLs do not take")
    path = unquote(rest)
    if not path.strip():
        raise _bad(url, "names no file")
    if path == ":memory:":
        raise _bad(url, "asks for an in-memory SQLite database (use memory:// instead)")
    return Path(path).expanduser()


def open_cache(url: str | None = None, *, env: Mapping[str, str] = os.environ) -> CacheBackend:
    """Open the cache backend that ``url`` names (see the module docs for the forms).

    ``None`` means ``EMBEDKIT_CACHE`` from ``env``, then the default SQLite file
    (its folder is created). A malformed URL or unknown scheme raises
    :class:`~embedkit.errors.ConfigError` naming the URL (password redacted) and
    the accepted forms; a backend that cannot be opened raises
    :class:`~embedkit.errors.CacheError`.

    >>> open_cache("ftp://cache")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    embedkit.errors.ConfigError: cache URL 'ftp://cache' has an unknown scheme; use one of: ...
    """
    if url is None or not url.strip():
        url = default_cache_url(env)
    url = url.strip()
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if not sep:
        raise _bad(url, "has no scheme")
    if scheme == "sqlite":
        return SQLiteCache(_sqlite_path(url), url=url)
    if scheme == "memory":
        if rest not in ("", "//"):
            raise _bad(url, "has a location, but memory:// takes none")
        return MemoryCache(url)
    if scheme in ("redis", "rediss"):
        from embedkit.cache.redis import RedisCache

        return RedisCache(url)
    raise _bad(url, "has an unknown scheme")
