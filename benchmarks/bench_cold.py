"""Cold batches: many distinct posts, nothing cached, a provider that answers after 20 ms.

Run:  .venv/bin/python benchmarks/bench_cold.py [--quick]

Rows (see ``benchmarks/common.py``), each measured in the same run against the same
local provider simulator (127.0.0.1, no internet):

1. 400 distinct posts, 32 workers, every embed's ``.html`` read: embedkit
   ``Resolver(max_workers=32).resolve_many`` against micawber
   ``ProviderRegistry(max_workers=32).request_many`` (memory caches on both sides,
   emptied before each round). Goal: at least 3x faster than micawber.
2. The same embedkit batch against the network's limit, ceil(400 / 32) x 20 ms.
   Goal: at most 2x that ideal.
3. Upstream requests for 20 posts, each pasted in the three shapes editors use:
   embedkit canonicalizes (one request per post), micawber asks once per string.

embedkit does more per post than micawber (canonical references, the network guard,
validation, sanitizing, a cache entry from which the static fallback is rendered when
first read); the rows measure the whole of it.

The timed batches talk to a simulator in a child process: in the same process its
request handling would share the GIL with the clients, and the benchmark would
measure the simulator. It sets TCP_NODELAY and writes each answer in one send, so no
delayed-ACK stall is measured either. Every post gets its own answer, as from X: its
own text, links, author and date in the provider's markup, so nothing in the batch is
served from a cache of one answer.
"""

from __future__ import annotations

import datetime
import math
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT, ROOT / "benchmarks"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import micawber  # noqa: E402
from common import Row, run_alone  # noqa: E402
from micawber.cache import Cache  # noqa: E402
from tests.simulator import ProviderSimulator, RecordedRequest  # noqa: E402

from embedkit import Resolver  # noqa: E402
from embedkit.resolve.cache import open_cache  # noqa: E402

POSTS = 400
WORKERS = 32
LATENCY = 0.020
TWEET_PATTERN = r"https://(?:mobile\.)?(?:twitter|x)\.com/\S+/status/\d+\S*"


def tweets(n: int, start: int = 1636212467429621760) -> list[str]:
    """``n`` distinct post URLs (distinct ids and authors)."""
    return [f"https://twitter.com/user{i}/status/{start + i}" for i in range(n)]


_WORDS = [
    "japan",
    "korea",
    "summit",
    "trade",
    "security",
    "missile",
    "talks",
    "leaders",
    "meeting",
    "president",
    "prime",
    "minister",
    "tokyo",
    "seoul",
    "live",
    "video",
    "statement",
    "economy",
]


def tweet_answer(url: str) -> dict[str, object]:
    """X's oEmbed answer for ``url``, shaped like a real one; every post its own."""
    handle, _, post_id = url.rstrip("/").split("/")[-3:]
    rng = random.Random(post_id)
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 30))).capitalize()
    code = "".join(rng.choice("abcdefghijkLMNOPQ0123456789") for _ in range(10))
    tag = rng.choice(_WORDS).capitalize()
    day = datetime.date(2023, 1, 1) + datetime.timedelta(days=int(post_id) % 365)
    html = (
        f'<blockquote class="twitter-tweet"><p lang="en" dir="ltr">{words} &amp; more'
        f' <a href="https://t.co/{code}">https://t.co/{code}</a> <a href="https://twitter.com'
        f'/hashtag/{tag}?src=hash&amp;ref_src=twsrc%5Etfw">#{tag}</a></p>&mdash; {handle}'
        f' (@{handle}) <a href="https://twitter.com/{handle}/status/{post_id}'
        f'?ref_src=twsrc%5Etfw">{day:%B} {day.day}, {day.year}</a></blockquote>\n<script async'
        ' src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>\n'
    )
    return {
        "url": url,
        "author_name": handle,
        "author_url": f"https://twitter.com/{handle}",
        "html": html,
        "width": 550,
        "height": None,
        "type": "rich",
        "cache_age": "3153600000",
        "provider_name": "Twitter",
        "provider_url": "https://twitter.com",
        "version": "1.0",
    }


def _answer(request: RecordedRequest) -> dict[str, object]:
    return tweet_answer(request.query.get("url", ""))


def _serve(conn: Connection, folder: str) -> None:
    """Child process: a simulator whose Twitter endpoint answers after LATENCY."""
    with ProviderSimulator() as sim:
        providers = sim.providers_file(Path(folder), names=("Twitter",))
        sim.route("/twitter/oembed", handler=_answer)
        sim.fault("/twitter/oembed", "delay", seconds=LATENCY)
        conn.send((str(providers), sim.endpoint_url("Twitter")))
        conn.recv()  # until the parent is done


