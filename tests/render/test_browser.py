"""The rendered example article in headless Chromium: requests, console, consent clicks.

The page is ``examples/japan-korea-trade.md`` rendered by the real Resolver with
the provider simulator standing in for X and YouTube, served on 127.0.0.1
under a strict Content-Security-Policy (scripts only by nonce). The browser
lets requests to 127.0.0.1 through; every other request is recorded and failed
before it leaves (see ``cdp.py``), and no host name resolves anyway. The tests
check which third-party hosts the page *tried* to reach:

- normal mode: only the allow-listed provider hosts (widgets.js, the YouTube
  player), no console errors, no CSP violations;
- consent mode: no third-party request at all until the reader presses "Load
  post from X" (by keyboard) or "Load video from YouTube" (by mouse); then the
  real embed is in the DOM and its provider script is requested, once.

The related article under "Security threats" is a link card built from a local page
with real-world metadata (``tests/fixtures/render/n-korean-missile.html``, served by
the simulator as ``https://news.example.com/...``; its image is served by the test
site): headline, the excerpt cut at a word boundary with "…", "see more", and in
consent mode no image at all.

Screenshots go to ``test-artifacts/browser/``. With
``EMBEDKIT_UPDATE_SCREENSHOTS=1`` the normal and consent ones are also copied to
``docs/img/`` for the README (the page from its top down to the link card).
"""

from __future__ import annotations

import html as htmllib
import os
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tests.loopback import LocalHTTPServer
from tests.render.cdp import Browser, Page, find_chromium
from tests.render.conftest import (
    RELATED,
    RELATED_EXCERPT,
    RELATED_HEADLINE,
    RELATED_PAGE,
    related_http,
    route_related,
)
from tests.simulator import ProviderSimulator

from embedkit import Resolver
from embedkit.net._http import HttpClient
from embedkit.page._render import render_document, render_html, write_assets
from embedkit.resolve._refs import parse_ref

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "japan-korea-trade.md"
VIDEO_FIXTURE = ROOT / "tests" / "fixtures" / "render" / "youtube-kishida-yoon.json"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
DOC_IMAGES = ROOT / "docs" / "img"

VIDEO = "https://www.youtube.com/watch?v=KishidaYoon"
WIDGETS = "https://platform.twitter.com/widgets.js"
PLAYER = "https://www.youtube.com/embed/KishidaYoon"
NONCE = "ZW1iZWRraXQtdGVzdA"
#: The only third-party hosts a rendered page may even try: provider scripts and players.
ALLOWED_THIRD_PARTY = {"platform.twitter.com", "www.youtube.com"}
CSP = (
    "default-src 'self'; "
    f"script-src 'nonce-{NONCE}'; "
    # The responsive video wrapper sizes itself with a style attribute (aspect-ratio).
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' https:; "
    "frame-src https://platform.twitter.com https://www.youtube.com; "
    "object-src 'none'; base-uri 'none'"
)
TWEET_BUTTON = 'figure[data-embedkit-provider="Twitter"] [data-embedkit-load]'
CARD = "figure.embedkit--card"
#: Where the related page says its image is, and where the test site serves it instead.
IMAGE_PATH = "images/2023/03/15/missile-launch.png"
VIDEO_BUTTON = 'figure[data-embedkit-provider="YouTube"] [data-embedkit-load]'


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        pytest.skip("no Chromium: install Debian's chromium (apt-get install -y chromium)")
    return found


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Iterator[Browser]:
    with Browser.launch(chromium, tmp_path / "profile") as launched:
        yield launched


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served on 127.0.0.1 with a strict CSP; yields (folder, base URL)."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "favicon.ico").write_bytes(b"")  # the browser asks for it; not our page's error
    server = LocalHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def providers(sim_providers: Path, simulator: ProviderSimulator) -> Path:
    simulator.route(
        "/youtube/oembed", body=VIDEO_FIXTURE.read_bytes(), when_url=parse_ref(VIDEO).url
    )
    return sim_providers


