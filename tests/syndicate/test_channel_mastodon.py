"""The Mastodon channel against a fake instance, through Mastodon.py's real HTTP layer."""

from __future__ import annotations

import logging
import struct
import zlib
from pathlib import Path

import pytest
from tests.syndicate.fakes import FakeMastodon, refused_url, sample_post

from embedkit._errors import ChannelError, MissingCredential
from embedkit.syndicate.channels import idempotency_key, make_channel
from embedkit.syndicate.channels._mastodon import MastodonChannel, html_to_text

KEY = idempotency_key("article-1", "mastodon", "hash-1")


def _channel(fake: FakeMastodon, timeout: float = 2.0) -> MastodonChannel:
    env = {"EMBEDKIT_MASTODON_URL": fake.url, "EMBEDKIT_MASTODON_TOKEN": fake.token}
    channel = make_channel("mastodon", env=env, timeout=timeout)
    assert isinstance(channel, MastodonChannel)
    return channel


def _png(path: Path) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"\x00\xff\x00\x00"  # one red pixel, filter byte 0
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(png)
    return path


def test_publish_returns_the_status_id_and_url(fake_mastodon: FakeMastodon) -> None:
    post = sample_post("mastodon", lang="en")
    published = _channel(fake_mastodon).publish(post, idempotency_key=KEY)
    [created] = fake_mastodon.posts
    assert published.id == created["id"]
    assert published.url == f"{fake_mastodon.url}/@newsroom/{created['id']}"
    assert created["status"] == post.text
    assert created["language"] == "en"
    assert created["visibility"] == "public"


def test_the_idempotency_key_is_on_the_wire(fake_mastodon: FakeMastodon) -> None:
    _channel(fake_mastodon).publish(sample_post("mastodon"), idempotency_key=KEY)
    [request] = [r for r in fake_mastodon.requests if r.path == "/api/v1/statuses"]
    assert request.headers["idempotency-key"] == KEY
    assert request.headers["authorization"] == f"Bearer {fake_mastodon.token}"


def test_a_retry_with_the_same_key_does_not_post_twice(fake_mastodon: FakeMastodon) -> None:
    channel = _channel(fake_mastodon)
    first = channel.publish(sample_post("mastodon"), idempotency_key=KEY)
    second = channel.publish(sample_post("mastodon"), idempotency_key=KEY)
    assert first.id == second.id
    assert len(fake_mastodon.posts) == 1
    assert fake_mastodon.count("/api/v1/statuses", "POST") == 2


def test_timeout_after_the_post_was_accepted_is_ambiguous_and_a_retry_is_safe(
    fake_mastodon: FakeMastodon,
) -> None:
    fake_mastodon.fault("accept_then_hang", seconds=1.5)
    channel = _channel(fake_mastodon, timeout=0.3)
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("mastodon"), idempotency_key=KEY)
    assert (info.value.retryable, info.value.ambiguous) == (True, True)
    assert len(fake_mastodon.posts) == 1
    retried = channel.publish(sample_post("mastodon"), idempotency_key=KEY)
    assert retried.id == fake_mastodon.posts[0]["id"]
    assert len(fake_mastodon.posts) == 1


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (422, False),
        (500, True),
        (502, True),
        (503, True),
    ],
)
def test_error_statuses_are_classified(
    fake_mastodon: FakeMastodon, status: int, retryable: bool
) -> None:
    fake_mastodon.fault("status", status=status, body=f"Injected {status} from the instance")
    with pytest.raises(ChannelError) as info:
        _channel(fake_mastodon).publish(sample_post("mastodon"), idempotency_key=KEY)
    assert info.value.status == status
    assert info.value.retryable is retryable
    assert info.value.ambiguous is False
    assert f"Injected {status} from the instance" in str(info.value)
    assert fake_mastodon.posts == []


def test_rate_limit_carries_retry_after(fake_mastodon: FakeMastodon) -> None:
    fake_mastodon.fault("rate_limit", retry_after=7)
    with pytest.raises(ChannelError) as info:
        _channel(fake_mastodon).publish(sample_post("mastodon"), idempotency_key=KEY)
    assert (info.value.status, info.value.retryable, info.value.retry_after) == (429, True, 7.0)


def test_a_hang_is_an_ambiguous_timeout(fake_mastodon: FakeMastodon) -> None:
    fake_mastodon.fault("hang", seconds=1.0)
    with pytest.raises(ChannelError) as info:
        _channel(fake_mastodon, timeout=0.3).publish(sample_post("mastodon"), idempotency_key=KEY)
    assert (info.value.retryable, info.value.ambiguous) == (True, True)


def test_connection_refused_is_retryable_and_not_ambiguous() -> None:
    env = {"EMBEDKIT_MASTODON_URL": refused_url(), "EMBEDKIT_MASTODON_TOKEN": "t" * 20}
    with pytest.raises(ChannelError) as info:
        make_channel("mastodon", env=env, timeout=1.0).publish(
            sample_post("mastodon"), idempotency_key=KEY
        )
    assert (info.value.retryable, info.value.ambiguous) == (True, False)


