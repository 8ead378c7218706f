"""Cutting by a judgement of ``text[start:end] + tail``: best_cut and CutPoints.

:func:`shorten` asks a callback about whole candidates (tested in test_format.py);
:func:`best_cut` asks ``fits(end, tail)``, which the formatter answers from prefix
sums, and may start inside the text (a thread's next post) and stop at a reach.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit.syndicate._truncate import (
    LEVELS,
    CutPoints,
    best_cut,
    cut_points,
    split_at_best_cut,
)


def by_length(text: str, budget: int, start: int = 0):  # type: ignore[no-untyped-def]
    return lambda end, tail: len(text[start:end] + tail) <= budget


@pytest.mark.parametrize(
    ("text", "budget", "expected"),
    [
        ("One. Two three four. Five six seven eight.", 24, "One. Two three four. …"),
        ("One two three four five six", 12, "One two…"),
        ("Short, then a clause continues here", 9, "Short…"),
        ("日本と韓国は合意した。詳細は後で。", 13, "日本と韓国は合意した。…"),
        ("日本と韓国は、合意した", 9, "日本と韓国は…"),
        ("ภาษาไทยไม่มีช่องว่าง", 6, "ภาษาไ…"),
        ("Unbreakable", 3, "Un…"),
        ("abc:https://example.org/aaaa/bbbb/cccc", 20, "abc…"),
        ("abc,@someone@mastodon.example", 15, "abc…"),
        ("ab👨‍👩‍👧cd", 5, "ab…"),
    ],
)
def test_best_cut_table(text: str, budget: int, expected: str) -> None:
    cut = best_cut(text, by_length(text, budget))
    assert cut is not None
    assert cut.candidate(text) == expected


def test_best_cut_gives_none_when_nothing_fits() -> None:
    assert best_cut("anything", lambda end, tail: False) is None


def test_best_cut_from_inside_the_text_is_a_cut_of_the_rest() -> None:
    text = "First post here. Second part of the text, which goes on. And on and on."
    start = text.index("Second")
    cut = best_cut(text, by_length(text, 30, start), start=start, ellipsis="")
    assert cut is not None
    assert cut.candidate(text, start) == "Second part of the text"  # the comma trimmed
    assert text[cut.rest :].lstrip().startswith("which goes on.")


def test_a_reach_only_limits_where_cuts_are_looked_for() -> None:
    text = "Alpha beta gamma. Delta epsilon zeta eta theta. Iota kappa lambda mu."
    fits = by_length(text, 20)
    unbounded = best_cut(text, fits)
    # Nothing keeping more than 19 characters fits "+ …", so a reach of 19 loses nothing.
    assert best_cut(text, fits, reach=19) == unbounded
    assert unbounded is not None
    assert unbounded.candidate(text) == "Alpha beta gamma. …"


_text = st.lists(
    st.sampled_from(
        [
            "word",
            " ",
            ". ",
            ", ",
            "、",
            "。",
            "日本語",
            "https://e.com/a ",
            "@a@b.org",
            "#tag",
            "👨‍👩‍👧",
            "e\u0301",
            "ไทย",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_text, st.integers(0, 60), st.integers(0, 60))
def test_cut_points_between_are_the_cut_points_in_range(text: str, low: int, span: int) -> None:
    every = cut_points(text)
    points = CutPoints(text)
    for level in LEVELS:
        expected = [i for i in every[level] if low < i <= low + span]
        assert points.between(level, low, low + span) == expected


@settings(max_examples=300, deadline=None)
@given(_text, st.integers(1, 40), st.sampled_from(["…", ""]))
def test_best_cut_agrees_with_split_at_best_cut(text: str, budget: int, ellipsis: str) -> None:
    cut = best_cut(text, by_length(text, budget), ellipsis=ellipsis)
    split = split_at_best_cut(text, lambda s: len(s) <= budget, ellipsis=ellipsis)
    assert (cut.candidate(text) if cut else None) == (split[0] if split else None)


def test_leading_punctuation_does_not_hide_the_longest_cut() -> None:
    # Thread parts have no ellipsis, so the first places (after ":", "—", ":") trim
    # down to nothing and are refused whatever the budget; the search starts after
    # them. Longest kept: clause 20 (the comma trimmed), word 34, grapheme 37; the
    # clause keeps at least half of 37, so it wins.
    text = ": — : 日本と韓国は 、 here, @bob@m.social Japan Japan and 合意した。"
    cut = split_at_best_cut(text, lambda s: len(s) <= 37, ellipsis="")
    assert cut is not None
    assert cut[0] == ": — : 日本と韓国は 、 here"
    assert cut[1].startswith("@bob@m.social Japan")