def picture(width: int = 600, height: int = 315) -> bytes:
    """A PNG drawn here (dusk sky over the sea, a bright trail): the related page's image."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type: none
        sea = y > height * 0.68
        for x in range(width):
            if sea:
                shade = 40 + (y - height * 0.68) / height * 60
                pixel = (int(shade * 0.5), int(shade * 0.9), int(shade * 1.6))
            else:
                glow = max(0.0, 1 - abs(x / width - 0.72) * 2.5) * (y / height)
                pixel = (int(60 + 150 * glow), int(50 + 90 * glow), int(110 + 40 * glow))
            trail = abs((height * 0.62 - y) - (x - width * 0.25) * 0.9) < 3 and x > width * 0.25
            row += bytes((235, 228, 210) if trail and not sea else pixel)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def render_example(
    folder: Path,
    base: str,
    providers: Path,
    simulator: ProviderSimulator,
    *,
    consent: bool,
) -> Path:
    """Render the example; the related page is read from the simulator, its image
    (rewritten to the test site, which serves a picture there) from the site."""
    image = folder / IMAGE_PATH
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(picture())
    route_related(simulator, rewrite={"https://news.example.com/images/": base + "images/"})
    http = related_http(simulator)
    with Resolver(cache="memory://", providers=providers, http=http, consent=consent) as resolver:
        page = render_document(EXAMPLE, resolver, nonce=NONCE)
    http.close()
    out = folder / "page.html"
    out.write_text(page, encoding="utf-8")
    write_assets(folder)
    return out


def hosts(urls: list[str]) -> set[str]:
    return {urlsplit(url).hostname or "" for url in urls}


def third_party(page: Page) -> list[str]:
    """The URLs the page tried to load from anywhere but 127.0.0.1 (or itself)."""
    local = ("about:", "data:", "blob:")
    return [
        url
        for url in page.attempted()
        if not url.startswith(local) and urlsplit(url).hostname != "127.0.0.1"
    ]


def errors(page: Page) -> list[str]:
    """Console errors, uncaught exceptions and browser log errors, except the
    failed loads of the third-party requests this test blocked on purpose."""
    found = [
        f"console.{c['type']}: {c['text']}"
        for c in page.console
        if c["type"]
        in (
            "error",
            "assert",
        )
    ]
    found += [f"exception: {text}" for text in page.exceptions]
    for entry in page.log:
        if entry.get("level") != "error":
            continue
        if entry.get("source") == "network" and entry.get("url") in page.blocked:
            continue
        found.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")
    return found


def shoot(page: Page, name: str, doc_name: str | None = None) -> Path:
    """Save a full-page artifact; with ``doc_name``, maybe also the README picture.

    The README picture shows the page from its top down to the tweet's figure,
    which keeps the committed PNG small.
    """
    path = page.screenshot(ARTIFACTS / f"{name}.png")
    if doc_name and os.environ.get("EMBEDKIT_UPDATE_SCREENSHOTS") == "1":
        page.screenshot(DOC_IMAGES / doc_name, down_to=CARD)
    return path


def card_texts(page: Page) -> dict[str, str]:
    """The link card's parts as the reader sees them (rendered text)."""
    found: dict[str, str] = page.evaluate(
        f"""(() => {{ const c = document.querySelector({CARD!r});
            const t = s => (c.querySelector(s) || {{innerText: ''}}).innerText.trim();
            return {{title: t('.embedkit-linkcard__title'),
                     excerpt: t('.embedkit-linkcard__excerpt'),
                     meta: t('.embedkit-linkcard__meta'), more: t('.embedkit-linkcard__more'),
                     href: c.querySelector('.embedkit-linkcard__more a').href}}; }})()"""
    )
    return found


def description_of_related_page() -> str:
    """The og:description the fixture page declares, read with a regex (not embedkit)."""
    found = re.search(
        r'<meta property="og:description" content="([^"]*)"', RELATED_PAGE.read_text("utf-8")
    )
    assert found is not None
    return htmllib.unescape(found.group(1))


def check_card(page: Page) -> None:
    """The card shows the headline, an excerpt cut at a word boundary, and "see more"."""
    card = card_texts(page)
    assert card["title"] == RELATED_HEADLINE
    assert card["excerpt"] == RELATED_EXCERPT
    kept = card["excerpt"].removesuffix("…")
    description = description_of_related_page()
    assert card["excerpt"].endswith("…")
    assert description.startswith(kept)
    assert description[len(kept)] == " "  # the cut falls between two words
    assert card["meta"] == "News Example · March 15, 2023"
    assert card["more"] == "see more"
    assert card["href"] == RELATED


