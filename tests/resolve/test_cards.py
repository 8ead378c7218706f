"""Link cards end to end: pasted shape → canonical URL → one read of the page → card.

Article pages are served by the provider simulator under their real-looking
addresses: ``HttpClient(transport=simulator.transport())`` sends every request to it,
and the DNS seam answers a public address, so the network guard runs as in
production without a packet leaving the machine. Expected headlines and excerpts are
written out here (the seed page's, see tests/fixtures/render/PROVENANCE.md), never
computed with embedkit.
"""

from __future__ import annotations

import gzip
import html
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.growth import assert_linear
from tests.render.safety import problems, tags
from tests.simulator import FIXTURES, ProviderSimulator, Reply

from embedkit import Resolver
from embedkit.net._http import HttpClient
from embedkit.page import embeddable, render_html
from embedkit.resolve._cards import CARD_MAX_BYTES, card_only, page_cache_age, public_image
from embedkit.resolve._discovery import find_oembed_links
from embedkit.resolve.cache import CachePolicy

PAGE = Path(__file__).parents[1] / "fixtures" / "render" / "n-korean-missile.html"
PATH = "/2023/03/15/n-korean-missile-lands-off-s-korea"
URL = f"https://news.example.com{PATH}"
HEADLINE = "N. Korean missile lands off S. Korea; South responds with own launches"
EXCERPT = (
    "A North Korean ballistic missile landed less than 60 km off South Korea’s coast on "
    "Wednesday, the first time an apparent test had landed near the…"
)
PUBLIC = "93.184.216.34"
DAY = 86400.0


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def page(simulator: ProviderSimulator) -> ProviderSimulator:
    """The seed article's related page, at its path on the simulator."""
    simulator.page(PATH, html=PAGE.read_text("utf-8"))
    return simulator


def http_for(simulator: ProviderSimulator, *, address: str = PUBLIC, **kw: Any) -> HttpClient:
    kw.setdefault("timeout", 2.0)
    return HttpClient(transport=simulator.transport(), dns=lambda host, port: [address], **kw)


@pytest.fixture
def resolver(simulator: ProviderSimulator, clock: Clock) -> Iterator[Resolver]:
    http = http_for(simulator)
    with Resolver(cache="memory://", http=http, clock=clock, env={}) as made:
        yield made
    http.close()


def headline(markup: str) -> str:
    found = re.search(r'<p class="embedkit-linkcard__title"><a [^>]*>(.*?)</a>', markup, re.S)
    assert found is not None, markup
    return html.unescape(found.group(1))


def excerpt_of(markup: str) -> str | None:
    found = re.search(r'<p class="embedkit-linkcard__excerpt">(.*?)</p>', markup, re.S)
    return html.unescape(found.group(1)) if found else None


def images(markup: str) -> list[dict[str, str]]:
    return [attrs for tag, attrs in tags(markup) if tag == "img"]


# -- shapes, one entry, one read ------------------------------------------------------------


@pytest.mark.parametrize(
    "pasted",
    [
        URL,
        f"{URL}?utm_source=twitter&utm_medium=social",
        f"{URL}#comments",
        f"https://NEWS.example.com{PATH}?fbclid=IwAR0abc",
        f"https://news.example.com:443{PATH}",
    ],
)
def test_every_pasted_shape_is_the_same_card(
    page: ProviderSimulator, resolver: Resolver, pasted: str
) -> None:
    embed = resolver.resolve(pasted)
    assert embed.url == URL
    assert embed.ref == pasted
    assert (embed.status, embed.kind, embed.provider) == ("fresh", "card", "News Example")
    assert headline(embed.html) == HEADLINE
    assert excerpt_of(embed.html) == EXCERPT
    assert "see more" in embed.html
    assert embed.scripts == ()
    assert problems(embed.html) == []
    assert page.last(PATH).raw_path == PATH  # the canonical URL is what was fetched
    assert page.last(PATH).headers["x-forwarded-host"] == "news.example.com"


