"""Providers: anchored scheme regexes, host-indexed matching, layered registry files, updates."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.loopback import LocalHTTPServer

from embedkit._errors import ConfigError, InvalidReference
from embedkit.resolve._providers import (
    Endpoint,
    ProviderRegistry,
    load_providers_file,
    scheme_to_regex,
    validate_entries,
)
from embedkit.resolve._refs import canonicalize
from embedkit.resolve._registry_update import update_registry

FIXTURES = Path(__file__).parent.parent / "fixtures" / "urls"
REGISTRY_WITH_EXAMPLES: list[dict[str, Any]] = json.loads(
    (FIXTURES / "providers-with-example-urls.json").read_text(encoding="utf-8")
)


@pytest.fixture(autouse=True)
def isolated_user_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep any registry a developer updated on this machine out of the tests."""
    data_home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    monkeypatch.delenv("EMBEDKIT_PROVIDERS", raising=False)
    return data_home


@pytest.fixture(scope="module")
def registry() -> ProviderRegistry:
    return ProviderRegistry.default(env={})


# ---------------------------------------------------------------- scheme → regex

# (scheme, url, matches)
ANCHORING = [
    ("https://*.flickr.com/*", "https://www.flickr.com/photos/x/1/", True),
    ("https://*.flickr.com/*", "http://www.flickr.com/photos/x/1/", True),
    ("https://*.flickr.com/*", "https://a.b.flickr.com/x", True),
    ("https://*.flickr.com/*", "https://evil.example/x.flickr.com/", False),
    ("https://*.flickr.com/*", "https://flickr.com.evil.example/", False),
    ("https://*.flickr.com/*", "https://evilflickr.com/x", False),
    ("https://*.flickr.com/*", "https://www.flickr.com.evil.example/x", False),
    ("https://*.flickr.com/*", "https://evil.example/?u=https://www.flickr.com/", False),
    ("https://*.flickr.com/*", "https://user@www.flickr.com/x", False),
    ("https://*.flickr.com/*", "https://flickr.com/x", False),
    ("https://vimeo.com/*", "https://vimeo.com/76979871", True),
    ("https://vimeo.com/*", "https://vimeo.com.evil.example/76979871", False),
    ("https://vimeo.com/*", "https://evil.example/https://vimeo.com/1", False),
    ("https://vimeo.com/*", "javascript://vimeo.com/%0aalert(1)", False),
    ("https://vimeo.com/*", "xhttps://vimeo.com/1", False),
    ("https://twitter.com/*/status/*", "https://twitter.com/a/status/1", True),
    ("https://twitter.com/*/status/*", "https://twitter.com/a/statuses/1", False),
    ("https://twitter.com/*/status/*", "https://twitter.com/a/b/status/1?x=y", True),
    (
        "https://www.facebook.com/photo.php?fbid=*",
        "https://www.facebook.com/photo.php?fbid=1",
        True,
    ),
    (
        "https://www.facebook.com/photo.php?fbid=*",
        "https://www.facebook.com/photoXphp?fbid=1",
        False,
    ),
    ("http://www.23hq.com/*/photo/*", "https://www.23hq.com/a/photo/1", True),
    ("https://*.youtube.com/watch*", "https://m.youtube.com/watch?v=dQw4w9WgXcQ", True),
    ("https://*.youtube.com/watch*", "https://m.youtube.com/watchlist", True),
    ("https://*.youtube.com/watch*", "https://youtube.com/watch?v=dQw4w9WgXcQ", False),
    ("https://example.com", "https://example.com/", True),
    ("https://example.com", "https://example.com/x", False),
    ("spotify:*", "spotify:track:1", True),
    ("spotify:*", "https://open.spotify.com/", False),
]


@pytest.mark.parametrize(("scheme", "url", "matches"), ANCHORING)
def test_scheme_regex_is_anchored(scheme: str, url: str, matches: bool) -> None:
    regex = scheme_to_regex(scheme)
    assert regex.startswith("^")
    assert regex.endswith("$")
    assert (re.match(regex, url) is not None) is matches


