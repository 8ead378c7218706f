"""oEmbed discovery on recorded pages, Link headers, and through the simulator."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.growth import assert_linear
from tests.simulator import FIXTURES, ProviderSimulator

from embedkit._errors import BlockedAddress, Forbidden, NotFound
from embedkit.net._http import HttpClient
from embedkit.resolve._discovery import (
    DISCOVERY_MAX_BYTES,
    LINK_HEADER_MAX_LENGTH,
    LINK_HEADER_MAX_VALUES,
    OEmbedLink,
    choose_link,
    discover,
    find_oembed_links,
    parse_link_header,
)

DISCOVERY_PAGES = sorted(
    p.name
    for p in FIXTURES.glob("*.html")
    if "-discovery-" in p.name or p.name == "bitchute-1.html"
)
PAGES_WITHOUT_LINKS = sorted(p.name for p in FIXTURES.glob("*-page-*.html"))
PAGE = "https://page.example/a/post"


def read(name: str) -> str:
    return (FIXTURES / name).read_text("utf-8", errors="replace")


@pytest.fixture
def open_http() -> Iterator[HttpClient]:
    """Discovery pages are author URLs; the simulator is on loopback, so allow it."""
    with HttpClient(timeout=0.5, allow_private_networks=True) as http:
        yield http


# -- the pure part, on recorded pages ------------------------------------------------------


@pytest.mark.parametrize("name", DISCOVERY_PAGES)
def test_every_recorded_discovery_page_announces_json(name: str) -> None:
    links = find_oembed_links(read(name), PAGE)
    chosen = choose_link(links)
    assert chosen is not None
    assert chosen.is_json
    assert chosen.href.startswith(("https://", "http://"))
    assert "&amp;" not in chosen.href


@pytest.mark.parametrize("name", PAGES_WITHOUT_LINKS)
def test_pages_without_discovery_links(name: str) -> None:
    assert find_oembed_links(read(name), PAGE) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "youtube-discovery-1.html",
            "http://www.youtube.com/oembed?format=json&url=http%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3D21Lk4YiASMo",
        ),
        (
            "twitter-discovery-1.html",
            "https://publish.twitter.com/oembed?url=https://twitter.com/vyki_e/status/363116819147538433",
        ),
        (
            "soundcloud-discovery-1.html",
            "https://soundcloud.com/oembed?url=https%3A%2F%2Fsoundcloud.com%2Fbruceneilmusic&format=json",
        ),
        # relative href, resolved against the page
        (
            "chirbit-discovery-1.html",
            "https://page.example/oembed.json?url=https://chirb.it/7A9L9B",
        ),
    ],
)
def test_chosen_link_of_recorded_pages(name: str, expected: str) -> None:
    chosen = choose_link(find_oembed_links(read(name), PAGE))
    assert chosen is not None
    assert chosen.href == expected


def test_soundcloud_text_json_oembed_beats_xml() -> None:
    links = find_oembed_links(read("soundcloud-discovery-1.html"), PAGE)
    assert [link.type for link in links] == ["text/xml+oembed", "text/json+oembed"]
    chosen = choose_link(links)
    assert chosen is not None
    assert chosen.type == "text/json+oembed"


def test_wordpress_entities_in_href_are_unescaped() -> None:
    chosen = choose_link(find_oembed_links(read("wordpress-discovery-2.html"), PAGE))
    assert chosen is not None
    assert chosen.href.startswith("https://public-api.wordpress.com/oembed/?format=json&url=")


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<link rel="alternate" type="text/xml+oembed" href="/o.xml">',
            [OEmbedLink("https://page.example/o.xml", "text/xml+oembed")],
        ),
        (
            "<LINK REL='Alternate Feed' TYPE='Application/JSON+oEmbed' HREF='o?a=1&amp;b=2'/>",
            [OEmbedLink("https://page.example/a/o?a=1&b=2", "application/json+oembed")],
        ),
        (
            '<base href="https://cdn.example/x/"><link rel="alternate" '
            'type="application/json+oembed" href="oembed">',
            [OEmbedLink("https://cdn.example/x/oembed", "application/json+oembed")],
        ),
        ('<link rel="stylesheet" type="application/json+oembed" href="/x">', []),
        ('<link rel="alternate" type="application/rss+xml" href="/feed">', []),
        ('<link rel="alternate" type="application/json+oembed">', []),
        ("<p>no head at all", []),
    ],
)
def test_find_oembed_links(html: str, expected: list[OEmbedLink]) -> None:
    assert find_oembed_links(html, PAGE) == expected


_JSON_LINK = '<link rel="alternate" type="application/json+oembed" href="/o">'


@pytest.mark.parametrize(
    "html",
    [
        f"<!-- {_JSON_LINK} -->",
        f"<script>document.write('{_JSON_LINK}')</script>",
        f"<noscript>{_JSON_LINK}</noscript>",
        f"<title>{_JSON_LINK}</title>",
        f"<textarea>{_JSON_LINK}</textarea>",
        f'<meta content="{_JSON_LINK}">',
        f'<p title="never closed>{_JSON_LINK}',
    ],
    ids=["comment", "script", "noscript", "title", "textarea", "attribute", "unclosed-quote"],
)
def test_a_link_a_browser_reads_as_text_is_not_announced(html: str) -> None:
    assert find_oembed_links(html, PAGE) == []


def test_the_first_of_repeated_attributes_wins_as_in_a_browser() -> None:
    html = '<link rel="alternate" type="application/json+oembed" href="/first" href="/second">'
    assert find_oembed_links(html, PAGE) == [
        OEmbedLink("https://page.example/first", "application/json+oembed")
    ]


@pytest.mark.parametrize("html", ["<![:", "<![", "</", "<a b='", "&#", "<!DOCTYPE"])
def test_markup_that_broke_the_standard_parser_is_read(html: str) -> None:
    assert find_oembed_links(html, PAGE) == []
    assert find_oembed_links(_JSON_LINK + html, PAGE) == [
        OEmbedLink("https://page.example/o", "application/json+oembed")
    ]


HOSTILE_PAGES: list[tuple[str, Callable[[int], str]]] = [
    ("open tags", lambda n: "<a " * n),
    ("bogus comment openers", lambda n: "<![" * n),
    ("nested divs", lambda n: "<div>" * n + _JSON_LINK),
    ("stray end tags under a deep stack", lambda n: "<div>" * n + "</x>" * n + _JSON_LINK),
    ("long attribute list", lambda n: "<link " + 'a="b" c=d ' * n + 'rel="alternate">'),
    ("unclosed comment", lambda n: "<!--" + _JSON_LINK * n),
    ("unclosed quote", lambda n: _JSON_LINK + '<link href="' + "x " * n),
    ("unclosed script", lambda n: "<script>" + _JSON_LINK * n),
    ("many links", lambda n: _JSON_LINK * n),
    ("posted by", lambda n: "<p>" + "Posted by " * n),
]


@pytest.mark.parametrize(("name", "make"), HOSTILE_PAGES, ids=[n for n, _ in HOSTILE_PAGES])
def test_reading_a_hostile_page_is_linear(name: str, make: Callable[[int], str]) -> None:
    assert_linear(lambda page: find_oembed_links(page, PAGE), make, 2_000)


def test_choose_link_prefers_json_then_document_order_and_skips_other_schemes() -> None:
    xml = OEmbedLink("https://a.test/o.xml", "text/xml+oembed")
    first = OEmbedLink("https://a.test/1.json", "application/json+oembed")
    second = OEmbedLink("https://a.test/2.json", "text/json+oembed")
    script = OEmbedLink("javascript:alert(1)", "application/json+oembed")
    assert choose_link([xml, script, first, second]) == first
    assert choose_link([script, xml]) == xml
    assert choose_link([script]) is None
    assert choose_link([]) is None


def test_parse_link_header() -> None:
    values = [
        '<https://a.test/feed>; rel="alternate"; type="application/rss+xml", '
        '</oembed?url=x&format=xml>; rel="alternate"; type="text/xml+oembed"',
        "<https://b.test/oembed?url=x>; rel=alternate; type=application/json+oembed",
    ]
    assert parse_link_header(values, PAGE) == [
        OEmbedLink("https://page.example/oembed?url=x&format=xml", "text/xml+oembed"),
        OEmbedLink("https://b.test/oembed?url=x", "application/json+oembed"),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            '<https://a.test/o?x=1,2>; type="application/json+oembed"; rel="alternate"',
            [OEmbedLink("https://a.test/o?x=1,2", "application/json+oembed")],
        ),
        (  # a comma inside a quoted parameter does not end the link
            '</o>; title="a, b"; rel="alternate"; type="application/json+oembed"',
            [OEmbedLink("https://page.example/o", "application/json+oembed")],
        ),
        ('<https://a.test/o>; rel="alternate; type=application/json+oembed', []),
        ("<https://a.test/o; rel=alternate; type=application/json+oembed", []),
        ("", []),
    ],
)
def test_parse_link_header_edge_cases(value: str, expected: list[OEmbedLink]) -> None:
    assert parse_link_header([value], PAGE) == expected


def _parse_seconds(value: str) -> float:
    """The best of several timings of parsing ``value`` (a growth check, not a limit)."""
    best = float("inf")
    for _ in range(9):
        started = time.process_time()  # CPU time: other processes' load does not count
        for _ in range(10):
            parse_link_header([value], PAGE)
        best = min(best, time.process_time() - started)
    return best


@pytest.mark.parametrize(
    "unit",
    ["<", "<a>", '"', ';a="', "<a>;", '<a>; rel="x,', "; ", "\\"],
)
def test_link_header_parsing_grows_linearly(unit: str) -> None:
    # Both sizes are under the parsed bound (LINK_HEADER_MAX_LENGTH), so the bound
    # does not hide the growth: doubling the input must not quadruple the work.
    n = LINK_HEADER_MAX_LENGTH // (2 * len(unit))
    small = _parse_seconds("<a>" + unit * n)
    large = _parse_seconds("<a>" + unit * (2 * n))
    assert large / small < 3.0, (unit, small, large)


def test_link_headers_beyond_the_bound_are_not_read() -> None:
    link = '</o>; rel="alternate"; type="application/json+oembed"'
    padding = "<https://a.test/p>; rel=next, " * (LINK_HEADER_MAX_LENGTH // 30 + 1)
    assert parse_link_header([padding + link], PAGE) == []
    values = ["<https://a.test/p>; rel=next"] * LINK_HEADER_MAX_VALUES + [link]
    assert parse_link_header(values, PAGE) == []
    assert parse_link_header([link], PAGE) == [
        OEmbedLink("https://page.example/o", "application/json+oembed")
    ]


@given(st.text(alphabet='<>;,="\\ abrelt/:+', max_size=300))
def test_parse_link_header_never_raises(value: str) -> None:
    for link in parse_link_header([value], PAGE):
        assert isinstance(link, OEmbedLink)


# -- discover(), through the simulator ------------------------------------------------------


def test_discover_a_recorded_page(simulator: ProviderSimulator, open_http: HttpClient) -> None:
    simulator.page("/talks/x", fixture="ted-discovery-1.html")
    found = discover(simulator.url("/talks/x"), open_http)
    assert found == (
        "https://www.ted.com/services/v1/oembed.json?url=https%3A%2F%2Fwww.ted.com%2Ftalks%2F"
        "george_monbiot_for_more_wonder_rewild_the_world"
    )
    assert simulator.last().headers["accept"].startswith("text/html")


def test_discover_resolves_relative_links_against_the_page(
    simulator: ProviderSimulator, open_http: HttpClient
) -> None:
    page = simulator.discovery_page("/post/1", "/oembed", relative=True)
    found = discover(page, open_http)
    assert found is not None
    assert found.startswith(simulator.url("/oembed?format=json&url="))


def test_discover_reads_the_link_header(
    simulator: ProviderSimulator, open_http: HttpClient
) -> None:
    simulator.route(
        "/post/2",
        body="<html><head></head></html>",
        content_type="text/html",
        headers={
            "Link": '</api/oembed?url=post2>; rel="alternate"; type="application/json+oembed"'
        },
    )
    assert discover(simulator.url("/post/2"), open_http) == simulator.url("/api/oembed?url=post2")


def test_discover_prefers_a_json_link_in_html_over_an_xml_link_header(
    simulator: ProviderSimulator, open_http: HttpClient
) -> None:
    simulator.route(
        "/post/3",
        body='<link rel="alternate" type="application/json+oembed" href="/j">',
        content_type="text/html",
        headers={"Link": '</x>; rel="alternate"; type="text/xml+oembed"'},
    )
    assert discover(simulator.url("/post/3"), open_http) == simulator.url("/j")


def test_discover_follows_redirects_and_resolves_against_the_final_url(
    simulator: ProviderSimulator, open_http: HttpClient
) -> None:
    simulator.discovery_page("/final/page", "oembed-here", relative=True)
    simulator.fault("/short", "redirect", location="/final/page")
    found = discover(simulator.url("/short"), open_http)
    assert found is not None
    assert found.startswith(simulator.url("/final/oembed-here?format=json"))


def test_a_page_larger_than_the_cap_is_read_up_to_the_cap(
    simulator: ProviderSimulator, open_http: HttpClient
) -> None:
    # The real YouTube watch page is 854 KB; its oEmbed link sits at 443 KB.
    assert (FIXTURES / "youtube-discovery-2.html").stat().st_size > DISCOVERY_MAX_BYTES
    simulator.page("/watch", fixture="youtube-discovery-2.html")
    found = discover(simulator.url("/watch"), open_http)
    assert found is not None
    assert found.startswith("https://www.youtube.com/oembed?format=json&url=")


def test_a_link_after_the_first_512_kib_is_not_seen(
    simulator: ProviderSimulator, open_http: HttpClient
) -> None:
    padding = "<!-- " + "x" * DISCOVERY_MAX_BYTES + " -->"
    link = '<link rel="alternate" type="application/json+oembed" href="/late">'
    simulator.page("/early", html=f"<html><head>{link}{padding}</head></html>")
    simulator.page("/late", html=f"<html><head>{padding}{link}</head></html>")
    assert discover(simulator.url("/early"), open_http) == simulator.url("/late")
    assert discover(simulator.url("/late"), open_http) is None


def test_a_page_without_links_gives_none(
    simulator: ProviderSimulator, open_http: HttpClient
) -> None:
    simulator.page("/status/1", fixture="twitter-page-1.html")
    assert discover(simulator.url("/status/1"), open_http) is None


def test_a_missing_page_is_not_found(simulator: ProviderSimulator, open_http: HttpClient) -> None:
    simulator.page("/video/1", fixture="vimeo-page-404-1.html", status=404)
    with pytest.raises(NotFound):
        discover(simulator.url("/video/1"), open_http)


def test_a_forbidden_page_that_still_announces_a_link_is_used(
    simulator: ProviderSimulator, open_http: HttpClient
) -> None:
    simulator.page("/album/1", fixture="spotify-discovery-1.html", status=403)
    found = discover(simulator.url("/album/1"), open_http)
    assert found is not None
    assert found.startswith("https://open.spotify.com/oembed?url=")


def test_a_forbidden_page_without_links_is_forbidden(
    simulator: ProviderSimulator, open_http: HttpClient
) -> None:
    simulator.page("/private", html="<html>no</html>", status=403)
    with pytest.raises(Forbidden):
        discover(simulator.url("/private"), open_http)


def test_a_json_body_is_not_parsed_as_html(
    simulator: ProviderSimulator, open_http: HttpClient
) -> None:
    simulator.route(
        "/api", body={"html": '<link rel="alternate" type="application/json+oembed" href="/x">'}
    )
    assert discover(simulator.url("/api"), open_http) is None


def test_discovery_meets_the_guard(simulator: ProviderSimulator) -> None:
    simulator.page("/talks/x", fixture="ted-discovery-1.html")
    with HttpClient(timeout=0.5) as http, pytest.raises(BlockedAddress):
        discover(simulator.url("/talks/x"), http)
    assert simulator.count() == 0


def test_discovered_link_on_the_simulator_can_be_fetched(
    simulator: ProviderSimulator, open_http: HttpClient
) -> None:
    from embedkit.resolve._oembed import OEmbedFetcher

    simulator.page(
        "/talks/x",
        fixture="ted-discovery-1.html",
        rewrite={"https://www.ted.com/services/v1/oembed.json": simulator.url("/ted/oembed.json")},
    )
    simulator.route("/ted/oembed.json", fixture="ted-1.json")
    found = discover(simulator.url("/talks/x"), open_http)
    assert found is not None
    data = OEmbedFetcher(open_http).fetch_discovered(found, {"maxwidth": 600})
    assert data["provider_name"] == "TED"
    assert simulator.last("/ted/oembed.json").query["maxwidth"] == "600"


@given(st.text(max_size=300))
def test_find_oembed_links_never_raises(html: str) -> None:
    for link in find_oembed_links(html, PAGE):
        assert link.type in (
            "application/json+oembed",
            "text/json+oembed",
            "text/xml+oembed",
            "application/xml+oembed",
        )


@given(
    st.lists(
        st.sampled_from(
            [
                '<link rel="alternate" type="application/json+oembed" href="/j">',
                '<link rel="alternate" type="text/xml+oembed" href="/x">',
                "<p>text</p>",
                "<link rel=alternate",
                "&amp;",
                "<base href='/b/'>",
            ]
        ),
        max_size=6,
    )
)
def test_a_json_link_is_chosen_whenever_there_is_one(parts: list[str]) -> None:
    links = find_oembed_links("".join(parts), PAGE)
    chosen = choose_link(links)
    if any(link.is_json for link in links):
        assert chosen is not None
        assert chosen.is_json
    elif links:
        assert chosen == links[0]
    else:
        assert chosen is None
