"""The Wagtail finder, in a real Wagtail project (settings and templates from docs/wagtail.md)."""

from __future__ import annotations

import html
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.simulator import ProviderSimulator

from embedkit import Resolver
from embedkit.present import KNOWN_SCRIPTS
from embedkit.resolve import parse_ref

pytestmark = pytest.mark.usefixtures("django_project")

CHOOSER = "/admin/embeds/chooser/upload/"
WIDGETS = '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
DAY = 86400.0


def choose(editor: Any, url: str) -> dict[str, Any]:
    """Paste ``url`` into the admin's embed chooser, as an editor does."""
    response = editor.post(CHOOSER, {"embed-chooser-url": url})
    assert response.status_code == 200
    answer: dict[str, Any] = json.loads(response.content)
    return answer


def stored(url: str) -> Any:
    from wagtail.embeds.models import Embed

    return Embed.objects.get(url=url)


def script_srcs(html: str) -> list[str]:
    return re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)


def test_the_chooser_embeds_a_post_with_sanitized_html(editor: Any, sim: ProviderSimulator) -> None:
    url = "https://twitter.com/ndaidong/status/1173592062878314497?s=20"
    answer = choose(editor, url)
    assert answer["step"] == "embed_chosen"
    assert answer["embed_data"]["providerName"] == "Twitter"
    assert answer["embed_data"]["authorName"] == "Dong Nguyen"
    assert sim.count("/twitter/oembed") == 1
    embed = stored(url)
    assert embed.type == "rich"
    assert embed.width == 550
    assert embed.html.startswith('<figure class="embedkit')
    assert "Live event: Release Lotus" in embed.html
    # The provider's own <script> is gone; the one from embedkit's allowlist follows once.
    assert embed.html.count("<script") == 1
    assert embed.html.rstrip().endswith(WIDGETS)
    # twitter-1.json says cache_age 3153600000 (100 years): clamped to 30 days.
    expected = datetime.now(UTC) + timedelta(days=30)
    assert abs((embed.cache_until - expected).total_seconds()) < 120


def test_a_post_whose_provider_is_down_gets_its_fallback(
    editor: Any, sim: ProviderSimulator
) -> None:
    sim.fault("/twitter/oembed", "status", status=503)
    url = "https://x.com/newsdesk/status/1636212467429621761"
    answer = choose(editor, url)
    assert answer["step"] == "embed_chosen"
    embed = stored(url)
    assert "A post on X" in embed.html  # the static fallback, built from the URL
    assert "<script" not in embed.html  # a fallback loads no third-party code
    # A fallback is asked about again after "retry" (300 s in docs/wagtail.md), not kept.
    expected = datetime.now(UTC) + timedelta(seconds=300)
    assert abs((embed.cache_until - expected).total_seconds()) < 60


def test_an_article_url_gets_its_link_card(editor: Any, sim: ProviderSimulator) -> None:
    sim.page(
        "/articles/missile",
        html='<!doctype html><html lang="en"><head>'
        '<meta property="og:title" content="N. Korean missile lands off S. Korea">'
        '<meta property="og:site_name" content="News Example">'
        '<meta property="og:description" content="A North Korean ballistic missile landed.">'
        '<meta property="og:image" content="https://news.example.com/missile.jpg">'
        "</head><body><p>No oEmbed here.</p></body></html>",
    )
    url = sim.url("/articles/missile")
    answer = choose(editor, url)
    assert answer["step"] == "embed_chosen"
    embed = stored(url)
    assert embed.type == "link"
    assert embed.title == "N. Korean missile lands off S. Korea"
    assert embed.provider_name == "News Example"
    assert embed.thumbnail_url == "https://news.example.com/missile.jpg"
    assert 'class="embedkit-linkcard' in embed.html
    assert "see more" in embed.html
    assert "<script" not in embed.html


def test_a_url_nothing_can_embed_is_refused_in_the_chooser(
    editor: Any, sim: ProviderSimulator
) -> None:
    # No provider, no discovery link, and no title anywhere on the page: not even a card.
    sim.page("/articles/plain", html="<!doctype html><p>No oEmbed here.</p>")
    answer = choose(editor, sim.url("/articles/plain"))
    assert answer["step"] == "chooser"
    assert "Cannot find an embed for this URL." in answer["html"]


def test_a_story_page_shows_embed_block_rich_text_and_embed_tag(
    sim: ProviderSimulator, client: Any
) -> None:
    from tests.contrib.newsroom.models import StoryPage
    from wagtail.models import Page

    tweet = "https://x.com/ndaidong/status/1173592062878314497"
    video = "https://youtu.be/qQpb1oCernE"
    reel = "https://www.instagram.com/p/CpJHmdHPHa5/"
    home = Page.objects.get(depth=2)
    story = home.add_child(
        instance=StoryPage(
            title="Trade talks",
            slug="trade-talks",
            intro=f'<p>Before.</p><embed embedtype="media" url="{video}"/>',
            body=[("embed", tweet)],
            video_url=reel,
        )
    )
    response = client.get(story.url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'src="https://www.youtube.com/embed/qQpb1oCernE' in page  # rich text
    assert "Live event: Release Lotus" in page  # EmbedBlock
    assert 'data-embedkit-provider="Instagram"' in page  # {% embed %}
    assert page.count('<figure class="embedkit') == 3
    assert set(script_srcs(page)) <= KNOWN_SCRIPTS


def test_a_post_deleted_upstream_becomes_a_tombstone_once_its_cache_expires(
    sim: ProviderSimulator, client: Any, tmp_path: Path
) -> None:
    """Wagtail asks the finder again when its row expires; embedkit's cache decides.

    Wagtail compares ``cache_until`` with the real clock, embedkit with its
    ``clock`` seam. The resolver's clock starts 60 days back, so each row
    Wagtail stores has expired already in Wagtail's eyes and every render goes
    through the finder: what the page shows is embedkit's cache at that moment.
    """
    from django.test import override_settings
    from tests.contrib.newsroom.models import StoryPage
    from wagtail.models import Page

    now = [time.time() - 60 * DAY]
    resolver = Resolver(
        cache="memory://",
        providers=sim.providers_file(tmp_path, route=False),
        allow_private_networks=True,
        clock=lambda: now[0],
    )
    url = "https://x.com/deskeditor/status/1636212467429621762"
    canonical = parse_ref(url).url
    sim.route("/twitter/oembed", fixture="twitter-1.json", when_url=canonical)
    finders = [{"class": "embedkit.contrib.wagtail.EmbedkitFinder", "resolver": resolver}]
    with resolver, override_settings(WAGTAILEMBEDS_FINDERS=finders):
        story = Page.objects.get(depth=2).add_child(
            instance=StoryPage(title="Deleted", slug="deleted-post", body=[("embed", url)])
        )
        first = client.get(story.url).content.decode()
        assert "Live event: Release Lotus" in first
        assert sim.count("/twitter/oembed") == 1

        sim.route("/twitter/oembed", body={"error": "gone"}, status=404, when_url=canonical)
        now[0] += 29 * DAY  # still within the 30 days embedkit keeps the post
        second = client.get(story.url).content.decode()
        assert "Live event: Release Lotus" in second
        assert sim.count("/twitter/oembed") == 1

        now[0] += 2 * DAY  # the entry has expired: the provider is asked, and says 404
        third = client.get(story.url).content.decode()
        assert sim.count("/twitter/oembed") == 2
        assert "This post is no longer available on X." in third
        assert "Posted by Dong Nguyen (@ndaidong)" in third  # from the last good snapshot
        assert "Live event: Release Lotus" not in third
        assert "<script" not in third.split('<div class="embedkit-tombstone"', 1)[1]


def make_embed(**fields: Any) -> Any:
    from embedkit import Embed

    base: dict[str, Any] = {
        "ref": "https://x.com/a/status/1",
        "url": "https://x.com/a/status/1",
        "status": "fresh",
        "provider": "Twitter",
        "html": "<figure>post</figure>",
    }
    return Embed(**{**base, **fields})


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {
                "type": "video",
                "title": " Dog trio ",
                "author_name": "Dong",
                "width": "200",
                "height": 113.0,
                "thumbnail_url": "https://i.ytimg.com/vi/x/hq.jpg",
            },
            {
                "type": "video",
                "title": "Dog trio",
                "author_name": "Dong",
                "width": 200,
                "height": 113,
                "thumbnail_url": "https://i.ytimg.com/vi/x/hq.jpg",
            },
        ),
        (
            {
                "type": "script",
                "title": ["x"],
                "width": "100%",
                "height": True,
                "thumbnail_url": "javascript:alert(1)",
            },
            {
                "type": "rich",
                "title": "",
                "author_name": "",
                "width": None,
                "height": None,
                "thumbnail_url": "",
            },
        ),
        ({}, {"type": "rich", "title": "", "width": None, "thumbnail_url": ""}),
    ],
)
def test_embed_fields_keep_only_what_wagtail_can_store(
    data: dict[str, Any], expected: dict[str, Any]
) -> None:
    from embedkit.contrib.wagtail import embed_fields

    fields = embed_fields(
        make_embed(data=data, expires_at=2000.0), now=1000.0, consent_script_url="/c.js"
    )
    assert {key: fields[key] for key in expected} == expected
    assert fields["provider_name"] == "Twitter"
    assert fields["cache_until"] == datetime(1970, 1, 1, 0, 33, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "expires_at", "until"),
    [
        ("fresh", 5000.0, 5000.0),
        ("cached", 5000.0, 5000.0),
        ("gone", 4600.0, 4600.0),  # a tombstone until its recheck
        ("stale", 900.0, 1300.0),  # expired: ask again after retry
        ("fallback", None, 1300.0),
    ],
)
def test_cache_until_follows_the_embeds_freshness(
    status: str, expires_at: float | None, until: float
) -> None:
    from embedkit.contrib.wagtail import embed_fields

    fields = embed_fields(
        make_embed(status=status, expires_at=expires_at),
        now=1000.0,
        retry=300,
        consent_script_url="/c.js",
    )
    assert fields["cache_until"] == datetime.fromtimestamp(until, tz=UTC)


def test_a_consent_placeholder_carries_the_consent_script(sim_env: dict[str, str]) -> None:
    from embedkit.contrib.wagtail import EmbedkitFinder

    finder = EmbedkitFinder(consent=True, env=sim_env, consent_script_url="/static/c.js")
    fields = finder.find_embed("https://x.com/ndaidong/status/1173592062878314497")
    assert "data-embedkit-load" in fields["html"]
    assert script_srcs(fields["html"]) == ["/static/c.js"]
    found = re.search(r'data-embedkit-allow="([^"]+)"', fields["html"])
    assert found is not None
    allow = json.loads(html.unescape(found.group(1)))
    assert set(allow) == KNOWN_SCRIPTS  # the same list on every placeholder of a page


def test_the_module_names_the_finder_and_no_options_means_the_embedkit_setting() -> None:
    from django.test import override_settings
    from wagtail.embeds.finders import get_finders

    from embedkit.contrib.django import get_resolver
    from embedkit.contrib.wagtail import EmbedkitFinder

    with override_settings(WAGTAILEMBEDS_FINDERS=[{"class": "embedkit.contrib.wagtail"}]):
        (finder,) = get_finders()
        assert isinstance(finder, EmbedkitFinder)
        assert finder.resolver is get_resolver()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retry": "soon"}, "WAGTAILEMBEDS_FINDERS: retry must be a number of seconds >= 0"),
        ({"cahce": "x"}, "WAGTAILEMBEDS_FINDERS: unknown option 'cahce'"),
    ],
)
def test_a_bad_finder_option_is_one_line(options: dict[str, Any], message: str) -> None:
    from embedkit import ConfigError
    from embedkit.contrib.wagtail import EmbedkitFinder

    with pytest.raises(ConfigError) as caught:
        EmbedkitFinder(**options)
    assert str(caught.value).startswith(message)
