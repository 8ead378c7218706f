"""Shorten text at the best boundary that still fits, never inside a URL, tag or cluster.

The caller says what "fits" means, so the same code serves every platform's counting
rule: :func:`shorten` and :func:`split_at_best_cut` take a callback that renders and
measures a whole candidate; :func:`best_cut` takes a cheaper one, ``fits(end, tail)``,
which judges ``text[start:end] + tail`` without building it (the formatter answers it
from a :class:`~embedkit.syndicate._length.PrefixMeter`). Places to cut are tried from
the most to the least natural:

1. a sentence end: after ``.``, ``!``, ``?`` (followed by a space) or ``。！？``;
2. a clause end: after ``、``, ``，``, ``,``, ``;`` or ``:`` (CJK punctuation needs no
   space after it);
3. a word boundary: before a space;
4. a grapheme boundary (for Japanese, Chinese, Thai and other scripts written
   without spaces, and as the last resort for one overlong word).

A cut is never placed inside a URL (with or without protocol), an ``@mention``, a
``#hashtag`` or a grapheme cluster. A cut at a higher level wins when it keeps at
least half as much text as the best lower-level cut; otherwise the longer cut is
taken (one long first sentence should not reduce a summary to nothing).

The places to cut are found lazily and only as far as a cut could still fit
(``reach``), so shortening a 20,000-character summary to 280 reads little more than
its first 280 characters after one linear pass for URLs, mentions and hashtags.

Example::

    >>> shorten("Japan and Korea agreed. More follows here.", lambda s: len(s) <= 30)
    'Japan and Korea agreed. …'
    >>> shorten("日本と韓国は合意した。詳細は後で。", lambda s: len(s) <= 8)
    '日本と韓国は合…'
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from typing import NamedTuple

import regex

from embedkit.syndicate._length import UrlSpan, extract_urls, grapheme_ends

__all__ = [
    "ELLIPSIS",
    "Cut",
    "CutPoints",
    "best_cut",
    "cut_points",
    "probe_reach",
    "protected_spans",
    "shorten",
    "split_at_best_cut",
]

ELLIPSIS = "…"

# White space as Unicode defines it (the `regex` module's "\s"; `re`'s also has \x1c-\x1f).
# These patterns scan whole summaries, which `re` does several times faster.
_WHITE = "[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# (Each starts with one character class, which `re` scans for quickly.)
_SENTENCE_END = re.compile(
    f"[.!?。！？](?:(?<=[.!?])['\"”’)\\]]*(?={_WHITE})|(?<=[。！？])[」』）】]*)"
)
_CLAUSE_END = re.compile(f"[,;:、，；：](?:(?<=[,;:])(?={_WHITE})|(?<=[、，；：]))")
_SPACE = re.compile(f"{_WHITE}+")
_SPACE_CHAR = re.compile(_WHITE)
_MENTION = regex.compile(r"(?<![\w@])@[\w.\-]+(?:@[\w.\-]*\w)?")
_HASHTAG = regex.compile(r"(?<![\w#&])[#＃][\p{L}\p{M}\p{N}_]+")
_TRAILING_PUNCT = ",;:、，；：-–—"
_CJK_CLOSERS = "。！？」』）】"

#: The levels returned by :func:`cut_points`, most natural first.
LEVELS = ("sentence", "clause", "word", "grapheme")


def protected_spans(text: str, urls: list[UrlSpan] | None = None) -> list[tuple[int, int]]:
    """Code point spans that a cut must not enter: URLs, mentions, hashtags.

    ``urls`` are the text's URLs when the caller has already found them.
    """
    spans = [(u.start, u.end) for u in (extract_urls(text) if urls is None else urls)]
    if "@" in text:
        spans += [m.span() for m in _MENTION.finditer(text)]
    if "#" in text or "＃" in text:
        spans += [m.span() for m in _HASHTAG.finditer(text)]
    return spans


class _Lazy:
    """Ascending positions from an iterator of chunks, read only as far as asked for."""

    def __init__(self, chunks: Iterator[list[int]]) -> None:
        self.items: list[int] = []
        self._chunks = chunks
        self._done = False

    def upto(self, high: int) -> list[int]:
        """The positions, read at least until one is beyond ``high`` (or all are read)."""
        while not self._done and (not self.items or self.items[-1] <= high):
            chunk = next(self._chunks, None)
            if chunk is None:
                self._done = True
            else:
                self.items += chunk
        return self.items


def _chunks(positions: Iterator[int], size: int = 64) -> Iterator[list[int]]:
    while chunk := list(itertools.islice(positions, size)):
        yield chunk


class CutPoints:
    """The places one text may be cut, found lazily, left to right.

    ``between(level, low, high)`` lists the allowed cut indices ``i`` (keep
    ``text[:i]``) with ``low < i <= high`` and ``i < len(text)``: at a grapheme
    boundary, not inside a URL, mention or hashtag, and at the level's kind of
    boundary. Asking again with a larger ``low`` (the next post of a thread)
    reuses what was found. ``urls(until)``, when given, returns the text's URLs
    that start before ``until`` (a :class:`~embedkit.syndicate._length.PrefixMeter`
    that has found them already); else they are found once for the whole text.
    """

    def __init__(self, text: str, *, urls: Callable[[int], list[UrlSpan]] | None = None) -> None:
        self.text = text
        self._clusters = _Lazy(grapheme_ends(text))
        self._levels = {
            "sentence": _Lazy(_chunks(m.end() for m in _SENTENCE_END.finditer(text))),
            "clause": _Lazy(_chunks(m.end() for m in _CLAUSE_END.finditer(text))),
            "word": _Lazy(_chunks(m.start() for m in _SPACE.finditer(text))),
            "grapheme": self._clusters,
        }
        self._find_urls = urls or (lambda until: extract_urls(text))
        self._tags = protected_spans(text, [])
        self._covered = -1
        self._blocked_first: list[int] = []
        self._blocked_last: list[int] = []

    def _cover(self, high: int) -> None:
        """Know every protected span that starts at or before ``high``."""
        if high < self._covered:
            return
        self._covered = min(len(self.text), max(high + 1, 2 * self._covered))
        spans = self._tags + [(u.start, u.end) for u in self._find_urls(self._covered)]
        # Blocked indices as sorted, disjoint closed ranges [first, last].
        merged: list[list[int]] = []
        for first, last in sorted((s + 1, e - 1) for s, e in spans if e - s > 1):
            if merged and first <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        self._blocked_first = [first for first, _ in merged]
        self._blocked_last = [last for _, last in merged]

    def between(self, level: str, low: int, high: int) -> list[int]:
        """Allowed cut indices at ``level`` in ``(low, high]``, ascending."""
        high = min(high, len(self.text) - 1)
        self._cover(high)
        positions = self._levels[level].upto(high)
        boundaries = self._clusters.upto(high)
        chosen = positions[bisect_right(positions, low) : bisect_right(positions, high)]
        if level != "grapheme":
            chosen = [i for i in chosen if _contains(boundaries, i)]
        first = bisect_right(self._blocked_last, low)
        last = bisect_right(self._blocked_first, high)
        for lo, hi in zip(
            self._blocked_first[first:last], self._blocked_last[first:last], strict=True
        ):
            chosen = chosen[: bisect_left(chosen, lo)] + chosen[bisect_right(chosen, hi) :]
        return chosen


def _contains(ordered: list[int], value: int) -> bool:
    at = bisect_left(ordered, value)
    return at < len(ordered) and ordered[at] == value


def cut_points(text: str) -> dict[str, list[int]]:
    """Allowed cut indices (keep ``text[:i]``) at each level, ascending, ``0 < i < len``."""
    cuts = CutPoints(text)
    return {level: cuts.between(level, 0, len(text)) for level in LEVELS}


class Cut(NamedTuple):
    """A cut: keep ``text[start:kept]`` and add ``tail`` (the ellipsis), cut at ``rest``.

    ``rest`` is where the cut was placed: the text after it (less its leading
    spaces) is what a thread's next post continues with.
    """

    kept: int
    tail: str
    rest: int

    def candidate(self, text: str, start: int = 0) -> str:
        return text[start : self.kept] + self.tail


def _strip_end(text: str, start: int, end: int) -> int:
    """``end`` moved back over whitespace (``str.rstrip``)."""
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _trim_end(text: str, start: int, end: int) -> int:
    """``end`` moved back over trailing spaces, commas, colons and dashes."""
    while end > start and (text[end - 1] in _TRAILING_PUNCT or _SPACE_CHAR.match(text[end - 1])):
        end -= 1
    return end


def _candidate(text: str, start: int, index: int, level: str, ellipsis: str) -> Cut:
    kept = _strip_end(text, start, index)
    if level == "sentence":
        if not ellipsis:
            return Cut(kept, "", index)
        spaced = kept > start and text[kept - 1] not in _CJK_CLOSERS
        return Cut(kept, f" {ellipsis}" if spaced else ellipsis, index)
    return Cut(_trim_end(text, start, kept), ellipsis, index)


def _longest(
    text: str,
    start: int,
    indices: list[int],
    level: str,
    fits: Callable[[int, str], bool],
    ellipsis: str,
) -> int | None:
    """The largest index whose candidate is accepted (binary search: longer means longer).

    Candidates that trim down to nothing (a cut after leading punctuation) are never
    accepted and come first; the search starts after them, so that it finds the same
    cut however far the list of places goes.
    """

    def empty(index: int) -> bool:
        cut = _candidate(text, start, index, level, ellipsis)
        return cut.kept == start and not cut.tail

    low, high = 0, len(indices)
    while low < high:  # the first index whose candidate is not empty
        middle = (low + high) // 2
        if empty(indices[middle]):
            low = middle + 1
        else:
            high = middle
    high, best = len(indices) - 1, None
    while low <= high:
        middle = (low + high) // 2
        cut = _candidate(text, start, indices[middle], level, ellipsis)
        if fits(cut.kept, cut.tail):
            best = indices[middle]
            low = middle + 1
        else:
            high = middle - 1
    return best


_FIRST_PROBE = 64


def _cut_at_or_after(cuts: CutPoints, position: int) -> int | None:
    """The first grapheme cut place at or after ``position``."""
    window = 256
    while True:
        found = cuts.between("grapheme", position - 1, position + window)
        if found:
            return found[0]
        if position + window >= len(cuts.text) - 1:
            return None
        window *= 2


def probe_reach(
    text: str,
    fits: Callable[[int, str], bool],
    *,
    start: int = 0,
    cuts: CutPoints | None = None,
) -> int | None:
    """A reach for :func:`best_cut`, found by asking ``fits`` about longer pieces.

    Asks about ``text[start:end]`` for ``end`` at cut places about 64, 128, 256 ...
    characters on, until one is refused: nothing keeping as much or more can fit,
    so the reach is just before it. ``None`` when every piece asked about fits up to
    the end of the text. Each question is about at most twice what fits, so the
    questions together cost about as much as a few candidates, however long the
    text (a callback that renders and counts would otherwise read it all).
    """
    cuts = cuts or CutPoints(text)
    step = _FIRST_PROBE
    while start + step < len(text):
        end = _cut_at_or_after(cuts, start + step)
        if end is None:
            return None
        if not fits(end, ""):
            return end - 1
        step = 2 * (end - start)
    return None


def best_cut(
    text: str,
    fits: Callable[[int, str], bool],
    *,
    start: int = 0,
    reach: int | None = None,
    ellipsis: str = ELLIPSIS,
    cuts: CutPoints | None = None,
) -> Cut | None:
    """The best place to cut ``text[start:]``, judged by ``fits(end, tail)``.

    ``fits(end, tail)`` says whether ``text[start:end] + tail`` would be accepted;
    it must only get harder as ``end`` grows. ``reach`` promises that nothing
    keeping more than ``text[start:reach]`` fits, so no place beyond it is looked
    at; without one, it is found with :func:`probe_reach`. ``cuts`` shares the
    places found between calls on the same text. ``None`` when no cut of any
    level fits.
    """
    cuts = cuts or CutPoints(text)
    if reach is None:
        reach = probe_reach(text, fits, start=start, cuts=cuts)
    high = len(text)
    if reach is not None:
        # A cut may lie beyond the reach only by what the candidate trims off again.
        high = reach
        while high < len(text) and (text[high] in _TRAILING_PUNCT or _SPACE_CHAR.match(text[high])):
            high += 1
    found: list[tuple[str, int]] = []
    for level in LEVELS:
        best = _longest(text, start, cuts.between(level, start, high), level, fits, ellipsis)
        if best is not None:
            found.append((level, best))
    if not found:
        return None
    longest = max(index for _level, index in found) - start
    for level, index in found:
        if (index - start) * 2 >= longest:
            return _candidate(text, start, index, level, ellipsis)
    raise AssertionError("unreachable: the longest cut always qualifies")


def _rest_start(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index


def split_at_best_cut(
    text: str, accept: Callable[[str], bool], *, ellipsis: str = ELLIPSIS
) -> tuple[str, str] | None:
    """Cut ``text`` at the best accepted place: ``(kept_with_ellipsis, rest)``.

    ``None`` when no cut of any level is accepted. ``rest`` is the remainder with
    leading spaces removed (for splitting a long text into a thread).
    """
    cut = best_cut(text, lambda end, tail: accept(text[:end] + tail), ellipsis=ellipsis)
    if cut is None:
        return None
    return cut.candidate(text), text[_rest_start(text, cut.rest) :]


def shorten(text: str, accept: Callable[[str], bool], *, ellipsis: str = ELLIPSIS) -> str:
    """``text`` itself when accepted, else its best accepted shortening, else ``""``."""
    if accept(text):
        return text
    cut = split_at_best_cut(text, accept, ellipsis=ellipsis)
    return cut[0] if cut else ""
