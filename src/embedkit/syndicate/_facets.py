"""Bluesky rich-text facets: links and hashtags over UTF-8 byte offsets.

Bluesky does not detect links or tags itself: a post carries ``facets`` saying
"bytes 40 to 95 of the text are a link to ...". The offsets count UTF-8 bytes
of the final text, so they are computed after every other change to it.

- Links: every URL :func:`~embedkit.syndicate._length.extract_urls` finds; a URL
  written without a protocol links to ``https://`` plus it.
- Tags: ``#`` after the start or whitespace, up to the next whitespace, trailing
  punctuation dropped, at least one character that is not a digit, at most 64
  characters (Bluesky's own rules).

Mentions are left to the Bluesky channel, which can resolve handles to DIDs.

Example::

    >>> # 日本 is 6 bytes, the space 1: "#韓国" is bytes 7-14, the URL 15-28
    >>> [(f.kind, f.byte_start, f.byte_end) for f in facets_for("日本 #韓国 https://e.com")]
    [('link', 15, 28), ('tag', 7, 14)]
"""

from __future__ import annotations

import regex

from embedkit.syndicate._length import extract_urls
from embedkit.syndicate._models import Facet

__all__ = ["byte_offset", "facets_for"]

_TAG = regex.compile(r"(?<=^|\s)[#＃]([^\s\u00ad\u2060\u200a-\u200d\u20e2]+)")
# Read backwards (on the reversed tag): "\p{P}+$" would retry from every punctuation mark.
_LEADING_PUNCT = regex.compile(r"\p{P}*")
_MAX_TAG = 64


def byte_offset(text: str, index: int) -> int:
    """The UTF-8 byte offset of code point ``index`` in ``text``."""
    return len(text[:index].encode("utf-8"))


class _Offsets:
    """UTF-8 offsets of ascending code point indices, each byte counted once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._index = 0
        self._offset = 0

    def __call__(self, index: int) -> int:
        if index < self._index:  # out of order: start again
            self._index = self._offset = 0
        self._offset += len(self.text[self._index : index].encode("utf-8"))
        self._index = index
        return self._offset


def _strip_punctuation(tag: str) -> str:
    trailing = _LEADING_PUNCT.match(tag[::-1])
    return tag[: len(tag) - trailing.end()] if trailing else tag


def facets_for(text: str) -> tuple[Facet, ...]:
    """The link facets, then the tag facets, of ``text``. Linear in its length."""
    facets: list[Facet] = []
    link_spans: list[tuple[int, int]] = []
    offset = _Offsets(text)
    for url in extract_urls(text):
        written = text[url.start : url.end]
        uri = written if url.has_protocol else f"https://{written}"
        link_spans.append((url.start, url.end))
        facets.append(Facet(offset(url.start), offset(url.end), "link", uri))
    offset = _Offsets(text)
    links = iter(link_spans)
    link = next(links, None)
    for match in _TAG.finditer(text):
        tag = _strip_punctuation(match.group(1))
        if not tag or tag.isdigit() or len(tag) > _MAX_TAG:
            continue
        start = match.start()
        end = match.start(1) + len(tag)
        while link is not None and link[1] <= start:
            link = next(links, None)
        if link is not None and link[0] < end:
            continue  # overlaps a link
        facets.append(Facet(offset(start), offset(end), "tag", tag))
    return tuple(facets)
