"""Fixtures for the syndicator tests: fake platforms on 127.0.0.1.

``fake_mastodon``, ``fake_bluesky`` and ``http_recorder`` each start one server
from :mod:`tests.syndicate.fakes` for a test and stop it afterwards. Their
credentials are fixed, test-only values (see the fakes' defaults).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.syndicate.fakes import FakeBluesky, FakeHttpRecorder, FakeMastodon

#: The bearer token the fake Mastodon accepts.
MASTODON_TOKEN = "mastodon-secret-token-0123456789"
#: The Bluesky handle and app password the fake PDS accepts.
BLUESKY_HANDLE = "newsroom.example.com"
BLUESKY_PASSWORD = "abcd-efgh-ijkl-mnop"


@pytest.fixture
def fake_mastodon() -> Iterator[FakeMastodon]:
    """A running :class:`FakeMastodon` accepting ``MASTODON_TOKEN``."""
    fake = FakeMastodon(token=MASTODON_TOKEN).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_bluesky() -> Iterator[FakeBluesky]:
    """A running :class:`FakeBluesky` for ``BLUESKY_HANDLE`` / ``BLUESKY_PASSWORD``."""
    fake = FakeBluesky(handle=BLUESKY_HANDLE, password=BLUESKY_PASSWORD).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def http_recorder() -> Iterator[FakeHttpRecorder]:
    """A running :class:`FakeHttpRecorder` (404 for every path until routes are set)."""
    fake = FakeHttpRecorder().start()
    try:
        yield fake
    finally:
        fake.stop()
