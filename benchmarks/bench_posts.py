"""Formatting article summaries into posts: embedkit against brevity, in the same run.

Run:  .venv/bin/python benchmarks/bench_posts.py [--quick]
(needs the ``bench`` extra: brevity and twitter-text-parser.)

Two rows:

1. 10,000 generated article summaries (English, Japanese, Korean and mixed text, with
   emoji, flags, skin tones, ZWJ sequences and URLs; 100 to 1,500 characters; a fixed
   seed) formatted for X. embedkit: ``format_post(article, "x")`` (title, summary,
   URL and hashtags through the packaged template); brevity: ``shorten(title + "\\n\\n"
   + summary, permalink=url, target_length=280)``. Both in posts per second, rounds
   alternating so both see the same machine. Every post embedkit produces is measured
   with twitter-text's ``parse_tweet``; the note says how many exceed 280 (the goal is
   none).
2. One Japanese summary formatted for X at 2,000 and at 20,000 characters: the time
   per post at 20,000 against ten times the time at 2,000 (what linear growth allows).
   A ratio of 1 is exactly linear, above 1 better.

``--quick`` formats 1,000 summaries, once each, for a run of a few seconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import brevity
import twitter_text
from common import Row, median_time, per_call, table

from embedkit._templating import make_environment
from embedkit.syndicate import Article, format_post

SEED = 20230316

_EN = [
    "Japan and South Korea agreed on Thursday to drop a four-year-old trade dispute.",
    "The agreement is seen as a sign that both countries aim to rebuild ties.",
    "Officials said talks would continue next month in Seoul.",
    "Markets rose 1.2% after the announcement, led by chipmakers.",
    "Critics warned the deal leaves key questions unanswered, including export controls.",
    "The ministry did not respond to a request for comment.",
    "Analysts at example.com/research expect further easing this year.",
    "Read the full statement at https://www.mofa.go.jp/press/release/2023/0316.html today.",
    "Supporters gathered outside the venue; some carried flags 🇯🇵🇰🇷 and banners.",
    "It was, by most accounts, a long-awaited step.",
]
_JA = [
    "日本と韓国は16日、半導体材料をめぐる約4年間の貿易紛争を取り下げることで合意した。",
    "両国は歴史問題で冷え込んだ関係を立て直し、安全保障上の脅威に共に対処する考えだ。",
    "尹錫悦大統領の訪日は、韓国大統領として12年ぶりとなる。",
    "北朝鮮は同日朝、長距離弾道ミサイルを発射した🚀。",
    "詳細は https://www3.nhk.or.jp/news/html/20230316/k10014009771000.html を参照。",
    "市場関係者は「大きな前進だ」と評価している👍🏽",
    "政府は来月、ソウルで協議を続ける方針だ、と述べた",
]
_KO = [
    "한국과 일본은 16일 반도체 소재를 둘러싼 4년간의 무역 분쟁을 철회하기로 합의했다.",
    "양국은 역사 문제로 얼어붙은 관계를 회복하고 안보 위협에 함께 대응할 방침이다.",
    "윤석열 대통령의 방일은 한국 대통령으로서는 12년 만이다.",
    "자세한 내용은 news.example.co.kr/article/12345 에서 볼 수 있다.",
    "전문가들은 이번 합의를 환영했다 👨‍👩‍👧‍👦",
]
_EMOJI = ["😷", "🎉", "👍🏽", "🇯🇵", "🇰🇷", "👨‍👩‍👧‍👦", "❤️", "🧑‍🤝‍🧑", "1️⃣", "🏳️‍🌈"]
_TAGS = [
    "Japan",
    "South Korea",
    "north korea",
    "trade",
    "security",
    "日本",
    "한국",
    "semiconductors",
]
_TITLES = {
    "en": "Japan, South Korea bury trade hatchet amid security threats",
    "ja": "日韓、安全保障上の脅威を前に貿易摩擦を解消",
    "ko": "한일, 안보 위협 속 무역 갈등 해소",
    "mixed": "Japan 日本 and Korea 한국: trade deal 🤝",
}


def summaries(count: int, seed: int = SEED) -> list[Article]:
    """``count`` articles with summaries of 100 to 1,500 characters, always the same."""
    rng = random.Random(seed)
    articles = []
    for index in range(count):
        lang = rng.choice(["en", "ja", "ko", "mixed"])
        pool = {"en": _EN, "ja": _JA, "ko": _KO, "mixed": _EN + _JA + _KO}[lang]
        target = rng.randint(100, 1500)
        parts: list[str] = []
        size = 0
        while size < target:
            piece = rng.choice(pool)
            if rng.random() < 0.15:
                piece += " " + rng.choice(_EMOJI)
            parts.append(piece)
            size += len(piece) + 1
        joiner = "" if lang == "ja" else " "
        summary = joiner.join(parts)[:target].rstrip()
        articles.append(
            Article(
                id=f"bench-{index}",
                title=_TITLES[lang],
                url=f"https://news.example.com/{lang}/2023/03/16/story-{index}/",
                summary=summary,
                tags=tuple(rng.sample(_TAGS, rng.randint(0, 4))),
                lang={"en": "en", "ja": "ja", "ko": "ko", "mixed": None}[lang],
            )
        )
    return articles


def _alternating(rounds: int, *funcs: Callable[[], object]) -> list[float]:
    """The median seconds of each function, its rounds alternating with the others'."""
    times: list[list[float]] = [[] for _ in funcs]
    for _ in range(rounds):
        for func, samples in zip(funcs, times, strict=True):
            samples.append(median_time(1, func))
    return [statistics.median(samples) for samples in times]


