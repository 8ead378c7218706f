"""Counting, finding URLs and formatting take time linear in the text: growth, not speed.

Feeds are untrusted, and a pattern that backtracks turns one long entry into minutes
of work ("a-" * 2000 + "a." took 2.3 s to count, 16 KB took 2 minutes). No test here
asserts a duration: each times the same work on inputs of size n and 2n, in the same
run, and requires the second to take less than three times as long. Linear work takes
about twice as long, quadratic four times; inputs are thousands of characters, so the
difference dominates. Each side is the best of three samples taken alternately, each
sample tens of milliseconds long; a shared machine can still stall one run, so a ratio
over the bound is measured again, up to three times, and the lowest counts (quadratic
work does not measure under the bound).
"""

from __future__ import annotations

import gc
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from embedkit._templating import make_environment
from embedkit.syndicate import Article, format_post
from embedkit.syndicate._facets import facets_for
from embedkit.syndicate._length import count_length, extract_urls, graphemes
from embedkit.syndicate._truncate import shorten

ENV = make_environment(env={})
JAPANESE = "日本と韓国は十六日半導体材料をめぐる約四年間の貿易紛争を取り下げることで合意した"
FAMILY_PART = "\U0001f468\u200d"  # 👨 + ZWJ
MAX_GROWTH = 3.0
Work = Callable[[], object]


