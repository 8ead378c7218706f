"""A small thread-safe LRU memo for values that are expensive to rebuild."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LruMemo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruMemo(Generic[K, V]):
    """Remember up to ``size`` values, forgetting the least recently used first.

    With ``weigh`` (a value's size in bytes, roughly), the values together also
    weigh at most ``max_weight``; a value heavier than that alone is not kept.

    >>> memo: LruMemo[str, int] = LruMemo(2)
    >>> memo.put("a", 1); memo.put("b", 2); memo.get("a"); memo.put("c", 3)
    1
    >>> memo.get("b") is None
    True
    >>> texts: LruMemo[str, str] = LruMemo(10, max_weight=8, weigh=len)
    >>> texts.put("a", "12345"); texts.put("b", "1234"); texts.put("c", "123456789")
    >>> texts.get("a"), texts.get("b"), texts.get("c"), texts.weight
    (None, '1234', None, 4)
    """

    def __init__(
        self, size: int, *, max_weight: int = 0, weigh: Callable[[V], int] | None = None
    ) -> None:
        self.size = size
        self.max_weight = max_weight
        self.weight = 0
        self._weigh = weigh
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value for ``key``, or ``None``; a hit makes it the most recent."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> None:
        """Remember ``value``; beyond ``size`` values (or the weight) the oldest go."""
        weight = self._weigh(value) if self._weigh is not None else 0
        if self.size <= 0 or (self._weigh is not None and weight > self.max_weight):
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.weight -= old[1]
            self._items[key] = (value, weight)
            self.weight += weight
            while len(self._items) > self.size or (
                self._weigh is not None and self.weight > self.max_weight
            ):
                self.weight -= self._items.popitem(last=False)[1][1]

    def pop(self, key: K) -> V | None:
        """Forget ``key``; its value, or ``None`` when it was not remembered."""
        with self._lock:
            found = self._items.pop(key, None)
            if found is None:
                return None
            self.weight -= found[1]
            return found[0]

    def __len__(self) -> int:
        return len(self._items)
