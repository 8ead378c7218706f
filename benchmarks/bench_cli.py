"""``embedkit --help`` against ``python -c "import click"``, in fresh processes.

Run:  .venv/bin/python benchmarks/bench_cli.py [--quick]

Each sample starts a new interpreter, as a user's shell does: the console
script's own work (``embedkit --help``) against the floor any click program
pays (importing click). The goal (issue 10) is at most twice the floor; the
row's ratio is floor ÷ embedkit, so the goal ratio is 0.5. Median of N runs
each, interleaved so machine noise hits both alike.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import Row, run_alone  # noqa: E402


def _console_script() -> list[str]:
    """The installed ``embedkit`` script next to this interpreter, else ``-m embedkit``."""
    script = Path(sys.executable).with_name("embedkit")
    if script.exists():
        return [str(script)]
    found = shutil.which("embedkit")
    return [found] if found else [sys.executable, "-m", "embedkit"]


def _once(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def run(quick: bool = False) -> list[Row]:
    """Time ``embedkit --help`` and ``python -c "import click"`` (median of N, fresh processes)."""
    rounds = 5 if quick else 21
    ours_argv = [*_console_script(), "--help"]
    floor_argv = [sys.executable, "-c", "import click"]
    _once(ours_argv)  # warm the file cache: both sides then read from memory
    _once(floor_argv)
    ours, floor = [], []
    for _ in range(rounds):
        ours.append(_once(ours_argv))
        floor.append(_once(floor_argv))
    return [
        Row(
            name="`embedkit --help`",
            ours=statistics.median(ours) * 1e3,
            peer=statistics.median(floor) * 1e3,
            unit="ms",
            peer_name='`python -c "import click"`',
            goal=0.5,
            goal_text="≤ 2× import click",
            note=f"median of {rounds} fresh processes each",
        )
    ]


def main() -> None:
    run_alone(__doc__, run, "fewer rounds")


if __name__ == "__main__":
    main()