def test_normal_mode_loads_only_allowlisted_provider_hosts(
    browser: Browser, site: tuple[Path, str], providers: Path, simulator: ProviderSimulator
) -> None:
    folder, base = site
    render_example(folder, base, providers, simulator, consent=False)
    page = browser.new_page(allow_hosts={"127.0.0.1"})
    page.goto(base + "page.html")

    assert page.evaluate("document.title") == (
        "Japan, South Korea bury trade hatchet amid security threats"
    )
    assert page.evaluate(
        "document.querySelector('figure.embedkit blockquote.twitter-tweet').textContent"
    ).startswith("LIVE: Japanese Prime Minister Fumio Kishida welcomes")
    assert page.evaluate("document.querySelectorAll('script[src]').length") == 1
    assert page.evaluate("document.querySelector('iframe').src").startswith(PLAYER)
    attempted = third_party(page)
    assert WIDGETS in attempted
    assert any(url.startswith(PLAYER) for url in attempted)
    assert hosts(attempted) <= ALLOWED_THIRD_PARTY
    assert attempted.count(WIDGETS) == 1
    # The link card: text, links, and its lazy image, which arrives without moving anything.
    check_card(page)
    image = f"{CARD} img"
    assert page.evaluate(f"document.querySelectorAll('{CARD} script, {CARD} iframe').length") == 0
    assert page.evaluate(f"document.querySelector({image!r}).getAttribute('loading')") == "lazy"
    assert page.evaluate(f"document.querySelector({image!r}).referrerPolicy") == "no-referrer"
    box = f"JSON.stringify(document.querySelector({CARD!r}).getBoundingClientRect())"
    page.evaluate(f"document.querySelector({CARD!r}).scrollIntoView({{block: 'center'}}), true")
    before = page.evaluate(box)
    page.wait_until(lambda: page.evaluate(f"document.querySelector({image!r}).naturalWidth") == 600)
    page.settle()
    assert page.evaluate(box) == before  # the image's box was reserved
    assert base + IMAGE_PATH in page.attempted()
    page.evaluate("window.scrollTo(0, 0), true")
    assert errors(page) == []
    assert shoot(page, "page-normal", "page-normal.png").stat().st_size > 0


def test_consent_mode_requests_nothing_third_party_before_the_click(
    browser: Browser, site: tuple[Path, str], providers: Path, simulator: ProviderSimulator
) -> None:
    folder, base = site
    render_example(folder, base, providers, simulator, consent=True)
    page = browser.new_page(allow_hosts={"127.0.0.1"})
    page.goto(base + "page.html")

    assert page.evaluate("document.querySelectorAll('[data-embedkit-load]').length") == 2
    assert page.evaluate("document.querySelector('blockquote.twitter-tweet')") is None
    assert page.evaluate("document.querySelector('iframe')") is None
    assert third_party(page) == []
    assert all("404" in error for error in errors(page))  # only the author's missing image
    assert page.evaluate(f"document.querySelector({TWEET_BUTTON!r}).textContent") == (
        "Load post from X"
    )
    # The card is all text: no image (a request to the article's site), no button.
    check_card(page)
    page.evaluate(f"document.querySelector({CARD!r}).scrollIntoView(), true")
    page.settle()
    assert page.evaluate(f"document.querySelectorAll('{CARD} img, {CARD} button').length") == 0
    assert not any(IMAGE_PATH in url for url in page.attempted())
    page.evaluate("window.scrollTo(0, 0), true")
    shoot(page, "page-consent", "page-consent.png")

    # The reader reaches the button with Tab and presses Enter.
    page.press_tab_until_focused(TWEET_BUTTON)
    page.key("Enter", "Enter", 13)
    page.wait_until(lambda: WIDGETS in page.attempted())
    page.settle()
    assert (
        page.evaluate(
            "document.querySelector('figure[data-embedkit-provider=\"Twitter\"]')"
            ".getAttribute('data-embedkit-consent')"
        )
        == "given"
    )
    assert page.evaluate(
        "document.querySelector('figure.embedkit blockquote.twitter-tweet').textContent"
    ).startswith("LIVE: Japanese Prime Minister Fumio Kishida welcomes")
    assert page.evaluate(f"document.querySelector({TWEET_BUTTON!r})") is None
    assert (
        page.evaluate("document.activeElement.getAttribute('data-embedkit-provider')") == "Twitter"
    )
    # The provider script was added with the consent script's nonce (CSP allowed it).
    assert page.evaluate(f"document.querySelector('script[src=\"{WIDGETS}\"]').nonce") == NONCE
    assert third_party(page) == [WIDGETS]
    assert page.evaluate("document.querySelector('iframe')") is None  # the video still waits

    # The video, by mouse.
    box = page.evaluate(
        f"(() => {{ const b = document.querySelector({VIDEO_BUTTON!r});"
        " b.scrollIntoView({block: 'center'}); const r = b.getBoundingClientRect();"
        " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
    )
    page.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": box[0], "y": box[1]})
    for kind in ("mousePressed", "mouseReleased"):
        page.call(
            "Input.dispatchMouseEvent",
            {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1},
        )
    page.wait_until(lambda: any(url.startswith(PLAYER) for url in page.attempted()))
    page.settle()
    assert hosts(third_party(page)) == ALLOWED_THIRD_PARTY
    assert not any(IMAGE_PATH in url for url in page.attempted())  # consent was for X, YouTube
    assert errors(page) == []
    shoot(page, "page-consent-loaded")


