"""The long tail of what editors paste (issue 11): shape → canonical URL → provider → embed.

Every family is recognised, canonicalized (one post is one cache entry), matched and
embedded: Dailymotion, Twitch (no oEmbed: its player, with the publisher's
``twitch_parent``), Reddit's short forms, Threads, the fediverse beyond Mastodon
(Pleroma/Akkoma, Misskey, GoToSocial), YouTube channel pages (no oEmbed: a card),
SoundCloud's player URLs, and short links whose host names the provider. Embeds are
rendered through the provider simulator; short links are followed through a mock
transport (their hosts are the real ones).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from tests.render.safety import problems, tags
from tests.simulator import ProviderSimulator

from embedkit import Resolver
from embedkit.cli._main import cli
from embedkit.net._http import HttpClient
from embedkit.resolve._refs import canonicalize, parse_ref

DM = "https://www.dailymotion.com/video/x8kjx7v"
TV = "https://www.twitch.tv/videos/1234567890"
CLIP = "https://clips.twitch.tv/AwkwardHelplessSalamanderSwiftRage"
CHANNEL = "https://www.twitch.tv/shroud"
SPEZ = "https://www.reddit.com/user/spez/comments/15ko0qu/hello/"
BUFFETT = "https://www.reddit.com/r/investing/comments/7pfpeq/buffett_on/"
ZUCK = "https://www.threads.net/@zuck/post/CuXFPIeLLod"
FLAKE = "https://pleroma.site/notice/9n2ciuRsVqOzdg4t8q"
OBJECT = "https://akkoma.example/objects/2f0b5e48-59b5-4b9f-8b1c-1c3bd8ba2a52"
NOTE = "https://misskey.example/notes/5f4c0fbb6c0ab4a10e5f7b4c"
GTS = "https://gts.example/@alice/statuses/01F8MH1H7YV1Z7D2C8K2730QBF"
LTT = "https://www.youtube.com/@LinusTechTips"
UC = "https://www.youtube.com/channel/UCXuqSBlHAE6Xw-yeJA0Tunw"
PLAYER = "https://w.soundcloud.com/player/?url="
SC_API = PLAYER + "https%3A%2F%2Fapi.soundcloud.com%2Ftracks%2F191904624"

# (pasted, canonical URL, provider) — named offline, without any request
FAMILIES = [
    # Dailymotion
    ("https://dai.ly/x8kjx7v", DM, "Dailymotion"),
    ("https://www.dailymotion.com/video/x8kjx7v_kishida-meets-yoon", DM, "Dailymotion"),
    ("https://www.dailymotion.com/embed/video/x8kjx7v?autoplay=1", DM, "Dailymotion"),
    ("https://geo.dailymotion.com/player/xpl1.html?video=x8kjx7v", DM, "Dailymotion"),
    ("https://geo.dailymotion.com/player.html?video=x8kjx7v", DM, "Dailymotion"),
    ("https://m.dailymotion.com/video/x8kjx7v", DM, "Dailymotion"),
    ("https://touch.dailymotion.com/video/x8kjx7v", DM, "Dailymotion"),
    ("https://www.dailymotion.com/swf/video/x8kjx7v", DM, "Dailymotion"),
    ("https://www.dailymotion.com/swf/x8kjx7v", DM, "Dailymotion"),
    # Twitch
    (TV, TV, "Twitch"),
    ("https://m.twitch.tv/videos/1234567890?t=1h", TV, "Twitch"),
    ("https://www.twitch.tv/shroud/v/1234567890", TV, "Twitch"),
    ("https://player.twitch.tv/?video=v1234567890&parent=a.example", TV, "Twitch"),
    (CLIP, CLIP, "Twitch"),
    ("https://clips.twitch.tv/embed?clip=AwkwardHelplessSalamanderSwiftRage&parent=a", CLIP,
     "Twitch"),
    ("https://www.twitch.tv/shroud/clip/AwkwardHelplessSalamanderSwiftRage", CLIP, "Twitch"),
    ("https://www.twitch.tv/Shroud", CHANNEL, "Twitch"),
    ("https://twitch.tv/shroud/videos", CHANNEL, "Twitch"),
    ("https://player.twitch.tv/?channel=shroud&parent=a.example", CHANNEL, "Twitch"),
    ("https://go.twitch.tv/videos/1234567890", TV, "Twitch"),
    ("https://m.twitch.tv/clip/AwkwardHelplessSalamanderSwiftRage", CLIP, "Twitch"),
    ("https://clips.twitch.tv/shroud/AwkwardHelplessSalamanderSwiftRage", CLIP, "Twitch"),
    ("https://www.twitch.tv/collections/myIbIFkZphQSbQ", "https://www.twitch.tv/collections/myIbIFkZphQSbQ",
     "Twitch"),
    # Reddit
    ("https://redd.it/15ko0qu", "https://redd.it/15ko0qu", "Reddit"),
    ("https://www.reddit.com/comments/15ko0qu/a_slug/", "https://www.reddit.com/comments/15ko0qu/",
     "Reddit"),
    ("https://reddit.com/gallery/15ko0qu", "https://www.reddit.com/gallery/15ko0qu/", "Reddit"),
    (SPEZ, SPEZ, "Reddit"),
    ("https://www.reddit.com/u/spez/comments/15ko0qu/hello/", SPEZ, "Reddit"),
    ("https://nm.reddit.com/r/investing/comments/7pfpeq/buffett_on/", BUFFETT, "Reddit"),
    ("https://old.reddit.com/r/investing/comments/7pfpeq/buffett_on/", BUFFETT, "Reddit"),
    # Threads
    ("https://www.threads.net/t/CuXFPIeLLod", "https://www.threads.net/t/CuXFPIeLLod", "Threads"),
    ("https://www.threads.com/@zuck/post/CuXFPIeLLod", ZUCK, "Threads"),
    ("https://threads.net/@zuck/post/CuXFPIeLLod?xmt=AQG", ZUCK, "Threads"),
    # The fediverse beyond Mastodon, on any host
    (FLAKE, FLAKE, "Pleroma"),
    (OBJECT, OBJECT, "Pleroma"),
    ("https://misskey.io/notes/9ab1cdef23", "https://misskey.io/notes/9ab1cdef23", "Misskey"),
    (NOTE, NOTE, "Misskey"),
    ("https://misskey.example/notes/g5f4c0fbb6c0ab4a10e5f7b4", "https://misskey.example/notes/g5f4c0fbb6c0ab4a10e5f7b4",
     "Misskey"),
    (GTS, GTS, "GoToSocial"),
    ("https://gts.example/users/alice/statuses/01F8MH1H7YV1Z7D2C8K2730QBF", GTS, "GoToSocial"),
    # YouTube channel pages (no oEmbed)
    (LTT, LTT, "YouTube"),
    ("https://m.youtube.com/@LinusTechTips/videos?view=0", LTT, "YouTube"),
    (UC, UC, "YouTube"),
    ("https://youtube.com/c/LinusTechTips/about", "https://www.youtube.com/c/LinusTechTips",
     "YouTube"),
    ("https://www.youtube.com/user/LinusTechTips", "https://www.youtube.com/user/LinusTechTips",
     "YouTube"),
    # SoundCloud's player
    (PLAYER + "https%3A%2F%2Fsoundcloud.com%2Fzedsdead%2Flost-you&auto_play=false",
     "https://soundcloud.com/zedsdead/lost-you", "SoundCloud"),
    (PLAYER + "https%3A//api.soundcloud.com/tracks/191904624&color=ff5500", SC_API, "SoundCloud"),
    # YouTube and TikTok forms that carry the id without the usual path
    ("https://www.youtube.com/?v=dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
     "YouTube"),
    ("https://www.youtube.com/watch/dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
     "YouTube"),
    ("https://www.youtube.com/attribution_link?a=x&u=%2Fwatch%3Fv%3DdQw4w9WgXcQ%26feature%3Dshare",
     "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "YouTube"),
    ("https://youtube.googleapis.com/v/dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
     "YouTube"),
    ("https://www.tiktok.com/embed/v2/6718335390845095173",
     "https://www.tiktok.com/embed/v2/6718335390845095173", "TikTok"),
    ("https://m.tiktok.com/v/6718335390845095173.html",
     "https://www.tiktok.com/embed/v2/6718335390845095173", "TikTok"),
    # Short links whose host names the provider
    ("https://vm.tiktok.com/ZMabc123/", "https://vm.tiktok.com/ZMabc123/", "TikTok"),
    ("https://vt.tiktok.com/ZSabc123/?k=1", "https://vt.tiktok.com/ZSabc123/", "TikTok"),
    ("https://fb.watch/abcDEF123/", "https://fb.watch/abcDEF123/", "Facebook"),
    ("https://www.facebook.com/share/v/1AbCdEf/", "https://www.facebook.com/share/v/1AbCdEf/",
     "Facebook"),
    ("https://www.instagram.com/share/BAabc123", "https://www.instagram.com/share/BAabc123",
     "Instagram"),
]  # fmt: skip


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"matching touched the network: {request.url}")


@pytest.fixture
def offline_resolver() -> Iterator[Resolver]:
    http = HttpClient(transport=httpx.MockTransport(_no_network))
    with Resolver(cache="memory://", http=http, offline=True, env={}) as resolver:
        yield resolver


@pytest.mark.parametrize(("pasted", "canonical", "provider"), FAMILIES)
def test_shape_canonical_url_and_provider_without_the_network(
    offline_resolver: Resolver, pasted: str, canonical: str, provider: str
) -> None:
    assert canonicalize(pasted) == canonical
    assert canonicalize(canonical) == canonical  # one post, one cache entry
    assert offline_resolver.match(pasted) == provider
    assert offline_resolver.match(canonical) == provider
    embed = offline_resolver.resolve(pasted)  # offline: nothing is fetched either
    assert embed.provider == provider
    assert problems(embed.html) == []


def test_providers_match_names_short_links_without_the_network() -> None:
    short = ["https://vm.tiktok.com/ZMabc123/", "https://redd.it/15ko0qu", "https://dai.ly/x8kjx7v"]
    result = CliRunner().invoke(cli, ["providers", "match", *short], env={"EMBEDKIT_PROVIDERS": ""})
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "https://vm.tiktok.com/ZMabc123/\tTikTok",
        "https://redd.it/15ko0qu\tReddit",
        "https://dai.ly/x8kjx7v\tDailymotion",
    ]


# -- rendered through the simulator ------------------------------------------------------


def _add_entry(path: Path, entry: dict[str, Any]) -> Path:
    entries = json.loads(path.read_text("utf-8"))
    entries.append(entry)
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


@pytest.fixture
def providers(simulator: ProviderSimulator, tmp_path: Path) -> Path:
    path = simulator.providers_file(
        tmp_path, ["Dailymotion", "Reddit", "SoundCloud", "YouTube", "TikTok"]
    )
    return _add_entry(
        path,
        {
            "provider_name": "Threads",
            "endpoints": [
                {"url": simulator.url("/threads/oembed"),
                 "schemes": ["https://www.threads.net/@*/post/*"]}
            ],
        },
    )  # fmt: skip


def _live(
    simulator: ProviderSimulator, providers: Path, url: str, **kw: Any
) -> tuple[Any, list[tuple[str, dict[str, str]]]]:
    with Resolver(
        cache="memory://", providers=providers, allow_private_networks=True, env={}, **kw
    ) as resolver:
        embed = resolver.resolve(url)
    return embed, tags(embed.html)


@pytest.mark.parametrize(
    "pasted",
    [
        "https://dai.ly/x8kjx7v",
        "https://www.dailymotion.com/embed/video/x8kjx7v",
        "https://geo.dailymotion.com/player/xpl1.html?video=x8kjx7v",
    ],
)
def test_dailymotion_shapes_render_one_embed(
    simulator: ProviderSimulator, providers: Path, pasted: str
) -> None:
    embed, found = _live(simulator, providers, pasted)
    assert (embed.status, embed.provider, embed.url) == ("fresh", "Dailymotion", DM)
    iframe = next(a for t, a in found if t == "iframe")
    assert iframe["src"].startswith("https://geo.dailymotion.com/player.html?video=")
    assert iframe["allow"] == "autoplay; fullscreen; picture-in-picture; web-share"
    assert simulator.last("/dailymotion/oembed").url_param == DM


@pytest.mark.parametrize(
    "pasted",
    [
        "https://www.reddit.com/u/spez/comments/15ko0qu/hello/",
        "https://nm.reddit.com/r/investing/comments/7pfpeq/buffett_on/",
    ],
)
def test_reddit_shapes_render_the_provider_markup(
    simulator: ProviderSimulator, providers: Path, pasted: str
) -> None:
    embed, _ = _live(simulator, providers, pasted)
    assert (embed.status, embed.provider) == ("fresh", "Reddit")
    assert "Buffett on cyrptocurrencies" in embed.html
    assert simulator.last("/reddit/oembed").url_param == canonicalize(pasted)


def test_threads_dot_com_renders_through_its_endpoint(
    simulator: ProviderSimulator, providers: Path
) -> None:
    simulator.route(
        "/threads/oembed",
        body={
            "type": "rich",
            "version": "1.0",
            "provider_name": "Threads",
            "html": '<blockquote class="text-post-media" data-text-post-permalink='
            '"https://www.threads.net/@zuck/post/CuXFPIeLLod"><p>hi</p></blockquote>'
            '<script async src="https://www.threads.net/embed.js"></script>',
        },
    )
    embed, _ = _live(simulator, providers, "https://www.threads.com/@zuck/post/CuXFPIeLLod")
    assert (embed.status, embed.provider) == ("fresh", "Threads")
    assert embed.scripts == ("https://www.threads.net/embed.js",)


def test_soundcloud_player_url_renders_the_track(
    simulator: ProviderSimulator, providers: Path
) -> None:
    embed, found = _live(
        simulator,
        providers,
        "https://w.soundcloud.com/player/?url=https%3A%2F%2Fsoundcloud.com%2Fzedsdead%2Flost-you",
    )
    assert (embed.status, embed.provider) == ("fresh", "SoundCloud")
    assert next(a for t, a in found if t == "iframe")["src"].startswith("https://w.soundcloud.com/")


@pytest.mark.parametrize(
    "pasted",
    [
        "https://www.youtube.com/@LinusTechTips",
        "https://www.youtube.com/channel/UCXuqSBlHAE6Xw-yeJA0Tunw/videos",
        "https://w.soundcloud.com/player/?url=https%3A//api.soundcloud.com/tracks/191904624",
    ],
)
def test_pages_without_oembed_ask_no_endpoint_and_show_a_card(
    simulator: ProviderSimulator, providers: Path, pasted: str
) -> None:
    embed, found = _live(simulator, providers, pasted)
    assert embed.status == "fallback"
    assert embed.provider in ("YouTube", "SoundCloud")
    assert simulator.count() == 0  # neither the endpoint nor the page was asked
    assert [t for t, _ in found if t in ("iframe", "script")] == []
    assert 'class="embedkit-card"' in embed.html


TWITCH = [
    ("https://www.twitch.tv/videos/1234567890", "https://player.twitch.tv/?video=v1234567890"),
    ("https://clips.twitch.tv/AwkwardHelplessSalamanderSwiftRage",
     "https://clips.twitch.tv/embed?clip=AwkwardHelplessSalamanderSwiftRage"),
    ("https://www.twitch.tv/Shroud", "https://player.twitch.tv/?channel=Shroud"),
]  # fmt: skip


@pytest.mark.parametrize(("pasted", "player"), TWITCH)
def test_twitch_is_embedded_with_its_player_and_the_publishers_parent(
    simulator: ProviderSimulator, providers: Path, pasted: str, player: str
) -> None:
    embed, found = _live(
        simulator, providers, pasted, twitch_parent=["news.example.com", "www.news.example.com"]
    )
    assert (embed.status, embed.provider) == ("fresh", "Twitch")
    iframe = next(a for t, a in found if t == "iframe")
    assert iframe["src"] == f"{player}&parent=news.example.com&parent=www.news.example.com"
    assert iframe["allow"] == "autoplay; fullscreen"
    assert embed.scripts == ()
    assert simulator.count() == 0  # Twitch has no oEmbed: nothing is asked


@pytest.mark.parametrize(("pasted", "player"), TWITCH)
def test_twitch_without_a_parent_is_a_static_card(
    simulator: ProviderSimulator, providers: Path, pasted: str, player: str
) -> None:
    embed, found = _live(simulator, providers, pasted)
    assert (embed.status, embed.provider) == ("fallback", "Twitch")
    assert [t for t, _ in found if t in ("iframe", "script")] == []
    assert "Play on Twitch" in embed.html
    assert simulator.count() == 0


def test_twitch_parent_comes_from_the_environment(
    simulator: ProviderSimulator, providers: Path
) -> None:
    with Resolver(
        cache="memory://", providers=providers, env={"EMBEDKIT_TWITCH_PARENT": "news.example.com"}
    ) as resolver:
        embed = resolver.resolve("https://www.twitch.tv/videos/1234567890")
    assert "parent=news.example.com" in embed.html


@pytest.mark.parametrize(
    ("path", "provider"),
    [
        ("/notice/9n2ciuRsVqOzdg4t8q", "Pleroma"),
        ("/objects/2f0b5e48-59b5-4b9f-8b1c-1c3bd8ba2a52", "Pleroma"),
        ("/notes/9ab1cdef23", "Misskey"),
        ("/@alice/statuses/01F8MH1H7YV1Z7D2C8K2730QBF", "GoToSocial"),
    ],
)
def test_fediverse_posts_are_found_from_their_page_and_never_bring_a_script(
    simulator: ProviderSimulator, providers: Path, path: str, provider: str
) -> None:
    simulator.route(
        "/oembed",
        body={
            "type": "rich",
            "version": "1.0",
            "provider_name": provider,
            "html": f'<blockquote class="mastodon-embed"><p>a post on {provider}</p></blockquote>'
            f'<script src="{simulator.base_url}/embed.js"></script>'
            '<script src="https://platform.twitter.com/widgets.js"></script>',
        },
    )
    url = simulator.discovery_page(path, "/oembed")
    assert parse_ref(url).url == url
    embed, found = _live(simulator, providers, url)
    assert (embed.status, embed.provider) == ("fresh", provider)
    assert f"a post on {provider}" in embed.html
    assert embed.scripts == ()
    assert [t for t, _ in found if t == "script"] == []
    assert simulator.count(path) == 1
    assert simulator.count("/oembed") == 1


# -- short links are followed through the guard when resolving ----------------------------


@pytest.mark.parametrize(
    ("short", "target"),
    [
        ("https://redd.it/15ko0qu", "https://www.reddit.com/r/RobloxArt/comments/15ko0qu/art/"),
        ("https://vt.tiktok.com/ZSabc123/",
         "https://www.tiktok.com/@scout2015/video/6718335390845095173"),
        ("https://fb.watch/abcDEF123/", "https://www.facebook.com/watch/?v=1165557851291824"),
        ("https://www.threads.net/t/CuXFPIeLLod", "https://www.threads.net/@zuck/post/CuXFPIeLLod"),
    ],
)  # fmt: skip
def test_short_links_are_followed_when_resolving(short: str, target: str) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if str(request.url) == short:
            return httpx.Response(301, headers={"Location": target})
        return httpx.Response(404, json={"error": "not here"})

    http = HttpClient(transport=httpx.MockTransport(handler), allow_private_networks=True)
    with Resolver(cache="memory://", http=http, env={}, discovery=False) as resolver:
        embed = resolver.resolve(short)
    assert seen[0] == short
    assert embed.url == canonicalize(target)
    assert embed.ref == short


@pytest.mark.parametrize(
    "url",
    [
        "https://redd.it/",
        "https://redd.it/_/",
        "https://vm.tiktok.com/",
        "https://vt.tiktok.com/a/b/",
        "https://fb.watch/",
        "https://www.instagram.com/share/",
    ],
)
def test_a_short_link_without_its_code_names_no_post(offline_resolver: Resolver, url: str) -> None:
    ref = parse_ref(url)
    assert not ref.needs_redirect
    assert offline_resolver.match(url) is None
