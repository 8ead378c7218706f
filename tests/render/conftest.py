"""Fixtures for the page-rendering tests: a Resolver wired to the provider simulator.

The example article's related page (``RELATED``, a made-up address on
``news.example.com``) is served by the simulator from
``tests/fixtures/render/n-korean-missile.html``; :func:`related_http` is an HTTP
client whose transport sends every request to the simulator, so the page is read
from there and no name is looked up.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.simulator import REUTERS_URLS, ProviderSimulator

from embedkit import Resolver
from embedkit.net._http import HttpClient
from embedkit.resolve._refs import parse_ref

#: The related article the example shows as a link card (a made-up address).
RELATED = "https://news.example.com/2023/03/15/n-korean-missile-lands-off-s-korea"
RELATED_PAGE = Path(__file__).parents[1] / "fixtures" / "render" / "n-korean-missile.html"
RELATED_HEADLINE = "N. Korean missile lands off S. Korea; South responds with own launches"
#: The excerpt the seed page's card shows (../shared/seed/article.txt).
RELATED_EXCERPT = (
    "A North Korean ballistic missile landed less than 60 km off South Korea’s coast on "
    "Wednesday, the first time an apparent test had landed near the…"
)


def route_related(simulator: ProviderSimulator, rewrite: dict[str, str] | None = None) -> None:
    """Serve the related article's page at its path (``rewrite`` edits it first)."""
    simulator.page(
        "/2023/03/15/n-korean-missile-lands-off-s-korea",
        html=RELATED_PAGE.read_text("utf-8"),
        rewrite=rewrite,
    )


def related_http(simulator: ProviderSimulator) -> HttpClient:
    """A client that reads every URL from the simulator (loopback: private networks allowed)."""
    return HttpClient(timeout=5.0, transport=simulator.transport(), allow_private_networks=True)


def route_reuters(simulator: ProviderSimulator) -> None:
    """Answer the seed Reuters post in every pasted form, canonical one included.

    The resolver asks for the canonical URL (``x.com/reuters/...``, handle in
    lower case); the simulator's default routes only know the pasted forms.
    """
    for url in {*REUTERS_URLS, *(parse_ref(u).url for u in REUTERS_URLS)}:
        simulator.route("/twitter/oembed", fixture="twitter-reuters.json", when_url=url)


@pytest.fixture
def sim_providers(simulator: ProviderSimulator, tmp_path: Path) -> Path:
    """A providers file pointing at the simulator, with the Reuters post routed."""
    path = simulator.providers_file(tmp_path)
    route_reuters(simulator)
    return path


@pytest.fixture
def sim_resolver(sim_providers: Path) -> Iterator[Resolver]:
    """A live (non-consent) Resolver whose providers are the simulator."""
    with Resolver(
        cache="memory://", providers=sim_providers, allow_private_networks=True
    ) as resolver:
        yield resolver
