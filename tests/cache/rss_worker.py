"""Resolve many distinct posts into SQLite in one process and print its RSS along the way.

Run by test_cache_locks.py's slow test (and by hand)::

    python -m tests.cache.rss_worker CACHE_DB TOTAL CHECKPOINT...

Each post is resolved twice: a miss that takes the single-flight lock and
fetches, then a hit served from the cache (which the resolver remembers, up to
its ``presentation_memo``). The provider is an ``httpx.MockTransport`` answering
the recorded Reuters post, so the run needs no server and measures the resolver,
not a socket. Prints one JSON object: RSS in KiB at each checkpoint, the lock
table's size and the number of remembered hits at the end.
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

import httpx

from embedkit import Resolver
from embedkit.net._http import HttpClient

FIXTURE = Path(__file__).parents[1] / "fixtures" / "oembed" / "twitter-reuters.json"


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def main(argv: list[str]) -> None:
    db, total, checkpoints = argv[0], int(argv[1]), {int(n) for n in argv[2:]}
    body = FIXTURE.read_bytes()
    transport = httpx.MockTransport(lambda _request: httpx.Response(200, content=body))
    http = HttpClient(transport=transport)
    rss: dict[int, int] = {}
    with Resolver(cache=f"sqlite:///{db}", http=http) as resolver:
        for n in range(1, total + 1):
            post = f"https://x.com/reporter/status/{10**15 + n}"
            embed = resolver.resolve(post)
            assert embed.status == "fresh", embed
            embed = resolver.resolve(post)
            assert embed.status == "cached", embed
            if n in checkpoints:
                gc.collect()
                rss[n] = rss_kib()
        locks = len(getattr(resolver.cache, "locks", ()))
        remembered = len(resolver._hot)
    http.close()
    print(json.dumps({"rss_kib": rss, "locks": locks, "remembered": remembered}))


if __name__ == "__main__":
    main(sys.argv[1:])
