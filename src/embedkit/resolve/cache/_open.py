"""Opening a cache backend from one URL (or EMBEDKIT_CACHE, or the default file)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from embedkit import _sqlite
from embedkit._errors import ConfigError
from embedkit._redaction import redact_url
from embedkit.resolve.cache._base import CacheBackend
from embedkit.resolve.cache._memory import MemoryCache
from embedkit.resolve.cache._sqlite import SQLiteCache

__all__ = ["ACCEPTED_FORMS", "ENV_VAR", "default_cache_url", "open_cache"]

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
    try:
        return _sqlite.path_from_url(url)
    except ValueError as exc:
        problem = str(exc)
        if "in-memory" in problem:
            problem += " (use memory:// instead)"
        raise _bad(url, problem) from None


def open_cache(
    url: str | None = None, *, env: Mapping[str, str] = os.environ, mode: _sqlite.Mode = "rwc"
) -> CacheBackend:
    """Open the cache backend that ``url`` names (see the module docs for the forms).

    ``None`` means ``EMBEDKIT_CACHE`` from ``env``, then the default SQLite file
    (its folder is created). A malformed URL or unknown scheme raises
    :class:`~embedkit._errors.ConfigError` naming the URL (password redacted) and
    the accepted forms; a backend that cannot be opened raises
    :class:`~embedkit._errors.CacheError`.

    ``mode`` applies to SQLite files: ``"rwc"`` (the default) creates the file
    and its folder, ``"rw"`` opens an existing file, ``"ro"`` reads an existing
    file and creates, migrates and locks nothing. In the last two a missing file
    raises :class:`~embedkit._errors.ConfigError` ("no cache at ...").

    >>> open_cache("ftp://cache")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    embedkit._errors.ConfigError: cache URL 'ftp://cache' has an unknown scheme; use one of: ...
    """
    if url is None or not url.strip():
        url = default_cache_url(env)
    url = url.strip()
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if not sep:
        raise _bad(url, "has no scheme")
    if scheme == "sqlite":
        return SQLiteCache(_sqlite_path(url), url=url, mode=mode)
    if scheme == "memory":
        if rest not in ("", "//"):
            raise _bad(url, "has a location, but memory:// takes none")
        return MemoryCache(url)
    if scheme in ("redis", "rediss"):
        from embedkit.resolve.cache._redis import RedisCache

        return RedisCache(url)
    raise _bad(url, "has an unknown scheme")