@contextmanager
def slow_provider() -> Iterator[tuple[Path, str]]:
    """A providers file and the Twitter endpoint of a simulator in a child process."""
    parent, child = multiprocessing.Pipe()
    with tempfile.TemporaryDirectory() as tmp:
        process = multiprocessing.Process(target=_serve, args=(child, tmp), daemon=True)
        process.start()
        try:
            providers, endpoint = parent.recv()
            yield Path(providers), endpoint
        finally:
            parent.send("stop")
            process.join(timeout=10)


def cold_batch(providers: Path, endpoint: str, rounds: int) -> tuple[float, float]:
    """Seconds for one cold batch: embedkit, micawber (median of ``rounds``)."""
    urls = tweets(POSTS)
    ours = Resolver(cache="memory://", providers=providers, env={}, max_workers=WORKERS)
    theirs = micawber.ProviderRegistry(cache=Cache(), max_workers=WORKERS)
    theirs.register(TWEET_PATTERN, micawber.Provider(endpoint))

    def ours_once() -> float:
        ours.cache = open_cache("memory://")  # an empty cache, outside the timing
        started = time.perf_counter()
        embeds = ours.resolve_many(urls)
        html = [embed.html for embed in embeds]
        elapsed = time.perf_counter() - started
        assert sum(len(h) > 0 for h in html) == POSTS
        assert all(e.status == "fresh" for e in embeds), {e.status for e in embeds}
        return elapsed

    def theirs_once() -> float:
        theirs.cache = Cache()
        started = time.perf_counter()
        found = theirs.request_many(urls)
        html = [data.get("html", "") for data in found.values()]
        elapsed = time.perf_counter() - started
        assert sum(len(h) > 0 for h in html) == POSTS
        return elapsed

    ours_once()  # warm both (imports, templates, connection pools, worker threads)
    theirs_once()
    # Alternate the two, so that a burst of load on the machine hits both alike.
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        times[0].append(ours_once())
        times[1].append(theirs_once())
    ours.close()
    return statistics.median(times[0]), statistics.median(times[1])


def upstream_requests(sim: ProviderSimulator, providers: Path) -> tuple[int, int]:
    """Provider requests for 20 posts pasted in three shapes each: embedkit, micawber."""
    ids = [1636212467429621760 + i for i in range(20)]
    urls = [
        form.format(i)
        for i in ids
        for form in (
            "https://twitter.com/Reuters/status/{}",
            "https://x.com/Reuters/status/{}?s=20&t=abc",
            "https://mobile.twitter.com/Reuters/status/{}/photo/1",
        )
    ]
    sim.reset_requests()
    with Resolver(cache="memory://", providers=providers, env={}) as ours:
        for url in urls:
            ours.resolve(url)
    ours_count = sim.count("/twitter/oembed")
    sim.reset_requests()
    theirs = micawber.ProviderRegistry(cache=Cache())
    theirs.register(TWEET_PATTERN, micawber.Provider(sim.endpoint_url("Twitter")))
    for url in urls:
        theirs.request(url)
    return ours_count, sim.count("/twitter/oembed")


def run(quick: bool = False) -> list[Row]:
    """The cold-batch rows: against micawber, against the ideal, and upstream requests."""
    rounds = 3 if quick else 7
    with slow_provider() as (providers, endpoint):
        t_ours, t_theirs = cold_batch(providers, endpoint, rounds)
    with ProviderSimulator() as sim, tempfile.TemporaryDirectory() as tmp:
        providers = sim.providers_file(Path(tmp), names=("Twitter",))
        n_ours, n_theirs = upstream_requests(sim, providers)
    ideal = math.ceil(POSTS / WORKERS) * LATENCY
    return [
        Row(
            f"cold batch: {POSTS} distinct posts, {WORKERS} workers, 20 ms provider, .html read",
            t_ours,
            t_theirs,
            "s",
            "micawber request_many",
            3.0,
            "≥ 3× faster than micawber",
            note=(
                "embedkit also canonicalizes, guards, validates and sanitizes; each embed's"
                " static fallback is rendered when first read"
            ),
        ),
        Row(
            f"cold batch against the network's limit, ⌈{POSTS}/{WORKERS}⌉ × 20 ms",
            t_ours,
            ideal,
            "s",
            "ideal",
            0.5,
            "≤ 2× the ideal",
        ),
        Row(
            "upstream requests, 20 posts × 3 pasted shapes",
            n_ours,
            n_theirs,
            "requests",
            "micawber",
            3.0,
            "one request per post (≥ 3× fewer)",
        ),
    ]


def main() -> None:
    run_alone(__doc__, run, "fewer rounds")


if __name__ == "__main__":
    main()