def test_each_provider_script_loads_once_for_many_posts(
    browser: Browser, site: tuple[Path, str], providers: Path
) -> None:
    folder, base = site
    tweets = [
        "https://twitter.com/Reuters/status/1636212467429621760",
        "https://x.com/ndaidong/status/1173592062878314497",
    ]
    with Resolver(
        cache="memory://", providers=providers, allow_private_networks=True, consent=True
    ) as resolver:
        html = render_html(
            "<!doctype html><html><head><title>Two posts</title></head><body>\n"
            + "".join(f"<p>{url}</p>\n" for url in tweets)
            + "</body></html>\n",
            resolver,
            nonce=NONCE,
        )
    (folder / "two.html").write_text(html, encoding="utf-8")
    write_assets(folder)
    page = browser.new_page(allow_hosts={"127.0.0.1"})
    page.goto(base + "two.html")
    assert page.evaluate("document.querySelectorAll('[data-embedkit-load]').length") == 2

    page.evaluate("document.querySelectorAll('[data-embedkit-load]').forEach(b => b.click()), true")
    page.wait_until(lambda: WIDGETS in page.attempted())
    page.settle()
    assert page.evaluate("document.querySelectorAll('blockquote.twitter-tweet').length") == 2
    assert page.evaluate(f"document.querySelectorAll('script[src=\"{WIDGETS}\"]').length") == 1
    assert third_party(page) == [WIDGETS]
    assert errors(page) == []


def test_a_consent_manager_can_load_every_placeholder_at_once(
    browser: Browser, site: tuple[Path, str], providers: Path, simulator: ProviderSimulator
) -> None:
    folder, base = site
    render_example(folder, base, providers, simulator, consent=True)
    page = browser.new_page(allow_hosts={"127.0.0.1"})
    page.goto(base + "page.html")
    assert third_party(page) == []
    page.evaluate(
        "document.dispatchEvent(new CustomEvent('embedkit:consent',"
        " {detail: {provider: 'YouTube'}})), true"
    )
    page.wait_until(lambda: any(url.startswith(PLAYER) for url in page.attempted()))
    page.settle()
    assert page.evaluate("document.querySelectorAll('[data-embedkit-load]').length") == 1
    assert hosts(third_party(page)) == {"www.youtube.com"}
    assert errors(page) == []


def test_an_injected_placeholder_cannot_make_the_consent_script_load_its_script(
    browser: Browser, site: tuple[Path, str], providers: Path
) -> None:
    """Defence in depth: even in a trusted body, the consent script's allow list holds."""
    folder, base = site
    injected = (
        '<figure class="embedkit" data-embedkit-consent="pending" data-embedkit-provider="Evil" '
        "data-embedkit-scripts='[\"https://evil.example/x.js\"]'>"
        "<button type=button data-embedkit-load>Load</button><template><p>x</p></template>"
        "</figure>"
    )
    with Resolver(
        cache="memory://", providers=providers, allow_private_networks=True, consent=True
    ) as resolver:
        html = render_html(
            "<!doctype html><html><head><title>Injected</title></head><body>\n"
            f"{injected}\n<p>https://twitter.com/Reuters/status/1636212467429621760</p>\n"
            "</body></html>\n",
            resolver,
            nonce=NONCE,
            trusted_body=True,
        )
    (folder / "injected.html").write_text(html, encoding="utf-8")
    write_assets(folder)
    page = browser.new_page(allow_hosts={"127.0.0.1"})
    page.goto(base + "injected.html")

    page.evaluate("document.querySelector('[data-embedkit-provider=Evil] button').click(), true")
    page.settle()
    assert third_party(page) == []
    assert [c["text"] for c in page.console if c["type"] == "warning"] == [
        "embedkit: not loading https://evil.example/x.js: not in data-embedkit-allow"
    ]
    page.evaluate(f"document.querySelector({TWEET_BUTTON!r}).click(), true")
    page.wait_until(lambda: WIDGETS in page.attempted())
    page.settle()
    assert third_party(page) == [WIDGETS]
    assert errors(page) == []