def test_all_shapes_share_one_cache_entry_and_one_read(
    page: ProviderSimulator, resolver: Resolver
) -> None:
    shapes = [URL, f"{URL}?utm_source=x", f"{URL}#top", f"https://News.Example.com{PATH}"]
    embeds = [resolver.resolve(shape) for shape in shapes]
    assert [e.status for e in embeds] == ["fresh", "cached", "cached", "cached"]
    assert page.count() == 1  # the page, once: discovery and the card share the read
    assert resolver.cache.stats(resolver.clock()).entries == 1


def test_the_card_data_are_what_the_page_declares(
    page: ProviderSimulator, resolver: Resolver
) -> None:
    data = resolver.resolve(URL).data
    assert data["type"] == "link"
    assert data["title"] == HEADLINE
    assert data["provider_name"] == "News Example"
    assert data["author_name"] == "Example Staff"
    assert data["published"] == "2023-03-15T02:31:00+00:00"
    assert data["thumbnail_url"] == "https://news.example.com/images/2023/03/15/missile-launch.png"
    assert (data["thumbnail_width"], data["thumbnail_height"]) == (1200, 630)
    (image,) = images(resolver.resolve(URL).html)
    assert (image["width"], image["height"]) == ("1200", "630")
    assert image["loading"] == "lazy"
    assert image["referrerpolicy"] == "no-referrer"


def test_the_page_scripts_never_reach_the_card(page: ProviderSimulator, resolver: Resolver) -> None:
    embed = resolver.resolve(URL)
    assert "analytics.js" not in embed.html
    assert "site.css" not in embed.html
    assert [t for t, _ in tags(embed.html) if t in ("script", "iframe", "link", "style")] == []


def test_a_standalone_url_becomes_a_card_in_a_page(
    page: ProviderSimulator, resolver: Resolver
) -> None:
    out = render_html(f"<p>Before.</p>\n<p>{URL}</p>\n<p>See {URL} too.</p>", resolver)
    assert out.count('<article class="embedkit-linkcard') == 1
    assert f"<p>See {URL} too.</p>" in out  # inside a sentence it stays text
    assert "<script" not in out


# -- freshness: TTL clamp, stale-if-error, tombstones, single flight ----------------------------


@pytest.mark.parametrize(
    ("cache_control", "ttl"),
    [
        (None, DAY),  # no answer: the policy's default
        ("max-age=60", 3600.0),  # clamped up to min_ttl
        ("public, max-age=604800", 7 * DAY),
        ('s-maxage=7200, max-age="60"', 7200.0),  # a shared cache's own age first
        ("max-age=99999999999", 30 * DAY),  # clamped down to max_ttl
        ("no-store", DAY),
    ],
)
def test_the_card_lives_as_long_as_the_page_says_within_the_policy(
    simulator: ProviderSimulator, resolver: Resolver, cache_control: str | None, ttl: float
) -> None:
    headers = {"Cache-Control": cache_control} if cache_control else {}
    simulator.page(PATH, html=PAGE.read_text("utf-8"), headers=headers)
    embed = resolver.resolve(URL)
    assert embed.fetched_at is not None
    assert embed.expires_at is not None
    assert embed.expires_at - embed.fetched_at == ttl


def test_a_fresh_card_is_served_from_the_cache_then_refreshed_after_its_ttl(
    page: ProviderSimulator, resolver: Resolver, clock: Clock
) -> None:
    assert resolver.resolve(URL).status == "fresh"
    clock.now += DAY - 1
    assert resolver.resolve(URL).status == "cached"
    assert page.count(PATH) == 1
    clock.now += 2
    assert resolver.resolve(URL).status == "fresh"
    assert page.count(PATH) == 2


@pytest.mark.parametrize(
    ("fault", "opts"),
    [
        ("status", {"status": 503, "body": "down", "content_type": "text/html"}),
        ("rate_limit", {"retry_after": 30}),
        ("reset", {}),
        ("status", {"status": 200, "body": "not a page", "content_type": "text/plain"}),
    ],
)
def test_an_expired_card_is_served_stale_when_the_page_fails(
    page: ProviderSimulator, resolver: Resolver, clock: Clock, fault: str, opts: dict[str, Any]
) -> None:
    resolver.resolve(URL)
    clock.now += 2 * DAY
    page.fault(PATH, fault, **opts)
    embed = resolver.resolve(URL)
    assert embed.status == "stale"
    assert embed.kind == "card"
    assert headline(embed.html) == HEADLINE
    assert 'data-embedkit-status="stale"' in embed.html