def test_a_wrong_token_is_refused_without_showing_it(
    fake_mastodon: FakeMastodon, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-token-that-must-stay-secret"
    channel = MastodonChannel(fake_mastodon.url, wrong, timeout=2.0)
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("mastodon"), idempotency_key=KEY)
    assert (info.value.status, info.value.retryable) == (401, False)
    assert "access token is invalid" in str(info.value)
    for shown in (str(info.value), repr(channel), caplog.text):
        assert wrong not in shown


def test_thread_parts_are_replies_in_a_chain(fake_mastodon: FakeMastodon) -> None:
    post = sample_post("mastodon", thread=("2/3 more", "3/3 end"))
    published = _channel(fake_mastodon).publish(post, idempotency_key=KEY)
    head, second, third = fake_mastodon.posts
    assert published.id == head["id"]
    assert (second["in_reply_to_id"], third["in_reply_to_id"]) == (head["id"], second["id"])
    assert [p["status"] for p in (second, third)] == ["2/3 more", "3/3 end"]
    assert third["idempotency_key"] == f"{KEY}-2"


def test_an_image_is_uploaded_and_attached(fake_mastodon: FakeMastodon, tmp_path: Path) -> None:
    image = _png(tmp_path / "photo.png")
    _channel(fake_mastodon).publish(
        sample_post("mastodon", image_file=image.resolve()), idempotency_key=KEY
    )
    [media] = fake_mastodon.media
    assert media["size"] == image.stat().st_size
    assert fake_mastodon.posts[0]["media_ids"] == [media["id"]]


def test_a_missing_image_is_skipped_with_a_warning(
    fake_mastodon: FakeMastodon, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    post = sample_post("mastodon", image_file=tmp_path.resolve() / "missing.png")
    _channel(fake_mastodon).publish(post, idempotency_key=KEY)
    assert fake_mastodon.posts[0]["media_ids"] == []
    assert "without the image" in caplog.text


def test_recent_reads_the_account_statuses_newest_first(fake_mastodon: FakeMastodon) -> None:
    fake_mastodon.add_status("older & first")
    fake_mastodon.add_status("newer\n\nsecond paragraph")
    recent = _channel(fake_mastodon).recent(limit=10)
    assert [p.text for p in recent] == ["newer\n\nsecond paragraph", "older & first"]
    assert recent[0].created_at is not None


def test_max_characters_comes_from_the_instance() -> None:
    fake = FakeMastodon(token="tok-123456", max_characters=1000).start()
    try:
        assert MastodonChannel(fake.url, "tok-123456").max_characters() == 1000
    finally:
        fake.stop()


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, ["EMBEDKIT_MASTODON_URL", "EMBEDKIT_MASTODON_TOKEN"]),
        ({"EMBEDKIT_MASTODON_URL": "https://m.example"}, ["EMBEDKIT_MASTODON_TOKEN"]),
        (
            {"EMBEDKIT_MASTODON_TOKEN": "abc", "EMBEDKIT_MASTODON_URL": " "},
            ["EMBEDKIT_MASTODON_URL"],
        ),
    ],
)
def test_missing_credentials_name_the_variables(env: dict[str, str], missing: list[str]) -> None:
    with pytest.raises(MissingCredential) as info:
        make_channel("mastodon", env=env)
    for name in missing:
        assert name in str(info.value)
    for name in {"EMBEDKIT_MASTODON_URL", "EMBEDKIT_MASTODON_TOKEN"} - set(missing):
        assert name not in str(info.value)


def test_html_content_becomes_text() -> None:
    assert html_to_text('<p>A &amp; B <a href="https://e.x">e.x</a></p><p>C<br>D</p>') == (
        "A & B e.x\n\nC\nD"
    )


def test_building_the_channel_makes_no_request(fake_mastodon: FakeMastodon) -> None:
    channel = _channel(fake_mastodon)
    assert fake_mastodon.requests == []
    assert fake_mastodon.token not in repr(channel)


def test_an_unreadable_success_is_ambiguous(fake_mastodon: FakeMastodon) -> None:
    fake_mastodon.fault("malformed")
    with pytest.raises(ChannelError) as info:
        _channel(fake_mastodon).publish(sample_post("mastodon"), idempotency_key=KEY)
    assert (info.value.retryable, info.value.ambiguous) == (True, True)


def test_a_dropped_connection_after_sending_is_ambiguous(fake_mastodon: FakeMastodon) -> None:
    fake_mastodon.fault("drop")
    with pytest.raises(ChannelError) as info:
        _channel(fake_mastodon).publish(sample_post("mastodon"), idempotency_key=KEY)
    assert (info.value.retryable, info.value.ambiguous) == (True, True)
    assert fake_mastodon.posts == []