@pytest.mark.parametrize(("scheme", "url", "matches"), ANCHORING)
def test_registry_match_agrees_with_the_regex(scheme: str, url: str, matches: bool) -> None:
    one = ProviderRegistry.from_entries(
        [
            {
                "provider_name": "P",
                "endpoints": [{"url": "https://p.example/oembed", "schemes": [scheme]}],
            }
        ]
    )
    found = one.match(url)
    assert (found is not None and found.provider.name == "P") is matches


# ---------------------------------------------------------------- families

# (pasted, provider name, platform id)
FAMILY_MATCHES = [
    ("https://twitter.com/Reuters/status/1636227126391214081?s=20", "Twitter", "x"),
    ("https://mobile.x.com/Reuters/status/1636227126391214081/photo/1", "Twitter", "x"),
    ("https://twitter.com/i/web/status/1636227126391214081", "Twitter", "x"),
    ("https://twitter.com/Reuters", "Twitter", "x"),
    ("https://youtu.be/dQw4w9WgXcQ?si=x", "YouTube", "youtube"),
    ("https://m.youtube.com/shorts/aqz-KE-bpKQ", "YouTube", "youtube"),
    ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "YouTube", "youtube"),
    ("https://www.youtube.com/live/dQw4w9WgXcQ", "YouTube", "youtube"),
    ("https://music.youtube.com/watch?v=dQw4w9WgXcQ", "YouTube", "youtube"),
    (
        "https://www.youtube.com/playlist?list=PL4qTakKkQATKOyZPJG_cAMnRtF7fAIdST",
        "YouTube",
        "youtube",
    ),
    ("https://instagr.am/p/CHeRxmnDSYe/?utm_source=ig_embed", "Instagram", "instagram"),
    ("https://www.instagram.com/reels/C1a2b3c4d5e/", "Instagram", "instagram"),
    (
        "at://did:plc:tjf4apt65s75xiojhiqzvcan/app.bsky.feed.post/3kqmooj3ems2w",
        "Bluesky",
        "bluesky",
    ),
    ("https://bsky.app/profile/nytimes.com/post/3l7xvcjgdxg2g", "Bluesky", "bluesky"),
    ("https://www.threads.com/@zuck/post/C1a2B3c4D5e", "Threads", "threads"),
    ("https://m.tiktok.com/@scout2015/video/6718335390845095173", "TikTok", "tiktok"),
    ("http://player.vimeo.com/video/76979871", "Vimeo", "vimeo"),
    ("https://www.facebook.com/watch/?v=1165557851291824", "Facebook", "facebook"),
    ("https://m.facebook.com/sesametheopossum/posts/1329405240877426", "Facebook", "facebook"),
    ("https://old.reddit.com/r/investing/comments/7pfpeq/buffett_on/", "Reddit", "reddit"),
    ("https://open.spotify.com/intl-de/track/4uLU6hMCjMI75M1A2tKUQC?si=a", "Spotify", "spotify"),
    ("https://m.soundcloud.com/zedsdead/lost-you", "SoundCloud", "soundcloud"),
    ("https://flickr.com/photos/bees/2341623661", "Flickr", "flickr"),
    ("https://flic.kr/p/4yVr32", "Flickr", "flickr"),
    ("https://mastodon.social/users/Gargron/statuses/109337497224431286", "Mastodon", "mastodon"),
    ("https://www.dailymotion.com/video/x8kjx7v", "Dailymotion", "dailymotion"),
]


@pytest.mark.parametrize(("pasted", "name", "platform"), FAMILY_MATCHES)
def test_canonical_platform_urls_match_their_provider(
    registry: ProviderRegistry, pasted: str, name: str, platform: str | None
) -> None:
    found = registry.match(canonicalize(pasted))
    assert found is not None
    assert found.provider.name == name
    assert found.provider.platform == platform


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/post/1",
        "https://fxtwitter.com/Reuters/status/1636227126391214081",
        "https://mastodon.social/@Gargron",
        "https://x.com.evil.example/Reuters/status/1",
        "https://evil.example/x.com/Reuters/status/1",
    ],
)
def test_unknown_urls_do_not_match(registry: ProviderRegistry, url: str) -> None:
    assert registry.match(canonicalize(url)) is None