@pytest.mark.parametrize("status", [404, 410])
def test_a_deleted_page_becomes_a_tombstone_with_its_headline_kept(
    page: ProviderSimulator, simulator: ProviderSimulator, clock: Clock, status: int
) -> None:
    http = http_for(simulator)
    with Resolver(
        cache="memory://", http=http, clock=clock, env={}, show_deleted_text=True
    ) as resolver:
        resolver.resolve(URL)
        clock.now += 2 * DAY
        page.fault(PATH, "status", status=status, body="gone", content_type="text/html")
        gone = resolver.resolve(URL)
        assert (gone.status, gone.kind) == ("gone", "card")
        assert "This page is no longer available on News Example." in gone.html
        assert HEADLINE in gone.html  # show_deleted_text: the archived headline
        assert "<img" not in gone.html
        # The tombstone is trusted until its recheck (an hour), then the page is asked again.
        clock.now += 3599
        assert resolver.resolve(URL).status == "gone"
        assert page.count(PATH) == 2
        page.clear_faults()
        clock.now += 2
        back = resolver.resolve(URL)
        assert (back.status, back.kind) == ("fresh", "card")
    http.close()


def test_concurrent_resolves_of_one_page_read_it_once(
    page: ProviderSimulator, resolver: Resolver
) -> None:
    page.fault(PATH, "delay", seconds=0.3, times=1)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(resolver.resolve(URL).status))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["cached"] * 5 + ["fresh"]
    assert page.count(PATH) == 1


def test_a_card_cached_online_is_served_offline(
    page: ProviderSimulator, simulator: ProviderSimulator, tmp_path: Path
) -> None:
    cache = f"sqlite:///{tmp_path / 'embeds.db'}"
    http = http_for(simulator)
    with Resolver(cache=cache, http=http, env={}) as online:
        online.resolve(URL)
    http.close()
    with Resolver(cache=cache, offline=True, env={}) as offline:
        embed = offline.resolve(URL)
    assert (embed.status, embed.kind) == ("cached", "card")
    assert headline(embed.html) == HEADLINE


# -- degrading to the plain link ---------------------------------------------------------------


def _plain(resolver: Resolver, url: str = URL) -> None:
    embed = resolver.resolve(url)
    assert (embed.status, embed.provider, embed.kind) == ("fallback", None, "embed")
    assert not embeddable(embed)
    block = f'<p><a href="{url}">{url}</a></p>'
    assert render_html(block, resolver, trusted_body=True) == block  # stays as written


def test_offline_the_url_stays_a_plain_link(simulator: ProviderSimulator) -> None:
    with Resolver(cache="memory://", offline=True, env={}) as resolver:
        _plain(resolver)
    assert simulator.count() == 0


@pytest.mark.parametrize(
    ("route", "opts"),
    [
        ("hang", {"seconds": 5}),
        ("reset", {}),
        ("status", {"status": 500, "body": "<title>Error</title>", "content_type": "text/html"}),
        ("status", {"status": 429, "body": "slow down"}),
        ("redirect", {"location": "http://127.0.0.1:9/admin"}),  # refused by the guard
        ("redirect", {"location": "file:///etc/passwd"}),
        ("redirect_loop", {}),
    ],
)
def test_any_failure_leaves_the_plain_link(
    simulator: ProviderSimulator, route: str, opts: dict[str, Any]
) -> None:
    simulator.fault(PATH, route, **opts)
    http = http_for(simulator, timeout=0.3)
    with Resolver(cache="memory://", http=http, env={}) as resolver:
        _plain(resolver)
    http.close()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<!doctype html><p>No title, no metadata.</p>", "text/html"),
        ('{"title": "JSON is not a page"}', "application/json"),
        ("\x89PNG\r\n\x1a\n<title>an image</title>", "image/png"),
        ("", "text/html"),
    ],
)
def test_a_page_that_declares_nothing_leaves_the_plain_link(
    simulator: ProviderSimulator, resolver: Resolver, body: str, content_type: str
) -> None:
    simulator.route(PATH, body=body, content_type=content_type)
    _plain(resolver)


