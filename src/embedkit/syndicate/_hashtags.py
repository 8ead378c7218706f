"""Turn article tags into hashtags every platform accepts.

A hashtag may hold letters, combining marks, digits and the underscore, in any
script (``#日本``, ``#북한``, ``#ไทย``), and must hold at least one letter. A
multi-word tag becomes CamelCase (``north korea`` → ``#NorthKorea``); other
characters are dropped (``U.S.`` → ``#US``). Tags that normalise to the same
hashtag, ignoring case, are kept once, and a hashtag already present in the post
text is skipped.

Example::

    >>> hashtags_for(["north korea", "North Korea", "trade", "日本"], "#Trade talks #日本")
    ['#NorthKorea']
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

__all__ = ["hashtags_for", "normalize_hashtag"]

_WORD = regex.compile(r"[\p{L}\p{M}\p{N}_]+")
_HAS_LETTER = regex.compile(r"\p{L}")
_IN_TEXT = regex.compile(r"[#＃]([\p{L}\p{M}\p{N}_]+)")


def normalize_hashtag(tag: str) -> str | None:
    """``#`` plus the tag in hashtag form, or ``None`` when nothing usable is left.

    >>> normalize_hashtag("north korea"), normalize_hashtag("#trade"), normalize_hashtag("2023")
    ('#NorthKorea', '#trade', None)
    """
    words = _WORD.findall(tag.replace("'", "").replace("’", ""))
    if not words:
        return None
    # One word stays as written; several become CamelCase.
    camel = "".join(word[:1].upper() + word[1:] for word in words)
    body = words[0] if len(words) == 1 else camel
    if not _HAS_LETTER.search(body):
        return None
    return "#" + body


def hashtags_for(tags: Iterable[str], text: str = "") -> list[str]:
    """The hashtags for ``tags`` in order, de-duplicated, minus those already in ``text``."""
    present = {match.casefold() for match in _IN_TEXT.findall(text)}
    found: list[str] = []
    seen: set[str] = set(present)
    for tag in tags:
        hashtag = normalize_hashtag(tag)
        if hashtag is None:
            continue
        key = hashtag[1:].casefold()
        if key in seen:
            continue
        seen.add(key)
        found.append(hashtag)
    return found