def test_mastodon_endpoint_is_synthesised_untrusted(registry: ProviderRegistry) -> None:
    url = canonicalize("https://social.example.jp/@news/109337497224431286")
    found = registry.match(url)
    assert found is not None
    assert found.provider.name == "Mastodon"
    assert found.endpoint.url == "https://social.example.jp/api/oembed"
    assert found.endpoint.trusted is False
    assert all(re.match(regex, url) for regex in found.endpoint.regexes)
    assert not re.match(found.endpoint.regexes[0], "https://other.example/@news/1")


def test_bundled_registry_endpoints_are_trusted(registry: ProviderRegistry) -> None:
    assert all(endpoint.trusted for provider in registry for endpoint in provider.endpoints)


def test_twitter_is_one_provider_for_both_hosts(registry: ProviderRegistry) -> None:
    assert registry.get("X") is None
    assert registry.get("Bluesky Social") is None
    twitter = registry.get("Twitter")
    assert twitter is not None
    assert [e.url for e in twitter.endpoints] == ["https://publish.twitter.com/oembed"]


# ---------------------------------------------------------------- Meta tokens


def test_meta_endpoints_are_tokenless_without_a_token(registry: ProviderRegistry) -> None:
    found = registry.match("https://www.instagram.com/p/CHeRxmnDSYe/")
    assert found is not None
    assert found.endpoint.request_target({}) == ("https://www.instagram.com/api/v1/oembed/", {})


def test_meta_endpoints_use_the_graph_api_with_a_token(registry: ProviderRegistry) -> None:
    env = {"EMBEDKIT_META_TOKEN": "123|abc"}
    instagram = registry.match("https://www.instagram.com/p/CHeRxmnDSYe/")
    post = registry.match("https://www.facebook.com/sesametheopossum/posts/1329405240877426")
    video = registry.match("https://www.facebook.com/video.php?v=1165557851291824")
    assert instagram is not None
    assert post is not None
    assert video is not None
    assert instagram.endpoint.request_target(env) == (
        "https://graph.facebook.com/v19.0/instagram_oembed",
        {"access_token": "123|abc"},
    )
    assert post.endpoint.request_target(env)[0] == "https://graph.facebook.com/v19.0/oembed_post"
    assert video.endpoint.request_target(env)[0] == "https://graph.facebook.com/v19.0/oembed_video"


def test_token_never_appears_in_the_endpoint_repr(registry: ProviderRegistry) -> None:
    found = registry.match("https://www.instagram.com/p/CHeRxmnDSYe/")
    assert found is not None
    found.endpoint.request_target({"EMBEDKIT_META_TOKEN": "s3cr3t"})
    assert "s3cr3t" not in repr(found) + repr(registry)


def test_format_placeholder_is_filled_with_json(registry: ProviderRegistry) -> None:
    found = registry.match("https://vimeo.com/76979871")
    assert found is not None
    assert "{format}" in found.endpoint.url
    assert found.endpoint.request_target({}) == ("https://vimeo.com/api/oembed.json", {})


def test_empty_token_means_no_token() -> None:
    endpoint = Endpoint(
        "https://a.example/o", (), (), token_env="T", token_url="https://b.example/o"
    )
    assert endpoint.request_target({"T": "  "}) == ("https://a.example/o", {})


# ---------------------------------------------------------------- registry examples

_NO_SCHEMES = "the endpoint lists no URL schemes (discovery only)"
_ENDPOINT_AS_SCHEME = "the schemes list the oEmbed endpoint itself, not content URLs"
_NO_WILDCARD = "the schemes have no '*' (a prefix was meant); anchored schemes match exactly"