def test_a_page_behind_a_private_address_is_never_read(simulator: ProviderSimulator) -> None:
    page_html = PAGE.read_text("utf-8")
    simulator.page(PATH, html=page_html)
    http = http_for(simulator, address="10.0.0.7")  # news.example.com "resolves" inside
    with Resolver(cache="memory://", http=http, env={}) as resolver:
        _plain(resolver)
    http.close()
    assert simulator.count() == 0


def test_without_discovery_no_page_is_read(
    page: ProviderSimulator, simulator: ProviderSimulator
) -> None:
    http = http_for(simulator)
    with Resolver(cache="memory://", http=http, env={}, discovery=False) as resolver:
        _plain(resolver)
    http.close()
    assert simulator.count() == 0


# -- discovery first, then the card ------------------------------------------------------------


def test_a_discovered_oembed_answer_still_wins(
    simulator: ProviderSimulator, resolver: Resolver
) -> None:
    simulator.route("/oembed", body={"type": "rich", "version": "1.0", "html": "<p>an embed</p>"})
    simulator.discovery_page("/talks/one", "/oembed", relative=True)
    embed = resolver.resolve("https://talks.example.com/talks/one")
    assert (embed.status, embed.kind) == ("fresh", "embed")
    assert "an embed" in embed.html
    assert simulator.count("/talks/one") == 1
    assert simulator.count("/oembed") == 1


def test_a_failing_announced_endpoint_falls_back_to_the_card(
    simulator: ProviderSimulator, resolver: Resolver
) -> None:
    link = '<link rel="alternate" type="application/json+oembed" href="/broken?url=x">'
    simulator.page(PATH, html=PAGE.read_text("utf-8").replace("</head>", link + "</head>"))
    simulator.fault("/broken", "status", status=403, body={"code": "rest_forbidden"})
    embed = resolver.resolve(URL)
    assert (embed.status, embed.kind) == ("fresh", "card")
    assert headline(embed.html) == HEADLINE
    assert (simulator.count(PATH), simulator.count("/broken")) == (1, 1)


WORDPRESS = [
    # (page fixture, its address, oEmbed path the page announces, answer fixture, headline)
    (
        "wordpress-discovery-1.html",
        "https://css-tricks.com/css-scrollbar-with-progress-meter/",
        "https://css-tricks.com/wp-json/oembed/1.0/embed",
        "wordpress-2.json",
        "CSS Scrollbar With Progress Meter",
    ),
    (
        "wordpress-discovery-2.html",
        "https://wordpress.tv/2013/09/06/dave-ross-optimize-image-files-like-a-pro/",
        "https://public-api.wordpress.com/oembed/",
        "wordpress-1.json",
        "Dave Ross: Optimize Image Files Like a Pro",
    ),
]


@pytest.mark.parametrize(("fixture", "url", "endpoint", "answer", "title"), WORDPRESS)
def test_wordpress_wp_embed_becomes_the_card_not_its_iframe(
    simulator: ProviderSimulator,
    resolver: Resolver,
    fixture: str,
    url: str,
    endpoint: str,
    answer: str,
    title: str,
) -> None:
    path = url.split("/", 3)[3]
    simulator.page("/" + path, fixture=fixture)
    oembed_path = "/" + endpoint.split("/", 3)[3]
    simulator.route(oembed_path, fixture=answer)
    assert "wp-embedded-content" in (FIXTURES / answer).read_text()
    embed = resolver.resolve(url)
    assert (embed.status, embed.kind) == ("fresh", "card")
    assert " ".join(headline(embed.html).split()) == title
    assert "<iframe" not in embed.html
    assert "secret" not in embed.html
    assert problems(embed.html) == []
    assert simulator.count("/" + path) == 1  # the page, once
    assert simulator.count(oembed_path) == 1  # and its announced answer, once


# -- platform pages -----------------------------------------------------------------------------


