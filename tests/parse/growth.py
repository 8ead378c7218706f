"""A growth check for parsers: quadrupling the input must not do sixteen times the work.

Timing is used only as a ratio between inputs of size n and 4n on the same machine,
never against a fixed duration: each is the best of five runs in this process's CPU
time (other processes on a busy machine do not count), with the garbage collector
paused. Linear work gives about 4 and quadratic work about 16; the check allows 8,
and measures once more before failing, so one noisy measurement does not fail it
while quadratic work fails both.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

LIMIT = 8.0


def _best(work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(5):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            work()
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best


def growth(make: Callable[[int], object], run: Callable[[object], object], n: int) -> float:
    """``time(run(make(4n))) / time(run(make(n)))`` (the lower of two measurements)."""
    small, large = make(n), make(4 * n)
    ratios = []
    for _ in range(2):
        ratio = _best(lambda: run(large)) / max(_best(lambda: run(small)), 1e-6)
        if ratio < LIMIT:
            return ratio
        ratios.append(ratio)
    return min(ratios)
