"""Run every benchmark and print one table of ratios against the peers, goals beside.

Usage:  .venv/bin/python benchmarks/run.py [--quick] [--only NAME ...] [--markdown FILE]

Each ``benchmarks/bench_<topic>.py`` defines ``run(quick: bool) -> list[Row]``
(see ``benchmarks/common.py``): embedkit and its peer (micawber, brevity, a bare
sqlite3 SELECT, an ideal schedule...) measured in the same run on the same inputs.
Install the peers with ``pip install -e '.[bench]'``. ``--markdown FILE`` writes the
table between the ``<!-- bench:start -->`` and ``<!-- bench:end -->`` markers of FILE
(BENCHMARKS.md). Exit status 1 when a goal is not met.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import Row, table  # noqa: E402

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"


def modules(only: list[str]) -> list[str]:
    names = sorted(path.stem for path in HERE.glob("bench_*.py"))
    if only:
        names = [name for name in names if name.removeprefix("bench_") in only or name in only]
    return names


def machine() -> str:
    import os

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform(terse=True)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, a few seconds each")
    parser.add_argument("--only", nargs="*", default=[], help="benchmark names (match, cold, ...)")
    parser.add_argument("--markdown", type=Path, help="write the table into this file's markers")
    args = parser.parse_args()

    rows: list[Row] = []
    for name in modules(args.only):
        started = time.perf_counter()
        module = importlib.import_module(name)
        found = module.run(quick=args.quick)
        rows.extend(found)
        took = time.perf_counter() - started
        print(f"{name}: {len(found)} rows in {took:.1f} s", file=sys.stderr)
    text = table(rows)
    print(text)
    for row in rows:
        if row.note:
            print(f"- {row.name}: {row.note}")
    if args.markdown:
        stamp = time.strftime("%Y-%m-%d")
        quick = " (quick)" if args.quick else ""
        block = f"{START}\nMeasured {stamp} on {machine()}{quick}.\n\n{text}\n"
        notes = "".join(f"- {row.name}: {row.note}\n" for row in rows if row.note)
        block += ("\n" + notes if notes else "") + END
        current = args.markdown.read_text(encoding="utf-8")
        head, _, rest = current.partition(START)
        _, _, tail = rest.partition(END)
        args.markdown.write_text(head + block + tail, encoding="utf-8")
    return 0 if all(row.met for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