# Examples in the oembed.com registry (a26724523f1f) that cannot match their own
# provider's schemes, and why. (provider, start of the example's url=, reason);
# the xfail is strict, so a fixed example or a matcher regression both show up.
BROKEN_EXAMPLES: list[tuple[str, str, str]] = [
    ("3Q", "f03b2c43", "url= is a bare id, not a URL"),
    ("AssemblrWorld", "https://localhost:3003/", "the example points at localhost:3003"),
    ("Beautiful.AI", "https://www.beautiful.ai/", _NO_SCHEMES),
    ("Bitchute", "https://www.bitchute.com/", _NO_SCHEMES),
    ("Bumper", "https://www.bumper.com/", _ENDPOINT_AS_SCHEME),
    ("eduMedia", "https://www.edumedia-sciences.com/", _NO_SCHEMES),
    ("GloriaTV", "https://gloria.tv/", _NO_SCHEMES),
    ("Gong", "https://app.gong.io:8080/", "the example has port 8080, the scheme none"),
    ("Icosa Gallery", "/view/", "url= is a relative path"),
    ("iFixit", "http://www.ifixit.com/Teardown/", "the scheme only lists /Guide/View/"),
    ("Ignite", "https://videotest.ignite.video/", "the example's host is not in the schemes"),
    ("Injurymap", "https://injurymap.com/", "the scheme requires www."),
    ("Inoreader", "http://www.inoreader.com/article/", _ENDPOINT_AS_SCHEME),
    ("Loom", "https://www.loom.com/", "the schemes lack www."),
    ("Matterport", "https://my.matterport.com/", _NO_SCHEMES),
    ("Moby Picture", "http://mobypicture.com/", "the scheme requires www."),
    ("Namchey", "https://namchey.com/itineraries/", "the scheme only lists /embeds/"),
    ("Needle Cloud", "Z23hm", "url= is an asset id, not a URL"),
    ("Plusdocs", "https://app.plusdocs.com/test/snapshot/", "the scheme says /snapshots/"),
    ("Poll Daddy", "http://polldaddy.com/", "the schemes require a subdomain"),
    ("Screenr", "http://screenr.com/", "the scheme requires www. and a trailing slash"),
    ("Show by Animaker", "https://app.getshow.io/embed/", "the scheme says /iframe/"),
    ("SOOP", "https://", _NO_WILDCARD),
    ("afreecaTV", "https://", _NO_WILDCARD),
    ("The DAM consultants", "", "url= is empty"),
    ("They Said So", "https://theysaidso.com/i/", "the scheme only lists /image/"),
    ("Topy", "http://topy.se/", "the scheme requires www."),
    ("Typlog", "https://fourgifts.typlog.io/", _NO_SCHEMES),
    ("UAPod", "https://uapod.univ-lille.fr/", "the scheme is on univ-antilles.fr"),
    ("ZingSoft", "https://app.zingsoft.com/oembed", "url= is itself an oEmbed request"),
    ("rcvis", "https://rcvis.com/vo/", "the schemes are on www.rcvis.com with /v/ and /ve/"),
]


def _broken(name: str, target: str) -> str | None:
    for provider, start, reason in BROKEN_EXAMPLES:
        if provider == name and target.startswith(start):
            return reason
    return None


def _example_target(example: str) -> str:
    """The content URL in an example oEmbed request (its ``url=`` parameter).

    Read from the whole string, not the query alone: a few examples put an
    unescaped ``#/route`` inside it. Spaces come from examples that left their
    ``%20`` unescaped, so decoding produced them; they are put back.
    """
    found = re.search(r"[?&]url=([^&]*)", example)
    return unquote(found.group(1)).replace(" ", "%20") if found else ""


def _examples() -> list[Any]:
    cases = []
    for provider in REGISTRY_WITH_EXAMPLES:
        name = provider["provider_name"]
        for endpoint in provider["endpoints"]:
            for example in endpoint.get("example_urls", []):
                target = _example_target(example)
                reason = _broken(name, target)
                marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
                cases.append(pytest.param(name, target, marks=marks, id=f"{name}:{target[:60]}"))
    return cases


EXAMPLES = _examples()

#: Registry names that embedkit's built-in entries replace.
RENAMED = {"X": "Twitter", "Bluesky Social": "Bluesky"}


def test_examples_are_loaded() -> None:
    assert len(EXAMPLES) > 600


@pytest.fixture(scope="module")
def registry_as_published() -> ProviderRegistry:
    return ProviderRegistry.from_entries(REGISTRY_WITH_EXAMPLES)


@pytest.mark.parametrize(("name", "target"), EXAMPLES)
def test_registry_example_matches_its_provider(
    registry_as_published: ProviderRegistry, name: str, target: str
) -> None:
    found = registry_as_published.match(canonicalize(target))
    assert found is not None
    # Canonical X references are on x.com, which the published registry files under "X".
    assert found.provider.name == {"Twitter": "X"}.get(name, name)


