"""Fixtures shared by the whole test suite.

``simulator`` starts a :class:`tests.simulator.ProviderSimulator` (a real HTTP
server on 127.0.0.1, random port) for one test and stops it afterwards.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
if str(TESTS.parent) not in sys.path:
    sys.path.insert(0, str(TESTS.parent))

from tests.simulator import FIXTURES, ProviderSimulator  # noqa: E402


@pytest.fixture
def simulator() -> Iterator[ProviderSimulator]:
    """A running provider simulator; see tests/simulator.py for its API."""
    sim = ProviderSimulator().start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def oembed_fixtures() -> Path:
    """The folder of recorded provider responses (tests/fixtures/oembed)."""
    return FIXTURES
