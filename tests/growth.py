"""Checking that work grows linearly with input size, without asserting a duration.

A quadratic algorithm takes four times as long when its input doubles; a linear one
about twice. :func:`assert_linear` times the work on inputs of size ``n`` and ``2n``
(the best of a few runs, so a busy machine does not decide) and checks the ratio,
which is a property of the algorithm rather than of the machine. Inputs are built
before the clock starts.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: Doubling the input may at most multiply the work by this (4 would be quadratic).
MAX_RATIO = 3.0
#: Each timed sample lasts at least this long (the input is grown, then the work
#: repeated), so fixed costs and timer resolution do not decide the ratio.
MIN_SECONDS = 0.02


def _time(work: Callable[[T], object], item: T, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        work(item)
    return time.perf_counter() - started


def growth_ratio(
    work: Callable[[T], object], make: Callable[[int], T], n: int, *, runs: int = 3, repeat: int = 1
) -> float:
    """How many times longer ``work(make(2n))`` takes than ``work(make(n))``."""
    small_input, large_input = make(n), make(2 * n)
    work(small_input)  # warm up caches and lazy imports
    small = min(_time(work, small_input, repeat) for _ in range(runs))
    large = min(_time(work, large_input, repeat) for _ in range(runs))
    return large / max(small, 1e-9)


def assert_linear(
    work: Callable[[T], object],
    make: Callable[[int], T],
    n: int,
    *,
    attempts: int = 3,
    max_n: int | None = None,
) -> None:
    """Fail when doubling the input multiplies the work by more than :data:`MAX_RATIO`.

    ``make(n)`` builds an input of size ``n`` (untimed); ``work(input)`` is timed.
    ``n`` is a starting size: it is doubled (up to 8 times larger) until one run
    takes long enough to measure, and short work is repeated rather than grown
    further (inputs far beyond the CPU caches grow slower for reasons that have
    nothing to do with the algorithm), and never so far that ``2n`` passes ``max_n``
    (for inputs that must stay under a bound of the code under test). A noisy measurement
    is retried (up to ``attempts`` times) before failing, so only a ratio that
    stays high, as a super-linear algorithm's does, fails.

    The garbage collector is paused while timing: a cyclic collection walks every live
    object, so where one falls would make the larger input look slower for a reason
    that is not the algorithm under test.
    """
    gc.collect()
    gc.disable()
    try:
        _assert_linear(work, make, n, attempts=attempts, max_n=max_n)
    finally:
        gc.enable()


def _assert_linear(
    work: Callable[[T], object],
    make: Callable[[int], T],
    n: int,
    *,
    attempts: int,
    max_n: int | None,
) -> None:
    once = _time(work, make(n), 1)
    for _ in range(3):
        if once >= MIN_SECONDS or (max_n is not None and 4 * n > max_n):
            break
        n *= 2
        once = _time(work, make(n), 1)
    repeat = max(1, math.ceil(MIN_SECONDS / max(once, 1e-6)))
    ratios = []
    for _ in range(attempts):
        ratio = growth_ratio(work, make, n, repeat=repeat)
        if ratio <= MAX_RATIO:
            return
        ratios.append(round(ratio, 2))
    raise AssertionError(f"work grew {ratios}× when the input doubled from {n} to {2 * n}")


def retained_bytes(work: Callable[[int], object], count: int) -> int:
    """How many bytes stay allocated after ``work(i)`` for ``i`` in ``range(count)``.

    What the calls return is dropped and the garbage collected first, so what is left
    is what the code under test keeps (memos, caches) between calls.
    """
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            work(i)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
