"""Link cards from 153 real saved article pages of 143 publishers (tests/fixtures/corpus/pages/).

Each page is served by the provider simulator under the address its source project
gives (``page_url``; Readability's pages, which have none, under a made-up one), as
``text/html`` without a charset so the page's own declaration decides, exactly as
saved (byte for byte, see tests/fixtures/corpus/PROVENANCE.md). The resolver fetches
it through the guarded client like any author URL and must return a card whose
headline is the title the source project expects (``expected.title`` in the page's
``*.expected.json``). Titles are compared with the corpus normaliser of
``tests/syndicate/corpus.py`` (Unicode NFKC, case, typographic quotes and dashes,
white space, and a trailing `` | Site`` naming the fixture's own site); the pages
where the page's declared title differs from the source project's on purpose are the
same strict ``xfail`` cases as the loader's corpus test, with the same reasons.
Pages whose address a provider's oEmbed scheme covers (:data:`PROVIDER_PAGES`, 7 of the
corpus's 160) are embeds, not cards, and are left out; 142 cards from 134 publishers
must have the expected headline.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
from tests.render.safety import problems
from tests.simulator import ProviderSimulator
from tests.syndicate.corpus import CORPUS, fixture, pages, title_key
from tests.syndicate.test_corpus import KNOWN

from embedkit import Resolver
from embedkit.net._http import HttpClient

#: Saved pages whose address a provider's oEmbed endpoint serves: an embed, not a card.
PROVIDER_PAGES = {
    "acast-1": "Acast",
    "instagram-1": "Instagram",
    "nytimes-1": "The New York Times",
    "nytimes-2": "The New York Times",
    "twitter-gif-1": "Twitter",
    "twitter-image-1": "Twitter",
    "vimeo-1": "Vimeo",
}


def _cases() -> list[object]:
    cases: list[object] = []
    for name in pages():
        if "title" not in fixture("pages", name)["expected"] or name in PROVIDER_PAGES:
            continue
        reason = KNOWN.get((name, "title"))
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        cases.append(pytest.param(name, marks=marks, id=name))
    return cases


CASES = _cases()


def test_the_corpus_spans_at_least_twenty_publishers() -> None:
    publishers = {p.values[0].rsplit("-", 1)[0] for p in CASES if not p.marks}  # type: ignore[attr-defined]
    assert len(publishers) == 134


def test_the_pages_left_out_are_exactly_those_a_provider_serves() -> None:
    with Resolver(cache="memory://", offline=True, env={}) as resolver:
        matched = {name: resolver.match(_address(name)) for name in pages()}
    assert {name: provider for name, provider in matched.items() if provider} == PROVIDER_PAGES


def _address(name: str) -> str:
    page_url = fixture("pages", name).get("page_url")
    return page_url or f"https://{name}.example/test/page.html"


@pytest.mark.parametrize("name", CASES)
def test_a_real_article_page_yields_a_card_with_its_headline(
    simulator: ProviderSimulator, name: str
) -> None:
    data = fixture("pages", name)
    address = _address(name)
    path = urlsplit(address).path or "/"
    raw = (CORPUS / "pages" / f"{name}.html").read_bytes()
    simulator.route(path, body=raw, content_type="text/html")
    http = HttpClient(
        timeout=5.0, transport=simulator.transport(), dns=lambda host, port: ["93.184.216.34"]
    )
    with Resolver(cache="memory://", http=http, env={}, discovery=True) as resolver:
        embed = resolver.resolve(address)
    http.close()
    assert (embed.status, embed.kind) == ("fresh", "card"), embed.error
    found = re.search(r'<p class="embedkit-linkcard__title"><a [^>]*>(.*?)</a>', embed.html, re.S)
    assert found is not None
    headline = html.unescape(found.group(1))
    site = data["expected"].get("site_name")
    assert title_key(headline, site) == title_key(data["expected"]["title"], site)
    assert problems(embed.html) == []
    assert simulator.count(path) == 1


def test_reading_only_up_to_the_head_would_lose_metadata() -> None:
    """Why a card reads the page's first MiB rather than stopping at ``</head>``
    (docs/cards.md): many pages declare metadata later (JSON-LD in the body...)."""
    from embedkit._parse.pagemeta import page_metadata

    lost: dict[str, list[str]] = {"title": [], "published": [], "author": []}
    for name in pages():
        raw = (CORPUS / "pages" / f"{name}.html").read_bytes()
        end = raw.lower().find(b"</head>")
        head = raw[: end + len(b"</head>")] if end >= 0 else raw
        url = fixture("pages", name).get("page_url")
        whole, cut = page_metadata(raw[: 1 << 20], url), page_metadata(head, url)
        for field, names in lost.items():
            if getattr(whole, field) is not None and getattr(cut, field) is None:
                names.append(name)
    assert lost["title"] == ["atlasobscura-2", "softwarefordays-1"]
    assert (len(lost["published"]), len(lost["author"])) == (16, 20)
