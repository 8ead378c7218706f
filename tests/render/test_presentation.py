"""embedkit.present._presentation.present: what each status shows, consent mode, aspect ratios."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.render.safety import problems, tags

from embedkit._models import Ref
from embedkit._platforms import PlatformSettings
from embedkit._templating import make_environment
from embedkit.present._presentation import aspect_ratio, present
from embedkit.present._snapshot import PostSnapshot, snapshot_to_dict

OEMBED = Path(__file__).parents[1] / "fixtures" / "oembed"
REUTERS_ID = "1636212467429621760"
REUTERS_URL = f"https://x.com/Reuters/status/{REUTERS_ID}"
REUTERS = Ref(raw=REUTERS_URL, url=REUTERS_URL, kind="x", post_id=REUTERS_ID, handle="Reuters")
REUTERS_TEXT = (
    "LIVE: Japanese Prime Minister Fumio Kishida welcomes South Korean President Yoon Suk Yeol"
)
WIDGETS = "https://platform.twitter.com/widgets.js"


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return make_environment(env={})


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((OEMBED / name).read_text(encoding="utf-8"))
    return loaded


def _figure(html: str) -> dict[str, str]:
    first_tag, attrs = tags(html)[0]
    assert first_tag == "figure"
    return attrs


def _outside_templates(html: str) -> str:
    return re.sub(r"<template\b[^>]*>.*?</template>", "", html, flags=re.S)


def _reuters(env: jinja2.Environment, status: str, **kwargs: Any) -> Any:
    data = _load("twitter-reuters.json")
    defaults: dict[str, Any] = {
        "data": data if status in ("fresh", "cached", "stale") else None,
        "snapshot": data,
    }
    defaults.update(kwargs)
    return present(env, ref=REUTERS, provider="Twitter", platform="x", status=status, **defaults)


# -- statuses -----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["fresh", "cached", "stale"])
def test_live_statuses_show_the_sanitized_provider_markup(
    env: jinja2.Environment, status: str
) -> None:
    shown = _reuters(env, status)
    figure = _figure(shown.html)
    assert figure["class"] == "embedkit embedkit--x embedkit--embed"
    assert figure["data-embedkit-provider"] == "Twitter"
    assert figure["data-embedkit-status"] == status
    assert figure["data-embedkit-url"] == REUTERS_URL
    assert '<blockquote class="twitter-tweet">' in shown.html
    assert REUTERS_TEXT in shown.html
    assert shown.scripts == (WIDGETS,)
    assert problems(shown.html) == []


@pytest.mark.parametrize("status", ["fresh", "cached", "stale", "gone", "fallback"])
def test_fallback_html_is_always_computed(env: jinja2.Environment, status: str) -> None:
    shown = _reuters(env, status)
    assert "embedkit--fallback" in _figure(shown.fallback_html)["class"]
    assert _figure(shown.fallback_html)["data-embedkit-status"] == status
    assert REUTERS_TEXT in shown.fallback_html
    assert "<script" not in shown.fallback_html
    assert "<iframe" not in shown.fallback_html


def test_stale_with_only_a_snapshot_still_shows_the_post(env: jinja2.Environment) -> None:
    shown = _reuters(env, "stale", data=None)
    assert '<blockquote class="twitter-tweet">' in shown.html
    assert shown.scripts == (WIDGETS,)


def test_fallback_status_shows_the_fallback(env: jinja2.Environment) -> None:
    shown = _reuters(env, "fallback")
    assert shown.html == shown.fallback_html
    assert shown.scripts == ()


def test_gone_shows_a_tombstone_without_the_text_by_default(env: jinja2.Environment) -> None:
    shown = _reuters(env, "gone")
    assert "embedkit--tombstone" in _figure(shown.html)["class"]
    assert "This post is no longer available on X." in shown.html
    assert "Posted by Reuters (@Reuters) on March 16, 2023." in shown.html
    assert REUTERS_TEXT not in shown.html
    assert shown.scripts == ()


def test_gone_shows_the_archived_text_when_asked(env: jinja2.Environment) -> None:
    shown = _reuters(env, "gone", show_deleted_text=True)
    assert "This post is no longer available on X." in shown.html
    assert REUTERS_TEXT in shown.html


def test_gone_without_any_snapshot_still_dates_an_x_post(env: jinja2.Environment) -> None:
    shown = _reuters(env, "gone", snapshot=None)
    assert "This post is no longer available on X." in shown.html
    assert "Posted on March 16, 2023." in shown.html  # the handle in the URL proves nothing
    assert "@Reuters" not in shown.html


@pytest.mark.parametrize(
    ("name", "url", "kind", "provider", "display"),
    [
        (
            "bluesky-1.json",
            "https://bsky.app/profile/attakei.dev/post/3kqmooj3ems2w",
            "bluesky",
            None,
            "Bluesky",
        ),
        (
            "youtube-7.json",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "youtube",
            "YouTube",
            "YouTube",
        ),
        (
            "mastodon-1.json",
            "https://mastodon.social/@trwnh/99664077509711321",
            "mastodon",
            "mastodon.social",
            "Mastodon",
        ),
    ],
)
def test_tombstone_names_the_provider_readers_know(
    env: jinja2.Environment, name: str, url: str, kind: str, provider: str | None, display: str
) -> None:
    ref = Ref(raw=url, url=url, kind=kind)
    shown = present(
        env,
        ref=ref,
        provider=provider,
        platform=kind,
        status="gone",
        data=None,
        snapshot=_load(name),
    )
    assert f"is no longer available on {display}." in shown.html


def test_extra_snapshot_from_the_x_api_is_used_without_a_snapshot(
    env: jinja2.Environment,
) -> None:
    api = PostSnapshot(
        url=REUTERS_URL,
        provider="Twitter",
        layout="post",
        text="From the API",
        author_name="Reuters",
        handle="Reuters",
        source="x_api",
    )
    shown = _reuters(env, "fallback", snapshot=None, extra_snapshot=api)
    assert "From the API" in shown.html
    assert "March 16, 2023" in shown.html  # the date still comes from the snowflake


def test_a_cached_x_api_snapshot_dict_is_recognised(env: jinja2.Environment) -> None:
    api = PostSnapshot(
        url=REUTERS_URL,
        provider="Twitter",
        layout="post",
        text="Cached API text",
        author_name="Reuters",
        handle="Reuters",
        source="x_api",
    )
    shown = _reuters(env, "fallback", snapshot=snapshot_to_dict(api))
    assert "Cached API text" in shown.html


def test_markup_that_sanitizes_to_nothing_falls_back(env: jinja2.Environment) -> None:
    url = "https://www.politico.com/story/2013/12/x-101314"
    shown = present(
        env,
        ref=Ref(raw=url, url=url),
        provider=None,
        platform=None,
        status="fresh",
        data=_load("politico-1.json"),
        snapshot=None,
    )
    assert shown.html == shown.fallback_html
    assert shown.scripts == ()


# -- iframes and aspect ratios -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "layout", "ratio"),
    [
        ({"type": "video", "width": 500, "height": 281}, "video", "500 / 281"),
        ({"type": "video", "width": "640", "height": "360"}, "video", "640 / 360"),
        ({"type": "video", "width": "100%", "height": "100%"}, "video", "16 / 9"),
        ({"type": "video", "width": None, "height": None}, "video", "16 / 9"),
        ({"type": "video"}, "video", "16 / 9"),
        ({"type": "video", "width": 0, "height": 0}, "video", "16 / 9"),
        ({"type": "rich", "width": "100%", "height": 152}, "link", None),
        ({"type": "rich", "width": 550, "height": None}, "post", None),
    ],
)
def test_aspect_ratio(data: dict[str, Any], layout: str, ratio: str | None) -> None:
    assert aspect_ratio(data, layout) == ratio


def test_video_iframe_sits_in_a_responsive_wrapper(env: jinja2.Environment) -> None:
    url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    shown = present(
        env,
        ref=Ref(raw=url, url=url, kind="youtube", post_id="dQw4w9WgXcQ"),
        provider="YouTube",
        platform="youtube",
        status="fresh",
        data=_load("youtube-7.json"),
        snapshot=None,
    )
    found = tags(shown.html)
    ratio = next(a for t, a in found if t == "div" and a.get("class") == "embedkit__ratio")
    assert ratio["style"] == "aspect-ratio: 500 / 281;"
    iframe = next(a for t, a in found if t == "iframe")
    assert (iframe["width"], iframe["height"], iframe["loading"]) == ("100%", "100%", "lazy")
    assert iframe["title"] == "Rick Astley - Never Gonna Give You Up (Official Music Video)"
    assert problems(shown.html, {"www.youtube.com"}) == []


def test_rich_players_keep_their_own_size(env: jinja2.Environment) -> None:
    url = "https://open.spotify.com/show/5eXZwvvxt3K2dxha3BSaAe"
    shown = present(
        env,
        ref=Ref(raw=url, url=url, kind="spotify"),
        provider="Spotify",
        platform="spotify",
        status="fresh",
        data=_load("spotify-1.json"),
        snapshot=None,
    )
    assert "embedkit__ratio" not in shown.html
    iframe = next(a for t, a in tags(shown.html) if t == "iframe")
    assert (iframe["width"], iframe["height"]) == ("100%", "152")


@pytest.mark.parametrize(
    ("trusted", "scripts"),
    [
        (frozenset({"mastodon.social"}), ("https://mastodon.social/embed.js",)),
        (frozenset(), ()),  # an instance the publisher did not name runs no script
        (frozenset({"other.example"}), ()),
    ],
)
def test_mastodon_instance_script_only_from_a_trusted_instance(
    env: jinja2.Environment, trusted: frozenset[str], scripts: tuple[str, ...]
) -> None:
    url = "https://mastodon.social/@trwnh/99664077509711321"
    shown = present(
        env,
        ref=Ref(raw=url, url=url, kind="mastodon"),
        provider="Mastodon",
        platform="mastodon",
        status="fresh",
        data=_load("mastodon-1.json"),
        snapshot=None,
        settings=PlatformSettings(trusted_mastodon_instances=trusted),
    )
    iframe = next(a for t, a in tags(shown.html) if t == "iframe")
    assert iframe["src"] == "https://mastodon.social/@trwnh/99664077509711321/embed"
    assert iframe["title"] == "New status by trwnh"
    assert shown.scripts == scripts
    assert "embedkit--mastodon" in _figure(shown.html)["class"]


def test_unknown_provider_iframe_only_from_its_own_host(env: jinja2.Environment) -> None:
    url = "https://wordpress.tv/2013/09/06/dave-ross-optimize-image-files-like-a-pro/"
    data = _load("wordpress-1.json")
    shown = present(
        env,
        ref=Ref(raw=url, url=url),
        provider="WordPress.tv",
        platform=None,
        status="fresh",
        data=data,
        snapshot=None,
    )
    assert 'src="https://wordpress.tv/2013/09/06/' in shown.html
    elsewhere = "https://blog.example.org/post"
    other = present(
        env,
        ref=Ref(raw=elsewhere, url=elsewhere),
        provider="WordPress.tv",
        platform=None,
        status="fresh",
        data=data,
        snapshot=None,
    )
    assert "<iframe" not in other.html


# -- consent mode ------------------------------------------------------------------------------

CONSENT_CASES = [
    ("twitter-reuters.json", REUTERS_URL, "x", "Twitter", "Load post from X", (WIDGETS,)),
    (
        "youtube-7.json",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "youtube",
        "YouTube",
        "Load video from YouTube",
        (),
    ),
    (
        "instagram-3.json",
        "https://www.instagram.com/p/CARbvuYDm3Q/",
        "instagram",
        "Instagram",
        "Load post from Instagram",
        ("https://www.instagram.com/embed.js",),
    ),
    (
        "tiktok-1.json",
        "https://www.tiktok.com/@a3noticias/video/6806030056956251397",
        "tiktok",
        "TikTok",
        "Load post from TikTok",
        ("https://www.tiktok.com/embed.js",),
    ),
    (
        "bluesky-1.json",
        "https://bsky.app/profile/attakei.dev/post/3kqmooj3ems2w",
        "bluesky",
        None,
        "Load post from Bluesky",
        ("https://embed.bsky.app/static/embed.js",),
    ),
    ("vimeo-2.json", "https://vimeo.com/235352744", "vimeo", "Vimeo", "Load video from Vimeo", ()),
]


@pytest.mark.parametrize(
    ("name", "url", "kind", "provider", "button", "scripts"),
    CONSENT_CASES,
    ids=[c[0] for c in CONSENT_CASES],
)
def test_consent_mode_makes_no_third_party_request_before_the_click(
    env: jinja2.Environment,
    name: str,
    url: str,
    kind: str,
    provider: str | None,
    button: str,
    scripts: tuple[str, ...],
) -> None:
    data = _load(name)
    shown = present(
        env,
        ref=Ref(raw=url, url=url, kind=kind),
        provider=provider,
        platform=kind,
        status="fresh",
        data=data,
        snapshot=data,
        consent=True,
    )
    figure = _figure(shown.html)
    assert figure["data-embedkit-consent"] == "pending"
    assert tuple(json.loads(figure["data-embedkit-scripts"])) == scripts
    assert shown.scripts == ()  # the page must not load them; the consent script will
    assert shown.html.count("<template") == 1
    outside = _outside_templates(shown.html)
    found = tags(outside)
    buttons = [a for t, a in found if t == "button"]
    assert len(buttons) == 1
    assert buttons[0]["type"] == "button"
    assert "data-embedkit-load" in buttons[0]
    assert button in outside
    assert [t for t, _ in found if t in ("iframe", "img", "script", "link", "video")] == []
    assert problems(outside) == []
    assert not any(name.startswith("on") for _, attrs in tags(shown.html) for name in attrs)
    assert "<script" not in shown.html
    assert "<img" not in shown.fallback_html  # no third-party thumbnail before consent


def test_consent_template_holds_the_real_embed(env: jinja2.Environment) -> None:
    data = _load("youtube-7.json")
    url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    shown = present(
        env,
        ref=Ref(raw=url, url=url, kind="youtube"),
        provider="YouTube",
        platform="youtube",
        status="cached",
        data=data,
        snapshot=data,
        consent=True,
    )
    inside = re.search(r"<template\b[^>]*>(.*?)</template>", shown.html, re.S)
    assert inside is not None
    assert 'src="https://www.youtube.com/embed/dQw4w9WgXcQ?feature=oembed"' in inside.group(1)


def test_consent_mode_with_nothing_cached_still_offers_the_button(
    env: jinja2.Environment,
) -> None:
    shown = _reuters(env, "fallback", snapshot=None, consent=True)
    figure = _figure(shown.html)
    assert figure["data-embedkit-consent"] == "pending"
    assert figure["data-embedkit-status"] == "fallback"
    assert json.loads(figure["data-embedkit-scripts"]) == [WIDGETS]
    assert "Load post from X" in _outside_templates(shown.html)
    inside = re.search(r"<template\b[^>]*>(.*?)</template>", shown.html, re.S)
    assert inside is not None
    assert '<blockquote class="twitter-tweet">' in inside.group(1)
    assert f'href="https://twitter.com/i/status/{REUTERS_ID}"' in inside.group(1)
    assert "<script" not in shown.html
    assert shown.scripts == ()
    assert problems(_outside_templates(shown.html)) == []


@pytest.mark.parametrize(
    ("url", "kind", "platform", "provider", "button", "inside"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "youtube",
            "youtube",
            "YouTube",
            "Load video from YouTube",
            'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"',
        ),
        (
            "https://www.instagram.com/p/CARbvuYDm3Q/",
            "instagram",
            "instagram",
            "Instagram",
            "Load post from Instagram",
            'data-instgrm-permalink="https://www.instagram.com/p/CARbvuYDm3Q/"',
        ),
        (
            "https://vimeo.com/235352744",
            "vimeo",
            "vimeo",
            "Vimeo",
            "Load video from Vimeo",
            'src="https://player.vimeo.com/video/235352744"',
        ),
    ],
)
def test_consent_button_needs_only_the_url_and_the_platform(
    env: jinja2.Environment,
    url: str,
    kind: str,
    platform: str,
    provider: str,
    button: str,
    inside: str,
) -> None:
    from embedkit.resolve._refs import parse_ref

    shown = present(
        env,
        ref=parse_ref(url),
        provider=provider,
        platform=platform,
        status="fallback",
        data=None,
        snapshot=None,
        consent=True,
    )
    assert button in _outside_templates(shown.html)
    template = re.search(r"<template\b[^>]*>(.*?)</template>", shown.html, re.S)
    assert template is not None
    assert inside in template.group(1)
    assert [t for t, _ in tags(_outside_templates(shown.html)) if t in ("iframe", "img")] == []


def test_consent_mode_without_a_known_platform_is_just_the_fallback(
    env: jinja2.Environment,
) -> None:
    url = "https://blog.example.org/post/1"
    shown = present(
        env,
        ref=Ref(raw=url, url=url),
        provider=None,
        platform=None,
        status="fallback",
        data=None,
        snapshot=None,
        consent=True,
    )
    assert shown.html == shown.fallback_html
    assert "<button" not in shown.html


# -- every fallback, from every recorded response ------------------------------------------


def _all_fixtures() -> list[str]:
    names = []
    for path in sorted(OEMBED.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not path.name.endswith(".meta.json") and isinstance(data, dict) and "type" in data:
            names.append(path.name)
    return names


@pytest.mark.parametrize("name", _all_fixtures())
def test_every_fallback_is_static_and_its_images_are_polite(
    env: jinja2.Environment, name: str
) -> None:
    data = _load(name)
    given = data.get("url")
    url = (
        given
        if isinstance(given, str) and given.startswith("https://")
        else "https://example.org/post/1"
    )
    ref = Ref(raw=url, url=url, kind=None)
    shown = present(
        env,
        ref=ref,
        provider=data.get("provider_name"),
        platform=None,
        status="fallback",
        data=None,
        snapshot=data,
    )
    assert problems(shown.html) == []
    found = tags(shown.html)
    assert [t for t, _ in found if t in ("iframe", "script", "video", "audio")] == []
    for tag, attrs in found:
        if tag == "img":
            assert attrs["loading"] == "lazy"
            assert attrs["referrerpolicy"] == "no-referrer"
            assert attrs["alt"].strip()
            assert attrs["src"].startswith(("https://", "http://"))
        if tag == "a":
            assert attrs["href"].startswith(("https://", "http://"))
            assert attrs["rel"] == "noopener noreferrer"


def test_a_photo_without_html_shows_the_picture_and_asks_consent_first(
    env: jinja2.Environment,
) -> None:
    data = _load("deviantart-1.json")
    url = "https://www.deviantart.com/sakimichan/art/Misty-510056679"
    ref = Ref(raw=url, url=url)
    shown = present(
        env, ref=ref, provider="DeviantArt", platform=None, status="fresh", data=data, snapshot=data
    )
    assert [t for t, _ in tags(shown.html)].count("img") == 1
    consent = present(
        env,
        ref=ref,
        provider="DeviantArt",
        platform=None,
        status="fresh",
        data=data,
        snapshot=data,
        consent=True,
    )
    assert "Load photo from DeviantArt" in consent.html
    assert "<img" not in _outside_templates(consent.html)


_FIELD_VALUES = st.one_of(
    st.none(),
    st.integers(-5, 5000),
    st.sampled_from(
        [
            "javascript:alert(1)",
            "https://evil.example/x.jpg",
            "100%",
            "video",
            "photo",
            "rich",
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            '<iframe src="https://evil.example/"></iframe>',
            "//evil.example/a.js",
        ]
    ),
    st.text(max_size=30),
)
_OEMBED_DATA = st.dictionaries(
    st.sampled_from(
        [
            "type",
            "html",
            "title",
            "author_name",
            "author_url",
            "thumbnail_url",
            "url",
            "width",
            "height",
            "duration",
            "provider_name",
            "provider_url",
        ]
    ),
    _FIELD_VALUES,
)


@settings(max_examples=150, deadline=None)
@given(
    data=_OEMBED_DATA,
    status=st.sampled_from(["fresh", "cached", "stale", "gone", "fallback"]),
    kind=st.sampled_from([None, "x", "youtube", "bluesky", "mastodon", "instagram", "flickr"]),
    consent=st.booleans(),
)
def test_any_oembed_data_renders_without_anything_executable(
    env: jinja2.Environment, data: dict[str, Any], status: str, kind: str | None, consent: bool
) -> None:
    url = "https://example.org/@someone/1"
    shown = present(
        env,
        ref=Ref(raw=url, url=url, kind=kind),
        provider=None,
        platform=kind,
        status=status,
        data=data,
        snapshot=data,
        consent=consent,
    )
    for html in (shown.html, shown.fallback_html):
        assert problems(html, {"example.org"}) == []
    assert set(shown.scripts) == set()  # nothing from evil.example is ever collected