@pytest.mark.parametrize(("name", "target"), EXAMPLES)
def test_registry_example_matches_its_provider_with_builtins(
    registry: ProviderRegistry, name: str, target: str
) -> None:
    found = registry.match(canonicalize(target))
    assert found is not None
    assert found.provider.name == RENAMED.get(name, name)


# ---------------------------------------------------------------- the index


def _many_providers(count: int) -> list[dict[str, Any]]:
    return [
        {
            "provider_name": f"P{n}",
            "provider_url": f"https://p{n}.example/",
            "endpoints": [
                {
                    "url": f"https://p{n}.example/oembed",
                    "schemes": [f"https://p{n}.example/a/*", f"https://*.p{n}.example/b/*"],
                }
            ],
        }
        for n in range(count)
    ]


def test_matching_only_tests_the_candidates_of_the_host() -> None:
    many = ProviderRegistry.from_entries(_many_providers(2000))
    assert len(many) == 2000
    candidates = many.candidates("https://p1234.example/a/x")
    assert [match.provider.name for match, _ in candidates] == ["P1234"]
    sub = many.candidates("https://www.p1234.example/b/x")
    assert [match.provider.name for match, _ in sub] == ["P1234"]
    assert many.candidates("https://unknown.example/a/x") == []
    found = many.match("https://www.p1234.example/b/x")
    assert found is not None
    assert found.provider.name == "P1234"


def test_bundled_registry_never_scans_every_scheme(registry: ProviderRegistry) -> None:
    total = sum(len(e.schemes) for p in registry for e in p.endpoints)
    assert total > 800
    for url in [
        "https://x.com/reuters/status/1636227126391214081",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.flickr.com/photos/bees/2341623661/",
        "https://example.com/",
    ]:
        assert len(registry.candidates(url)) < 40


def test_earlier_providers_win_when_schemes_overlap() -> None:
    overlapping = ProviderRegistry.from_entries(
        [
            {"provider_name": "Specific", "endpoints": [
                {"url": "https://s.example/o", "schemes": ["https://*.shared.example/video/*"]}]},
            {"provider_name": "General", "endpoints": [
                {"url": "https://g.example/o", "schemes": ["https://www.shared.example/*"]}]},
        ]
    )  # fmt: skip
    found = overlapping.match("https://www.shared.example/video/1")
    assert found is not None
    assert found.provider.name == "Specific"
    found = overlapping.match("https://www.shared.example/page")
    assert found is not None
    assert found.provider.name == "General"


# ---------------------------------------------------------------- files and layers


def _write(path: Path, data: object) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


USER_ENTRIES = [
    {
        "provider_name": "YouTube",
        "provider_url": "https://yt.example/",
        "endpoints": [
            {"url": "https://yt-proxy.example/oembed", "schemes": ["https://www.youtube.com/*"]}
        ],
    },
    {
        "provider_name": "Newsroom Video",
        "provider_url": "https://video.newsroom.example/",
        "endpoints": [
            {
                "url": "https://video.newsroom.example/oembed",
                "schemes": ["https://video.newsroom.example/v/*"],
            }
        ],
    },
]


