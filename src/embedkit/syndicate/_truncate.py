"""Shorten text at the best boundary that still fits, never inside a URL, tag or cluster.

The caller says what "fits" means (a callback that renders and measures the whole
post), so the same code serves every platform's counting rule. Places to cut are
tried from the most to the least natural:

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

Example::

    >>> shorten("Japan and Korea agreed. More follows here.", lambda s: len(s) <= 30)
    'Japan and Korea agreed. …'
    >>> shorten("日本と韓国は合意した。詳細は後で。", lambda s: len(s) <= 8)
    '日本と韓国は合…'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import regex

from embedkit.syndicate._length import extract_urls

__all__ = ["ELLIPSIS", "cut_points", "protected_spans", "shorten", "split_at_best_cut"]

ELLIPSIS = "…"

_SENTENCE_END = regex.compile(r"[.!?]['\"”’)\]]*(?=\s)|[。！？][」』）】]*")
_CLAUSE_END = regex.compile(r"[,;:](?=\s)|[、，；：]")
_SPACE = regex.compile(r"\s+")
_MENTION = regex.compile(r"(?<![\w@])@[\w.\-]+(?:@[\w.\-]*\w)?")
_HASHTAG = regex.compile(r"(?<![\w#&])[#＃][\p{L}\p{M}\p{N}_]+")
_TRAILING = regex.compile(r"[\s,;:、，；：\-–—]+$")

#: The levels returned by :func:`cut_points`, most natural first.
LEVELS = ("sentence", "clause", "word", "grapheme")


def protected_spans(text: str) -> list[tuple[int, int]]:
    """Code point spans that a cut must not enter: URLs, mentions, hashtags."""
    spans = [(u.start, u.end) for u in extract_urls(text)]
    spans += [m.span() for m in _MENTION.finditer(text)]
    spans += [m.span() for m in _HASHTAG.finditer(text)]
    return spans


def cut_points(text: str) -> dict[str, list[int]]:
    """Allowed cut indices (keep ``text[:i]``) at each level, ascending, ``0 < i < len``."""
    boundaries: set[int] = set()
    position = 0
    for cluster in regex.findall(r"\X", text):
        position += len(cluster)
        boundaries.add(position)
    blocked: set[int] = set()
    for start, end in protected_spans(text):
        blocked.update(range(start + 1, end))

    def allowed(indices: Sequence[int]) -> list[int]:
        return sorted(
            {i for i in indices if 0 < i < len(text) and i in boundaries and i not in blocked}
        )

    return {
        "sentence": allowed([m.end() for m in _SENTENCE_END.finditer(text)]),
        "clause": allowed([m.end() for m in _CLAUSE_END.finditer(text)]),
        "word": allowed([m.start() for m in _SPACE.finditer(text)]),
        "grapheme": allowed(sorted(boundaries)),
    }


def _candidate(text: str, index: int, level: str, ellipsis: str) -> str:
    kept = text[:index].rstrip()
    if level in ("sentence",):
        if not ellipsis:
            return kept
        spaced = kept and not regex.match(r"[。！？」』）】]", kept[-1])
        return f"{kept} {ellipsis}" if spaced else kept + ellipsis
    trimmed: str = _TRAILING.sub("", kept)
    return trimmed + ellipsis


def _longest(
    text: str, indices: list[int], level: str, accept: Callable[[str], bool], ellipsis: str
) -> int | None:
    """The largest index whose candidate is accepted (binary search: longer means longer)."""
    low, high, best = 0, len(indices) - 1, None
    while low <= high:
        middle = (low + high) // 2
        candidate = _candidate(text, indices[middle], level, ellipsis)
        if candidate and accept(candidate):
            best = indices[middle]
            low = middle + 1
        else:
            high = middle - 1
    return best


def split_at_best_cut(
    text: str, accept: Callable[[str], bool], *, ellipsis: str = ELLIPSIS
) -> tuple[str, str] | None:
    """Cut ``text`` at the best accepted place: ``(kept_with_ellipsis, rest)``.

    ``None`` when no cut of any level is accepted. ``rest`` is the remainder with
    leading spaces removed (for splitting a long text into a thread).
    """
    points = cut_points(text)
    found: list[tuple[str, int]] = []
    for level in LEVELS:
        best = _longest(text, points[level], level, accept, ellipsis)
        if best is not None:
            found.append((level, best))
    if not found:
        return None
    longest = max(index for _level, index in found)
    for level, index in found:
        if index * 2 >= longest:
            return _candidate(text, index, level, ellipsis), text[index:].lstrip()
    raise AssertionError("unreachable: the longest cut always qualifies")


def shorten(text: str, accept: Callable[[str], bool], *, ellipsis: str = ELLIPSIS) -> str:
    """``text`` itself when accepted, else its best accepted shortening, else ``""``."""
    if accept(text):
        return text
    cut = split_at_best_cut(text, accept, ellipsis=ellipsis)
    return cut[0] if cut else ""
