"""Warm paths: a cache hit (memory and SQLite) and a page of 50 embeds, against their peers.

Run:  .venv/bin/python benchmarks/bench_warm.py [--quick]

1. warm hit, memory backend, ``.html`` read: embedkit ``Resolver.resolve`` against
   micawber's in-memory cache (``ProviderRegistry.request`` on a cached URL), the same
   50 posts on both sides, answered once by the local provider simulator. Goal: at most
   1.5× micawber.
2. warm hit, SQLite backend, ``.html`` read: embedkit against a bare ``sqlite3``
   primary-key ``SELECT`` plus ``json.loads`` of a row the size of embedkit's entry
   (what any SQLite cache must do at least). Goal: at most 2× that.
3. ``render_html`` of a page with 50 embeds, warm cache: against the 50 warm hits alone
   plus one parse of the page by the standard library's HTML parser. Goal: at most 2×.

What a hit costs embedkit (docs/cache.md, "Warm hits"): the resolver remembers the
embed it served from a fresh entry and, on the next ask, checks the entry's expiry by
its clock and asks the backend for the entry's version only (memory: a dict lookup
under the cache's lock; SQLite: one primary-key ``SELECT`` of the ``version`` column
on every hit, so another process's write is seen), then hands out the same immutable
embed. ``python benchmarks/bench_warm.py --profile`` prints where the page row's time
goes.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import micawber  # noqa: E402
from common import Row, per_call, table  # noqa: E402
from micawber.cache import Cache  # noqa: E402
from tests.simulator import ProviderSimulator  # noqa: E402

from embedkit import Resolver, render_html  # noqa: E402

POSTS = 50


def _tweets(n: int) -> list[str]:
    return [f"https://twitter.com/user{i}/status/{1636212467429621760 + i}" for i in range(n)]


def _page(urls: list[str]) -> str:
    paragraphs = []
    for index, url in enumerate(urls):
        paragraphs.append(
            f"<p>Paragraph {index} of the article, with <a href='https://example.com/{index}'>"
            f"a link</a> and some <em>emphasis</em> around the news of the day.</p>\n"
            f"<p>{url}</p>\n"
        )
    return "<article>\n" + "".join(paragraphs) + "</article>\n"


def warm_memory(sim: ProviderSimulator, providers: Path, rounds: int) -> Row:
    urls = _tweets(POSTS)
    ours = Resolver(cache="memory://", providers=providers, env={})
    ours.resolve_many(urls)
    theirs = micawber.ProviderRegistry(cache=Cache())
    theirs.register(
        r"https://twitter\.com/\S+/status/\d+", micawber.Provider(sim.endpoint_url("Twitter"))
    )
    for url in urls:
        theirs.request(url)

    def ours_all() -> None:
        for url in urls:
            ours.resolve(url).html  # noqa: B018

    def theirs_all() -> None:
        for url in urls:
            theirs.request(url)["html"]

    t_ours = per_call(rounds, 20, ours_all) / POSTS
    t_theirs = per_call(rounds, 20, theirs_all) / POSTS
    ours.close()
    return Row(
        "warm hit, memory backend, .html read",
        t_ours * 1e6,
        t_theirs * 1e6,
        "µs",
        "micawber in-memory cache",
        goal=1 / 1.5,
        goal_text="≤ 1.5× micawber",
    )


def warm_sqlite(sim: ProviderSimulator, providers: Path, folder: Path, rounds: int) -> Row:
    urls = _tweets(POSTS)
    db = folder / "warm.db"
    ours = Resolver(cache=f"sqlite:///{db}", providers=providers, env={})
    ours.resolve_many(urls)
    # The peer: the least any SQLite cache does on a hit, on a row of the same size.
    size = max(len(str(ours.resolve(url).data)) for url in urls) + 512
    bare = folder / "bare.db"
    conn = sqlite3.connect(bare)
    conn.execute("CREATE TABLE e (k TEXT PRIMARY KEY, v TEXT)")
    payload = json.dumps({"html": "x" * size, "n": 1})
    conn.executemany("INSERT INTO e VALUES (?, ?)", [(url, payload) for url in urls])
    conn.commit()

    def ours_all() -> None:
        for url in urls:
            ours.resolve(url).html  # noqa: B018

    def bare_all() -> None:
        for url in urls:
            row = conn.execute("SELECT v FROM e WHERE k = ?", (url,)).fetchone()
            json.loads(row[0])["html"]

    t_ours = per_call(rounds, 10, ours_all) / POSTS
    t_bare = per_call(rounds, 10, bare_all) / POSTS
    ours.close()
    conn.close()
    return Row(
        "warm hit, SQLite backend, .html read",
        t_ours * 1e6,
        t_bare * 1e6,
        "µs",
        "bare sqlite3 SELECT + json.loads",
        goal=1 / 2,
        goal_text="≤ 2× the bare SELECT",
        note=f"row of {size:,} bytes; each hit still SELECTs the entry's version",
    )


def render_page(sim: ProviderSimulator, providers: Path, rounds: int) -> Row:
    urls = _tweets(POSTS)
    page = _page(urls)
    ours = Resolver(cache="memory://", providers=providers, env={})
    ours.resolve_many(urls)
    render_html(page, ours)

    def hits_and_parse() -> None:
        for url in urls:
            ours.resolve(url).html  # noqa: B018
        parser = HTMLParser()
        parser.feed(page)
        parser.close()

    t_ours = per_call(rounds, 5, lambda: render_html(page, ours))
    t_base = per_call(rounds, 5, hits_and_parse)
    ours.close()
    return Row(
        f"render_html, {POSTS} embeds, warm cache",
        t_ours * 1e3,
        t_base * 1e3,
        "ms",
        f"{POSTS} warm hits + one html.parser pass",
        goal=1 / 2,
        goal_text="≤ 2× the hits plus the parse",
        note=f"page of {len(page):,} characters, body cleaned (untrusted)",
    )


def run(quick: bool = False) -> list[Row]:
    rounds = 3 if quick else 9
    with ProviderSimulator() as sim, tempfile.TemporaryDirectory() as tmp:
        providers = sim.providers_file(Path(tmp), names=("Twitter",))
        return [
            warm_memory(sim, providers, rounds),
            warm_sqlite(sim, providers, Path(tmp), rounds),
            render_page(sim, providers, rounds),
        ]


def profile_page() -> str:
    """Where ``render_html`` spends a warm page's time, part by part (milliseconds)."""
    from embedkit.page._autoembed import scan
    from embedkit.page._body import sanitize_body

    urls = _tweets(POSTS)
    page = _page(urls)
    with ProviderSimulator() as sim, tempfile.TemporaryDirectory() as tmp:
        providers = sim.providers_file(Path(tmp), names=("Twitter",))
        ours = Resolver(cache="memory://", providers=providers, env={})
        ours.resolve_many(urls)
        clean = sanitize_body(page)

        def parse() -> None:
            parser = HTMLParser()
            parser.feed(page)
            parser.close()

        parts = {
            "render_html (all of it)": lambda: render_html(page, ours),
            "  sanitize the body (nh3)": lambda: sanitize_body(page),
            "  scan the page for standalone URLs": lambda: scan(clean),
            "  resolve_many of the 50 URLs": lambda: ours.resolve_many(urls),
            "peer: 50 x resolve(url).html": lambda: [ours.resolve(u).html for u in urls],
            "peer: one html.parser pass": parse,
        }
        lines = [f"{name:40s} {per_call(9, 5, work) * 1e3:8.3f} ms" for name, work in parts.items()]
        ours.close()
    return "\n".join(lines)


if __name__ == "__main__":
    if "--profile" in sys.argv:
        print(profile_page())
    else:
        print(table(run(quick="--quick" in sys.argv)))