def test_user_file_replaces_a_provider_by_name_and_adds_new_ones(tmp_path: Path) -> None:
    user = _write(tmp_path / "providers.json", USER_ENTRIES)
    layered = ProviderRegistry.default(user, env={})
    youtube = layered.get("YouTube")
    assert youtube is not None
    assert [e.url for e in youtube.endpoints] == ["https://yt-proxy.example/oembed"]
    found = layered.match("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    assert found is not None
    assert found.endpoint.url == "https://yt-proxy.example/oembed"
    assert youtube.platform == "youtube"
    assert layered.match("https://youtu.be/dQw4w9WgXcQ") is None  # the user entry lacks it
    new = layered.match("https://video.newsroom.example/v/42")
    assert new is not None
    assert new.provider.name == "Newsroom Video"
    assert len(layered) == len(ProviderRegistry.default(env={})) + 1


def test_user_file_comes_from_the_environment(tmp_path: Path) -> None:
    user = _write(tmp_path / "p.json", USER_ENTRIES)
    layered = ProviderRegistry.default(env={"EMBEDKIT_PROVIDERS": str(user)})
    assert layered.get("Newsroom Video") is not None


def test_explicit_file_beats_the_environment(tmp_path: Path) -> None:
    explicit = _write(tmp_path / "a.json", USER_ENTRIES[1:])
    with pytest.raises(ConfigError):
        ProviderRegistry.default(env={"EMBEDKIT_PROVIDERS": str(tmp_path / "missing.json")})
    layered = ProviderRegistry.default(
        explicit, env={"EMBEDKIT_PROVIDERS": str(tmp_path / "missing.json")}
    )
    assert layered.get("Newsroom Video") is not None


def test_user_file_in_plain_registry_format_loads(tmp_path: Path) -> None:
    path = _write(tmp_path / "registry.json", REGISTRY_WITH_EXAMPLES[:20])
    assert len(load_providers_file(path)) == 20


def _one(**endpoint: object) -> list[dict[str, object]]:
    return [{"provider_name": "A", "endpoints": [endpoint]}]


# (file content, words the message must contain besides the file name)
MALFORMED = [
    ("{not json", ["not valid JSON", "line 1"]),
    ("", ["not valid JSON"]),
    ({"provider_name": "A"}, ["JSON list"]),
    ([1], ["provider #1", "object"]),
    ([{"endpoints": [{"url": "https://a.example/o"}]}], ["provider_name"]),
    ([{"provider_name": "A"}], ["A", "endpoints"]),
    ([{"provider_name": "A", "endpoints": []}], ["endpoints"]),
    (_one(schemes=["https://a.example/*"]), ["provider #1 (A), endpoint #1", "missing 'url'"]),
    (_one(url="ftp://a.example/o"), ["http(s) URL"]),
    (_one(url="https://a.example/o", schemes="https://a.example/*"), ["schemes"]),
    (_one(url="https://a.example/o", schemes=[3]), ["schemes"]),
    (_one(url="https://a.example/o", discovery="yes"), ["discovery"]),
    (_one(url="https://a.example/o", token_url="x"), ["token_url"]),
]


@pytest.mark.parametrize(("content", "words"), MALFORMED)
def test_malformed_files_raise_config_error_naming_the_file(
    tmp_path: Path, content: object, words: list[str]
) -> None:
    path = _write(tmp_path / "broken-providers.json", content)
    with pytest.raises(ConfigError) as info:
        load_providers_file(path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message
    with pytest.raises(ConfigError, match=r"broken-providers\.json"):
        ProviderRegistry.default(path, env={})


def test_missing_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read providers file .*nope\.json"):
        load_providers_file(tmp_path / "nope.json")


def test_validate_entries_names_its_source() -> None:
    with pytest.raises(ConfigError, match=r"^my-source: "):
        validate_entries({"a": 1}, source="my-source")


def test_from_entries_validates() -> None:
    with pytest.raises(ConfigError, match="missing 'url'"):
        ProviderRegistry.from_entries([{"provider_name": "A", "endpoints": [{}]}])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=120))
def test_match_never_raises(registry: ProviderRegistry, text: str) -> None:
    found = registry.match(text)
    assert found is None or found.provider.name


def test_invalid_reference_is_not_raised_by_match(registry: ProviderRegistry) -> None:
    for junk in ["", "not a url", "javascript:alert(1)", "https://[::1"]:
        assert registry.match(junk) is None
    with pytest.raises(InvalidReference):
        canonicalize("javascript:alert(1)")


# ---------------------------------------------------------------- updates

NEW_REGISTRY: list[dict[str, Any]] = [
    {
        "provider_name": "Only One",
        "provider_url": "https://one.example/",
        "endpoints": [{"url": "https://one.example/oembed", "schemes": ["https://one.example/*"]}],
    }
]


def test_update_from_a_file_replaces_the_stored_registry(tmp_path: Path) -> None:
    dest = tmp_path / "store" / "providers.json"
    count = update_registry(str(_write(tmp_path / "new.json", NEW_REGISTRY)), dest=dest)
    assert count == 1
    assert [e["provider_name"] for e in json.loads(dest.read_text(encoding="utf-8"))] == [
        "Only One"
    ]


