"""The fakes answer like the platforms: checked with the platforms' own client libraries."""

from __future__ import annotations

import pytest
from mastodon import Mastodon, MastodonNetworkError
from tests.syndicate.fakes import FakeMastodon


def _client(fake: FakeMastodon, timeout: float = 2.0) -> Mastodon:
    return Mastodon(
        access_token=fake.token,
        api_base_url=fake.url,
        request_timeout=timeout,
        ratelimit_method="throw",
        version_check_mode="none",
    )


def test_fake_mastodon_dedupes_a_repeated_idempotency_key(fake_mastodon: FakeMastodon) -> None:
    client = _client(fake_mastodon)
    first = client.status_post("Hello", idempotency_key="k-1")
    second = client.status_post("Hello", idempotency_key="k-1")
    assert first["id"] == second["id"]
    assert [p["idempotency_key"] for p in fake_mastodon.posts] == ["k-1"]


def test_fake_mastodon_accept_then_hang_creates_the_post_and_times_out(
    fake_mastodon: FakeMastodon,
) -> None:
    seen: list[str] = []
    fake_mastodon.on_post = lambda post: seen.append(post["status"])
    fake_mastodon.fault("accept_then_hang", seconds=1.0)
    with pytest.raises(MastodonNetworkError):
        _client(fake_mastodon, timeout=0.3).status_post("Late")
    assert seen == ["Late"]
    assert [p["status"] for p in fake_mastodon.posts] == ["Late"]
