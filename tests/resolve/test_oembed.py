"""oEmbed validation (normalize) on every recorded response, and the fetcher end to end.

The fetcher goes through python-oembed (endpoint, URL building, media-type
dispatch) with embedkit's HttpClient injected as its transport, against the
provider simulator.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.simulator import FIXTURES, ProviderSimulator

from embedkit._errors import (
    BlockedAddress,
    InvalidResponse,
    NotFound,
    ProviderError,
    RateLimited,
    Timeout,
)
from embedkit.net._http import HttpClient
from embedkit.resolve._oembed import OEmbedFetcher, SchemeMismatch, normalize, query_params

OEMBED_BODIES = sorted(
    p.name
    for p in FIXTURES.glob("*.json")
    if not p.name.endswith(".meta.json") and "-error-" not in p.name
)
ERROR_BODIES = sorted(
    p.name for p in FIXTURES.glob("*-error-*.json") if not p.name.endswith(".meta.json")
)
TWEET = "https://x.com/Reuters/status/1636212467429621760"
X_REGEX = r"https://(?:www\.|mobile\.)?(?:twitter|x)\.com/[^/?#]+/status/\d+(?:[?#].*)?$"
SECRET = "app|S3CRET"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text("utf-8"))


@pytest.fixture
def fetcher() -> Iterator[OEmbedFetcher]:
    with HttpClient(timeout=0.3) as http:
        yield OEmbedFetcher(http)


# -- normalize on recorded responses ------------------------------------------------------


def test_every_recorded_response_is_found() -> None:
    assert len(OEMBED_BODIES) >= 55
    assert ERROR_BODIES == ["mastodon-error-404.json", "spreaker-error-404.json"]


@pytest.mark.parametrize("name", OEMBED_BODIES)
def test_normalize_accepts_every_recorded_oembed_response(name: str) -> None:
    raw = load(name)
    data = normalize(raw)
    assert data["type"] in ("photo", "video", "link", "rich")
    assert isinstance(data["version"], str)
    for size in ("width", "height", "thumbnail_width", "thumbnail_height"):
        if size in data:
            assert data[size] is None or isinstance(data[size], int), size
            if data[size] is None and raw.get(size) is not None:
                assert data[f"{size}_raw"] == raw[size]
    if "cache_age" in data:
        assert data["cache_age"] is None or isinstance(data["cache_age"], int)
    if data["type"] in ("video", "rich"):
        assert data["html"] == raw["html"]
    if data["type"] == "photo":
        assert data["url"] == raw["url"]
    # Nothing is invented: every key comes from the provider, or is a normalized extra.
    extras = {"version", "width", "height"} | {f"{k}_raw" for k in raw}
    assert set(data) - set(raw) <= extras
    assert normalize(data) == data


@pytest.mark.parametrize("name", ERROR_BODIES)
def test_recorded_error_bodies_are_not_oembed(name: str) -> None:
    with pytest.raises(InvalidResponse, match="has type None"):
        normalize(load(name))


@pytest.mark.parametrize("name", ["twitter-1.json", "twitter-3.json", "twitter-5.json"])
def test_x_cache_age_string_and_null_height(name: str) -> None:
    assert load(name)["cache_age"] == "3153600000"
    data = normalize(load(name))
    assert data["cache_age"] == 3153600000
    assert data["height"] is None
    assert "height_raw" not in data
    assert data["width"] == 550


def test_tiktok_percentage_sizes_keep_the_original() -> None:
    data = normalize(load("tiktok-1.json"))
    assert (data["width"], data["height"]) == (None, None)
    assert (data["width_raw"], data["height_raw"]) == ("100%", "100%")
    assert data["thumbnail_width"] == 480


def test_soundcloud_percentage_width_and_numeric_height() -> None:
    data = normalize(load("soundcloud-1.json"))
    assert (data["width"], data["width_raw"], data["height"]) == (None, "100%", 400)


@pytest.mark.parametrize(
    ("name", "width", "height"),
    [
        ("codepen-1.json", 800, 300),
        ("deviantart-1.json", 695, 900),
        ("bitchute-1.json", 459, 344),
    ],
)
def test_numeric_strings_become_ints(name: str, width: int, height: int) -> None:
    data = normalize(load(name))
    assert (data["width"], data["height"]) == (width, height)
    assert "width_raw" not in data


def test_bluesky_without_provider_name_is_left_without_one() -> None:
    data = normalize(load("bluesky-1.json"))
    assert "provider_name" not in data
    assert data["provider_url"] == "Bluesky Social"


def test_reddit_lowercase_provider_name_is_kept() -> None:
    assert normalize(load("reddit-1.json"))["provider_name"] == "reddit"


def test_reddit_rich_response_without_sizes_gets_null_sizes() -> None:
    raw = load("reddit-1.json")
    assert "width" not in raw
    data = normalize(raw)
    assert (data["width"], data["height"]) == (None, None)


@pytest.mark.parametrize("name", ["reddit-2.json", "reddit-3.json"])
def test_missing_version_defaults_to_1_0(name: str) -> None:
    assert "version" not in load(name)
    assert normalize(load(name))["version"] == "1.0"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object, not list"),
        ("rich", "must be a JSON object, not str"),
        (None, "must be a JSON object, not NoneType"),
        ({}, "has type None"),
        ({"type": "iframe", "html": "<p>"}, "has type 'iframe'"),
        ({"type": "rich"}, "rich response lacks html"),
        ({"type": "video", "html": "   "}, "video response lacks html"),
        ({"type": "rich", "html": ["<p>"]}, "list in 'html'"),
        ({"type": "photo", "width": 1, "height": 1}, "photo response lacks url"),
        ({"type": "photo", "url": "https://i.test/a.jpg"}, "photo response lacks width, height"),
        ({"type": "link", "author_name": {"a": 1}}, "dict in 'author_name'"),
        ({"type": "link", "title": True}, "bool in 'title'"),
    ],
)
def test_normalize_rejects(data: object, message: str) -> None:
    with pytest.raises(InvalidResponse, match=message.replace("(", r"\(").replace(")", r"\)")):
        normalize(data)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("width", "550", 550),
        ("width", " 550 ", 550),
        ("width", 550.0, 550),
        ("width", "550.7", 550),
        ("width", "100%", None),
        ("width", "auto", None),
        ("width", True, None),
        ("width", -5, None),
        ("width", None, None),
        ("cache_age", "3153600000", 3153600000),
        ("cache_age", 86400, 86400),
        ("cache_age", "forever", None),
        ("cache_age", -1, None),
    ],
)
def test_number_normalization(field: str, value: object, expected: int | None) -> None:
    data = normalize({"type": "link", field: value})
    assert data[field] == expected


def test_version_given_as_a_number_becomes_text() -> None:
    assert normalize({"type": "link", "version": 1.0})["version"] == "1.0"


def test_normalize_does_not_change_its_argument() -> None:
    raw = load("tiktok-1.json")
    before = json.dumps(raw, sort_keys=True)
    normalize(raw)
    assert json.dumps(raw, sort_keys=True) == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"type": st.sampled_from(["photo", "video", "link", "rich", "other"])},
            optional=dict.fromkeys(
                ("html", "url", "width", "height", "cache_age", "version", "title"), json_values
            ),
        ),
    )
)
def test_normalize_raises_nothing_but_invalid_response(data: object) -> None:
    try:
        result = normalize(data)
    except InvalidResponse:
        return
    assert normalize(result) == result


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"maxwidth": 550, "dnt": True, "omit_script": False},
            {"maxwidth": "550", "dnt": "true", "omit_script": "false"},
        ),
        ({"theme": "dark", "lang": None}, {"theme": "dark"}),
        (None, {}),
    ],
)
def test_query_params(params: dict[str, Any] | None, expected: dict[str, str]) -> None:
    assert query_params(params) == expected


# -- the fetcher, through python-oembed, against the simulator ---------------------------------


def test_fetch_end_to_end(simulator: ProviderSimulator, fetcher: OEmbedFetcher) -> None:
    simulator.route("/twitter/oembed", fixture="twitter-reuters.json", when_url=TWEET)
    simulator.route("/twitter/oembed", fixture="twitter-1.json")
    data = fetcher.fetch(
        simulator.url("/twitter/oembed"),
        TWEET,
        {"maxwidth": 550, "dnt": True, "hide_thread": False, "lang": None},
        regexes=[X_REGEX],
    )
    assert data["author_name"] == "Reuters"
    assert data["cache_age"] == 3153600000
    assert "Fumio Kishida welcomes South Korean President Yoon Suk Yeol" in data["html"]
    request = simulator.last("/twitter/oembed")
    assert request.query == {
        "url": TWEET,
        "maxwidth": "550",
        "dnt": "true",
        "hide_thread": "false",
        "format": "json",
    }
    assert request.headers["user-agent"].startswith("embedkit/")


def test_the_reuters_fixture_status_id_decodes_to_the_article_date() -> None:
    status_id = int(load("twitter-reuters.json")["url"].rsplit("/", 1)[1])
    millis = (status_id >> 22) + 1288834974657
    import datetime

    when = datetime.datetime.fromtimestamp(millis / 1000, datetime.UTC)
    assert when.date() == datetime.date(2023, 3, 16)


def test_format_placeholder_in_the_endpoint(
    simulator: ProviderSimulator, fetcher: OEmbedFetcher
) -> None:
    simulator.route("/vimeo/oembed.json", fixture="vimeo-1.json")
    data = fetcher.fetch(simulator.url("/vimeo/oembed.{format}"), "https://vimeo.com/235352744")
    assert data["provider_name"] == "Vimeo"
    assert "format" not in simulator.last().query


def test_endpoint_with_its_own_query(simulator: ProviderSimulator, fetcher: OEmbedFetcher) -> None:
    simulator.route("/graph/instagram_oembed", fixture="instagram-1.json")
    fetcher.fetch(
        simulator.url(f"/graph/instagram_oembed?access_token={SECRET}"),
        "https://www.instagram.com/p/ic7kRDqOlt/",
    )
    assert simulator.last().query["access_token"] == SECRET
    assert simulator.last().query["format"] == "json"


def test_response_without_version_goes_through_the_package(
    simulator: ProviderSimulator, fetcher: OEmbedFetcher
) -> None:
    simulator.route("/reddit/oembed", fixture="reddit-2.json")
    data = fetcher.fetch(
        simulator.url("/reddit/oembed"), "https://www.reddit.com/r/a/comments/b/c/"
    )
    assert data["version"] == "1.0"
    assert data["provider_name"] == "reddit"


def test_xml_response_is_read_without_the_package_xml_parser(
    simulator: ProviderSimulator, fetcher: OEmbedFetcher
) -> None:
    body = (
        "<?xml version='1.0' encoding='iso-8859-1'?><oembed><version>1.0</version>"
        '<type>video</type><title>Caf\xe9</title><html>&lt;iframe src="https://v.test/1"&gt;'
        "&lt;/iframe&gt;</html><width>480</width><height>270</height></oembed>"
    ).encode("latin-1")
    simulator.route("/xml/oembed", body=body, content_type="text/xml; charset=iso-8859-1")
    data = fetcher.fetch(simulator.url("/xml/oembed"), "https://v.test/1")
    assert data == {
        "version": "1.0",
        "type": "video",
        "title": "Café",
        "html": '<iframe src="https://v.test/1"></iframe>',
        "width": 480,
        "height": 270,
    }


def test_xml_with_a_dtd_is_refused(simulator: ProviderSimulator, fetcher: OEmbedFetcher) -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE oembed [<!ENTITY a "aaaa">]>'
        b"<oembed><type>link</type><title>&a;</title></oembed>"
    )
    simulator.route("/xml/oembed", body=body, content_type="text/xml")
    with pytest.raises(InvalidResponse, match="declares a DTD"):
        fetcher.fetch(simulator.url("/xml/oembed"), "https://v.test/1")


def test_json_in_latin1_is_decoded(simulator: ProviderSimulator, fetcher: OEmbedFetcher) -> None:
    body = '{"type": "link", "version": "1.0", "title": "Café"}'.encode("latin-1")
    simulator.route("/l/oembed", body=body, content_type="application/json; charset=iso-8859-1")
    assert fetcher.fetch(simulator.url("/l/oembed"), "https://l.test/")["title"] == "Café"


def test_politico_json_oembed_media_type(
    simulator: ProviderSimulator, fetcher: OEmbedFetcher
) -> None:
    simulator.route(
        "/politico", fixture="politico-1.json", content_type="application/json+oembed;charset=UTF-8"
    )
    assert fetcher.fetch(simulator.url("/politico"), "https://www.politico.com/s")["type"] == "rich"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"body": "<html><body>Sign in</body></html>", "content_type": "text/html"},
            "is not valid XML|not <oembed>",
        ),
        ({"body": "[1, 2]"}, "is a JSON list, not an object"),
        ({"body": "plain words", "content_type": "text/plain"}, "text/plain, not JSON or XML"),
        ({"body": {"type": "rich"}}, "rich response lacks html"),
        ({"body": {"type": "video", "html": "<iframe>"}, "content_type": None}, None),
    ],
)
def test_bodies_that_are_not_oembed(
    simulator: ProviderSimulator,
    fetcher: OEmbedFetcher,
    kwargs: dict[str, Any],
    message: str | None,
) -> None:
    simulator.route("/o", **kwargs)
    if message is None:  # no Content-Type at all, but a JSON object: sniffed and accepted
        assert fetcher.fetch(simulator.url("/o"), "https://a.test/")["type"] == "video"
        return
    with pytest.raises(InvalidResponse, match=message):
        fetcher.fetch(simulator.url("/o"), "https://a.test/")


def test_malformed_json(simulator: ProviderSimulator, fetcher: OEmbedFetcher) -> None:
    simulator.fault("/o", "malformed")
    with pytest.raises(InvalidResponse, match="not valid JSON"):
        fetcher.fetch(simulator.url("/o"), "https://a.test/")


@pytest.mark.parametrize(
    ("fault", "opts", "error"),
    [
        ("status", {"status": 404, "body": {"error": "Record not found"}}, NotFound),
        ("status", {"status": 500}, ProviderError),
        ("rate_limit", {"retry_after": 30}, RateLimited),
        ("oversize", {}, InvalidResponse),
        ("hang", {}, Timeout),
    ],
)
def test_provider_trouble_is_typed(
    simulator: ProviderSimulator,
    fetcher: OEmbedFetcher,
    fault: str,
    opts: dict[str, Any],
    error: type[Exception],
) -> None:
    simulator.fault("/o", fault, **opts)
    with pytest.raises(error) as caught:
        fetcher.fetch(simulator.url(f"/o?access_token={SECRET}"), "https://a.test/")
    assert SECRET not in str(caught.value)
    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after == 30.0


def test_a_url_outside_the_schemes_is_refused_before_fetching(
    simulator: ProviderSimulator, fetcher: OEmbedFetcher
) -> None:
    with pytest.raises(SchemeMismatch, match="matches none of the URL schemes"):
        fetcher.fetch(
            simulator.url("/twitter/oembed"), "https://example.com/a/status/1", regexes=[X_REGEX]
        )
    assert simulator.count() == 0


def test_endpoints_are_reused(simulator: ProviderSimulator, fetcher: OEmbedFetcher) -> None:
    simulator.route("/yt", fixture="youtube-1.json")
    for video in ("a", "b", "c"):
        fetcher.fetch(simulator.url("/yt"), f"https://youtu.be/{video}", regexes=["https://youtu"])
    assert [r.query["url"] for r in simulator.requests] == [
        "https://youtu.be/a",
        "https://youtu.be/b",
        "https://youtu.be/c",
    ]
    assert len({r.client_port for r in simulator.requests}) == 1


def test_an_untrusted_endpoint_meets_the_guard(
    simulator: ProviderSimulator, fetcher: OEmbedFetcher
) -> None:
    simulator.route("/o", fixture="youtube-1.json")
    with pytest.raises(BlockedAddress):
        fetcher.fetch(simulator.url("/o"), "https://youtu.be/a", trusted=False)
    assert simulator.count() == 0


def test_fetch_discovered_is_guarded(simulator: ProviderSimulator, fetcher: OEmbedFetcher) -> None:
    simulator.route("/oembed", fixture="ted-1.json")
    with pytest.raises(BlockedAddress):
        fetcher.fetch_discovered(simulator.url("/oembed?url=https%3A%2F%2Fted.com%2Ft&format=json"))
    assert simulator.count() == 0


def test_fetch_discovered_adds_params(simulator: ProviderSimulator) -> None:
    simulator.route("/oembed", fixture="ted-1.json")
    with HttpClient(timeout=0.5, allow_private_networks=True) as http:
        data = OEmbedFetcher(http).fetch_discovered(
            simulator.url("/oembed?url=https%3A%2F%2Fwww.ted.com%2Ftalks%2Fx&format=json#top"),
            {"maxwidth": 640, "dnt": True},
        )
    assert data["provider_name"] == "TED"
    assert simulator.last().query == {
        "url": "https://www.ted.com/talks/x",
        "format": "json",
        "maxwidth": "640",
        "dnt": "true",
    }


def test_providers_file_points_at_the_simulator(
    simulator: ProviderSimulator, fetcher: OEmbedFetcher, tmp_path: Path
) -> None:
    path = simulator.providers_file(tmp_path)
    providers = {p["provider_name"]: p for p in json.loads(path.read_text())}
    assert {"Twitter", "YouTube", "Bluesky", "TikTok"} <= set(providers)
    assert providers["Twitter"]["replaces"] == ["X"]
    assert providers["Bluesky"]["replaces"] == ["Bluesky Social"]
    twitter = providers["Twitter"]["endpoints"][0]
    assert twitter["url"] == simulator.url("/twitter/oembed")
    assert "https://x.com/*/status/*" in twitter["schemes"]
    assert "https://mobile.twitter.com/*/status/*" in twitter["schemes"]
    reuters = fetcher.fetch(twitter["url"], TWEET)
    other = fetcher.fetch(twitter["url"], "https://x.com/ndaidong/status/1173592062878314497")
    assert (reuters["author_name"], other["author_name"]) == ("Reuters", "Dong Nguyen")
    youtube = fetcher.fetch(providers["YouTube"]["endpoints"][0]["url"], "https://youtu.be/x")
    assert youtube["provider_name"] == "YouTube"
