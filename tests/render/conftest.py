"""Fixtures for the page-rendering tests: a Resolver wired to the provider simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.simulator import REUTERS_URLS, ProviderSimulator

from embedkit import Resolver
from embedkit.resolve._refs import parse_ref


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
