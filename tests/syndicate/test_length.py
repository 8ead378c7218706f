"""Length rules: each platform's own count, against hand arithmetic and reference libraries."""

from __future__ import annotations

import time

import grapheme
import pytest
import regex
import twitter_text
from grapheme.grapheme_property_group import get_group
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embedkit._errors import ConfigError
from embedkit.syndicate._length import (
    BLUESKY_MAX_BYTES,
    PLATFORMS,
    count_length,
    emoji_spans,
    extract_urls,
    fits,
    limit,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦, 7 code points
THUMB_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽
FLAG_JP = "\U0001f1ef\U0001f1f5"  # 🇯🇵
FLAG_KR = "\U0001f1f0\U0001f1f7"  # 🇰🇷
FLAG_ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
KEYCAP_1 = "1\ufe0f\u20e3"  # 1️⃣
E_COMBINING = "e\u0301"  # é decomposed (NFC turns it into U+00E9)

X_CASES = [
    # (text, expected, arithmetic)
    ("日本と韓国", 10, "5 CJK code points x 2"),
    ("hello", 5, "5 ASCII x 1"),
    ("한국어", 6, "3 Hangul syllables (U+AC00..) x 2"),
    ("ไทย", 3, "3 Thai code points (U+0E00..) are <= U+10FF: x 1"),
    ("Ελλάδα", 6, "Greek is <= U+10FF: 6 x 1"),
    (E_COMBINING, 1, "NFC -> U+00E9: 1"),
    ("a\u0308o\u0301", 2, "NFC -> ä ó: 2 x 1"),
    ("\u1100\u1161\u11a8", 2, "conjoining jamo NFC -> 각 (U+AC01): 1 x 2"),
    ("\u2014", 1, "em dash U+2014 is in 8208..8223: 1"),
    ("\u2026", 2, "ellipsis U+2026 = 8230 is outside every weight-100 range: 2"),
    ("\u3002", 2, "ideographic full stop: 2"),
    (FAMILY, 2, "one ZWJ sequence: 2 (not 7 code points)"),
    (THUMB_MEDIUM, 2, "modifier sequence: 2"),
    ("\U0001f44b\U0001f3ff hi", 5, "wave+dark skin 2, space 1, 'hi' 2"),
    (FLAG_JP + FLAG_KR, 4, "two flags x 2"),
    (FLAG_ENGLAND, 2, "tag sequence flag: 2"),
    (KEYCAP_1, 2, "keycap sequence: 2"),
    ("\u263a\ufe0f", 2, "pictograph + VS16: 2"),
    ("\u00a9", 2, "© is an emoji: 2 although U+00A9 is in the weight-100 range"),
    ("a\U0001f637b", 4, "a 1 + 😷 2 + b 1"),
    ("https://example.com/a/very/long/path/that/goes/on", 23, "one URL: 23"),
    ("example.com/path", 23, "URL without protocol, valid TLD: 23"),
    ("www.example.co.uk", 23, "bare domain with ccTLD: 23"),
    ("example.notatld", 15, "unknown TLD: no URL, 15 x 1"),
    ("日本.jp", 7, "non-ASCII domain without protocol is no URL: 2+2+3"),
    ("See https://x.com/a and b.org", 55, "'See ' 4 + URL 23 + ' and ' 5 + URL 23"),
    ("@editor hello", 13, "mentions count as text: 13 x 1"),
    ("#NorthKorea", 11, "hashtags count as text: 11 x 1"),
    ("#日本", 5, "# 1 + 2 x 2"),
    ("line\r\nbreak", 10, "CRLF counts as one newline: 4+1+5"),
]


@pytest.mark.parametrize(("text", "expected", "arithmetic"), X_CASES)
def test_x_weighted_length(text: str, expected: int, arithmetic: str) -> None:
    assert count_length(text, "x") == expected, arithmetic


MASTODON_CASES = [
    ("日本と韓国", 5, "5 graphemes"),
    (FAMILY, 1, "one grapheme cluster"),
    (FLAG_JP + FLAG_KR, 2, "two flags"),
    (E_COMBINING, 1, "e + combining acute is one cluster"),
    ("https://example.com/a/very/long/path", 23, "http(s) URL: 23"),
    ("example.com/path", 16, "no protocol: counted as text, 16"),
    ("@editor@mastodon.social hi", 10, "'@editor' 7 + ' hi' 3"),
    ("@editor hi", 10, "local mention unchanged: 10"),
    ("mail me@example.org", 19, "not a mention (preceded by a letter): 19"),
]


@pytest.mark.parametrize(("text", "expected", "arithmetic"), MASTODON_CASES)
def test_mastodon_length(text: str, expected: int, arithmetic: str) -> None:
    assert count_length(text, "mastodon") == expected, arithmetic


BLUESKY_CASES = [
    ("日本と韓国", 5, "5 graphemes"),
    ("ไทย", 3, "3 graphemes"),
    (FAMILY + THUMB_MEDIUM, 2, "two clusters"),
    (KEYCAP_1 + FLAG_ENGLAND, 2, "two clusters"),
    ("https://example.com/abc", 23, "URLs in full: 23 characters"),
    ("@alice.bsky.social", 18, "handles in full"),
]


@pytest.mark.parametrize(("text", "expected", "arithmetic"), BLUESKY_CASES)
def test_bluesky_length(text: str, expected: int, arithmetic: str) -> None:
    assert count_length(text, "bluesky") == expected, arithmetic


@pytest.mark.parametrize(
    ("text", "platform", "expected"),
    [
        ("日本", "telegram", 2),  # BMP: one UTF-16 unit each
        (FLAG_JP, "telegram", 4),  # two astral code points: 2 units each
        (FAMILY, "telegram", 11),  # 4 astral (8) + 3 ZWJ (3)
        (FAMILY, "threads", 7),  # code points
        (FAMILY, "discord", 7),
        ("abc", "slack", 3),
        ("abc", "linkedin", 3),
        ("abc", "file", 3),
    ],
)
def test_other_platform_lengths(text: str, platform: str, expected: int) -> None:
    assert count_length(text, platform) == expected


@pytest.mark.parametrize(
    ("platform", "kwargs", "expected"),
    [
        ("x", {}, 280),
        ("mastodon", {}, 500),
        ("mastodon", {"max_characters": 5000}, 5000),
        ("bluesky", {}, 300),
        ("threads", {}, 500),
        ("linkedin", {}, 3000),
        ("telegram", {}, 4096),
        ("telegram", {"caption": True}, 1024),
        ("discord", {}, 2000),
        ("slack", {}, 40000),
        ("file", {}, 1_000_000),
    ],
)
def test_limits(platform: str, kwargs: dict[str, object], expected: int) -> None:
    assert limit(platform, **kwargs) == expected  # type: ignore[arg-type]


def test_every_platform_has_a_limit_and_a_count() -> None:
    assert len(PLATFORMS) == 9
    for platform in PLATFORMS:
        assert limit(platform) > 0
        assert count_length("abc", platform) == 3


@pytest.mark.parametrize("call", [lambda: count_length("a", "myspace"), lambda: limit("myspace")])
def test_unknown_platform_is_a_config_error(call: object) -> None:
    with pytest.raises(ConfigError, match="myspace"):
        call()  # type: ignore[operator]


def test_limit_rejects_non_positive_max_characters() -> None:
    with pytest.raises(ConfigError, match="max_characters"):
        limit("mastodon", max_characters=0)


def test_x_limit_boundary() -> None:
    assert fits("a" * 280, "x")
    assert not fits("a" * 281, "x")
    assert fits("日" * 140, "x")  # 140 x 2 = 280
    assert not fits("日" * 141, "x")


def test_bluesky_byte_limit_applies_besides_graphemes() -> None:
    # 300 family emoji: 300 graphemes (fits the count) but 300 x 25 bytes = 7,500 bytes.
    text = FAMILY * 300
    assert count_length(text, "bluesky") == 300
    assert len(text.encode()) == 7500 > BLUESKY_MAX_BYTES
    assert not fits(text, "bluesky")
    assert fits("a" * 300, "bluesky")
    assert not fits("a" * 301, "bluesky")


def test_telegram_caption_limit() -> None:
    assert fits("a" * 1024, "telegram", caption=True)
    assert not fits("a" * 1025, "telegram", caption=True)
    assert fits("a" * 1025, "telegram")


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("read example.com/a and https://x.com/b!", ["example.com/a", "https://x.com/b"]),
        (
            "http://twitter.com/これは日本語です。example.com中国語",
            ["http://twitter.com/", "example.com"],
        ),
        ("no url here.", []),
        ("foo.invalidtld", []),
        ("-example.com", []),  # a bare domain after "-" does not count
        ("(see https://en.wikipedia.org/wiki/Kishida_(surname))", None),
        ("https://t.co/abc123?x=1 tail", ["https://t.co/abc123?x=1"]),
        ("mail@example.com", []),  # preceded by @: not a URL
        ("example.com:8080/path?q=1", ["example.com:8080/path?q=1"]),
        ("日本語.jp", []),
        ("https://日本語.jp/a", ["https://日本語.jp/a"]),
    ],
)
def test_extract_urls_table(text: str, urls: list[str] | None) -> None:
    found = [u.url for u in extract_urls(text)]
    if urls is None:
        assert found == ["https://en.wikipedia.org/wiki/Kishida_(surname)"]
    else:
        assert found == urls