@pytest.mark.parametrize("bad", ["{oops", [], [{"provider_name": "X"}], {"a": 1}])
def test_a_bad_update_leaves_the_old_registry(tmp_path: Path, bad: object) -> None:
    dest = tmp_path / "providers.json"
    update_registry(str(_write(tmp_path / "good.json", NEW_REGISTRY)), dest=dest)
    before = dest.read_bytes()
    with pytest.raises(ConfigError):
        update_registry(str(_write(tmp_path / "bad.json", bad)), dest=dest)
    assert dest.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "good.json", "providers.json"]


def test_default_registry_uses_the_updated_copy(isolated_user_data: Path, tmp_path: Path) -> None:
    update_registry(str(_write(tmp_path / "new.json", NEW_REGISTRY)))
    assert (isolated_user_data / "embedkit" / "providers.json").is_file()
    updated = ProviderRegistry.default(env={})
    assert updated.get("Only One") is not None
    assert updated.get("Vimeo") is None  # the snapshot was replaced...
    assert updated.get("Twitter") is not None  # ...the built-in corrections were not


def test_a_corrupt_updated_copy_falls_back_to_the_bundled_snapshot(
    isolated_user_data: Path,
) -> None:
    stored = isolated_user_data / "embedkit" / "providers.json"
    stored.parent.mkdir(parents=True)
    stored.write_text("{corrupt", encoding="utf-8")
    assert ProviderRegistry.default(env={}).get("Vimeo") is not None