CHANNEL = (
    '<html lang="en"><head><meta property="og:title" content="Google for Developers">'
    '<meta property="og:site_name" content="YouTube">'
    '<meta property="og:description" content="Subscribe to join a community of creative '
    'developers and learn the latest in Google technology.">'
    '<meta property="og:image" content="https://yt3.googleusercontent.com/ytc/channel=s900">'
    '<link rel="alternate" type="application/json+oembed" href="/oembed-never">'
    "</head><body></body></html>"
)


@pytest.mark.parametrize(
    ("pasted", "canonical"),
    [
        ("https://www.youtube.com/@GoogleDevelopers", "https://www.youtube.com/@GoogleDevelopers"),
        (
            "https://youtube.com/@GoogleDevelopers?si=abc",
            "https://www.youtube.com/@GoogleDevelopers",
        ),
        ("https://m.youtube.com/c/GoogleDevelopers", "https://www.youtube.com/c/GoogleDevelopers"),
        (
            "https://www.youtube.com/user/GoogleDevelopers/videos",
            "https://www.youtube.com/user/GoogleDevelopers",
        ),
        (
            "https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw",
            "https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw",
        ),
    ],
)
def test_a_youtube_channel_page_gets_a_card(
    simulator: ProviderSimulator, resolver: Resolver, pasted: str, canonical: str
) -> None:
    path = canonical.split("/", 3)[3]
    simulator.page("/" + path, html=CHANNEL)
    embed = resolver.resolve(pasted)
    assert embed.url == canonical
    assert (embed.status, embed.kind, embed.provider) == ("fresh", "card", "YouTube")
    assert headline(embed.html) == "Google for Developers"
    assert "<iframe" not in embed.html
    assert simulator.count("/" + path) == 1
    assert simulator.count("/oembed-never") == 0  # a platform page: a card, no discovery
    assert simulator.count() == 1  # and no oEmbed endpoint asked


def test_twitch_reads_no_page(simulator: ProviderSimulator, resolver: Resolver) -> None:
    embed = resolver.resolve("https://www.twitch.tv/videos/1234567890")
    assert (embed.status, embed.kind) == ("fallback", "embed")
    assert simulator.count() == 0


def test_only_platform_pages_without_oembed_are_card_only(resolver: Resolver) -> None:
    registry = resolver.registry
    assert card_only(registry.match_ref("https://www.youtube.com/@GoogleDevelopers"))
    assert not card_only(registry.match_ref("https://www.youtube.com/watch?v=KishidaYoon"))
    assert not card_only(registry.match_ref("https://www.twitch.tv/videos/1234567890"))
    assert not card_only(registry.match_ref(URL))
    assert not card_only(None)


# -- consent -------------------------------------------------------------------------------------


def test_consent_mode_shows_the_card_without_its_image(
    page: ProviderSimulator, simulator: ProviderSimulator
) -> None:
    http = http_for(simulator)
    with Resolver(cache="memory://", http=http, env={}, consent=True) as resolver:
        embed = resolver.resolve(URL)
        out = render_html(f"<p>{URL}</p>", resolver)
    http.close()
    assert (embed.status, embed.kind) == ("fresh", "card")
    assert images(embed.html) == []
    assert "data-embedkit-load" not in embed.html
    assert headline(embed.html) == HEADLINE
    assert "<script" not in out  # no placeholder was inserted: not even the consent script


# -- hostile pages -------------------------------------------------------------------------------


def _serve(simulator: ProviderSimulator, head: str, *, body: str = "") -> None:
    simulator.page(PATH, html=f"<!doctype html><html><head>{head}</head><body>{body}</body></html>")