def test_emoji_spans_one_per_sequence() -> None:
    text = f"a{FAMILY}b{FLAG_JP}{THUMB_MEDIUM}{KEYCAP_1}"
    assert emoji_spans(text) == [(1, 8), (9, 11), (11, 13), (13, 16)]


# --- properties -------------------------------------------------------------

# Emoji sequences from Unicode Emoji 12.0 (what twitter-text-parser's bundled list knows).
_EMOJI = [
    FAMILY,
    THUMB_MEDIUM,
    FLAG_JP,
    FLAG_KR,
    FLAG_ENGLAND,
    KEYCAP_1,
    "#\ufe0f\u20e3",
    "\U0001f637",
    "\u2764\ufe0f",
    "\U0001f469\u200d\u2764\ufe0f\u200d\U0001f468",
    "\U0001f9d1\u200d\U0001f91d\u200d\U0001f9d1",
    "\U0001f44b\U0001f3ff",
    "\u263a",
    "\u00a9",
    "\U0001f004",
]
_WORDS = [
    "https://example.com/path?q=1",
    "http://x.com/Reuters/status/1636",
    "example.com",
    "news.example.co.uk/a-b_c",
    "t.co/abc",
    "@Reuters",
    "@editor@mastodon.social",
    "#NorthKorea",
    "#日本",
    "日本と韓国",
    "한국어",
    "ไทย",
    " ",
    ". ",
    "\n",
    "(",
    ")",
]
# Characters excluded from the random alphabet, narrowly: the pieces from which
# emoji sequences are built (ZWJ, VS16, keycap mark, skin tones, regional
# indicators, tag characters). twitter-text-parser only knows the sequences in its
# bundled Unicode 12.0 list and counts the parts of any other combination
# (e.g. a skin tone after 😷, a lone regional-indicator pair that is no country,
# an Emoji 13+ ZWJ sequence) separately, whereas we follow the UTS #51 grammar.
_EXCLUDED = [
    0x200D,  # ZWJ
    0xFE0F,  # VS16
    0x20E3,  # combining enclosing keycap
    *range(0x1F3FB, 0x1F400),  # skin tones
    *range(0x1F1E6, 0x1F200),  # regional indicators
    *range(0xE0000, 0xE0080),  # tags
]
_random_text = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_characters="".join(map(chr, _EXCLUDED)),
        exclude_categories=("Cs", "Co", "Cn"),
    ),
    max_size=12,
)
_tweetish = st.lists(
    st.one_of(st.sampled_from(_EMOJI), st.sampled_from(_WORDS), _random_text), max_size=12
).map("".join)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tweetish)
def test_x_count_agrees_with_twitter_text(text: str) -> None:
    assert count_length(text, "x") == twitter_text.parse_tweet(text).weightedLength


