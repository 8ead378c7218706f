"""The pure rules under the endpoints: parameters, oEmbed fields, caching headers, buckets."""

from __future__ import annotations

import pytest

from embedkit._errors import ConfigError
from embedkit._models import Embed
from embedkit.serve._limits import TokenBuckets
from embedkit.serve._oembed import (
    BadParameter,
    cache_control,
    embed_params,
    etag_for,
    etag_matches,
    oembed_response,
)
from embedkit.serve._settings import RateLimit, parse_origin, parse_rate_limit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("300/minute", RateLimit(300, 60.0)),
        ("10/s", RateLimit(10, 1.0)),
        (" 5 / hour ", RateLimit(5, 3600.0)),
        ("2/min", RateLimit(2, 60.0)),
        ("off", None),
        ("0", None),
    ],
)
def test_parse_rate_limit(text: str, expected: RateLimit | None) -> None:
    assert parse_rate_limit(text) == expected


@pytest.mark.parametrize("text", ["fast", "0/minute", "10/fortnight", "-1/s", "1.5/s"])
def test_parse_rate_limit_refuses(text: str) -> None:
    with pytest.raises(ConfigError, match="is not N/second"):
        parse_rate_limit(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("https://cms.example.com", "https://cms.example.com"), ("http://localhost:3000/", "http://localhost:3000"),
     ("*", "*")],
)  # fmt: skip
def test_parse_origin(text: str, expected: str) -> None:
    assert parse_origin(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "cms.example.com",
        "https://cms.example.com/wp",
        "ftp://x",
        "https://u:p@x",
        "https://x:99999",
    ],
)
def test_parse_origin_refuses(text: str) -> None:
    with pytest.raises(ConfigError, match="is not an origin"):
        parse_origin(text)


def test_token_bucket_bursts_then_refills() -> None:
    now = [0.0]
    buckets = TokenBuckets(RateLimit(3, 3.0), clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(1.0)
    assert buckets.take("b") == 0.0  # clients are apart
    now[0] = 2.0
    assert [buckets.take("a") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("a") > 0


def test_token_buckets_keep_a_bounded_table() -> None:
    buckets = TokenBuckets(RateLimit(1, 60.0), max_clients=100, clock=lambda: 0.0)
    for n in range(10_000):
        buckets.take(f"198.51.100.{n}")
    assert len(buckets) == 100


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"maxwidth": "550", "maxheight": "300"}, {"maxwidth": 550, "maxheight": 300}),
        ({"dnt": "1", "omit_script": "false"}, {"dnt": "true", "omit_script": "false"}),
        ({"theme": "dark", "align": "center", "lang": "pt-BR"},
         {"theme": "dark", "align": "center", "lang": "pt-BR"}),
        ({"format": "json", "callback": "x", "maxwidth": ""}, {}),
    ],
)  # fmt: skip
def test_embed_params(query: dict[str, str], expected: dict[str, object]) -> None:
    assert embed_params(query) == expected


@pytest.mark.parametrize(
    "query",
    [{"maxwidth": "0"}, {"maxwidth": "4097"}, {"maxheight": "-5"}, {"maxwidth": "1e3"},
     {"dnt": "maybe"}, {"theme": "solarized"}, {"lang": "english please"}, {"align": "justify"}],
)  # fmt: skip
def test_embed_params_refuses(query: dict[str, str]) -> None:
    with pytest.raises(BadParameter):
        embed_params(query)


@pytest.mark.parametrize(
    ("status", "expires_at", "expected"),
    [
        ("fresh", 4600.0, (3600, "public, max-age=3600")),
        ("cached", 1000.5, (0, "public, max-age=0")),
        ("cached", 10.0, (0, "public, max-age=0")),  # already expired: revalidate
        ("gone", 87400.0, (86400, "public, max-age=86400")),
        ("stale", 500.0, (60, "public, max-age=60")),
        ("fallback", None, (60, "public, max-age=60")),
    ],
)
def test_cache_control(status: str, expires_at: float | None, expected: tuple[int, str]) -> None:
    assert cache_control(status, expires_at=expires_at, now=1000.0) == expected


def test_etags() -> None:
    tag = etag_for(b"<p>x</p>")
    assert tag != etag_for(b"<p>y</p>")
    assert etag_matches(tag, tag)
    assert etag_matches(tag, f'"other", W/{tag}')
    assert etag_matches(tag, "*")
    assert not etag_matches(tag, '"other"')
    assert not etag_matches(tag, None)


def embed(data: dict[str, object], status: str = "fresh") -> Embed:
    return Embed(ref="r", url="https://youtu.be/x", status=status, provider="YouTube",  # type: ignore[arg-type]
                 html="<figure>x</figure>", data=data)  # fmt: skip


def test_oembed_fields_are_typed_and_bounded() -> None:
    data = {
        "type": "video", "width": "640", "height": 360.0, "title": "  A title ",
        "author_name": 7, "author_url": "javascript:alert(1)",
        "provider_url": "https://youtube.com/", "thumbnail_url": "https://i.ytimg.com/x.jpg",
        "thumbnail_width": True, "thumbnail_height": 360,
        "html": "<script>ignored</script>", "extra": "dropped",
    }  # fmt: skip
    answer = oembed_response(
        embed(data), "<figure>x</figure>", max_age=5, maxwidth=500, maxheight=None
    )
    assert answer == {
        "version": "1.0", "type": "video", "html": "<figure>x</figure>", "width": 500,
        "height": 360, "title": "A title", "provider_name": "YouTube", "provider_url": "https://youtube.com/",
        "thumbnail_url": "https://i.ytimg.com/x.jpg", "thumbnail_height": 360, "cache_age": 5,
        "url": "https://youtu.be/x", "embedkit_status": "fresh", "embedkit_scripts": [],
    }  # fmt: skip


def test_oembed_of_a_fallback_without_data() -> None:
    answer = oembed_response(embed({}, "fallback"), "<f/>", max_age=60, maxwidth=None, maxheight=90)
    assert (answer["type"], answer["width"], answer["height"]) == ("rich", None, None)
    assert answer["provider_name"] == "YouTube"
    assert answer["embedkit_status"] == "fallback"
