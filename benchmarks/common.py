"""What every benchmark shares: a result row, timing helpers and the ratio table.

A benchmark module is ``benchmarks/bench_<topic>.py`` with a function
``run(quick: bool) -> list[Row]``. Each row measures embedkit and its peer (micawber,
brevity, a bare sqlite3 SELECT, an ideal...) in the same run, on the same inputs, and
states the goal as a ratio. ``benchmarks/run.py`` runs them all and prints one table.
Ratios, not absolute times, are the claim (see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One measured row: embedkit against its peer in the same run.

    ``ours`` and ``peer`` are in ``unit``. ``higher_is_better`` says whether the unit is
    a rate (posts/s) or a cost (µs, s). ``ratio`` is how many times better embedkit is
    than the peer (above 1 means embedkit wins). ``goal`` is the ratio the row must
    reach, with ``goal_text`` saying it in words (``"≥ 10× micawber"``); for a goal
    that is a bound relative to the peer (``"≤ 1.5× micawber"``) the goal ratio is
    ``1 / 1.5``.
    """

    name: str
    ours: float
    peer: float
    unit: str
    peer_name: str
    goal: float
    goal_text: str
    higher_is_better: bool = False
    note: str = ""
    #: Whatever else the goal asks, beyond the ratio (a load run with 0 errors).
    also_met: bool = True

    @property
    def ratio(self) -> float:
        if self.higher_is_better:
            return self.ours / self.peer if self.peer else float("inf")
        return self.peer / self.ours if self.ours else float("inf")

    @property
    def met(self) -> bool:
        return self.also_met and self.ratio >= self.goal


def median_time(rounds: int, func: Callable[[], object]) -> float:
    """The median wall time of ``rounds`` calls of ``func``, in seconds."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def per_call(rounds: int, calls: int, func: Callable[[], object]) -> float:
    """Seconds per call: the median over ``rounds`` of ``calls`` back-to-back calls."""

    def batch() -> None:
        for _ in range(calls):
            func()

    return median_time(rounds, batch) / calls


def _fmt(value: float, unit: str) -> str:
    if value >= 100:
        return f"{value:,.0f} {unit}"
    if value >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.3g} {unit}"


def _ratio(value: float) -> str:
    """Two decimals, or three significant digits below 0.1 (0.0215, not 0.02)."""
    return f"{value:.3g}" if 0 < abs(value) < 0.1 else f"{value:.2f}"


def table(rows: list[Row]) -> str:
    """A Markdown table of rows: embedkit, peer, ratio, goal, met."""
    lines = [
        "| work | embedkit | peer | ratio | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.name} | {_fmt(row.ours, row.unit)} | {row.peer_name}: "
            f"{_fmt(row.peer, row.unit)} | {_ratio(row.ratio)}× | {row.goal_text} | "
            f"{'yes' if row.met else 'NO'} |"
        )
    return "\n".join(lines)


def run_alone(doc: str | None, run: Callable[..., list[Row]], quick_help: str) -> None:
    """What ``python benchmarks/bench_<topic>.py [--quick]`` does: run it, print its table."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    print(table(run(quick=parser.parse_args().quick)))
