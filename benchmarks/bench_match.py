"""Provider matching: embedkit ``Resolver.match`` against micawber, on 20,000 mixed URLs.

Run:  .venv/bin/python benchmarks/bench_match.py [--quick]

Issue 10, row 1. The URLs are what a news page holds: mostly ordinary article links
(on a few hundred news hosts, none of them a post) and some real post URLs in the
shapes editors paste (``tests/fixtures/urls/real-urls.txt``). Every URL is a distinct
string, so no cache of either library answers twice. embedkit is called as a user
calls it, ``Resolver.match(url)``: it canonicalizes post URLs (so every pasted shape
matches) and answers a URL on a host no provider or platform knows from a host lookup
alone. micawber is called the way it matches, ``bootstrap_oembed().provider_for_url``
(a scan of every provider's regexes, in order). Goal: at least 10x micawber's rate.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import micawber  # noqa: E402
from benchmarks.common import Row, median_time, run_alone  # noqa: E402

from embedkit import Resolver  # noqa: E402

URLS_FILE = ROOT / "tests" / "fixtures" / "urls" / "real-urls.txt"

#: Share of post URLs among the mixed URLs (the rest are ordinary article links).
POST_SHARE = 0.2

_SITES = (
    "reuters", "apnews", "bbc", "theguardian", "lemonde", "spiegel", "elpais", "asahi",
    "koreaherald", "japantimes", "scmp", "aljazeera", "npr", "latimes", "washingtonpost",
    "economist", "ft", "bloomberg", "lefigaro", "corriere", "nzherald", "abc", "cbc",
    "straitstimes", "hindustantimes", "thehindu", "smh", "irishtimes", "politico", "axios",
)  # fmt: skip
_TLDS = ("com", "co.uk", "fr", "de", "es", "co.jp", "com.au", "net", "org", "news")
_SECTIONS = ("world", "business", "politics", "tech", "science", "culture", "sport", "asia")


def _posts() -> list[str]:
    lines = URLS_FILE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#") and " " not in line]


def mixed_urls(count: int, start: int = 0) -> list[str]:
    """``count`` distinct URLs: article links on many hosts, and pasted post URLs.

    URLs made with different ``start`` values never repeat each other.
    """
    posts = _posts()
    urls: list[str] = []
    for i in range(start, start + count):
        if i % int(1 / POST_SHARE) == 0:
            post = posts[(i // int(1 / POST_SHARE)) % len(posts)]
            urls.append(post + ("&" if "?" in post else "?") + f"utm_source=feed{i}")
        else:
            site = _SITES[i % len(_SITES)]
            tld = _TLDS[(i // len(_SITES)) % len(_TLDS)]
            section = _SECTIONS[i % len(_SECTIONS)]
            urls.append(
                f"https://www.{site}.{tld}/{section}/2023/03/{1 + i % 28:02d}/"
                f"japan-south-korea-trade-story-{i}.html"
            )
    return urls


def run(quick: bool = False) -> list[Row]:
    """Match the same mixed URLs with both libraries; one row, URLs per second."""
    count = 2_000 if quick else 20_000
    rounds = 1 if quick else 5
    # A fresh batch of distinct URLs for every run, so that Resolver's memo of recent
    # references never answers (micawber has none): every URL is matched for real.
    ours_batches = iter([mixed_urls(count, start=i * count) for i in range(rounds + 1)])
    peer_batches = iter([mixed_urls(count, start=i * count) for i in range(rounds + 1)])
    resolver = Resolver(cache="memory://", offline=True, env={})
    registry = micawber.bootstrap_oembed()

    def ours() -> None:
        for url in next(ours_batches):
            resolver.match(url)

    def peer() -> None:
        for url in next(peer_batches):
            registry.provider_for_url(url)

    ours()  # build the registry's compiled patterns and imports once, like a warm worker
    peer()
    try:
        ours_rate = count / median_time(rounds, ours)
        peer_rate = count / median_time(rounds, peer)
    finally:
        resolver.close()
    return [
        Row(
            name=f"provider match, {count:,} mixed URLs ({POST_SHARE:.0%} posts)",
            ours=ours_rate,
            peer=peer_rate,
            unit="URLs/s",
            peer_name="micawber bootstrap_oembed()",
            goal=10.0,
            goal_text="≥ 10× micawber",
            higher_is_better=True,
        )
    ]


def main() -> None:
    run_alone(__doc__, run, "2,000 URLs, one round")


if __name__ == "__main__":
    main()
