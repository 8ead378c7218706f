"""Single-flight locks: one fetch per cache key at a time, and a table that never grows.

:meth:`CacheBackend.lock <embedkit.resolve.cache.CacheBackend.lock>` is how the
resolver makes one upstream request per post however many callers ask for it at
once. The memory and SQLite backends use :class:`LocalLocks` (one process); the
Redis backend puts a lock in Redis in front of it (a whole fleet).

The contract, for every backend::

    with cache.lock(key, ttl) as held:
        ...

- ``held`` is ``True``: this caller holds the lock for ``key`` until the block
  ends (or ``ttl`` seconds pass: a holder that dies never blocks the others for
  longer). It should read the cache again and fetch if the entry is still missing.
- ``held`` is ``False``: another caller held it. This call waited until it was
  released (at most ``ttl`` seconds) and did not take it; what that holder
  fetched is in the cache now, so read it instead of fetching.

A slot exists only while someone holds or waits for its key: releasing the last
one removes it, so a process that resolves millions of distinct URLs keeps a
table as large as its concurrency, not as its history.

>>> locks = LocalLocks()
>>> with locks.lock("k", 5.0) as held:
...     held, len(locks)
(True, 1)
>>> len(locks)
0
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["LocalLocks"]


class _Slot:
    __slots__ = ("released",)

    def __init__(self) -> None:
        self.released = threading.Event()


class LocalLocks:
    """Per-key single-flight locks for the threads of one process (see the module docs)."""

    def __init__(self) -> None:
        self._slots: dict[str, _Slot] = {}
        self._guard = threading.Lock()

    def __len__(self) -> int:
        """How many keys are held right now."""
        with self._guard:
            return len(self._slots)

    def __repr__(self) -> str:
        return f"LocalLocks(held={len(self)})"

    @contextmanager
    def lock(self, key: str, ttl: float) -> Iterator[bool]:
        """Hold ``key`` (yield ``True``) or wait for its holder (yield ``False``)."""
        with self._guard:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = _Slot()
                mine = True
            else:
                mine = False
        if not mine:
            slot.released.wait(max(ttl, 0.0))
            yield False
            return
        try:
            yield True
        finally:
            with self._guard:
                if self._slots.get(key) is slot:
                    del self._slots[key]
            slot.released.set()