def test_only_the_first_mebibyte_of_a_page_is_read(
    simulator: ProviderSimulator, resolver: Resolver
) -> None:
    padding = '<meta name="pad" content="' + "x" * 1000 + '">\n'
    late = '<meta property="og:title" content="Read too far">'
    head = "<title>Early title</title>" + padding * (2 * CARD_MAX_BYTES // len(padding)) + late
    _serve(simulator, head)
    embed = resolver.resolve(URL)
    assert (embed.status, embed.kind) == ("fresh", "card")
    assert headline(embed.html) == "Early title"  # og:title lies beyond the first MiB


def test_a_head_that_never_ends(simulator: ProviderSimulator, resolver: Resolver) -> None:
    simulator.page(
        PATH,
        html='<html><head><meta property="og:title" content="No end">'
        + '<meta name="x" content="' * 200_000,
    )
    assert headline(resolver.resolve(URL).html) == "No end"


def test_a_compression_bomb_is_read_up_to_the_cap(
    simulator: ProviderSimulator, resolver: Resolver
) -> None:
    bomb = gzip.compress(b"<title>Bomb</title>" + b" " * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100_000
    simulator.route(
        PATH,
        body=bomb,
        headers={"Content-Encoding": "gzip"},
        content_type="text/html; charset=utf-8",
    )
    assert headline(resolver.resolve(URL).html) == "Bomb"


@pytest.mark.parametrize(
    "unit",
    ['<meta name="x" content="', "<a ", "<link rel=alternate ", "<!", "<base href="],
)
def test_reading_a_hostile_page_grows_linearly(unit: str) -> None:
    """The standard library's HTMLParser, which discovery used, took minutes here."""
    assert_linear(lambda page: find_oembed_links(page, URL), lambda n: unit * n, 2_000)


def test_markup_in_metadata_stays_text(simulator: ProviderSimulator, resolver: Resolver) -> None:
    evil = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;style&gt;*{display:none}&lt;/style&gt;"
    _serve(
        simulator,
        f'<meta property="og:title" content="Title {evil}">'
        f'<meta property="og:description" content="{evil} &lt;img src=x onerror=alert(2)&gt;">'
        f'<meta property="og:site_name" content="&quot; onmouseover=&quot;alert(3)">'
        "<script>document.write('<meta property=og:image content=https://evil.example/x>')</script>",
    )
    embed = resolver.resolve(URL)
    assert embed.kind == "card"
    assert problems(embed.html) == []
    assert headline(embed.html) == ("Title <script>alert(1)</script><style>*{display:none}</style>")
    assert images(embed.html) == []  # a script's text is not metadata
    for _tag, attrs in tags(embed.html):
        assert not any(name.startswith("on") for name in attrs)


@pytest.mark.parametrize(
    "image",
    [
        "javascript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "file:///etc/passwd",
        "http://127.0.0.1/reset-router",
        "http://10.0.0.1/x.png",
        "http://[::1]/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://0x7f.1/x.png",
        "http://localhost/x.png",
        "http://printer.localhost/x.png",
        "http://router/x.png",
        "https://user:pass@news.example.com/x.png",
    ],
)
def test_an_image_url_the_reader_should_not_load_is_left_out(
    simulator: ProviderSimulator, resolver: Resolver, image: str
) -> None:
    _serve(
        simulator,
        f'<meta property="og:title" content="T"><meta property="og:image" content="{image}">',
    )
    embed = resolver.resolve(URL)
    assert embed.kind == "card"
    assert images(embed.html) == []
    assert "thumbnail_url" not in embed.data
    assert simulator.count() == 1  # embedkit never fetches an image itself


def test_a_publisher_who_allows_private_networks_keeps_private_images(
    simulator: ProviderSimulator,
) -> None:
    _serve(
        simulator,
        '<meta property="og:title" content="T">'
        '<meta property="og:image" content="http://10.0.0.1/intranet.png">',
    )
    http = http_for(simulator, allow_private_networks=True)
    with Resolver(cache="memory://", http=http, env={}) as resolver:
        embed = resolver.resolve(URL)
    http.close()
    assert [i["src"] for i in images(embed.html)] == ["http://10.0.0.1/intranet.png"]
    assert simulator.count() == 1


@pytest.mark.parametrize(
    ("raw", "content_type", "title", "description"),
    [
        (
            '<meta charset="windows-1252"><meta property="og:title" content="Grüße aus Köln">'
            '<meta property="og:description" content="Café crème">'.encode("cp1252"),
            "text/html",
            "Grüße aus Köln",
            "Café crème",
        ),
        (
            (
                '<meta property="og:title" content="北朝鮮ミサイル、韓国沖に着弾">'
                '<meta property="og:description" content="'
                + "北朝鮮が発射した弾道ミサイルが韓国の沿岸から六十キロ以内の海上に着弾した。" * 3
                + '">'
            ).encode("shift_jis"),
            "text/html; charset=Shift_JIS",
            "北朝鮮ミサイル、韓国沖に着弾",
            # 150 columns: two sentences of 37 wide characters fill 148; the full stop
            # before the cut is dropped, like a comma
            "北朝鮮が発射した弾道ミサイルが韓国の沿岸から六十キロ以内の海上に着弾した。"
            "北朝鮮が発射した弾道ミサイルが韓国の沿岸から六十キロ以内の海上に着弾した…",
        ),
    ],
)
def test_pages_are_decoded_like_browsers_do(
    simulator: ProviderSimulator,
    resolver: Resolver,
    raw: bytes,
    content_type: str,
    title: str,
    description: str,
) -> None:
    simulator.route(PATH, body=raw, content_type=content_type)
    embed = resolver.resolve(URL)
    assert headline(embed.html) == title
    assert excerpt_of(embed.html) == description


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.binary(max_size=600) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_any_page_ends_in_a_card_or_the_plain_link(
    simulator: ProviderSimulator, resolver: Resolver, raw: bytes
) -> None:
    simulator.route(PATH, handler=lambda _: Reply(200, raw, {}, "text/html"))
    embed = resolver.resolve(URL, refresh=True)
    assert (embed.status, embed.kind) in {("fresh", "card"), ("fallback", "embed")}
    assert problems(embed.html) == []


# -- pure helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=300", 300),
        ("public, max-age=300, s-maxage=900", 900),
        ("MAX-AGE = 12", 12),
        ("no-cache", None),
        ("max-age=abc", None),
        ("", None),
    ],
)
def test_page_cache_age(value: str, expected: int | None) -> None:
    assert page_cache_age({"cache-control": value}) == expected