def bench_x(quick: bool) -> Row:
    count = 1_000 if quick else 10_000
    articles = summaries(count)
    env = make_environment(env={})

    def ours() -> list[str]:
        return [format_post(a, "x", env=env).text for a in articles]

    def theirs() -> list[str]:
        return [
            brevity.shorten(f"{a.title}\n\n{a.summary}", permalink=a.url, target_length=280)
            for a in articles
        ]

    texts = ours()  # also warms the template cache
    overs = sum(twitter_text.parse_tweet(text).weightedLength > 280 for text in texts)
    t_ours, t_theirs = _alternating(1 if quick else 3, ours, theirs)
    return Row(
        name=f"format {count:,} summaries for X",
        ours=count / t_ours,
        peer=count / t_theirs,
        unit="posts/s",
        peer_name="brevity",
        goal=5.0,
        goal_text="≥ 5× brevity",
        higher_is_better=True,
        note=f"{overs} of {count:,} posts over 280 by twitter-text",
    )


def _japanese(chars: int) -> Article:
    text = "".join(_JA)
    return Article(
        id=f"ja-{chars}",
        title=_TITLES["ja"],
        url="https://news.example.com/ja/long/",
        summary=(text * (chars // len(text) + 1))[:chars],
        tags=("日本", "trade"),
        lang="ja",
    )


def bench_long_japanese(quick: bool) -> Row:
    env = make_environment(env={})
    short, long = _japanese(2_000), _japanese(20_000)
    rounds, calls = (3, 20) if quick else (7, 100)
    format_post(short, "x", env=env)
    t_short = per_call(rounds, calls, lambda: format_post(short, "x", env=env))
    t_long = per_call(rounds, calls, lambda: format_post(long, "x", env=env))
    return Row(
        name="format long Japanese summaries (2,000 → 20,000 chars)",
        ours=t_long * 1e6,
        peer=10 * t_short * 1e6,
        unit="µs",
        peer_name="linear (10× the 2,000-char time)",
        goal=1.0,
        goal_text="≥ 1 (no worse than linear)",
        note=f"{t_short * 1e6:.0f} µs per post at 2,000 chars",
    )


def run(quick: bool = False) -> list[Row]:
    """Both rows; ``quick`` formats 1,000 summaries instead of 10,000, once."""
    return [bench_x(quick), bench_long_japanese(quick)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 summaries, one round")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = run(quick=args.quick)
    print(table(rows))
    for row in rows:
        if row.note:
            print(f"- {row.name}: {row.note}")
    print(f"\n({time.perf_counter() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
