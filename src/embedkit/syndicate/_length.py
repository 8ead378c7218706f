"""Post length as each platform counts it, and each platform's limit.

Every platform measures a post differently, and a post that is one unit too long
is refused, so these are the platforms' own rules rather than ``len()``:

========== ==================================================================
platform   how a post is measured (limit)
========== ==================================================================
x          twitter-text v3 weighted length: NFC, code points in the four
           weight-100 ranges count 1, others 2; each URL (also without a
           protocol, ``example.com/path``) counts 23; each emoji sequence 2 (280)
mastodon   grapheme clusters; each ``http(s)://`` URL counts 23; ``@user@domain``
           counts as ``@user`` (500, or the instance's ``max_characters``)
bluesky    grapheme clusters, URLs in full (300) *and* at most 3,000 UTF-8 bytes
telegram   UTF-16 code units (4,096; 1,024 for a photo caption)
threads    code points (500); linkedin (3,000); discord (2,000); slack (40,000)
file       code points, no practical limit (1,000,000)
========== ==================================================================

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
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import regex

from embedkit._errors import ConfigError

__all__ = [
    "BLUESKY_MAX_BYTES",
    "PLATFORMS",
    "UrlSpan",
    "count_length",
    "emoji_spans",
    "extract_urls",
    "fits",
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
# Bounds the backtracking of the domain pattern (X's own is unbounded and quadratic on
# "a.a.a.a..."); no real host name has more labels than this.
_MAX_SUBDOMAINS = 16
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


@functools.cache
def _tld_alternation() -> str:
    return "|".join(regex.escape(t) for t in _tlds())


@functools.cache
def _tlds() -> tuple[str, ...]:
    text = (_DATA / "tlds.txt").read_text("utf-8")
    names = {line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"}
    # Longest first, so that "com" does not win over "community".
    return tuple(sorted(names, key=lambda n: (-len(n), n)))


# Characters that may not appear in a domain label: ASCII punctuation, spaces,
# the invalid code points and directional marks (X's extractor uses the same classes).
_PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$"
_SPACES = r"\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID = r"\ufffe\ufeff\uffff"
_DIRECTIONAL = r"\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_LATIN_ACCENTS = (
    r"\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b"
    r"\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = r"\u0400-\u04ff"
_DCHAR = f"[^{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
_PATH_CHAR = rf"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{_LATIN_ACCENTS}]"
_PARENS = rf"\((?:{_PATH_CHAR}+|{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*)\)"
_PATH_END = rf"[+\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]"
_QUERY_CHAR = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[a-z0-9\-_&=#/]"


@functools.cache
def _url_pattern() -> regex.Pattern[str]:
    tld = _tld_alternation()
    tld_end = r"(?=[^0-9a-z@+\-]|$)"
    subdomain = rf"(?:(?:{_DCHAR}(?:[_\-]|{_DCHAR})*)?{_DCHAR}\.)"
    name = rf"(?:(?:{_DCHAR}(?:-|{_DCHAR})*)?{_DCHAR}\.)"
    # A path segment ends in an ending character; a segment that is only a
    # balanced "(...)" is also accepted (X's extractor groups it this way too).
    path = (
        rf"(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END}"
        rf"|{_PARENS}|@{_PATH_CHAR}+/)"
    )
    return regex.compile(
        rf"(?P<before>[^a-z0-9@＠$#＃{_INVALID}]|[{_DIRECTIONAL}]|^)"
        rf"(?P<url>(?P<protocol>https?://)?"
        rf"(?P<domain>{subdomain}{{0,{_MAX_SUBDOMAINS}}}{name}(?:(?:{tld}){tld_end}|xn--[\-0-9a-z]+))"
        rf"(?::[0-9]+)?"
        rf"(?P<path>/{path}*)?"
        rf"(?:\?{_QUERY_CHAR}*{_QUERY_END})?)",
        regex.IGNORECASE | regex.V0,
    )


@functools.cache
def _ascii_domain_pattern() -> regex.Pattern[str]:
    tld = _tld_alternation()
    return regex.compile(
        rf"(?:[\-a-z0-9{_LATIN_ACCENTS}]+\.)+(?:(?:{tld})(?=[^0-9a-z@+\-]|$)|xn--[\-0-9a-z]+)",
        regex.IGNORECASE,
    )


_TCO = regex.compile(rf"^https?://t\.co/([a-z0-9]+)(?:\?{_QUERY_CHAR}*{_QUERY_END})?", regex.I)


def _idna_ok(domain: str, url: str, protocol: str) -> bool:
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    if not ascii_domain:
        return False
    return len(protocol) + len(url) + len(ascii_domain) - len(domain) <= _MAX_URL_LENGTH


def extract_urls(text: str, *, without_protocol: bool = True) -> list[UrlSpan]:
    """Find URLs the way X's twitter-text extractor does.

    A URL with ``http://`` or ``https://`` is taken with its path and query; one
    without a protocol counts only when its domain is ASCII and ends in a known
    top-level domain (``example.com/path`` yes, ``example.invalidtld`` no), and
    not when it follows ``-``, ``_``, ``.`` or ``/``. ``without_protocol=False``
    keeps only URLs with a protocol (Mastodon's rule).

    >>> [u.url for u in extract_urls("read example.com/a and https://x.com/b!")]
    ['example.com/a', 'https://x.com/b']
    """
    if "." not in text:
        return []
    found: list[UrlSpan] = []
    for match in _url_pattern().finditer(text):
        url, protocol, domain = match.group("url"), match.group("protocol"), match.group("domain")
        start, end = match.start("url"), match.end("url")
        if not _idna_ok(domain, url, protocol or "https://"):
            continue
        if protocol:
            tco = _TCO.match(url)
            if tco:
                if len(tco.group(1)) > 40:
                    continue
                url = tco.group(0)
                end = start + len(url)
            found.append(UrlSpan(start, end, url, True))
            continue
        if not without_protocol or match.group("before") in ("-", "_", ".", "/"):
            continue
        pieces = list(_ascii_domain_pattern().finditer(domain))
        for i, piece in enumerate(pieces):
            piece_start = start + piece.start()
            piece_end = start + piece.end()
            piece_url = piece.group(0)
            if i == len(pieces) - 1 and match.group("path"):
                piece_end = end
                piece_url = url.replace(domain, piece_url)
            found.append(UrlSpan(piece_start, piece_end, piece_url, False))
    return found


# UTS #51: a modifier sequence, or a pictograph with an optional presentation selector.
_EMOJI_ELEMENT = r"(?:\p{Emoji_Modifier_Base}\p{Emoji_Modifier}|\p{Extended_Pictographic}\ufe0f?)"
_EMOJI_SEQUENCE = regex.compile(
    r"\p{Regional_Indicator}{2}"
    r"|[#*0-9]\ufe0f?\u20e3"
    r"|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F"
    rf"|{_EMOJI_ELEMENT}(?:\u200d{_EMOJI_ELEMENT})*"
)


def emoji_spans(text: str) -> list[tuple[int, int]]:
    """Code point spans of the emoji in ``text``, one per emoji sequence.

    A sequence is a flag (two regional indicators or a tag sequence such as
    England's), a keycap (``1️⃣``), or pictographs joined by ZWJ, each with an
    optional skin tone or variation selector. X counts each sequence as 2.
    """
    return [m.span() for m in _EMOJI_SEQUENCE.finditer(text)]


def graphemes(text: str) -> list[str]:
    """The extended grapheme clusters of ``text`` (what a reader sees as characters)."""
    clusters: list[str] = regex.findall(r"\X", text)
    return clusters


def _x_length(text: str) -> int:
    cfg = _x_config()
    normalized = regex.sub(r"\r\n|\r", "\n", unicodedata.normalize("NFC", text))
    skips: dict[int, tuple[int, int]] = {}
    if cfg.emoji_parsing:
        for start, end in emoji_spans(normalized):
            skips[start] = (end, cfg.default_weight)
    for span in extract_urls(normalized):  # URLs win over emoji that start at the same place
        skips[span.start] = (span.start + len(span.url), cfg.url_length * cfg.scale)
    weighted = 0
    index = 0
    while index < len(normalized):
        if index in skips:
            index, weight = skips[index]
            weighted += weight
            continue
        weighted += _weight(ord(normalized[index]), cfg)
        index += 1
    return weighted // cfg.scale


def _weight(code_point: int, cfg: _XConfig) -> int:
    for start, end, weight in cfg.ranges:
        if start <= code_point <= end:
            return weight
    return cfg.default_weight


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


def count_length(text: str, platform: str, *, caption: bool = False) -> int:
    """The length of ``text`` as ``platform`` counts it (see the module table).

    ``caption`` only matters for Telegram, whose photo captions have a smaller limit
    but are counted the same way. An unknown platform is a
    :class:`~embedkit._errors.ConfigError`.

    >>> count_length("@editor@mastodon.social 日本", "mastodon")
    10
    """
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
