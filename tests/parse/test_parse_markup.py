"""embedkit._parse.markup: the one tokenizer, markup where browsers see it, in linear time."""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.growth import assert_linear

from embedkit._parse.markup import Tag, Text, html_to_text, tokenize, tokens

SRC = Path(__file__).resolve().parents[2] / "src" / "embedkit"


# -- spans: where markup is ------------------------------------------------------------


def _kinds(html: str) -> list[tuple[str, str]]:
    return [(t.kind, html[t.start : t.end]) for t in tokenize(html)]


def test_spans_cover_the_document_in_order() -> None:
    html = '<!doctype html><p class="a">x &amp; y</p><xmp><b></xmp><!-- c -->tail <3'
    found = tokenize(html)
    assert found[0].start == 0
    assert found[-1].end == len(html)
    for before, after in itertools.pairwise(found):
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


@pytest.mark.parametrize(
    ("html", "attrs", "self_closing"),
    [
        ("<a b=c/>", (("b", "c/"),), False),  # the slash belongs to the unquoted value
        ("<a b='c'/>", (("b", "c"),), True),
        ("<br/>", (), True),
        ("<a b= >", (("b", ""),), False),
        ("<a =b c>", (("=b", ""), ("c", "")), False),  # a leading "=" is part of the name
        ('<a b="x"c=d>', (("b", "x"), ("c", "d")), False),
        ("<a b=x\"y c='1>2'>", (("b", 'x"y'), ("c", "1>2")), False),
        ("<a\tb\n=\fc>", (("b", "c"),), False),
    ],
)
def test_attribute_edge_cases_follow_the_browser(
    html: str, attrs: tuple[tuple[str, str], ...], self_closing: bool
) -> None:
    (start,) = tokenize(html)
    assert (start.attrs, start.self_closing) == (attrs, self_closing)


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
        ("<style></style>", [("start", "<style>"), ("raw", ""), ("end", "</style>")]),
        (
            "<noscript><p>x</noscript>",
            [("start", "<noscript>"), ("raw", "<p>x"), ("end", "</noscript>")],
        ),
        ("<plaintext></plaintext>x", [("start", "<plaintext>"), ("raw", "</plaintext>x")]),
        ("<!-->x", [("comment", "<!-->"), ("data", "x")]),
        ("<!--->x", [("comment", "<!--->"), ("data", "x")]),
        ("<!-- a --!>x", [("comment", "<!-- a --!>"), ("data", "x")]),
        ("</>x", [("comment", "</>"), ("data", "x")]),
        ("</ x>y", [("comment", "</ x>"), ("data", "y")]),
        ("a < b", [("data", "a < b")]),
        ("a </", [("data", "a </")]),
    ],
)  # fmt: skip
def test_browser_states(html: str, expected: list[tuple[str, str]]) -> None:
    assert _kinds(html) == expected


def test_cdata_is_a_section_only_in_foreign_content() -> None:
    assert _kinds("<![CDATA[ a > b ]]>")[0] == ("comment", "<![CDATA[ a >")
    svg = "<svg><![CDATA[ a > </svg><p>b</p> ]]></svg>"
    assert ("comment", "<![CDATA[ a > </svg><p>b</p> ]]>") in _kinds(svg)


def test_raw_text_is_markup_inside_foreign_content() -> None:
    assert _kinds("<svg><title>t</title></svg>")[1:3] == [("start", "<title>"), ("data", "t")]


@pytest.mark.parametrize(
    "html",
    [
        "<style></\u017ftyle><p>x</p></style>",  # ſ: "s" to Python's IGNORECASE
        "<title></t\u0131tle><p>x</p></title>",  # ı: "i"
        "<iframe></\u0130frame><p>x</p></iframe>",  # İ: "i"
        "<script></\u017fcript><p>x</p></script>",
        "<noscript></no\u017fcript><p>x</p></noscript>",
    ],
)
def test_end_tags_match_ascii_letters_only(html: str) -> None:
    # Browsers compare tag names ASCII case-insensitively: the raw text runs on to the
    # real end tag, and nothing inside it is markup.
    kinds = _kinds(html)
    assert [kind for kind, _ in kinds] == ["start", "raw", "end"]
    assert "<p>x</p>" in kinds[1][1]


def test_names_lower_case_ascii_letters_only() -> None:
    # "K" (U+212A) lower-cases to "k" in Python, never in a browser's tokenizer.
    (tag,) = tokenize('<bloc\u212aquote DATA-EMBED\u212aIT-X="1">')
    assert tag.name == "bloc\u212aquote"
    assert tag.attrs == (("data-embed\u212ait-x", "1"),)


def test_an_end_tag_closes_only_foreign_content_of_its_own_name() -> None:
    # "</math>" inside <svg> closes nothing: the CDATA section is still one.
    kinds = _kinds("<svg></math><![CDATA[ > <p>b</p> ]]></svg>")
    assert ("comment", "<![CDATA[ > <p>b</p> ]]>") in kinds


