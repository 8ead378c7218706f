"""The cache's values and contract: :class:`Entry`, :class:`CacheStats`, :class:`CacheBackend`.

An entry is everything the resolver knows about one post rendered with one set
of HTML-changing parameters: the oEmbed data it serves, when the provider was
last asked, when to ask again, whether the post is gone, and the last *good*
oEmbed data (the snapshot), which a failure never replaces.

Backends store entries as JSON (:func:`entry_to_json` / :func:`entry_from_json`),
so every backend returns the same plain ``dict``/``list``/``str`` values, and a
caller mutating what it stored or read never changes the cache.

>>> cache_key("https://x.com/reuters/status/1", {"theme": "dark", "maxwidth": 550})
'https://x.com/reuters/status/1 maxwidth=550&theme=dark'
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import quote, urlsplit, urlunsplit

__all__ = [
    "CacheBackend",
    "CacheStats",
    "Entry",
    "EntryState",
    "cache_key",
    "entry_from_json",
    "entry_to_json",
    "redact_url",
]

EntryState = Literal["ok", "gone"]

#: The version of the JSON form of an entry (stored in Redis values).
ENTRY_FORMAT = 1


@dataclass(frozen=True)
class Entry:
    """One cached post: the data served, its freshness, and the last good snapshot.

    ``data`` is what is served now (``None`` for a tombstone without snapshot);
    ``snapshot`` is the last good oEmbed data, kept through failures and
    deletions so that a fallback can still show what the post said.
    ``fetched_at`` is when the provider last answered (success or gone),
    ``expires_at`` when to ask it again; both come from the resolver's clock.
    """

    key: str
    url: str
    provider: str | None
    params: Mapping[str, str]
    data: Mapping[str, Any] | None
    fetched_at: float
    expires_at: float
    state: EntryState = "ok"
    snapshot: Mapping[str, Any] | None = None
    snapshot_at: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class CacheStats:
    """What a cache holds, for ``embedkit cache stats``.

    ``expired`` counts entries due for a recheck at the time given to
    :meth:`CacheBackend.stats`; ``providers`` counts entries per provider name
    (``"(none)"`` for entries without one); ``size_bytes`` is the storage size
    where the backend knows it (the SQLite files, the Redis values), else ``None``.
    """

    backend: str
    location: str
    entries: int
    gone: int
    expired: int
    providers: Mapping[str, int]
    size_bytes: int | None


#: The name :class:`CacheStats` uses for entries whose provider is unknown.
NO_PROVIDER = "(none)"


@runtime_checkable
class CacheBackend(Protocol):
    """Where entries and rate-limit stops live; every method is thread-safe.

    Backend failures raise :class:`embedkit._errors.CacheError`; ``url`` is the
    cache URL the backend was opened from, with any password replaced by ``***``.
    """

    url: str

    def get(self, key: str) -> Entry | None:
        """The entry stored under ``key``, or ``None``."""
        ...

    def set(self, entry: Entry) -> None:
        """Store ``entry`` under ``entry.key``, atomically replacing any older one."""
        ...

    def delete(self, key: str) -> bool:
        """Remove the entry under ``key``; ``True`` when there was one."""
        ...

    def purge(
        self, *, provider: str | None = None, url: str | None = None, all: bool = False
    ) -> int:
        """Remove entries matching every given filter (or all); return how many.

        ``provider`` matches case-insensitively, ``url`` matches the canonical
        URL exactly. Without a filter ``all=True`` is required, else ValueError.
        """
        ...

    def stats(self, now: float) -> CacheStats:
        """Count entries, tombstones and entries expired at ``now``."""
        ...

    def blocked_until(self, provider: str) -> float | None:
        """When a rate-limit stop for ``provider`` ends, or ``None`` if none was set."""
        ...

    def block(self, provider: str, until: float) -> None:
        """Record that ``provider`` must not be asked before ``until`` (last write wins)."""
        ...

    def lock(self, key: str, ttl: float) -> AbstractContextManager[bool]:
        """A single-flight lock on ``key``: ``with cache.lock(key, ttl) as held:``.

        ``held`` is ``True`` when this caller holds the lock (for at most ``ttl``
        seconds) and should fetch; ``False`` when another caller held it, was
        waited for (at most ``ttl`` seconds), and its result is in the cache.
        Never raises for backend trouble: a shared lock that cannot be reached
        degrades to a process-local one. See :mod:`embedkit.resolve.cache._locks`.
        """
        ...

    def close(self) -> None:
        """Release connections; later calls raise CacheError. Idempotent."""
        ...


_WHITESPACE = re.compile(r"\s")


def _param_value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if text else None


def cache_key(url: str, params: Mapping[str, object]) -> str:
    """The cache key of ``url`` rendered with ``params``: readable and stable.

    The key is the canonical URL, then (when any parameter is set) a space and
    the parameters sorted by name as ``name=value`` pairs joined by ``&``, each
    part percent-encoded (whitespace in the URL too). ``None`` and empty values
    are dropped, booleans are spelled ``true``/``false``. The order of
    ``params`` never matters.

    >>> cache_key("https://youtu.be/x", {"maxwidth": 640, "dnt": True, "lang": None})
    'https://youtu.be/x dnt=true&maxwidth=640'
    >>> cache_key("https://youtu.be/x", {})
    'https://youtu.be/x'
    """
    pairs = []
    for name in sorted(params):
        value = _param_value(params[name])
        if value is not None:
            pairs.append(f"{quote(str(name), safe='')}={quote(value, safe='')}")
    # A raw space means %20 in a URL anyway; encoding it keeps the separator unambiguous.
    url = _WHITESPACE.sub(lambda m: quote(m.group(), safe=""), url)
    return f"{url} {'&'.join(pairs)}" if pairs else url


def _entry_to_dict(entry: Entry) -> dict[str, Any]:
    return {
        "v": ENTRY_FORMAT,
        "key": entry.key,
        "url": entry.url,
        "provider": entry.provider,
        "params": dict(entry.params),
        "data": None if entry.data is None else dict(entry.data),
        "fetched_at": entry.fetched_at,
        "expires_at": entry.expires_at,
        "state": entry.state,
        "snapshot": None if entry.snapshot is None else dict(entry.snapshot),
        "snapshot_at": entry.snapshot_at,
        "error": entry.error,
    }


def entry_to_json(entry: Entry) -> str:
    """Serialize ``entry`` to compact JSON (raises TypeError/ValueError if it cannot)."""
    return json.dumps(_entry_to_dict(entry), ensure_ascii=False, separators=(",", ":"))


def _number(raw: dict[str, Any], name: str, *, optional: bool = False) -> float | None:
    value = raw.get(name)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"field {name!r} is not a number")
    return float(value)


def _mapping(raw: dict[str, Any], name: str, *, optional: bool = True) -> dict[str, Any] | None:
    value = raw.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"field {name!r} is not an object")
    return value


def _text(raw: dict[str, Any], name: str, *, optional: bool = False) -> str | None:
    value = raw.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"field {name!r} is not a string")
    return value


def entry_from_json(text: str | bytes) -> Entry:
    """Parse what :func:`entry_to_json` wrote; ValueError when it is not an entry."""
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("an entry must be a JSON object")
    if raw.get("v", ENTRY_FORMAT) != ENTRY_FORMAT:
        raise ValueError(f"unknown entry format {raw.get('v')!r}")
    state = raw.get("state", "ok")
    if state not in ("ok", "gone"):
        raise ValueError(f"unknown entry state {state!r}")
    params = _mapping(raw, "params", optional=False) or {}
    return Entry(
        key=_text(raw, "key") or "",
        url=_text(raw, "url") or "",
        provider=_text(raw, "provider", optional=True),
        params={str(k): str(v) for k, v in params.items()},
        data=_mapping(raw, "data"),
        fetched_at=_number(raw, "fetched_at") or 0.0,
        expires_at=_number(raw, "expires_at") or 0.0,
        state=state,
        snapshot=_mapping(raw, "snapshot"),
        snapshot_at=_number(raw, "snapshot_at", optional=True),
        error=_text(raw, "error", optional=True),
    )


_SECRET_QUERY = re.compile(r"pass|secret|token|auth", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` with any password (userinfo or ``?password=``) replaced by ``***``.

    >>> redact_url("redis://:hunter2@cache.internal:6379/0")
    'redis://:***@cache.internal:6379/0'
    >>> redact_url("rediss://app:s3cret@h/1?password=x&prefix=a")
    'rediss://app:***@h/1?password=***&prefix=a'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1***@", url)
    netloc = parts.netloc
    changed = False
    if "@" in netloc:
        changed = True
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        # Without a colon the userinfo may itself be a password: hide it whole.
        netloc = f"{user}:***@{hostport}" if colon else f"***@{hostport}"
    query = parts.query
    if query:
        pieces = []
        for piece in query.split("&"):
            name, eq, _value = piece.partition("=")
            secret = bool(eq and _SECRET_QUERY.search(name))
            changed = changed or secret
            pieces.append(f"{name}=***" if secret else piece)
        query = "&".join(pieces)
    if not changed:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
