"""Link cards, the presentation side: the excerpt, the template, images, consent, hostile fields.

The card's fields are given here as the cache holds them (``embedkit-card/1``); the
fetching side is tested in ``tests/resolve/test_cards.py``. Markup is checked with the
independent parser of ``tests/render/safety.py``.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.render.safety import problems, tags

from embedkit._models import Embed, Ref
from embedkit._templating import make_environment
from embedkit.page import embeddable
from embedkit.present._card import CARD_FORMAT, excerpt
from embedkit.present._presentation import present

URL = "https://news.example.com/2023/03/15/n-korean-missile-lands-off-s-korea"
ARTICLE = Ref(raw=URL, url=URL)
HEADLINE = "N. Korean missile lands off S. Korea; South responds with own launches"
#: The seed page's card (../shared/seed/article.txt) shows exactly this excerpt.
SEED_EXCERPT = (
    "A North Korean ballistic missile landed less than 60 km off South Korea’s coast on "
    "Wednesday, the first time an apparent test had landed near the…"
)
DESCRIPTION = (
    "A North Korean ballistic missile landed less than 60 km off South Korea’s coast on "
    "Wednesday, the first time an apparent test had landed near the South’s territorial "
    "waters."
)


def card(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "format": CARD_FORMAT,
        "type": "link",
        "version": "1.0",
        "title": HEADLINE,
        "description": DESCRIPTION,
        "provider_name": "News Example",
        "published": "2023-03-15T02:31:00+00:00",
        "thumbnail_url": "https://news.example.com/images/missile.jpg",
        "thumbnail_width": 1200,
        "thumbnail_height": 675,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return make_environment(env={})


def show(
    env: jinja2.Environment,
    fields: dict[str, Any],
    *,
    status: str = "fresh",
    consent: bool = False,
    provider: str | None = "News Example",
    ref: Ref = ARTICLE,
    platform: str | None = None,
    show_deleted_text: bool = False,
) -> Any:
    return present(
        env,
        ref=ref,
        provider=provider,
        platform=platform,
        status=status,
        data=None if status == "gone" else fields,
        snapshot=fields,
        consent=consent,
        show_deleted_text=show_deleted_text,
    )


def text_of(markup: str, cls: str) -> str:
    """The text of the ``<p>`` with class ``cls``: tags dropped, then entities decoded."""
    found = re.search(rf'<p class="{cls}"[^>]*>(.*?)</p>', markup, re.S)
    assert found is not None, f"no {cls} in {markup}"
    return html.unescape(re.sub(r"<[^>]*>", "", found.group(1))).strip()


# -- the excerpt ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        (DESCRIPTION, 150, SEED_EXCERPT),
        ("Short enough.", 150, "Short enough."),
        ("  spaced \n\t out  ", 150, "spaced out"),
        ("exactly ten", 11, "exactly ten"),  # fits whole: no ellipsis
        ("exactly eleven", 11, "exactly…"),
        ("one, two, three", 10, "one, two…"),  # the comma before the cut is dropped
        # text without spaces is cut at a character, wide ones counting twice
        ("北朝鮮の弾道ミサイルが韓国沖に着弾した", 20, "北朝鮮の弾道ミサイ…"),
        ("北朝鮮の弾道ミサイルが韓国沖に着弾した", 21, "北朝鮮の弾道ミサイル…"),
        ("北朝鮮のミサイル 韓国沖に着弾", 24, "北朝鮮のミサイル…"),
        # one overlong word: cut inside it rather than keep nothing
        ("Donaudampfschifffahrtsgesellschaftskapitän", 12, "Donaudampfs…"),
        # a space too early to be worth it (less than half of what fits)
        ("A Donaudampfschifffahrtsgesellschaft", 20, "A Donaudampfschifff…"),
        ("北朝鮮", 2, ""),  # not even one character and the ellipsis fit
        ("", 150, ""),
        (None, 150, ""),
    ],
)
def test_the_excerpt_is_cut_at_a_word_boundary_with_an_ellipsis(
    text: str | None, width: int, expected: str
) -> None:
    assert excerpt(text, width) == expected


def test_the_excerpt_never_splits_a_grapheme_cluster() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one cluster, five code points
    flag = "\U0001f1f0\U0001f1f7"
    accent = "e\u0301"
    for cluster in (family, flag, accent):
        cut = excerpt(cluster * 40, 21)
        assert cut.endswith("…")
        body = cut[:-1]
        assert body
        assert len(body) % len(cluster) == 0
        assert body == cluster * (len(body) // len(cluster))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.integers(min_value=2, max_value=200))
def test_the_excerpt_is_a_prefix_that_fits(text: str, width: int) -> None:
    cut = excerpt(text, width)
    clean = " ".join(text.split())
    if cut in (clean, ""):
        return
    assert cut.endswith("…")
    assert clean.startswith(cut[:-1])
    assert len(cut) <= len(clean)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=400))
def test_an_ascii_excerpt_fits_its_width(text: str) -> None:
    cut = excerpt(text, 60)
    assert len(cut) <= 60
    if len(" ".join(text.split())) > 60:
        assert cut.endswith("…")


# -- the card ------------------------------------------------------------------------------


def test_a_card_shows_headline_excerpt_site_date_image_and_see_more(
    env: jinja2.Environment,
) -> None:
    shown = show(env, card())
    assert shown.kind == "card"
    assert shown.scripts == ()
    assert problems(shown.html) == []
    found = tags(shown.html)
    figure = found[0][1]
    assert found[0][0] == "figure"
    assert "embedkit--card" in figure["class"].split()
    assert figure["data-embedkit-url"] == URL
    assert figure["data-embedkit-provider"] == "News Example"
    assert text_of(shown.html, "embedkit-linkcard__title") == HEADLINE
    assert text_of(shown.html, "embedkit-linkcard__excerpt") == SEED_EXCERPT
    assert text_of(shown.html, "embedkit-linkcard__meta") == "News Example · March 15, 2023"
    assert text_of(shown.html, "embedkit-linkcard__more") == "see more"
    links = [attrs for tag, attrs in found if tag == "a"]
    assert [a["href"] for a in links] == [URL, URL]  # the headline and "see more"
    assert all(a["rel"] == "noopener noreferrer" for a in links)
    (image,) = [attrs for tag, attrs in found if tag == "img"]
    assert image["src"] == "https://news.example.com/images/missile.jpg"
    assert (image["width"], image["height"]) == ("1200", "675")
    assert image["loading"] == "lazy"
    assert image["referrerpolicy"] == "no-referrer"
    assert image["alt"] == ""  # the headline beside it says what it shows
    assert shown.fallback_html == shown.html  # the card is its own static fallback
    assert ('<time datetime="2023-03-15T02:31:00Z">') in shown.html


def test_an_image_without_a_declared_size_gets_the_opengraph_size(
    env: jinja2.Environment,
) -> None:
    shown = show(env, card(thumbnail_width=None, thumbnail_height=None))
    (image,) = [attrs for tag, attrs in tags(shown.html) if tag == "img"]
    assert (image["width"], image["height"]) == ("1200", "630")


def test_the_stylesheet_gives_the_card_image_a_fixed_box() -> None:
    css = (Path(__file__).parents[2] / "src" / "embedkit" / "static" / "embedkit.css").read_text()
    rule = css[css.index(".embedkit-linkcard__image {") :]
    rule = rule[: rule.index("}")]
    assert "width: 7.5rem" in rule
    assert "height: 5.625rem" in rule
    assert "object-fit: cover" in rule
    narrow = css[css.index("@media (max-width: 26rem)") :]
    assert "aspect-ratio: 40 / 21" in narrow[: narrow.index("}\n}")]


def test_the_card_links_where_the_author_pointed_not_where_the_page_says(
    env: jinja2.Environment,
) -> None:
    shown = show(env, card(page_url="https://evil.example/phish", url="https://evil.example/x"))
    hrefs = {attrs["href"] for tag, attrs in tags(shown.html) if tag == "a"}
    assert hrefs == {URL}
    assert "evil.example" not in shown.html


def test_a_card_without_description_image_date_or_site(env: jinja2.Environment) -> None:
    shown = show(
        env,
        card(description=None, thumbnail_url=None, published=None, provider_name=None),
        provider=None,
    )
    assert problems(shown.html) == []
    assert "embedkit-linkcard__excerpt" not in shown.html
    assert "<img" not in shown.html
    assert "<time" not in shown.html
    # no site name: the host names the site
    assert text_of(shown.html, "embedkit-linkcard__meta") == "news.example.com"
    assert 'data-embedkit-provider="news.example.com"' in shown.html


@pytest.mark.parametrize("status", ["fresh", "cached", "stale"])
def test_every_live_status_shows_the_card(env: jinja2.Environment, status: str) -> None:
    shown = show(env, card(), status=status)
    assert f'data-embedkit-status="{status}"' in shown.html
    assert text_of(shown.html, "embedkit-linkcard__title") == HEADLINE


@pytest.mark.parametrize("show_deleted_text", [False, True])
def test_a_deleted_page_shows_a_tombstone(env: jinja2.Environment, show_deleted_text: bool) -> None:
    shown = show(env, card(), status="gone", show_deleted_text=show_deleted_text)
    assert shown.kind == "card"
    assert "embedkit--tombstone" in shown.html
    assert "This page is no longer available on News Example." in shown.html
    assert "<img" not in shown.html
    assert (HEADLINE in shown.html) is show_deleted_text


def test_consent_mode_shows_the_card_without_its_image_and_without_a_button(
    env: jinja2.Environment,
) -> None:
    shown = show(env, card(), consent=True)
    assert "<img" not in shown.html
    assert "data-embedkit-load" not in shown.html
    assert "data-embedkit-consent" not in shown.html  # nothing waits for consent
    assert text_of(shown.html, "embedkit-linkcard__title") == HEADLINE
    assert text_of(shown.html, "embedkit-linkcard__more") == "see more"
    assert shown.scripts == ()


HOSTILE = "<script>alert(1)</script><style>body{display:none}</style><img src=x onerror=alert(1)>"


@pytest.mark.parametrize(
    "fields",
    [
        {"title": HOSTILE, "description": HOSTILE, "provider_name": HOSTILE},
        {"author_name": HOSTILE, "lang": '" onmouseover="alert(1)'},
        {"thumbnail_url": "javascript:alert(1)"},
        {"thumbnail_url": "data:image/svg+xml,<svg onload=alert(1)>"},
        {"thumbnail_url": " https://x.example/a b.png"},
        {"thumbnail_url": "//news.example.com/protocol-relative.jpg"},
        {"thumbnail_width": '1200" onload="alert(1)', "thumbnail_height": {"x": 1}},
        {"published": "<script>", "title": 12, "description": ["a"]},
    ],
)
def test_hostile_card_fields_stay_text(env: jinja2.Environment, fields: dict[str, Any]) -> None:
    shown = show(env, card(**fields), provider=fields.get("provider_name", "News Example"))
    assert problems(shown.html) == []
    for tag, attrs in tags(shown.html):
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("src", "href"):
            if name in attrs:
                assert attrs[name].startswith("https://"), attrs
    if "title" in fields and isinstance(fields["title"], str):
        assert text_of(shown.html, "embedkit-linkcard__title") == " ".join(HOSTILE.split())


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "title",
                "description",
                "provider_name",
                "author_name",
                "published",
                "thumbnail_url",
                "thumbnail_width",
                "thumbnail_height",
                "lang",
            ]
        ),
        st.one_of(st.text(max_size=80), st.integers(), st.none(), st.lists(st.text(max_size=5))),
    )
)
def test_any_card_fields_render_without_script(fields: dict[str, Any]) -> None:
    env = make_environment(env={})
    shown = show(env, {**fields, "format": CARD_FORMAT})
    assert problems(shown.html) == []
    assert shown.scripts == ()


def test_the_card_template_is_overridden_by_name(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "card.html").write_text(
        "<p class=mine>{{ card.title }} — {{ card.excerpt }} ({{ site }})</p>", encoding="utf-8"
    )
    for env in (
        make_environment([mine], env={}),
        make_environment(env={"EMBEDKIT_TEMPLATES": os.pathsep.join([str(mine)])}),
    ):
        shown = show(env, card())
        assert f"<p class=mine>{HEADLINE} — {html.escape(SEED_EXCERPT)} (News Example)</p>" in (
            shown.html
        )
        assert shown.html.startswith('<figure class="embedkit embedkit--news-example')


def test_a_youtube_channel_card_names_youtube(env: jinja2.Environment) -> None:
    channel = "https://www.youtube.com/@GoogleDevelopers"
    ref = Ref(raw=channel, url=channel, kind="youtube", handle="GoogleDevelopers", no_oembed=True)
    shown = show(
        env,
        card(title="Google for Developers", provider_name=None, published=None),
        ref=ref,
        provider="YouTube",
        platform="youtube",
    )
    assert "embedkit--youtube" in shown.html
    assert text_of(shown.html, "embedkit-linkcard__meta") == "YouTube"
    assert "<iframe" not in shown.html


# -- the page layer's rule ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("embed", "expected"),
    [
        (Embed(URL, URL, "fresh", None, "<figure>", kind="card"), True),
        (Embed(URL, URL, "stale", "News Example", "<figure>", kind="card"), True),
        (Embed(URL, URL, "gone", None, "<figure>", kind="card"), True),
        (Embed(URL, URL, "fallback", None, "<figure>"), False),  # no provider, no card
        (Embed(URL, URL, "fallback", "YouTube", "<figure>"), True),
    ],
)
def test_a_card_is_embeddable_and_a_url_nothing_serves_is_not(embed: Embed, expected: bool) -> None:
    assert embeddable(embed) is expected
