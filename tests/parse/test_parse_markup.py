"""embedkit._parse.markup: a tokenizer that stays linear on any input, and html_to_text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.parse.growth import LIMIT, growth

from embedkit._parse.markup import Tag, Text, html_to_text, tokens


def _shape(markup: str) -> list[object]:
    return [
        (("/" if t.end else "") + t.name, t.attrs) if isinstance(t, Tag) else t.data
        for t in tokens(markup)
    ]


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (
            "<a href=\"x\" HREF=y data-x='1' flag>t</a>",
            [("a", {"href": "x", "data-x": "1", "flag": ""}), "t", ("/a", {})],
        ),
        ("<meta content=a&amp;b>", [("meta", {"content": "a&b"})]),
        ("<p>a &lt; b</p>", [("p", {}), "a < b", ("/p", {})]),
        ("a < b and c<d", ["a < b and c"]),  # "<d" starts a tag that never ends
        ("x<!-- <title>no</title> -->y", ["x", "y"]),
        ("<script>if (a<b) {}</script>z", [("script", {}), "if (a<b) {}", ("/script", {}), "z"]),
        ("<title>A &amp; B</title>", [("title", {}), "A & B", ("/title", {})]),
        ("<STYLE>p{}</STYLE >", [("style", {}), "p{}", ("/style", {})]),
        ("<!DOCTYPE html><?xml x?></ br>q", ["q"]),
        ('<a title="unclosed', []),  # an unclosed quote runs to the end: no tag
        ("<!-- unclosed", []),
        ("<script>never closed", [("script", {}), "never closed"]),
    ],
)  # fmt: skip
def test_tokens(markup: str, expected: list[object]) -> None:
    assert _shape(markup) == expected


def test_self_closing_is_reported() -> None:
    [tag] = list(tokens("<svg/>"))
    assert isinstance(tag, Tag)
    assert tag.self_closing


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>Japan &amp; <b>Korea</b></p>", "Japan & Korea"),
        ("one<br>two", "one two"),
        ("<script>alert(1)</script>kept", "kept"),
        ("<svg><title>Icon</title></svg>Headline", "Headline"),
        ("<svg/>Headline", "Headline"),
        ("plain", "plain"),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def test_html_to_text_stops_at_max_chars() -> None:
    assert html_to_text("<p>" + "word " * 10_000, max_chars=50) == ("word " * 10)[:50]


@pytest.mark.parametrize(
    "piece",
    [
        "<",
        "<a ",
        "<!--",
        "</",
        "<![",
        "<a b='",
        '<a b="x" ',
        "<div>",
        "&#",
        "&amp;",
        "<x y=z>",
        "</a b='x'>",
    ],
)
def test_the_work_grows_linearly(piece: str) -> None:
    def run(text: object) -> None:
        for _ in tokens(str(text)):
            pass
        html_to_text(str(text))

    assert growth(lambda n: piece * n, run, 1_500) < LIMIT


@given(st.text(max_size=300))
def test_never_raises(markup: str) -> None:
    for token in tokens(markup):
        assert isinstance(token, Tag | Text)
    assert isinstance(html_to_text(markup), str)
