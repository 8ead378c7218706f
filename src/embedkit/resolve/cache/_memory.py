"""The in-memory cache backend (``memory://``): a dict behind a lock.

It lives as long as the process and is shared by every thread that holds it.
Entries are kept as JSON text, exactly as the other backends store them, so
values come back as fresh plain ``dict``/``list`` objects and behave the same
whichever backend a test or a site uses. Each write gives the key a new version
(a number no other write in the process uses): :meth:`MemoryCache.version` is a
dictionary lookup.

>>> from embedkit.resolve.cache._base import Entry
>>> cache = MemoryCache()
>>> cache.set(Entry("k", "https://youtu.be/x", "YouTube", {}, {"html": "<i>"}, 0.0, 60.0))
>>> cache.get("k").data
{'html': '<i>'}
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Hashable
from contextlib import AbstractContextManager

from embedkit._errors import CacheError
from embedkit.resolve.cache._base import (
    NO_PROVIDER,
    CacheStats,
    Entry,
    entry_from_json,
    entry_to_json,
)
from embedkit.resolve.cache._locks import LocalLocks

__all__ = ["MemoryCache"]

#: Versions for every memory cache of the process: no two writes share one.
_VERSIONS = itertools.count(1)


class MemoryCache:
    """A process-local cache: thread-safe, gone when the process ends."""

    backend = "memory"
    location = "process memory"

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._entries: dict[str, tuple[str, int]] = {}  # key: (JSON text, version)
        self._blocks: dict[str, float] = {}
        self._lock = threading.Lock()
        self._closed = False
        #: The single-flight locks held right now (one process; see :meth:`lock`).
        self.locks = LocalLocks()

    def __repr__(self) -> str:
        return f"MemoryCache({self.url!r})"

    def _check_open(self) -> None:
        if self._closed:
            raise CacheError(f"memory cache at {self.url} is closed")

    def _decode(self, text: str) -> Entry:
        return entry_from_json(text)

    def get(self, key: str) -> Entry | None:
        found = self.get_versioned(key)
        return None if found is None else found[0]

    def get_versioned(self, key: str) -> tuple[Entry, Hashable | None] | None:
        with self._lock:
            self._check_open()
            stored = self._entries.get(key)
        return None if stored is None else (self._decode(stored[0]), stored[1])

    def version(self, key: str) -> Hashable | None:
        with self._lock:
            self._check_open()
            stored = self._entries.get(key)
        return None if stored is None else stored[1]

    def set(self, entry: Entry) -> None:
        try:
            text = entry_to_json(entry)
        except (TypeError, ValueError) as exc:
            raise CacheError(f"memory cache: entry {entry.key!r} is not JSON data: {exc}") from exc
        with self._lock:
            self._check_open()
            self._entries[entry.key] = (text, next(_VERSIONS))

    def delete(self, key: str) -> bool:
        with self._lock:
            self._check_open()
            return self._entries.pop(key, None) is not None

    def purge(
        self, *, provider: str | None = None, url: str | None = None, all: bool = False
    ) -> int:
        if provider is None and url is None and not all:
            raise ValueError("purge needs provider=, url= or all=True")
        wanted = provider.casefold() if provider is not None else None
        with self._lock:
            self._check_open()
            doomed = []
            for key, (text, _version) in self._entries.items():
                entry = self._decode(text)
                if wanted is not None and (entry.provider or "").casefold() != wanted:
                    continue
                if url is not None and entry.url != url:
                    continue
                doomed.append(key)
            for key in doomed:
                del self._entries[key]
        return len(doomed)

    def stats(self, now: float) -> CacheStats:
        with self._lock:
            self._check_open()
            texts = [text for text, _version in self._entries.values()]
        entries = [self._decode(text) for text in texts]
        providers = Counter(entry.provider or NO_PROVIDER for entry in entries)
        return CacheStats(
            backend=self.backend,
            location=self.location,
            entries=len(entries),
            gone=sum(entry.state == "gone" for entry in entries),
            expired=sum(entry.expires_at <= now for entry in entries),
            providers=dict(providers),
            size_bytes=None,
        )

    def blocked_until(self, provider: str) -> float | None:
        with self._lock:
            self._check_open()
            return self._blocks.get(provider.casefold())

    def block(self, provider: str, until: float) -> None:
        with self._lock:
            self._check_open()
            self._blocks[provider.casefold()] = float(until)

    def lock(self, key: str, ttl: float) -> AbstractContextManager[bool]:
        return self.locks.lock(key, ttl)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._entries.clear()
            self._blocks.clear()
