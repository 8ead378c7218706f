"""The page tokenizer: markup where browsers see markup, in linear time."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from tests.growth import assert_linear

from embedkit.page._autoembed import find_standalone_urls
from embedkit.page._tokenize import tokenize

URL = "https://x.com/Reuters/status/1636212467429621760"


def _kinds(html: str) -> list[tuple[str, str]]:
    return [(t.kind, html[t.start : t.end]) for t in tokenize(html)]


def test_spans_cover_the_document_in_order() -> None:
    html = '<!doctype html><p class="a">x &amp; y</p><xmp><b></xmp><!-- c -->tail <3'
    tokens = tokenize(html)
    assert tokens[0].start == 0
    assert tokens[-1].end == len(html)
    for before, after in itertools.pairwise(tokens):
        assert before.end == after.start


def test_attributes_are_decoded_and_lower_cased() -> None:
    (start, *_rest) = tokenize("<A HREF=\"https://a.example/?x=1&amp;y=2\" Data-X='q' b=c d>")
    assert start.name == "a"
    assert start.attrs == (
        ("href", "https://a.example/?x=1&y=2"),
        ("data-x", "q"),
        ("b", "c"),
        ("d", ""),
    )


def test_a_quoted_greater_than_does_not_end_a_tag() -> None:
    assert _kinds('<p title="a>b">t</p>')[0] == ("start", '<p title="a>b">')


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<script>a</script>", [("start", "<script>"), ("raw", "a"), ("end", "</script>")]),
        (
            "<script><!--<script>x</script>y--></script>",
            [
                ("start", "<script>"),
                ("raw", "<!--<script>x</script>y-->"),
                ("end", "</script>"),
            ],
        ),
        ("<script><!--x</script>", [("start", "<script>"), ("raw", "<!--x"), ("end", "</script>")]),
        ("<script>never closed", [("start", "<script>"), ("raw", "never closed")]),
        ("<!-->x", [("comment", "<!-->"), ("data", "x")]),
        ("<!--->x", [("comment", "<!--->"), ("data", "x")]),
        ("<!-- a --!>x", [("comment", "<!-- a --!>"), ("data", "x")]),
        ("</>x", [("comment", "</>"), ("data", "x")]),
        ("</ x>y", [("comment", "</ x>"), ("data", "y")]),
        ("a < b", [("data", "a < b")]),
        ("a </", [("data", "a </")]),
    ],
)
def test_browser_states(html: str, expected: list[tuple[str, str]]) -> None:
    assert _kinds(html) == expected


def test_cdata_is_a_section_only_in_foreign_content() -> None:
    assert _kinds("<![CDATA[ a > b ]]>")[0] == ("comment", "<![CDATA[ a >")
    svg = "<svg><![CDATA[ a > </svg><p>b</p> ]]></svg>"
    assert ("comment", "<![CDATA[ a > </svg><p>b</p> ]]>") in _kinds(svg)
    assert find_standalone_urls(f"<svg><![CDATA[ > </svg><p>{URL}</p> ]]></svg>") == []


ADVERSARIAL: list[tuple[str, Callable[[int], str]]] = [
    ("open tags", lambda n: "<a " * n),
    ("attributes", lambda n: "<a " + "b=c " * n + ">"),
    ("comment openers", lambda n: "<!--" * n),
    ("double-escaped scripts", lambda n: "<script>" + "<!--<script>" * n),
    ("script end tags", lambda n: "<script><!--" + "</script x" * n),
    ("unclosed quotes", lambda n: '<p title="' * n),
    ("end-tag starts", lambda n: "</" * n),
    ("raw text false ends", lambda n: "<xmp>" + "</xmpx>" * n),
    ("paragraphs", lambda n: f"<p>{URL}</p>\n" * n),
    ("nested divs", lambda n: "<div>" * n + URL + "</div>" * n),
    ("stray end tags under a deep stack", lambda n: "<div>" * n + "</span>" * n),
    ("paragraph with many inline tags", lambda n: "<p>" + "<b>x</b>" * n + "</p>"),
]


@pytest.mark.parametrize(("name", "make"), ADVERSARIAL, ids=[name for name, _ in ADVERSARIAL])
def test_scanning_is_linear(name: str, make: Callable[[int], str]) -> None:
    assert_linear(find_standalone_urls, make, 2_000)
