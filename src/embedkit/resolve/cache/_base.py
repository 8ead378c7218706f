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

Versions: the built-in backends also give every stored entry a *version*, a small
token that changes with every write of that key (:class:`VersionedBackend`). The
resolver keeps the embeds it finished for fresh entries in memory and, on a hit,
asks the backend only for the version (a short read, never the payload): another
process's refresh, tombstone, purge or delete changes or removes it, so what is
served is never older than what the cache holds.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Hashable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import quote

from embedkit.net._http import json_depth

__all__ = [
    "CacheBackend",
    "CacheStats",
    "Entry",
    "EntryState",
    "VersionedBackend",
    "cache_key",
    "entry_from_json",
    "entry_problem",
    "entry_to_json",
]

EntryState = Literal["ok", "gone"]

#: The version of the JSON form of an entry (stored in Redis values).
ENTRY_FORMAT = 1
#: The largest entry a backend stores or reads, as JSON text.
MAX_ENTRY_BYTES = 4 * 1024 * 1024
#: How deeply an entry's ``data`` or ``snapshot`` may nest lists and objects.
MAX_ENTRY_DEPTH = 8


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


@runtime_checkable
class VersionedBackend(Protocol):
    """A backend that versions its entries: what makes a cache hit cheap.

    A version is a small hashable token that changes on every write of a key
    (``set``, including a refresh, a failure record or a tombstone) and disappears
    with the entry (``delete``, ``purge``, expiry). Tokens are unique across
    processes, so two writers never give one key the same version. An entry
    written without a version (by an older embedkit sharing the cache) has
    ``None``, and is read in full every time.
    """

    def get_versioned(self, key: str) -> tuple[Entry, Hashable | None] | None:
        """The entry under ``key`` and its version, read together; ``None`` when absent."""
        ...

    def version(self, key: str) -> Hashable | None:
        """The version of the entry under ``key`` now; ``None`` when there is none.

        Reads only the version, never the entry itself.
        """
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


#: How a versioned JSON entry starts: ``{"v":1,"ver":"`` then 16 hex digits and ``"``.
VERSION_HEAD = f'{{"v":{ENTRY_FORMAT},"ver":"'.encode()
#: The length of that versioned start, token and closing quote included.
VERSION_PREFIX_BYTES = len(VERSION_HEAD) + 17


def _entry_to_dict(entry: Entry, version: str | None = None) -> dict[str, Any]:
    head: dict[str, Any] = {"v": ENTRY_FORMAT}
    if version is not None:
        head["ver"] = version
    return {
        **head,
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


def entry_to_json(entry: Entry, *, version: str | None = None) -> str:
    """Serialize ``entry`` to compact JSON (raises TypeError/ValueError if it cannot).

    An entry that :func:`entry_problem` refuses, or whose JSON is over
    :data:`MAX_ENTRY_BYTES`, raises ValueError: the cache never stores what it
    could not serve back. ``version`` (16 lower-case hex digits) is written right
    after the format number, so the first :data:`VERSION_PREFIX_BYTES` bytes of the
    text are the entry's version (:func:`json_version`); readers ignore it.

    >>> entry = Entry("k", "u", None, {}, None, 0.0, 1.0)
    >>> entry_to_json(entry, version="00000000000000ff")[:VERSION_PREFIX_BYTES]
    '{"v":1,"ver":"00000000000000ff"'
    """
    problem = entry_problem(entry)
    if problem is not None:
        raise ValueError(problem)
    if version is not None and not re.fullmatch(r"[0-9a-f]{16}", version):
        raise ValueError("an entry version is 16 lower-case hex digits")
    try:
        text = json.dumps(_entry_to_dict(entry, version), ensure_ascii=False, separators=(",", ":"))
    except RecursionError:
        raise ValueError("the entry nests too deeply") from None
    if len(text) > MAX_ENTRY_BYTES:
        raise ValueError(f"the entry is larger than {MAX_ENTRY_BYTES} bytes")
    return text


def json_version(text: bytes) -> bytes | None:
    """The version at the start of a stored JSON entry, or ``None`` when it has none.

    >>> json_version(b'{"v":1,"ver":"00000000000000ff","key":"k"}')
    b'{"v":1,"ver":"00000000000000ff"'
    >>> json_version(b'{"v":1,"key":"k"}') is None
    True
    """
    head = text[:VERSION_PREFIX_BYTES]
    if len(head) == VERSION_PREFIX_BYTES and head.startswith(VERSION_HEAD) and head[-1:] == b'"':
        return head
    return None


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def entry_problem(entry: Entry) -> str | None:
    """Why ``entry`` cannot be served (a field of the wrong type, data nested too
    deeply), or ``None`` when it is sound. Cheap: it never serializes the entry.

    The resolver treats an entry with a problem as absent, whichever backend or
    process wrote it.

    >>> entry_problem(Entry("k", "u", None, {}, {"type": "link"}, 0.0, 1.0)) is None
    True
    >>> entry_problem(Entry("k", "u", None, {}, {"type": [[[[[[[[[]]]]]]]]]}, 0.0, 1.0))
    "field 'data' nests deeper than 8 levels"
    """
    if not isinstance(entry.key, str) or not isinstance(entry.url, str):
        return "key and url must be text"
    if entry.provider is not None and not isinstance(entry.provider, str):
        return "field 'provider' is not text"
    if entry.error is not None and not isinstance(entry.error, str):
        return "field 'error' is not text"
    if entry.state not in ("ok", "gone"):
        return f"unknown entry state {entry.state!r}"
    if not _finite(entry.fetched_at) or not _finite(entry.expires_at):
        return "fetched_at and expires_at must be finite numbers"
    if entry.snapshot_at is not None and not _finite(entry.snapshot_at):
        return "field 'snapshot_at' is not a finite number"
    if not isinstance(entry.params, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in entry.params.items()
    ):
        return "field 'params' must map text to text"
    for name in ("data", "snapshot"):
        value = getattr(entry, name)
        if value is None or (name == "snapshot" and value is entry.data):
            continue  # a fresh entry's snapshot is its data: checked once
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            return f"field {name!r} is not an object with text keys"
        if json_depth(value if isinstance(value, dict) else dict(value)) > MAX_ENTRY_DEPTH:
            return f"field {name!r} nests deeper than {MAX_ENTRY_DEPTH} levels"
    return None


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
    """Parse what :func:`entry_to_json` wrote; ValueError when it is not an entry.

    Text over :data:`MAX_ENTRY_BYTES`, JSON nested too deeply and entries that
    :func:`entry_problem` refuses raise ValueError too.
    """
    if len(text) > MAX_ENTRY_BYTES:
        raise ValueError(f"the entry is larger than {MAX_ENTRY_BYTES} bytes")
    try:
        raw = json.loads(text)
    except RecursionError:
        raise ValueError("the entry nests too deeply") from None
    if not isinstance(raw, dict):
        raise ValueError("an entry must be a JSON object")
    if raw.get("v", ENTRY_FORMAT) != ENTRY_FORMAT:
        raise ValueError(f"unknown entry format {raw.get('v')!r}")
    state = raw.get("state", "ok")
    if state not in ("ok", "gone"):
        raise ValueError(f"unknown entry state {state!r}")
    params = _mapping(raw, "params", optional=False) or {}
    entry = Entry(
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
    problem = entry_problem(entry)
    if problem is not None:
        raise ValueError(problem)
    return entry