@pytest.mark.parametrize(
    ("url", "private_allowed", "expected"),
    [
        ("https://news.example.com/a.jpg", False, "https://news.example.com/a.jpg"),
        ("https://cdn.news.example.com/ä.jpg", False, "https://cdn.news.example.com/%C3%A4.jpg"),
        ("http://93.184.216.34/a.jpg", False, "http://93.184.216.34/a.jpg"),
        ("http://192.168.1.1/a.jpg", False, None),
        ("http://192.168.1.1/a.jpg", True, "http://192.168.1.1/a.jpg"),
        ("http://[fe80::1]/a.jpg", False, None),
        ("http://intranet/a.jpg", False, None),
        ("ftp://news.example.com/a.jpg", True, None),
        (None, False, None),
    ],
)
def test_public_image(url: str | None, private_allowed: bool, expected: str | None) -> None:
    assert public_image(url, allow_private=private_allowed) == expected


def test_the_policy_bounds_apply_to_cards(
    page: ProviderSimulator, simulator: ProviderSimulator
) -> None:
    http = http_for(simulator)
    policy = CachePolicy(min_ttl=10, max_ttl=20, default_ttl=15)
    with Resolver(cache="memory://", http=http, env={}, policy=policy) as resolver:
        embed = resolver.resolve(URL)
    http.close()
    assert embed.expires_at is not None
    assert embed.fetched_at is not None
    assert embed.expires_at - embed.fetched_at == 15


def test_the_http_service_answers_a_card_like_any_embed(
    page: ProviderSimulator, resolver: Resolver
) -> None:
    pytest.importorskip("starlette")
    from embedkit.serve._oembed import oembed_response

    embed = resolver.resolve(URL)
    answer = oembed_response(embed, embed.html, max_age=60, maxwidth=None, maxheight=None)
    assert answer["type"] == "rich"  # the html is always embedkit's markup
    assert answer["html"] == embed.html
    assert answer["title"] == HEADLINE
    assert answer["provider_name"] == "News Example"
    assert answer["thumbnail_url"] == (
        "https://news.example.com/images/2023/03/15/missile-launch.png"
    )
    assert answer["url"] == URL
