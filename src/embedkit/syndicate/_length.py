"""Post length as each platform counts it, and each platform's limit.

Every platform measures a post differently, and a post that is one unit too long
is refused, so these are the platforms' own rules rather than ``len()``:

========== ==================================================================
platform   how a post is measured (limit)
========== ==================================================================
x          twitter-text v3 weighted length: NFC, code points in the four
           weight-100 ranges count 1, others 2; each URL (also without a
           protocol, ``example.com/path``) counts 23; each known emoji
           sequence 2 (280)
mastodon   grapheme clusters; each ``http(s)://`` URL counts 23; ``@user@domain``
           counts as ``@user`` (500, or the instance's ``max_characters``)
bluesky    grapheme clusters, URLs in full (300) *and* at most 3,000 UTF-8 bytes
telegram   UTF-16 code units (4,096; 1,024 for a photo caption)
threads    code points (500); linkedin (3,000); discord (2,000); slack (40,000)
file       code points, no practical limit (1,000,000)
========== ==================================================================

Two safety rules hold for everything here:

- **Linear time.** Counting reads untrusted text (feeds), so no pattern may
  backtrack on it. URLs are found the way X's extractor finds them, but by a scan:
  a cheap pass for the places a host name can end (a dot before a top-level
  domain) and for ``http(s)://``, then each label, path and query read once,
  left to right (see :class:`_UrlScanner`).
- **Never undercount on X.** An emoji sequence counts 2 only when it is one X
  knows (the Unicode 12.0 list twitter-text v3 ships, ``data/emoji-sequences.txt``);
  any other combination counts part by part, as twitter-text does, so a chain of
  30,000 emoji joined by ZWJ counts about 90,000, not 2.

Example::

    >>> count_length("日本と韓国", "x")
    10
    >>> count_length("See https://example.com/a/very/long/path", "x")
    27
    >>> fits("🇯🇵🇰🇷" * 150, "bluesky")
    True
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import string
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from encodings.idna import nameprep
from itertools import accumulate
from pathlib import Path

import regex

from embedkit._errors import ConfigError

__all__ = [
    "BLUESKY_MAX_BYTES",
    "PLATFORMS",
    "PrefixMeter",
    "UrlSpan",
    "count_length",
    "emoji_spans",
    "extract_urls",
    "fits",
    "grapheme_ends",
    "graphemes",
    "limit",
]

PLATFORMS = (
    "x",
    "mastodon",
    "bluesky",
    "threads",
    "linkedin",
    "telegram",
    "discord",
    "slack",
    "file",
)

#: Bluesky refuses a post text longer than this many UTF-8 bytes.
BLUESKY_MAX_BYTES = 3000

_LIMITS = {
    "x": 280,
    "mastodon": 500,
    "bluesky": 300,
    "threads": 500,
    "linkedin": 3000,
    "telegram": 4096,
    "discord": 2000,
    "slack": 40000,
    "file": 1_000_000,
}
_TELEGRAM_CAPTION = 1024
_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG = 40
_DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True, slots=True)
class UrlSpan:
    """A URL found in a text: code point offsets ``[start, end)`` and its protocol.

    ``url`` is the URL as X's extractor reports it. For a URL without a protocol
    whose domain is preceded by non-ASCII letters (``日本example.com/a``) that is
    shorter than ``[start, end)``; X's counter skips ``len(url)`` code points.
    """

    start: int
    end: int
    url: str
    has_protocol: bool


@dataclass(frozen=True, slots=True)
class _XConfig:
    max_length: int
    scale: int
    default_weight: int
    url_length: int
    emoji_parsing: bool
    ranges: tuple[tuple[int, int, int], ...]


@functools.cache
def _x_config() -> _XConfig:
    raw = json.loads((_DATA / "twitter-text-v3.json").read_text("utf-8"))
    return _XConfig(
        max_length=int(raw["maxWeightedTweetLength"]),
        scale=int(raw["scale"]),
        default_weight=int(raw["defaultWeight"]),
        url_length=int(raw.get("transformedURLLength", 23)),
        emoji_parsing=bool(raw.get("emojiParsingEnabled", False)),
        ranges=tuple((int(r["start"]), int(r["end"]), int(r["weight"])) for r in raw["ranges"]),
    )


# --- character classes ---------------------------------------------------------------
#
# X's extractor (twitter-text) is a set of regular expressions compiled case-insensitively.
# The classes are kept as written there and compiled with the same flags by the standard
# `re` module, which the reference implementation in the tests uses too (under IGNORECASE
# "[a-z]" also matches U+0130, U+0131, U+017F and U+212A). Every pattern below is used
# only at a known position, and none can backtrack more than once over what it reads.

_PUNCT = "!'#%&()*+,\\-./:;<=>?@[]^_{|}~$"
_SPACES = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u180e"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_INVALID = "\ufffe\ufeff\uffff"
_DIRECTIONAL = "\u202a\u202b\u202c\u202d\u202e\u061c\u200e\u200f\u2066\u2067\u2068\u2069"
_CASE_FOLDS_TO_ASCII = "\u0130\u0131\u017f\u212a"  # İ ı ſ K: equal to i, i, s, k under re.I
_FOLD_TO_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})

#: Characters a host name label may not hold (everything else may, in any script).
_NOT_DOMAIN = frozenset(_PUNCT + _SPACES + _INVALID + _DIRECTIONAL)
#: Characters after which a URL may not start (X: no URL glued to a word, @, $ or #).
_NOT_PRECEDING = frozenset(
    string.ascii_letters + string.digits + "@$#\uff20\uff03" + _INVALID + _CASE_FOLDS_TO_ASCII
)
#: Characters after which an ASCII top-level domain may not end.
_NOT_AFTER_TLD = frozenset(string.ascii_letters + string.digits + "@+-" + _CASE_FOLDS_TO_ASCII)


def _class(chars: frozenset[str] | str, *, negate: bool = False) -> str:
    body = "".join(re.escape(c) for c in sorted(chars))
    return f"[{'^' if negate else ''}{body}]"


_LATIN_ACCENTS = (
    r"\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b"
    r"\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = r"\u0400-\u04ff"
_PATH_CHAR = rf"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{_LATIN_ACCENTS}]"
_PATH_END = rf"[+\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]"
_QUERY_CHAR = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[a-z0-9\-_&=#/]"

# A host name label: domain characters, "_" and "-" (the scan checks the ends).
_LABEL_RUN = re.compile(_class(_NOT_DOMAIN - {"_", "-"}, negate=True) + "*")
# Where a URL without a protocol may start inside a label: after a preceding character.
_LABEL_START = re.compile(rf"(?<={_class(_NOT_PRECEDING, negate=True)})[^_\-]")
# What a host name with its dots is made of; the scan looks only inside such stretches.
_NOT_STRETCH_REVERSE = regex.compile(
    _class(_NOT_DOMAIN - {"_", "-", "."}), regex.REVERSE | regex.V0
)
_NOT_STRETCH = re.compile(_class(_NOT_DOMAIN - {"_", "-", "."}))
# A dot followed by a letter: the only places a top-level domain can start.
_DOT_LETTER = re.compile(r"\.(?=[^\W\d_])")
_PROTOCOL = re.compile(r"https?://", re.IGNORECASE)
_PORT = re.compile(r":[0-9]+")
_PATH_RUN = re.compile(f"{_PATH_CHAR}*", re.IGNORECASE)
_PATH_TO_LAST_END = re.compile(f"(?:{_PATH_CHAR}*{_PATH_END})?", re.IGNORECASE)
_QUERY = re.compile(rf"\?{_QUERY_CHAR}*{_QUERY_END}", re.IGNORECASE)
_TCO = re.compile(rf"https?://t\.co/([a-z0-9]+)(?:\?{_QUERY_CHAR}*{_QUERY_END})?", re.IGNORECASE)
_ASCII_WORD = re.compile(r"[0-9a-z]+", re.IGNORECASE)
_PUNYCODE = re.compile(r"xn--[\-0-9a-z]+", re.IGNORECASE)
_ASCII_LABEL = re.compile(rf"[\-a-z0-9{_LATIN_ACCENTS}]+", re.IGNORECASE)
_IDNA_DOTS = re.compile("[.\u3002\uff0e\uff61]")


@dataclass(frozen=True, slots=True)
class _Tlds:
    ascii: frozenset[str]
    #: Top-level domains with a non-ASCII letter, by first letter, longest first.
    other: dict[str, tuple[str, ...]]


@functools.cache
def _tlds() -> _Tlds:
    text = (_DATA / "tlds.txt").read_text("utf-8")
    names = {line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"}
    other: dict[str, list[str]] = {}
    for name in sorted(names, key=lambda n: (-len(n), n)):
        if not name.isascii():
            other.setdefault(name[0], []).append(name)
    return _Tlds(
        ascii=frozenset(n for n in names if n.isascii()),
        other={first: tuple(group) for first, group in other.items()},
    )


def _run_end(pattern: re.Pattern[str], text: str, start: int, end: int | None = None) -> int:
    """Where a pattern that may match nothing (``[...]*``) stops, from ``start``."""
    found = pattern.match(text, start) if end is None else pattern.match(text, start, end)
    return found.end() if found else start


def _fold(text: str) -> str:
    return text.translate(_FOLD_TO_ASCII).lower()


def _tld_end(text: str, start: int, end: int) -> int:
    """Where the longest top-level domain at ``text[start:]`` ends, or -1.

    A known top-level domain counts only when no letter, digit, ``@``, ``+`` or ``-``
    follows it (``end`` counts as the end of the text); else ``xn--`` punycode.
    """
    if start >= end:
        return -1
    tlds = _tlds()
    best = -1
    word = _ASCII_WORD.match(text, start, end)
    if word:
        name = word.group()
        if (name.lower() if name.isascii() else _fold(name)) in tlds.ascii and (
            word.end() == end or text[word.end()] not in _NOT_AFTER_TLD
        ):
            best = word.end()
    first = text[start]
    # A name with a non-ASCII letter can only win by being longer than the ASCII word.
    for name in tlds.other.get(first.lower() if first.isascii() else _fold(first), ()):
        stop = start + len(name)
        if stop <= best:
            break
        if (
            stop <= end
            and _fold(text[start:stop]) == name
            and (stop == end or text[stop] not in _NOT_AFTER_TLD)
        ):
            return stop
    if best >= 0:
        return best
    puny = _PUNYCODE.match(text, start, end) if first in "xX" else None
    return puny.end() if puny else -1


def _idna_ascii(domain: str) -> str | None:
    """``domain`` in IDNA ASCII form (what X's validity check uses), or ``None``.

    The codec's own punycode step is quadratic in a label's length, so a label that
    cannot be valid (63 ASCII characters at most) is refused before it runs.
    """
    if not domain.isascii():
        labels = _IDNA_DOTS.split(domain)
        if labels and not labels[-1]:
            labels.pop()
        for label in labels:
            if label.isascii():
                continue
            try:
                prepared = nameprep(label)
            except UnicodeError:
                return None
            # punycode writes at least one character per code point, after "xn--"
            if len(prepared) >= 64 or (not prepared.isascii() and len(prepared) >= 60):
                return None
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return ascii_domain or None


def _protocol_starts(text: str, until: int) -> list[int]:
    """Where ``http://`` or ``https://`` (any case) starts, before ``until``.

    Found from the "://" (a case-insensitive pattern gets no fast literal search).
    """
    starts: list[int] = []
    at = text.find("://")
    while at >= 0:
        if at >= 5 and _fold(text[at - 5 : at]) == "https":
            start = at - 5
        elif at >= 4 and _fold(text[at - 4 : at]) == "http":
            start = at - 4
        else:
            start = -1
        if start >= until:
            break
        if start >= 0:
            starts.append(start)
        at = text.find("://", at + 3)
    return starts


@dataclass(frozen=True, slots=True)
class _Match:
    """One match of X's URL pattern, before its validity checks."""

    before: str
    start: int
    end: int
    protocol: str
    domain_start: int
    domain_end: int
    has_path: bool


class _UrlScanner:
    """X's URL pattern, matched left to right like ``finditer``, in linear time.

    twitter-text's pattern is ``(preceding char)(https?://)?(subdomain)*(domain
    name)(TLD)(:port)?(/path)?(?query)?``; run as a regular expression it retries
    from every position and re-reads the labels each time. Here the same matches are
    found with every position read a bounded number of times:

    - a host name lies in a *stretch* of label characters and dots; only stretches
      holding a dot followed by a known top-level domain are visited;
    - the pattern takes as many labels as it can and gives them back one at a time
      until a top-level domain follows, so the host name from a label is the one from
      the next label if that succeeds, else this label plus the TLD after its dot:
      one result per label, remembered (``_host``);
    - a path is the path characters up to the last one that may end a path, with
      balanced parentheses; a query up to its last ending character.
    """

    def __init__(self, text: str, until: int | None = None) -> None:
        self.text = text
        self.size = len(text)
        #: Only matches starting before this are wanted (the rest of the text is not read
        #: beyond what those need).
        self.until = self.size if until is None else min(until, self.size)
        self._host: dict[int, int] = {}
        self._tld: dict[int, int] = {}
        self._protocols = _protocol_starts(text, self.until)
        self._next_protocol = 0
        self._stretches = self._find_stretches()
        self._stretch = 0
        self._label = -1

    def _find_stretches(self) -> list[tuple[int, int]]:
        text = self.text
        stretches: list[tuple[int, int]] = []
        end = 0
        # A URL starting before `until` has its host name in the stretch that holds
        # `until`, or (after "://") in the stretch after its protocol.
        last = max([self.until, *(start + len("https://") for start in self._protocols[-1:])])
        beyond = _NOT_STRETCH.search(text, last) if last < self.size else None
        for dot in _DOT_LETTER.finditer(text, 0, beyond.start() if beyond else self.size):
            at = dot.start()
            if at < end or self.tld(at + 1) < 0:
                continue
            before = _NOT_STRETCH_REVERSE.search(text, end, at)
            after = _NOT_STRETCH.search(text, at)
            first = before.end() if before else end
            end = after.start() if after else self.size
            stretches.append((first, end))
        return stretches

    def tld(self, start: int) -> int:
        if start >= self.size or not self.text[start].isalpha():
            return -1  # every top-level domain starts with a letter
        if start not in self._tld:
            self._tld[start] = _tld_end(self.text, start, self.size)
        return self._tld[start]

    def host(self, start: int) -> int:
        """Where the host name whose first label starts at ``start`` ends, or -1."""
        text, size, memo = self.text, self.size, self._host
        chain: list[tuple[int, int, bool]] = []
        at = start
        while at not in memo:
            stop = _run_end(_LABEL_RUN, text, at)
            if (
                stop == at
                or stop >= size
                or text[stop] != "."
                or text[at] in "_-"
                or text[stop - 1] in "_-"
            ):
                memo[at] = -1
                break
            chain.append((at, stop, text.find("_", at, stop) >= 0))
            at = stop + 1
        result = memo[at]
        for label, stop, underscore in reversed(chain):
            if result < 0 and not underscore:
                result = self.tld(stop + 1)
            memo[label] = result
        return memo[start]

    def _protocol_at(self, start: int) -> tuple[str, int] | None:
        found = _PROTOCOL.match(self.text, start)
        if not found:
            return None
        host = self.host(found.end())
        return (found.group(), host) if host >= 0 else None

    def _try(self, start: int) -> tuple[str, int] | None:
        """The protocol and host end of a URL starting at ``start``, or ``None``."""
        with_protocol = self._protocol_at(start)
        if with_protocol or _PROTOCOL.match(self.text, start):
            return with_protocol
        host = self.host(start) if start < self.size else -1
        return ("", host) if host >= 0 else None

    def _next_with_protocol(self, least: int) -> tuple[int, str, int] | None:
        text = self.text
        while self._next_protocol < len(self._protocols):
            start = self._protocols[self._next_protocol]
            if start >= least and text[start - 1] not in _NOT_PRECEDING:
                found = self._protocol_at(start)
                if found:
                    return start, found[0], found[1]
            self._next_protocol += 1
        return None

    def _next_without_protocol(self, least: int) -> tuple[int, int] | None:
        text = self.text
        while self._stretch < len(self._stretches):
            first, last = self._stretches[self._stretch]
            if last <= least:
                self._stretch += 1
                self._label = -1
                continue
            label = self._label if self._label >= 0 else first
            while True:
                stop = _run_end(_LABEL_RUN, text, label)
                if stop >= last or text[stop] != ".":
                    break
                if stop > least and stop > label and text[stop - 1] not in "_-":
                    after = self.host(stop + 1)
                    tld = self.tld(stop + 1)
                    if after >= 0 or tld >= 0:
                        lowest = max(label, least)
                        if after < 0:
                            lowest = max(lowest, text.rfind("_", label, stop) + 1)
                        start = _LABEL_START.search(text, lowest, stop) if lowest < stop else None
                        if start:
                            self._label = label
                            return start.start(), after if after >= 0 else tld
                label = stop + 1
            self._stretch += 1
            self._label = -1
        return None

    def matches(self) -> list[_Match]:
        """Every match, in order, as ``finditer`` would give them."""
        text, size = self.text, self.size
        found: list[_Match] = []
        if not self._stretches:
            return found  # no dot before a top-level domain: no host name anywhere
        position = 0
        near_start = self._stretches[0][0] <= 1 or bool(self._protocols and self._protocols[0] <= 1)
        if size and near_start and self.until > 1:
            first = self._try(1) if size > 1 and text[0] not in _NOT_PRECEDING else None
            if first:
                found.append(self._finish(text[0], 1, *first))
            else:
                bare = self._try(0)
                if bare:
                    found.append(self._finish("", 0, *bare))
            position = found[-1].end if found else 1
        while True:
            least = position + 1
            with_protocol = self._next_with_protocol(least)
            without = self._next_without_protocol(least)
            if with_protocol and (not without or with_protocol[0] < without[0]):
                if with_protocol[0] >= self.until:
                    return found
                match = self._finish(text[with_protocol[0] - 1], *with_protocol)
            elif without and without[0] < self.until:
                match = self._finish(text[without[0] - 1], without[0], "", without[1])
            else:
                return found
            found.append(match)
            position = match.end

    def _finish(self, before: str, start: int, protocol: str, host_end: int) -> _Match:
        """The match from its start and host name: add the port, path and query."""
        text, size = self.text, self.size
        at = host_end
        port = _PORT.match(text, at)
        if port:
            at = port.end()
        has_path = at < size and text[at] == "/"
        if has_path:
            at = self._path_end(at + 1)
        if at < size and text[at] == "?":
            query = _QUERY.match(text, at)
            if query:
                at = query.end()
        return _Match(before, start, at, protocol, start + len(protocol), host_end, has_path)

    def _path_end(self, start: int) -> int:
        """The end of a path whose first character (after "/") is at ``start``.

        X's path is a run of segments, each either path characters (with balanced
        parentheses inside) up to a character that may end a path, or one balanced
        ``(...)`` group. Taken greedily that is: up to the last ending character
        outside parentheses, then any parenthesis groups that follow it directly.
        """
        text = self.text
        # The path characters and parenthesis groups from `start`, as segments:
        # (segment start, segment end, end after its last ending character, group end).
        chain: list[tuple[int, int, int, int]] = []
        at = start
        while True:
            run = _run_end(_PATH_RUN, text, at)
            group = self._parens_end(run)
            chain.append((at, run, _run_end(_PATH_TO_LAST_END, text, at), group))
            if group < 0:
                break
            at = group
        index = len(chain) - 1
        while index >= 0 and chain[index][2] == chain[index][0]:
            index -= 1
        if index >= 0:
            end = chain[index][2]
            if end < chain[index][1]:
                return end
        elif chain[0][1] > start:
            return start
        else:
            index, end = 0, start
        # Parenthesis groups directly after the last ending character (or the start).
        while chain[index][3] >= 0:
            end = chain[index][3]
            index += 1
            if chain[index][1] > chain[index][0]:
                break
        return end

    def _parens_end(self, start: int) -> int:
        """The end of ``(chars)`` or ``(chars(chars)chars)`` at ``start``, or -1."""
        text, size = self.text, self.size
        if start >= size or text[start] != "(":
            return -1
        inner = _run_end(_PATH_RUN, text, start + 1)
        if inner > start + 1 and inner < size and text[inner] == ")":
            return inner + 1
        if inner < size and text[inner] == "(":
            nested = _run_end(_PATH_RUN, text, inner + 1)
            if nested > inner + 1 and nested < size and text[nested] == ")":
                close = _run_end(_PATH_RUN, text, nested + 1)
                if close < size and text[close] == ")":
                    return close + 1
        return -1


def _ascii_hosts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The ASCII host names inside the host name ``text[start:end]`` (X's second pass).

    A URL without a protocol counts only for its ASCII part: in ``日本example.com``
    that is ``example.com``. Like the first pass, each label's result is remembered.
    """
    memo: dict[int, int] = {}

    def host(first: int) -> int:
        chain: list[tuple[int, int]] = []
        at = first
        while at not in memo:
            word = _ASCII_LABEL.match(text, at, end)
            if not word or word.end() >= end or text[word.end()] != ".":
                memo[at] = -1
                break
            chain.append((at, word.end()))
            at = word.end() + 1
        result = memo[at]
        for label, stop in reversed(chain):
            if result < 0:
                result = _tld_end(text, stop + 1, end)
            memo[label] = result
        return memo[first]

    found: list[tuple[int, int]] = []
    at = start
    while at < end:
        word = _ASCII_LABEL.search(text, at, end)
        if not word:
            break
        stop = host(word.start())
        if stop >= 0:
            found.append((word.start(), stop))
            at = stop
        else:
            at = word.end()
    return found


def extract_urls(text: str, *, without_protocol: bool = True) -> list[UrlSpan]:
    """Find URLs the way X's twitter-text extractor does, in linear time.

    A URL with ``http://`` or ``https://`` is taken with its path and query; one
    without a protocol counts only when its domain is ASCII and ends in a known
    top-level domain (``example.com/path`` yes, ``example.invalidtld`` no), and
    not when it follows ``-``, ``_``, ``.`` or ``/``. ``without_protocol=False``
    keeps only URLs with a protocol (Mastodon's rule).

    >>> [u.url for u in extract_urls("read example.com/a and https://x.com/b!")]
    ['example.com/a', 'https://x.com/b']
    """
    return _extract_urls(text, without_protocol=without_protocol)


def _extract_urls(
    text: str, *, without_protocol: bool = True, until: int | None = None
) -> list[UrlSpan]:
    """:func:`extract_urls`, keeping (and reading only as far as needed for) the URLs
    that start before ``until``."""
    if "." not in text or (not without_protocol and ":" not in text):
        return []
    found: list[UrlSpan] = []
    for match in _UrlScanner(text, until).matches():
        url = text[match.start : match.end]
        domain = text[match.domain_start : match.domain_end]
        ascii_domain = _idna_ascii(domain)
        if ascii_domain is None:
            continue
        protocol = match.protocol or "https://"
        if len(protocol) + len(url) + len(ascii_domain) - len(domain) > _MAX_URL_LENGTH:
            continue
        if match.protocol:
            tco = _TCO.match(url)
            if tco:
                if len(tco.group(1)) > _MAX_TCO_SLUG:
                    continue
                url = tco.group(0)
            found.append(UrlSpan(match.start, match.start + len(url), url, True))
            continue
        if not without_protocol or match.before in ("-", "_", ".", "/"):
            continue
        pieces = _ascii_hosts(text, match.domain_start, match.domain_end)
        for i, (start, end) in enumerate(pieces):
            piece = text[start:end]
            if i == len(pieces) - 1 and match.has_path:
                found.append(UrlSpan(start, match.end, url.replace(domain, piece), False))
            else:
                found.append(UrlSpan(start, end, piece, False))
    return found


# --- emoji -----------------------------------------------------------------------------

# UTS #51: a modifier sequence, or a pictograph with an optional presentation selector.
_EMOJI_ELEMENT = r"(?:\p{Emoji_Modifier_Base}\p{Emoji_Modifier}|\p{Extended_Pictographic}\ufe0f?)"
_EMOJI_SEQUENCE = regex.compile(
    r"\p{Regional_Indicator}{2}"
    r"|[#*0-9]\ufe0f?\u20e3"
    r"|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F"
    rf"|{_EMOJI_ELEMENT}(?:\u200d{_EMOJI_ELEMENT})*"
)
# Runs of what emoji sequences are made of (a keycap's base only before its marks).
_EMOJI_RUN = regex.compile(
    r"(?:[#*0-9](?=[\ufe0f\u20e3])|[\p{Extended_Pictographic}\U0001F1E6-\U0001F1FF"
    r"\U0001F3FB-\U0001F3FF\u200d\ufe0f\u20e3\U000E0020-\U000E007F])+"
)
_PICTOGRAPH = regex.compile(r"\p{Extended_Pictographic}")
# A superset of the characters above in ranges `re` checks quickly (a plain class is
# several times faster than the `regex` module's property lookup, which only runs on
# what this finds).
_MAYBE_EMOJI = re.compile(
    "[\xa9\xae\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23fa\u24c2\u25aa-\u27bf"
    "\u2934\u2935\u2b05-\u2b55\u3030\u303d\u3297\u3299\U0001f000-\U0001ffff"
    "\u200d\ufe0f\u20e3\U000e0020-\U000e007f]+"
)


@functools.cache
def _known_sequences() -> tuple[frozenset[str], frozenset[str]]:
    """The multi-code-point emoji X counts as one, and every prefix of them."""
    lines = (_DATA / "emoji-sequences.txt").read_text("utf-8").splitlines()
    known = frozenset(
        "".join(chr(int(cp, 16)) for cp in line.split())
        for line in lines
        if line.strip() and not line.startswith("#")
    )
    prefixes = frozenset(seq[:size] for seq in known for size in range(2, len(seq) + 1))
    return known, prefixes


def emoji_spans(text: str) -> list[tuple[int, int]]:
    """Code point spans of the emoji in ``text``, one per emoji sequence.

    A sequence is a flag (two regional indicators or a tag sequence such as
    England's), a keycap (``1️⃣``), or pictographs joined by ZWJ, each with an
    optional skin tone or variation selector (the grammar of UTS #51). X counts a
    sequence as 2 only when it knows it (see :func:`count_length`).
    """
    return [m.span() for m in _EMOJI_SEQUENCE.finditer(text)]


def _x_emoji(text: str, until: int | None = None) -> list[tuple[int, int]]:
    """The spans X counts as one emoji (2): twitter-text's greedy, longest-first match.

    Inside each run of emoji parts, the longest known sequence starting at a
    position wins; otherwise a single pictograph is one emoji and any other part
    (ZWJ, a skin tone, VS16, a lone regional indicator) counts by its own weight.
    Single pictographs are only listed where that differs from their weight (``©``).
    """
    spans: list[tuple[int, int]] = []
    if text.isascii():
        return spans
    known, prefixes = _known_sequences()
    cfg = _x_config()
    until = len(text) if until is None else until
    runs = [
        run.span()
        for maybe in itertools.takewhile(lambda m: m.start() < until, _MAYBE_EMOJI.finditer(text))
        for run in _EMOJI_RUN.finditer(text, max(maybe.start() - 1, 0), maybe.end())
    ]
    for at, end in runs:
        while at < end:
            best = 0
            size = 2
            while at + size <= end and text[at : at + size] in prefixes:
                if text[at : at + size] in known:
                    best = size
                size += 1
            if best:
                spans.append((at, at + best))
                at += best
                continue
            char = text[at]
            if _weight(ord(char), cfg) != cfg.default_weight and _PICTOGRAPH.match(char):
                spans.append((at, at + 1))
            at += 1
    return spans


# --- counting ---------------------------------------------------------------------------

_CLUSTER = regex.compile(r"\X")
_NEWLINES = re.compile(r"\r\n|\r")


# Characters that never join a neighbour into one grapheme cluster (break property
# Other, Control, LF, LV or LVT): ASCII but CR, Latin, Greek, Cyrillic, punctuation,
# symbols, CJK, kana, Hangul syllables, pictographs. Between two of them is always a
# cluster boundary, which `re` finds far faster than `\X`.
_SIMPLE_RUN = re.compile(
    "[\x00-\x0c\x0e-\u02ff\u0370-\u0482\u048a-\u052f\u2010-\u2027\u2030-\u205e"
    "\u20a0-\u20c0\u2100-\u27bf\u3000-\u3029\u3030-\u3098\u309b-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7a3\uff01-\uff9d\U0001f000-\U0001f1e5\U0001f200-\U0001f3fa"
    "\U0001f400-\U0001faff]*"
)


def graphemes(text: str) -> list[str]:
    """The extended grapheme clusters of ``text`` (what a reader sees as characters)."""
    clusters: list[str] = _CLUSTER.findall(text)
    return clusters


def grapheme_ends(text: str, start: int = 0) -> Iterator[list[int]]:
    """Where each grapheme cluster of ``text[start:]`` ends, a list at a time (lazily).

    The same boundaries as :func:`graphemes`; stretches of characters that never
    join (most text) are passed over without segmenting them one by one.
    """
    size = len(text)
    chunk = 16
    while start < size:
        simple = _run_end(_SIMPLE_RUN, text, start, min(size, start + 4096))
        if simple == size:
            yield list(range(start + 1, size + 1))
            return
        if simple - start >= 2:
            # The last simple character may be joined by what follows it.
            yield list(range(start + 1, simple))
            start = simple - 1
            continue
        clusters = _CLUSTER.findall(text, start, start + chunk)
        if start + chunk < size:
            clusters.pop()  # may continue past the chunk
            if not clusters:
                chunk *= 2
                continue
        ends = list(accumulate(map(len, clusters), initial=start))[1:]
        yield ends
        start = ends[-1]
        chunk = 16


def _weight(code_point: int, cfg: _XConfig) -> int:
    for start, end, weight in cfg.ranges:
        if start <= code_point <= end:
            return weight
    return cfg.default_weight


@functools.cache
def _weight_classes() -> tuple[tuple[int, re.Pattern[str]], ...]:
    """One pattern per weight of the configured ranges, matching runs of such characters."""
    cfg = _x_config()
    by_weight: dict[int, list[str]] = {}
    for start, end, weight in cfg.ranges:
        by_weight.setdefault(weight, []).append(f"{re.escape(chr(start))}-{re.escape(chr(end))}")
    return tuple((w, re.compile(f"[{''.join(parts)}]+")) for w, parts in by_weight.items())


@functools.cache
def _ascii_weight() -> int | None:
    """The weight of every ASCII code point, when one range holds them all."""
    for start, end, weight in _x_config().ranges:
        if start <= 0 and end >= 0x7F:
            return weight
    return None


def _weight_sum(text: str) -> int:
    """The sum of the X weights of ``text``'s code points (in 1/scale units)."""
    cfg = _x_config()
    ascii_weight = _ascii_weight()
    if ascii_weight is not None and text.isascii():
        return ascii_weight * len(text)
    total = cfg.default_weight * len(text)
    for weight, pattern in _weight_classes():
        total += (weight - cfg.default_weight) * (len(text) - len(pattern.sub("", text)))
    return total


def _x_normalize(text: str) -> str:
    normalized = unicodedata.normalize("NFC", text)
    return _NEWLINES.sub("\n", normalized) if "\r" in normalized else normalized


def _x_tokens(
    text: str, urls: list[UrlSpan] | None = None, until: int | None = None
) -> list[tuple[int, int, int]]:
    """What X counts as a unit, in the order its counter meets them: ``(start, skip, weight)``.

    URLs weigh 23 and skip ``len(url)`` code points, known emoji 2; a unit that starts
    inside an earlier one is never reached, and a URL wins over an emoji at one place.
    With ``until``, the units that start before it (``urls`` must hold those URLs).
    """
    cfg = _x_config()
    if urls is None:
        urls = _extract_urls(text, until=until)
    candidates = [(u.start, 0, len(u.url), cfg.url_length * cfg.scale) for u in urls]
    if cfg.emoji_parsing:
        candidates += [(s, 1, e - s, cfg.default_weight) for s, e in _x_emoji(text, until)]
    candidates.sort()
    tokens: list[tuple[int, int, int]] = []
    reached = 0
    for start, _kind, skip, weight in candidates:
        if start >= reached:
            tokens.append((start, skip, weight))
            reached = start + skip
    return tokens


def _x_length(text: str) -> int:
    cfg = _x_config()
    normalized = _x_normalize(text)
    total = _weight_sum(normalized)
    if "." in normalized or _MAYBE_EMOJI.search(normalized):
        for start, skip, weight in _x_tokens(normalized):
            total += weight - _weight_sum(normalized[start : start + skip])
    return total // cfg.scale


_MASTODON_MENTION = regex.compile(
    r"(?<=^|[^/\w])@(([a-z0-9_]+)(?:@[a-z0-9.\-]+[a-z0-9]+)?)", regex.IGNORECASE
)


def _mastodon_length(text: str) -> int:
    parts: list[str] = []
    last = 0
    for span in extract_urls(text, without_protocol=False):
        parts.append(text[last : span.start])
        parts.append("x" * 23)
        last = span.end
    parts.append(text[last:])
    countable = _MASTODON_MENTION.sub(lambda m: "@" + m.group(2), "".join(parts))
    return len(graphemes(countable))


class PrefixMeter:
    """Lengths of pieces of one text as a platform counts them, from one pass over it.

    Shortening a summary asks "how long is ``text[start:end]``?" for many ``end``;
    counting each candidate again would read the text again each time. The meter
    reads the text once: it finds the URLs, mentions and emoji of the whole text,
    gives each code point (X) or grapheme cluster (Mastodon, Bluesky) its weight,
    and answers by prefix sums, computing them only as far as they are asked for.

    ``length(0, end)`` is ``count_length(text[:end], platform)`` when ``end`` is
    before white space or the end of the text: what a cut at a word keeps. Other
    pieces are predicted from the whole text's URLs and emoji, which a piece on its
    own may not have: a URL or emoji cut in two is charged whole, ``example.co``
    cut from ``example.co-op`` counts as text though alone it is a URL, and a piece
    that starts inside a string X's pattern took for a (then invalid) URL may count
    one on its own. The formatter therefore measures the final post with
    :func:`count_length` before using it.
    ``None`` from :meth:`for_text` means the platform's count cannot be predicted
    piecewise for this text (X on text that is not NFC-normalized).

    >>> meter = PrefixMeter.for_text("日本 https://example.com/abc ok", "x")
    >>> meter.length(0, 2), meter.length(0, 26), meter.length(3, 29)
    (4, 28, 26)
    """

    def __init__(self, text: str, platform: str) -> None:
        if platform not in _LIMITS:
            raise ConfigError(f"unknown platform {platform!r}")
        self.text = text
        self.platform = platform
        self._size = len(text)
        # Prefix sums (X: per code point; Mastodon and Bluesky: per cluster) and,
        # for the cluster platforms, where each cluster ends.
        self._sums: list[int] = [0]
        self._ends: list[int] = [0]
        # URLs, emoji and mentions, found as far as `_found` (doubling as needed).
        self._units: list[tuple[int, int, int]] = []  # (start, skip, weight), ascending
        self._next_unit = 0
        self._urls: list[UrlSpan] = []
        self._found = 0
        self._clusters = grapheme_ends(text)

    def urls(self, until: int) -> list[UrlSpan]:
        """The URLs (as :func:`extract_urls` finds them) that start before ``until``,
        and perhaps some after; the text is read only as far as they need."""
        self._find(until)
        return self._urls

    def _find(self, until: int) -> None:
        if until <= self._found or self._found >= self._size:
            return
        self._found = min(self._size, max(until, 2 * self._found, 64))
        text = self.text
        self._urls = _extract_urls(text, until=self._found)
        if self.platform == "x":
            self._units = _x_tokens(text, self._urls, self._found)
        elif self.platform == "mastodon":
            protocol = [u for u in self._urls if u.has_protocol]
            self._units = _mastodon_units(text, protocol, self._found)

    @classmethod
    def for_text(cls, text: str, platform: str) -> PrefixMeter | None:
        """A meter for ``text``, or ``None`` when its pieces cannot be measured apart."""
        if platform == "x" and ("\r" in text or not unicodedata.is_normalized("NFC", text)):
            return None
        return cls(text, platform)

    def length(self, start: int, end: int) -> int:
        """The predicted length of ``text[start:end]`` on the platform."""
        end = min(end, self._size)
        if end <= start:
            return 0
        platform = self.platform
        if platform == "x":
            self._extend_x(end)
            return self._sums[end] - self._sums[start]
        if platform in ("mastodon", "bluesky"):
            return self._cluster_sum(end) - self._cluster_sum(start)
        if platform == "telegram":
            return len(self.text[start:end].encode("utf-16-le")) // 2
        return end - start

    def utf8(self, start: int, end: int) -> int:
        """The UTF-8 size of ``text[start:end]`` in bytes."""
        return len(self.text[start:end].encode("utf-8")) if end > start else 0

    def reach(self, start: int, budget: int, *, utf8: int | None = None) -> int:
        """The largest ``end`` whose piece ``text[start:end]`` is within ``budget``.

        ``utf8`` also bounds the piece's size in bytes (Bluesky). Lengths only grow
        with ``end``, so no cut beyond the reach can fit.
        """
        size = self._size
        if self.platform == "x":
            self._extend_x(start)
            goal = self._sums[start] + budget
            while self._sums[-1] <= goal and len(self._sums) <= size:
                self._extend_x(min(size, 2 * len(self._sums) + budget))
            end = bisect_right(self._sums, goal) - 1
        elif self.platform in ("mastodon", "bluesky"):
            goal = self._cluster_sum(start) + budget
            while self._sums[-1] <= goal and self._ends[-1] < size:
                self._extend_clusters(2 * len(self._sums) + budget)
            index = bisect_right(self._sums, goal)
            end = size if index >= len(self._sums) else self._ends[index] - 1
        else:
            # Every code point is at least one unit; a UTF-16 surrogate pair two.
            end = min(size, start + budget)
            if self.platform == "telegram":
                end = self._bisect(start, end, lambda e: self.length(start, e) <= budget)
        if utf8 is not None:
            end = self._bisect(start, min(end, start + utf8), lambda e: self.utf8(start, e) <= utf8)
        return max(start, end)

    @staticmethod
    def _bisect(low: int, high: int, within: Callable[[int], bool]) -> int:
        """The largest end in ``[low, high]`` still ``within`` (monotone)."""
        while low < high:
            middle = (low + high + 1) // 2
            if within(middle):
                low = middle
            else:
                high = middle - 1
        return low

    def _extend_x(self, end: int) -> None:
        """Prefix sums of X weights (in counted units) up to code point ``end``."""
        have = len(self._sums) - 1
        if end <= have:
            return
        self._find(end)
        units = self._units
        # Never stop inside a URL or emoji: its whole weight sits on its first code point.
        index = self._next_unit
        while index < len(units) and units[index][0] < end:
            end = max(end, min(self._size, units[index][0] + units[index][1]))
            self._find(end)
            units = self._units
            index += 1
        weights = bytearray(_x_weights(self.text[have:end]))
        scale = _x_config().scale
        for start, skip, weight in units[self._next_unit : index]:
            first = start - have
            weights[first : first + skip] = bytes(len(weights[first : first + skip]))
            weights[first] = weight // scale
        self._next_unit = index
        self._sums.extend(accumulate(weights, initial=self._sums[-1]))
        del self._sums[have + 1]  # the initial value repeated `have`'s sum

    def _extend_clusters(self, count: int) -> None:
        """Cluster ends and prefix sums up to ``count`` clusters (or the text's end)."""
        ends, sums = self._ends, self._sums
        index = self._next_unit
        while len(ends) <= count:
            chunk = next(self._clusters, None)
            if chunk is None:
                break
            self._find(chunk[-1] + 1)
            units = self._units
            if index >= len(units) or units[index][0] >= chunk[-1]:
                sums += range(sums[-1] + 1, sums[-1] + 1 + len(chunk))
                ends += chunk
                continue
            for end in chunk:
                first = ends[-1]
                while index < len(units) and units[index][0] + units[index][1] <= first:
                    index += 1
                weight = 1
                if index < len(units) and units[index][0] <= first:
                    # A URL's weight sits on its first cluster, the rest weigh nothing.
                    weight = units[index][2] if units[index][0] == first else 0
                ends.append(end)
                sums.append(sums[-1] + weight)
        self._next_unit = index

    def _cluster_sum(self, position: int) -> int:
        """The summed weight of the clusters that end at or before ``position``."""
        while self._ends[-1] < position:
            before = len(self._ends)
            self._extend_clusters(2 * before)
            if len(self._ends) == before:
                break
        return self._sums[bisect_right(self._ends, position) - 1]


def _x_weights(text: str) -> bytes:
    """Each code point's X weight, in counted units (one byte each)."""
    tables = _weight_tables()
    if tables is None:
        cfg = _x_config()
        return bytes(_weight(ord(char), cfg) // cfg.scale for char in text)
    bmp, by_byte = tables
    # Each BMP code point becomes its weight as a character; any other is "?" after
    # encoding, which by_byte maps to the default weight.
    return text.translate(bmp).encode("latin-1", "replace").translate(by_byte)


@functools.cache
def _weight_tables() -> tuple[str, bytes] | None:
    """Translation tables for :func:`_x_weights`, when the configuration allows them."""
    cfg = _x_config()
    default = cfg.default_weight // cfg.scale
    weights = [w // cfg.scale for _s, _e, w in cfg.ranges] + [default]
    if any(start > 0xFFFF or end > 0xFFFF for start, end, _w in cfg.ranges) or not all(
        0 < w < ord("?") for w in weights
    ):
        return None
    table = bytearray([default]) * 0x10000
    for start, end, weight in cfg.ranges:
        table[start : end + 1] = bytes([weight // cfg.scale]) * (end + 1 - start)
    by_byte = bytearray(range(256))
    by_byte[ord("?")] = default
    return table.decode("latin-1"), bytes(by_byte)


def _mastodon_units(text: str, urls: list[UrlSpan], until: int) -> list[tuple[int, int, int]]:
    """Mastodon's special pieces: a URL counts 23, a mention's ``@domain`` nothing."""
    units = [(u.start, u.end - u.start, 23) for u in urls]
    mentions = _MASTODON_MENTION.finditer(text)
    for mention in itertools.takewhile(lambda m: m.start() < until, mentions):
        domain_start = mention.end(2)
        if mention.end() > domain_start:
            units.append((domain_start, mention.end() - domain_start, 0))
    units.sort()
    kept: list[tuple[int, int, int]] = []
    reached = 0
    for unit in units:
        if unit[0] >= reached:
            kept.append(unit)
            reached = unit[0] + unit[1]
    return kept


def count_length(text: str, platform: str, *, caption: bool = False) -> int:
    """The length of ``text`` as ``platform`` counts it (see the module table).

    ``caption`` only matters for Telegram, whose photo captions have a smaller limit
    but are counted the same way. An unknown platform is a
    :class:`~embedkit.ConfigError`. Linear in the length of ``text``.

    >>> count_length("@editor@mastodon.social 日本", "mastodon")
    10
    """
    # ASCII holds no emoji and no cluster of two; without "." no URL, without "@" no
    # mention: one unit per character.
    if (
        platform in ("x", "mastodon", "bluesky")
        and text.isascii()
        and "\r" not in text
        and (platform == "bluesky" or ("." not in text and "@" not in text))
    ):
        return len(text)
    if platform == "x":
        return _x_length(text)
    if platform == "mastodon":
        return _mastodon_length(text)
    if platform == "bluesky":
        return len(graphemes(text))
    if platform == "telegram":
        return len(text.encode("utf-16-le")) // 2
    if platform in _LIMITS:
        return len(text)
    raise ConfigError(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}")


def limit(platform: str, *, caption: bool = False, max_characters: int | None = None) -> int:
    """The most ``platform`` accepts, in the unit :func:`count_length` returns.

    ``max_characters`` overrides the default (a Mastodon instance's configured
    limit, X Premium's longer posts); ``caption`` selects Telegram's 1,024-unit
    photo caption limit.
    """
    if platform not in _LIMITS:
        raise ConfigError(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}")
    if max_characters is not None:
        if max_characters <= 0:
            raise ConfigError(f"max_characters for {platform} must be positive")
        return max_characters
    if platform == "telegram" and caption:
        return _TELEGRAM_CAPTION
    return _LIMITS[platform]


def fits(
    text: str,
    platform: str,
    *,
    caption: bool = False,
    max_characters: int | None = None,
) -> bool:
    """Whether ``text`` is within ``platform``'s limit (Bluesky: also 3,000 UTF-8 bytes)."""
    within = count_length(text, platform, caption=caption) <= limit(
        platform, caption=caption, max_characters=max_characters
    )
    if platform == "bluesky":
        within = within and len(text.encode("utf-8")) <= BLUESKY_MAX_BYTES
    return within
