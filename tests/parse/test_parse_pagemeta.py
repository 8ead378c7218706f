"""embedkit._parse.pagemeta: the one page-metadata parser, on the cases real pages get wrong."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.growth import assert_linear

from embedkit._parse.pagemeta import MAX_DESCRIPTION, MAX_TITLE, PageMeta, page_metadata

RULES = Path(__file__).resolve().parents[1] / "fixtures" / "articles" / "rules"


def _page(name: str, url: str | None = None) -> PageMeta:
    return page_metadata((RULES / name).read_bytes(), url)


def test_a_yoast_graph_is_resolved_by_id() -> None:
    meta = _page("yoast-graph.html")
    # "…/#primaryimage" is an @id: followed to its ImageObject, never taken as the image
    assert meta.image == "https://news.example.com/wp-content/uploads/2023/03/kishida-yoon.jpg"
    assert (meta.image_width, meta.image_height) == (1200, 675)
    # "#/schema/person/…" is followed to the person's name; the profile URL is no name
    assert meta.author == "Erika Mustermann"
    assert meta.site_name == "Beispiel Nachrichten"
    assert meta.url == "https://news.example.com/de/japan-suedkorea/"
    assert meta.description == (
        "Japan und Südkorea wollen einen fast vier Jahre alten Handelsstreit beenden."
    )  # from the WebPage node the article points to
    assert meta.published == dt.datetime(2023, 3, 16, 9, 30, tzinfo=dt.UTC)
    assert meta.modified == dt.datetime(2023, 3, 17, 8, 0, tzinfo=dt.UTC)
    assert meta.type == "NewsArticle"


def test_svg_titles_are_not_the_page_title() -> None:
    meta = page_metadata(
        "<html><body><svg><title>Navigation öffnen</title></svg>"
        "<svg><title>Navigation schließen</title></svg><h1>Headline</h1>"
    )
    assert meta.title == "Headline"
    assert _page("yoast-graph.html").title == "Japan und Südkorea legen Handelsstreit bei"


def test_a_category_headline_does_not_beat_the_title() -> None:
    assert _page("category-headline.html").title == "Berlin - Wikipedia"  # og:title
    assert _page("category-headline-no-og.html").title == "Berlin"  # JSON-LD name agrees


def test_seo_keywords_are_kept_apart_from_tags() -> None:
    meta = _page("yoast-graph.html")
    assert meta.tags == ()
    assert meta.keywords == (
        "Japan",
        "Südkorea",
        "Elevated:false",
        "LockedPostSource:LOCKED_POST_SOURCE_NONE",
    )
    tagged = page_metadata('<meta property="article:tag" content="Japan"><title>T</title>')
    assert tagged.tags == ("Japan",)


def test_a_page_whose_only_title_is_an_h1() -> None:
    meta = _page("h1-only.html")
    assert meta.title == "N. Korean missile lands off S. Korea"
    assert meta.url == "https://news.example.com/h1-only/"


def test_a_saved_page_resolves_against_the_address_it_is_given() -> None:
    assert _page("saved-no-url.html").url is None
    meta = _page("saved-no-url.html", "https://news.example.com/saved/page.html")
    assert meta.url == "https://news.example.com/saved/page.html"
    assert meta.image == "https://news.example.com/saved/images/saved.jpg"


@pytest.mark.parametrize(
    "value",
    ["https://www.facebook.com/erika", "/author/erika/", "#/schema/person/1", "www.example.com/e"],
)
def test_profile_links_are_never_an_author(value: str) -> None:
    markup = (
        f'<meta name="author" content="{value}"><meta property="article:author" content="{value}">'
    )
    assert page_metadata(markup + "<title>T</title>").author is None


def test_image_urls_must_be_web_urls() -> None:
    for value in ("file:///etc/passwd", "/etc/passwd", "javascript:alert(1)", "data:image/png,x"):
        markup = f'<meta property="og:image" content="{value}"><title>T</title>'
        meta = page_metadata(markup, "https://news.example.com/a" if value[0] != "/" else None)
        assert meta.image is None


def test_every_field_is_capped() -> None:
    markup = (
        f'<meta property="og:title" content="{"t" * 100_000}">'
        f'<meta property="og:description" content="{"d " * 100_000}">'
        f'<meta name="keywords" content="{", ".join(["k"] * 10_000)}">'
        f'<meta name="author" content="{"a" * 10_000}">'
    )
    meta = page_metadata(markup)
    assert meta.title is not None
    assert len(meta.title) <= MAX_TITLE
    assert meta.description is not None
    assert len(meta.description) <= MAX_DESCRIPTION
    assert meta.author is not None
    assert len(meta.author) <= 200
    assert len(meta.keywords) <= 30


def test_broken_and_deeply_nested_json_ld_is_skipped() -> None:
    nested = "[" * 100_000 + "]" * 100_000
    graph = {"@type": "NewsArticle", "headline": "From JSON-LD", "author": {"name": "A"}}
    markup = (
        f'<script type="application/ld+json">{nested}</script>'
        '<script type="application/ld+json">{ broken </script>'
        f'<script type="application/ld+json">{json.dumps(graph)}</script>'
    )
    meta = page_metadata(markup)
    assert (meta.title, meta.author) == ("From JSON-LD", "A")


def test_reading_is_linear() -> None:
    def make(n: int) -> str:
        block = (
            '<meta property="og:title" content="x"><div><svg><title>i</title></svg>'
            '<script type="application/ld+json">{"@graph":[{"@id":"#a","url":"u"}]}</script>'
        )
        return "<html><head>" + block * n + "<h1>h</h1>"

    assert_linear(page_metadata, make, 150)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="<>/=\"' abmetitlscrpg:{}[]@#&;h1", max_size=400))
def test_never_raises(markup: str) -> None:
    assert isinstance(page_metadata(markup, "https://news.example.com/a"), PageMeta)