def test_an_untrusted_body_cannot_inject_markup_or_script(
    browser: Browser, site: tuple[Path, str], providers: Path
) -> None:
    """The author's body is cleaned by default: no placeholder, script or handler survives."""
    folder, base = site
    article = folder / "hostile.md"
    article.write_text(
        "---\ntitle: Hostile\n---\n"
        "<script>document.title = 'owned'</script>\n\n"
        '<img src="x" onerror="document.title = \'owned\'">\n\n'
        "[click](javascript:document.title='owned')\n\n"
        '<figure class="embedkit" data-embedkit-consent="pending" '
        "data-embedkit-scripts='[\"https://evil.example/x.js\"]'>"
        "<button data-embedkit-load>Load</button></figure>\n\n"
        "https://twitter.com/Reuters/status/1636212467429621760\n",
        encoding="utf-8",
    )
    with Resolver(
        cache="memory://", providers=providers, allow_private_networks=True, consent=True
    ) as resolver:
        html = render_document(article, resolver, nonce=NONCE)
    (folder / "hostile.html").write_text(html, encoding="utf-8")
    write_assets(folder)
    page = browser.new_page(allow_hosts={"127.0.0.1"})
    page.goto(base + "hostile.html")
    page.settle()
    assert page.evaluate("document.title") == "Hostile"
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0
    assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0
    assert (
        page.evaluate(
            "[...document.querySelectorAll('a')]"
            ".filter(a => a.href.startsWith('javascript')).length"
        )
        == 0
    )
    # Only the real embed's placeholder is there: the forged one lost its data-* attributes.
    assert page.evaluate("document.querySelectorAll('[data-embedkit-scripts]').length") == 1
    assert third_party(page) == []
    assert all("404" in error for error in errors(page))  # only the author's missing image


HOSTILE_STYLES = [
    "position:fixed;inset:0;z-index:2147483647;background-color:white",
    "position:absolute;top:0;left:0;width:100vw;height:100vh;background-color:white",
    "transform:translate(-300px,-400px) scale(6);background-color:white",
    "margin-top:-600px;margin-left:-200px;background-color:white",
    "width:5000px;min-width:5000px;height:100vh;background-color:white",
    "box-shadow:0 0 0 3000px white;outline:3000px solid white",
    "float:left;width:calc(100vw + 500px);min-height:calc(100vh + 10px)",
]