def _japanese(size: int) -> str:
    """``size`` characters of Japanese without a single space or dot."""
    return (JAPANESE * (size // len(JAPANESE) + 1))[:size]


def _seconds(work: Work, loops: int) -> float:
    started = time.perf_counter()
    for _ in range(loops):
        work()
    return time.perf_counter() - started


def _ratio(small: Work, large: Work) -> float:
    loops = 1
    while _seconds(small, loops) < 0.03 and loops < 4096:
        loops *= 2
    smalls: list[float] = []
    larges: list[float] = []
    gc.disable()
    try:
        for _ in range(3):
            smalls.append(_seconds(small, loops))
            larges.append(_seconds(large, loops))
    finally:
        gc.enable()
    return min(larges) / min(smalls)


def growth(make: Callable[[int], Work], size: int) -> float:
    """How many times longer ``make(2 * size)`` takes to run than ``make(size)``."""
    small, large = make(size), make(2 * size)
    small(), large()  # caches, lazy imports
    best = float("inf")
    for _attempt in range(3):
        best = min(best, _ratio(small, large))
        if best < MAX_GROWTH:
            break
    return best


def _on(text: Callable[[int], str], work: Callable[[str], object]) -> Callable[[int], Work]:
    """``make`` for :func:`growth`: ``work`` on the text of size n, built once."""

    def make(size: int) -> Work:
        value = text(size)
        return lambda: work(value)

    return make


def _count(platform: str) -> Callable[[str], object]:
    return lambda text: count_length(text, platform)


# Inputs that made the old regular expressions backtrack, and their neighbours.
COUNTING: list[tuple[str, Callable[[int], str], str]] = [
    ("hyphenated words, X", lambda n: "a-" * n + "a.", "x"),
    ("hyphenated words, Mastodon", lambda n: "a-" * n + "a.", "mastodon"),
    ("Japanese, a dot, a URL, X", lambda n: _japanese(n) + ".https://example.com/a", "x"),
    ("Japanese, a dot, a URL, Mastodon", lambda n: _japanese(n) + ".https://e.com/a", "mastodon"),
    ("Japanese, a dot inside, X", lambda n: _japanese(n // 2) + "." + _japanese(n // 2), "x"),
    ("Japanese, bare domain at the end, X", lambda n: _japanese(n) + "example.com", "x"),
    ("dots, X", lambda n: "x." * n, "x"),
    ("dots and labels, X", lambda n: "ab-c." * n, "x"),
    ("labels then a TLD, X", lambda n: "a." * n + "com", "x"),
    ("digits and dots, X", lambda n: "1." * n + "1" * n, "x"),
    ("digits around a dot, X", lambda n: "1" * n + "." + "1" * n, "x"),
    ("emoji joined by ZWJ, X", lambda n: FAMILY_PART * n + "\U0001f468", "x"),
    ("emoji joined by ZWJ, Bluesky", lambda n: FAMILY_PART * n + "\U0001f468", "bluesky"),
    ("skin tones without a base, X", lambda n: "\U0001f3fd" * n, "x"),
    ("regional indicators, X", lambda n: "\U0001f1ef" * n, "x"),
    ("a path of parentheses, X", lambda n: "http://e.com/" + "a(b" * n, "x"),
    ("a path of nested parentheses, X", lambda n: "http://e.com/" + "((a)" * n, "x"),
    ("a long query, X", lambda n: "http://e.com/?" + "a!" * n, "x"),
    ("a long mention, Mastodon", lambda n: "@a@" + "b." * n + "!", "mastodon"),
    ("many URLs, X", lambda n: "see e.com/a " * (n // 12), "x"),
    ("a long label, X", lambda n: "https://" + "日" * n + ".jp/a", "x"),
]


@pytest.mark.parametrize(
    ("name", "text", "platform"), COUNTING, ids=[name for name, _, _ in COUNTING]
)
def test_counting_is_linear(name: str, text: Callable[[int], str], platform: str) -> None:
    assert growth(_on(text, _count(platform)), 4000) < MAX_GROWTH


def test_finding_urls_is_linear() -> None:
    def text(n: int) -> str:
        return _japanese(n) + "." + "a-" * n + "example.com/x"

    assert growth(_on(text, extract_urls), 4000) < MAX_GROWTH


def test_facets_are_linear() -> None:
    def text(n: int) -> str:
        return "#" + "!" * n + "a " + "#tag https://e.com/x " * (n // 20)

    assert growth(_on(text, facets_for), 4000) < MAX_GROWTH


def test_shortening_without_spaces_is_linear() -> None:
    def work(text: str) -> str:
        return shorten(text, lambda s: len(graphemes(s)) <= 100)

    assert growth(_on(_japanese, work), 4000) < MAX_GROWTH


def _article(summary: str, author: str | None = None) -> Article:
    return Article(
        id="a",
        title="日韓、安全保障上の脅威を前に貿易摩擦を解消",
        url="https://news.example.com/ja/long/",
        summary=summary,
        tags=("日本", "trade"),
        author=author,
        lang="ja",
    )


@pytest.mark.parametrize("channel", ["x", "mastodon", "bluesky", "telegram"])
def test_formatting_long_japanese_summaries_is_linear(channel: str) -> None:
    def make(n: int) -> Work:
        article = _article(_japanese(n) + "。詳細は https://example.com/a を参照")
        return lambda: format_post(article, channel, env=ENV)

    assert growth(make, 5000) < MAX_GROWTH


def test_formatting_a_long_thread_is_linear() -> None:
    def make(n: int) -> Work:
        article = _article("。".join([_japanese(100)] * (n // 100)))
        return lambda: format_post(article, "x", env=ENV, thread=True)

    assert growth(make, 4000) < MAX_GROWTH


def test_formatting_a_long_thread_the_exact_way_is_linear() -> None:
    # Decomposed kana (NFD) cannot be measured piece by piece for X, so these posts
    # are fitted by rendering and counting candidates: each part is still only
    # looked for about as far as it can reach.
    def make(n: int) -> Work:
        text = unicodedata.normalize("NFD", "がぎぐげござじずぜぞ。" * (n // 11 + 1))[:n]
        article = _article(text)
        return lambda: format_post(article, "x", env=ENV, thread=True)

    assert growth(make, 8000) < MAX_GROWTH


def test_tidying_a_long_run_of_spaces_is_linear(tmp_path: Path) -> None:
    # Trailing spaces are dropped line by line; "[ \t]+$" retried from every space.
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "file.txt.j2").write_text("{{ title }} {{ author }}\n{{ url }}")
    env = make_environment([tmp_path], env={})

    def make(n: int) -> Work:
        article = _article("short", author="a" + " " * n + "b")
        return lambda: format_post(article, "file", env=env)

    assert growth(make, 20000) < MAX_GROWTH