class _RegistryHandler(BaseHTTPRequestHandler):
    bodies: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.bodies.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def registry_server() -> Iterator[str]:
    _RegistryHandler.bodies = {
        "/providers.json": json.dumps(NEW_REGISTRY).encode(),
        "/broken.json": b"<html>not json</html>",
    }
    server = LocalHTTPServer(("127.0.0.1", 0), _RegistryHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_update_from_a_url(registry_server: str, tmp_path: Path) -> None:
    from embedkit.net._http import HttpClient

    dest = tmp_path / "providers.json"
    with HttpClient(timeout=5.0, allow_private_networks=True) as http:
        assert update_registry(f"{registry_server}/providers.json", http=http, dest=dest) == 1
        before = dest.read_bytes()
        with pytest.raises(ConfigError, match="not valid JSON"):
            update_registry(f"{registry_server}/broken.json", http=http, dest=dest)
        assert dest.read_bytes() == before


def test_update_from_a_url_goes_through_the_network_guard(
    registry_server: str, tmp_path: Path
) -> None:
    from embedkit._errors import FetchError
    from embedkit.net._http import HttpClient

    dest = tmp_path / "providers.json"
    with HttpClient(timeout=5.0) as http, pytest.raises(FetchError):
        update_registry(f"{registry_server}/providers.json", http=http, dest=dest)
    assert not dest.exists()


def test_a_registry_fetched_from_a_url_is_never_trusted(
    registry_server: str, tmp_path: Path, isolated_user_data: Path
) -> None:
    """Fetched data never becomes configuration (issue 8, item 16)."""
    from embedkit.net._http import HttpClient

    claims_trust = [
        {**NEW_REGISTRY[0], "endpoints": [{**NEW_REGISTRY[0]["endpoints"][0], "trusted": True}]}
    ]
    _RegistryHandler.bodies["/trusting.json"] = json.dumps(claims_trust).encode()
    with HttpClient(timeout=5.0, allow_private_networks=True) as http:
        update_registry(f"{registry_server}/trusting.json", http=http)
    stored = json.loads((isolated_user_data / "embedkit" / "providers.json").read_text("utf-8"))
    assert [e["trusted"] for p in stored for e in p["endpoints"]] == [False]
    found = ProviderRegistry.default(env={}).match("https://one.example/x")
    assert found is not None
    assert found.endpoint.trusted is False  # so requests to it go through the guard


def test_a_registry_read_from_a_file_is_configuration(tmp_path: Path) -> None:
    dest = tmp_path / "providers.json"
    update_registry(str(_write(tmp_path / "new.json", NEW_REGISTRY)), dest=dest)
    assert "trusted" not in json.dumps(json.loads(dest.read_text("utf-8")))
    found = ProviderRegistry.from_entries(json.loads(dest.read_text("utf-8"))).match(
        "https://one.example/x"
    )
    assert found is not None
    assert found.endpoint.trusted is True


def test_an_endpoint_can_opt_into_the_guard_and_junk_is_refused(tmp_path: Path) -> None:
    guarded = _one(url="https://a.example/o", schemes=["https://a.example/*"], trusted=False)
    found = ProviderRegistry.from_entries(guarded).match("https://a.example/x")
    assert found is not None
    assert found.endpoint.trusted is False
    with pytest.raises(ConfigError, match="'trusted' must be true or false"):
        load_providers_file(
            _write(tmp_path / "p.json", _one(url="https://a.example/o", trusted="no"))
        )


# ---------------------------------------------------------------- platform matches

# (pasted, provider name, platform, method) — the provider is named from the URL alone
PLATFORM_MATCHES = [
    ("https://vm.tiktok.com/ZMabc123/", "TikTok", "tiktok", "none"),
    ("https://vt.tiktok.com/ZSabc123/", "TikTok", "tiktok", "none"),
    ("https://redd.it/15ko0qu", "Reddit", "reddit", "none"),
    ("https://fb.watch/abcDEF123/", "Facebook", "facebook", "none"),
    # Instagram's own "/{user}/reel/{code}" scheme covers it; resolve follows it first
    ("https://www.instagram.com/share/reel/BAabc123", "Instagram", "instagram", "oembed"),
    ("https://www.instagram.com/share/BAabc123", "Instagram", "instagram", "none"),
    ("https://www.threads.net/t/CuXFPIeLLod", "Threads", "threads", "none"),
    ("https://www.youtube.com/@LinusTechTips", "YouTube", "youtube", "none"),
    ("https://www.twitch.tv/videos/1234567890", "Twitch", "twitch", "none"),
    ("https://mastodon.social/@Gargron/109337497224431286", "Mastodon", "mastodon", "oembed"),
    ("https://misskey.io/notes/9ab1cdef23", "Misskey", "misskey", "discover"),
    ("https://pleroma.site/notice/9n2ciuRsVqOzdg4t8q", "Pleroma", "pleroma", "discover"),
    ("https://gts.example/@a/statuses/01F8MH1H7YV1Z7D2C8K2730QBF", "GoToSocial", "gotosocial",
     "discover"),
]  # fmt: skip


@pytest.mark.parametrize(("pasted", "name", "platform", "method"), PLATFORM_MATCHES)
def test_a_platform_names_its_provider_when_no_scheme_does(
    registry: ProviderRegistry, pasted: str, name: str, platform: str, method: str
) -> None:
    found = registry.match_ref(pasted)
    assert found is not None
    assert (found.provider.name, found.provider.platform, found.endpoint.method) == (
        name,
        platform,
        method,
    )
    assert found.endpoint.trusted is (method == "oembed" and platform != "mastodon")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/news/2023/03/16/a-story",
        "https://news.example.co.uk/section/article-1?page=2#top",
        "http://blog.example.org/",
        "https://www.instagram.com/natgeo/",  # a profile: nothing embeds it
        "https://www.twitch.tv/directory",
        "https://example.com/notes/2023-trip",  # not a Misskey note id
    ],
)
def test_urls_nothing_serves_match_nothing(registry: ProviderRegistry, url: str) -> None:
    assert registry.match_ref(url) is None


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(
        ["https://", "http://", "HTTPS://", "", "https://www."]
    ),
    st.sampled_from(
        ["example.com", "x.com", "youtube.com", "news.example", "flickr.com", "a.b.flickr.com",
         "mastodon.social", "vm.tiktok.com", "Example.COM", "ex_ample.com", "127.0.0.1:8080"]
    ),
    st.text(alphabet="/@abcXYZ019-_.?=&%#é ", max_size=30),
)  # fmt: skip
def test_the_quick_host_lookup_agrees_with_full_parsing(
    registry: ProviderRegistry, scheme: str, host: str, rest: str
) -> None:
    """match_ref (which skips parsing for hosts nothing knows) == match(parse_ref(...))."""
    from embedkit.resolve._refs import parse_ref

    raw = scheme + host + rest
    try:
        expected = registry.match(parse_ref(raw).url)
    except InvalidReference:
        with pytest.raises(InvalidReference):
            registry.match_ref(raw)
        return
    found = registry.match_ref(raw)
    assert (found.provider.name if found else None) == (
        expected.provider.name if expected else None
    )