def test_provider_css_cannot_cover_the_article(
    browser: Browser, site: tuple[Path, str], simulator: ProviderSimulator
) -> None:
    """Issue 8, item 13: a fake sign-in panel from a provider's answer stays in its figure.

    One page holds one embed per hostile style, between paragraphs of the article.
    """
    folder, base = site
    posts = []
    for number, style in enumerate(HOSTILE_STYLES, start=1):
        post = f"{simulator.base_url}/@x/{number}"
        posts.append(post)
        simulator.route(
            "/api/oembed",
            when_url=post,
            body={
                "type": "rich",
                "version": "1.0",
                "html": f'<blockquote class="mastodon-embed" style="{style}">'
                f'<div style="{style}"><p style="{style}">Sign in to keep reading</p></div>'
                "</blockquote>",
            },
        )
    body = "".join(
        f'<p id="text{n}">Paragraph {n} of the article, which must stay readable.</p>\n'
        f"<p>{post}</p>\n"
        for n, post in enumerate(posts)
    )
    with Resolver(cache="memory://", allow_private_networks=True, env={}) as resolver:
        html = render_html(
            "<!doctype html><html><head><title>Article</title></head><body>\n"
            f'{body}<p id="text{len(posts)}">The end of the article.</p>\n</body></html>\n',
            resolver,
            nonce=NONCE,
        )
    (folder / "covered.html").write_text(html, encoding="utf-8")
    page = browser.new_page(allow_hosts={"127.0.0.1"})
    page.goto(base + "covered.html")
    assert page.evaluate("document.querySelectorAll('figure.embedkit').length") == len(posts)
    assert page.evaluate(
        "[...document.querySelectorAll('figure')].every("
        "f => f.textContent.includes('Sign in to keep reading'))"
    )
    outside = page.evaluate(
        """(() => {
          const bad = [];
          for (const figure of document.querySelectorAll('figure.embedkit')) {
            const f = figure.getBoundingClientRect();
            for (const el of figure.querySelectorAll('*')) {
              const r = el.getBoundingClientRect();
              if (r.left < f.left - 1 || r.top < f.top - 1 || r.right > f.right + 1
                  || r.bottom > f.bottom + 1) bad.push(el.tagName + ' ' + JSON.stringify(r));
              // what paints outside a box without moving it: shadows, outlines, stacking
              const c = getComputedStyle(el);
              if (c.boxShadow !== 'none' || c.outlineStyle !== 'none' || c.transform !== 'none'
                  || c.zIndex !== 'auto' || !['static', 'relative'].includes(c.position))
                bad.push(el.tagName + ' paints outside: ' + c.boxShadow + ' ' + c.outlineStyle);
            }
          }
          return bad;
        })()"""
    )
    assert outside == []
    for number in range(len(posts) + 1):
        on_top = page.evaluate(
            f"""(() => {{ const p = document.getElementById('text{number}');
                p.scrollIntoView({{block: 'center'}});
                const r = p.getBoundingClientRect();
                const hit = document.elementFromPoint(r.left + 5, r.top + r.height / 2);
                return hit === p || p.contains(hit); }})()"""
        )
        assert on_top, f"an embed covers paragraph {number} of the article"


@pytest.mark.parametrize("consent", [False, True])
def test_an_author_chosen_instance_cannot_run_its_script(
    browser: Browser, site: tuple[Path, str], simulator: ProviderSimulator, consent: bool
) -> None:
    """Issue 8, item 1, in a real page: the "instance" of a Mastodon-shaped URL answers
    with scripts from itself and from evil.example; neither runs, before or after the
    reader presses Load, although the page hands its CSP nonce to the consent script."""
    folder, base = site
    simulator.route("/embed.js", body="window.pwned = true;", content_type="application/javascript")
    simulator.route(
        "/api/oembed",
        body={
            "type": "rich",
            "version": "1.0",
            "provider_name": "Mastodon",
            "html": '<blockquote class="mastodon-embed"><p>toot</p></blockquote>'
            f'<script src="{simulator.base_url}/embed.js"></script>'
            '<script src="https://evil.example/embed.js"></script>'
            f'<script src="http://evil.example:{simulator.port}/embed.js"></script>',
        },
    )
    # evil.example resolves to the simulator through the DNS seam: the author chose it
    post = f"http://evil.example:{simulator.port}/@x/1"
    http = HttpClient(timeout=2.0, allow_private_networks=True, dns=lambda h, p: ["127.0.0.1"])
    with Resolver(cache="memory://", http=http, consent=consent, env={}) as resolver:
        html = render_html(
            f"<!doctype html><html><head><title>Toot</title></head><body>\n<p>{post}</p>\n"
            "</body></html>\n",
            resolver,
            nonce=NONCE,
        )
    (folder / "toot.html").write_text(html, encoding="utf-8")
    write_assets(folder)
    page = browser.new_page(allow_hosts={"127.0.0.1"})
    page.goto(base + "toot.html")
    if consent:
        page.evaluate("document.querySelector('[data-embedkit-load]').click(), true")
        page.wait_until(
            lambda: (
                page.evaluate(
                    "document.querySelector('figure').getAttribute('data-embedkit-consent')"
                )
                == "given"
            )
        )
    page.settle()
    http.close()
    assert page.evaluate("document.querySelector('figure blockquote').textContent") == "toot"
    assert page.evaluate("window.pwned === undefined")
    assert simulator.count("/embed.js") == 0
    assert third_party(page) == []
    assert errors(page) == []