# grapheme 0.6 implements the Unicode 13 segmentation rules; `regex` (which we use)
# follows the current Unicode. They differ only on characters whose grapheme break
# property changed since 13.0 (mostly combining marks assigned later) and on the
# Indic conjunct rule added in Unicode 15.1 (GB9c: virama + consonant stay
# together), so the property draws characters outside those two classes.
_LINKER = regex.compile(r"\p{InCB=Linker}")
_EXT_PICT = regex.compile(r"\p{Extended_Pictographic}")


def _same_break_class(char: str) -> bool:
    group = get_group(char).value
    if _LINKER.match(char):
        return False
    if group == "Extended_Pictographic":
        return _EXT_PICT.match(char) is not None
    if group == "Other":
        return regex.match(r"\p{GCB=Other}", char) is not None and not _EXT_PICT.match(char)
    return regex.match(rf"\p{{GCB={group}}}", char) is not None


_grapheme_comparable = st.characters(exclude_characters=".:/").filter(_same_break_class)


def test_unicode_version_difference_is_real() -> None:
    """The exclusion above is needed: grapheme (Unicode 13) splits a conjunct we keep whole."""
    ka_virama_ka = "\u0915\u094d\u0915"  # क्क
    assert count_length(ka_virama_ka, "bluesky") == 1
    assert grapheme.length(ka_virama_ka) == 2


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=_grapheme_comparable))
def test_bluesky_count_agrees_with_grapheme_library_without_urls(text: str) -> None:
    assert count_length(text, "bluesky") == grapheme.length(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_EMOJI + _WORDS), max_size=20).map("".join))
def test_bluesky_count_agrees_with_grapheme_library_on_emoji(text: str) -> None:
    assert count_length(text, "bluesky") == grapheme.length(text)


def test_dotted_text_is_counted_in_linear_time() -> None:
    # X's own extractor retries the domain pattern from every label: quadratic on
    # "a.a.a.a...". Ours bounds the number of subdomains (an unbounded version took
    # about 40 s here).
    started = time.perf_counter()
    assert count_length("a." * 2000, "x") == 4000
    assert count_length("ab-c." * 1000, "x") == 5000
    assert time.perf_counter() - started < 10


def test_many_subdomains_still_one_url() -> None:
    host = ".".join(["s"] * 16) + ".example.com"  # 18 labels: 16 subdomains + name + TLD
    assert count_length(host, "x") == 23