# -- the decoded view ----------------------------------------------------------------


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
        ("<title></title>", [("title", {}), "", ("/title", {})]),
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


def test_at_most_64_attributes_are_kept() -> None:
    [tag] = list(tokens("<meta " + " ".join(f"a{i}=x" for i in range(200)) + ">"))
    assert isinstance(tag, Tag)
    assert len(tag.attrs) == 64


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>Japan &amp; <b>Korea</b></p>", "Japan & Korea"),
        ("one<br>two", "one two"),
        ("<script>alert(1)</script>kept", "kept"),
        ("<noscript>no</noscript>kept", "kept"),
        ("<svg><title>Icon</title></svg>Headline", "Headline"),
        ("<svg/>Headline", "Headline"),
        ("plain", "plain"),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def test_html_to_text_stops_at_max_chars() -> None:
    assert html_to_text("<p>" + "word " * 10_000, max_chars=50) == ("word " * 10)[:50]


# -- linear on any input -------------------------------------------------------------

ADVERSARIAL: list[tuple[str, Callable[[int], str]]] = [
    ("open tags", lambda n: "<a " * n),
    ("attributes", lambda n: "<a " + "b=c " * n + ">"),
    ("long attribute list", lambda n: "<a " + "b='x' c=\"y\" d " * n),
    ("comment openers", lambda n: "<!--" * n),
    ("bogus comment openers", lambda n: "<![" * n),
    ("double-escaped scripts", lambda n: "<script>" + "<!--<script>" * n),
    ("script end tags", lambda n: "<script><!--" + "</script x" * n),
    ("unclosed quotes", lambda n: '<p title="' * n),
    ("end-tag starts", lambda n: "</" * n),
    ("raw text false ends", lambda n: "<xmp>" + "</xmpx>" * n),
    ("nested divs", lambda n: "<div>" * n + "x" + "</div>" * n),
    ("stray end tags", lambda n: "</x>" * n),
    ("lone less-than", lambda n: "<" * n),
    ("character references", lambda n: "&#" * n + "&amp;" * n),
    ("end tags with quoted attributes", lambda n: "</a b='x'>" * n),
    ("svg and cdata", lambda n: "<svg>" + "<![CDATA[" * n),
]


@pytest.mark.parametrize(("name", "make"), ADVERSARIAL, ids=[name for name, _ in ADVERSARIAL])
def test_the_work_grows_linearly(name: str, make: Callable[[int], str]) -> None:
    def run(text: str) -> None:
        tokenize(text)
        for _ in tokens(text):
            pass
        html_to_text(text)

    assert_linear(run, make, 2_000)


@given(st.text(max_size=300))
def test_never_raises(markup: str) -> None:
    for token in tokens(markup):
        assert isinstance(token, Tag | Text)
    assert isinstance(html_to_text(markup), str)
    spans = tokenize(markup)
    assert [t.start for t in spans[1:]] == [t.end for t in spans[:-1]]


# -- the standard library's parser never comes back -------------------------------------


def _imports_html_parser(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            names = [f"{node.value.id}.{node.attr}"]
        else:
            continue
        if any(name.startswith(("html.parser", "htmllib.parser")) for name in names):
            return True
    return False


def test_no_module_uses_the_standard_librarys_html_parser() -> None:
    users = [str(p.relative_to(SRC)) for p in sorted(SRC.rglob("*.py")) if _imports_html_parser(p)]
    assert users == []


def test_every_reader_of_untrusted_html_works_without_the_standard_parser() -> None:
    # A subprocess in which importing html.parser fails: every reader still works.
    code = """
import sys
sys.modules["html.parser"] = None  # any import of it now raises ImportError
from embedkit import Resolver
from embedkit._parse.markup import html_to_text
from embedkit._parse.pagemeta import page_metadata
from embedkit.page._render import render_html
from embedkit.present import from_oembed, sanitize
from embedkit.resolve._discovery import find_oembed_links
from embedkit.resolve._refs import parse_ref
quote = '<blockquote class="twitter-tweet"><p>hi</p>&mdash; A (@a) <a>May 1, 2023</a></blockquote>'
widgets = '<script src="https://platform.twitter.com/widgets.js"></script>'
assert sanitize(quote + widgets, "x").scripts
ref = parse_ref("https://x.com/a/status/1636212467429621760")
assert from_oembed({"type": "rich", "html": quote}, ref, "Twitter").text == "hi"
link = '<link rel="alternate" type="application/json+oembed" href="/o">'
assert find_oembed_links(link, "https://a.example/")
assert page_metadata("<title>T</title>").title == "T"
assert html_to_text("<p>a &amp; b</p>") == "a & b"
with Resolver(cache="memory://", offline=True, env={}) as resolver:
    assert "embedkit" in render_html("<p>https://x.com/a/status/1636212467429621760</p>", resolver)
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr
