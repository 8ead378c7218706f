"""The Wagtail finder, in a real Wagtail project (settings and templates from docs/wagtail.md)."""

from __future__ import annotations

import json
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
    return json.loads(response.content)


def stored(url: str) -> Any:
    from wagtail.embeds.models import Embed

    return Embed.objects.get(url=url)


def script_srcs(html: str) -> list[str]:
    import re

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
    assert "@newsdesk" in embed.html  # the static fallback, built from the URL
    assert "<script" not in embed.html  # a fallback loads no third-party code
    # A fallback is asked about again after "retry" (300 s in docs/wagtail.md), not kept.
    expected = datetime.now(UTC) + timedelta(seconds=300)
    assert abs((embed.cache_until - expected).total_seconds()) < 60


def test_a_url_nothing_can_embed_is_refused_in_the_chooser(
    editor: Any, sim: ProviderSimulator
) -> None:
    sim.page("/articles/plain", html="<!doctype html><title>Plain</title><p>No oEmbed here.</p>")
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
