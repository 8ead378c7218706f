"""embedkit against micawber, measured in the same run on the same machine.

Run:  .venv/bin/python benchmarks/bench_resolve.py [--rounds N]

Two measurements, each with both libraries given the same oembed.com registry
and the same local provider simulator (127.0.0.1, no internet):

1. provider matching over the real URL shapes in tests/fixtures/urls/real-urls.txt
   (embedkit: host index then a few anchored regexes; micawber: a linear scan);
2. a warm-cache resolve (memory caches on both sides; embedkit also sanitizes and
   renders its wrapper, micawber returns the raw provider dict).

Cold batches and upstream requests per pasted shape are in benchmarks/bench_cold.py.

Prints a Markdown table (README's "Benchmarks" section quotes one run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import micawber  # noqa: E402
from micawber.cache import Cache  # noqa: E402
from tests.simulator import ProviderSimulator  # noqa: E402

from embedkit import Resolver  # noqa: E402
from embedkit.resolve._providers import ProviderRegistry  # noqa: E402

URLS_FILE = ROOT / "tests" / "fixtures" / "urls" / "real-urls.txt"
REGISTRY = ROOT / "src" / "embedkit" / "data" / "providers.json"


Row = tuple[str, float, float, str]


def best_of(rounds: int, func: Callable[[], object]) -> float:
    """The median wall time of ``rounds`` calls, in seconds."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_matching(rounds: int) -> Row:
    urls = [
        line.strip()
        for line in URLS_FILE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    ours = ProviderRegistry.default(env={})
    theirs = micawber.bootstrap_oembed(providers_file=str(REGISTRY))
    t_ours = best_of(rounds, lambda: [ours.match(u) for u in urls]) / len(urls)
    t_theirs = best_of(rounds, lambda: [theirs.provider_for_url(u) for u in urls]) / len(urls)
    hits_ours = sum(ours.match(u) is not None for u in urls)
    hits_theirs = sum(theirs.provider_for_url(u) is not None for u in urls)
    note = f"{len(urls)} URLs; matched: embedkit {hits_ours}, micawber {hits_theirs}"
    return "provider match (per URL)", t_ours, t_theirs, note


def _tweets(n: int) -> list[str]:
    return [f"https://twitter.com/user{i}/status/{1636212467429621760 + i}" for i in range(n)]


def bench_warm(sim: ProviderSimulator, providers: Path, rounds: int) -> Row:
    urls = _tweets(50)
    ours = Resolver(cache="memory://", providers=providers, env={})
    ours.resolve_many(urls)
    theirs = micawber.ProviderRegistry(cache=Cache())
    theirs.register(
        r"https://twitter\.com/\S+/status/\d+", micawber.Provider(sim.endpoint_url("Twitter"))
    )
    for url in urls:
        theirs.request(url)
    t_ours = best_of(rounds, lambda: [ours.resolve(u) for u in urls]) / len(urls)
    t_theirs = best_of(rounds, lambda: [theirs.request(u) for u in urls]) / len(urls)
    ours.close()
    return "warm cache hit (per post)", t_ours, t_theirs, "memory caches, 50 posts"


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rows = [bench_matching(args.rounds)]
    with ProviderSimulator() as sim, tempfile.TemporaryDirectory() as tmp:
        providers = sim.providers_file(Path(tmp), names=("Twitter",))
        rows.append(bench_warm(sim, providers, args.rounds))
    print("| measurement | embedkit | micawber | ratio | notes |")
    print("|---|---|---|---|---|")
    for name, ours, theirs, note in rows:
        print(f"| {name} | {fmt(ours)} | {fmt(theirs)} | {theirs / ours:.1f}× | {note} |")


if __name__ == "__main__":
    main()
