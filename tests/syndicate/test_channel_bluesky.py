"""The Bluesky channel against a fake PDS, through atproto's real client and httpx."""

from __future__ import annotations

import json
import logging
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.syndicate.fakes import FakeBluesky, FakeHttpRecorder, Reply, refused_url, sample_post

from embedkit._errors import ChannelError, MissingCredential
from embedkit.net._http import HttpClient
from embedkit.syndicate._models import Facet, LinkCard
from embedkit.syndicate.channels import idempotency_key, make_channel
from embedkit.syndicate.channels._bluesky import BlueskyChannel, rkey_for

KEY = idempotency_key("article-1", "bluesky", "hash-1")
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
TEXT = "日韓、貿易で和解 https://example.com/a #Japan"
CREATE = "/xrpc/com.atproto.repo.createRecord"


def _facets(text: str) -> tuple[Facet, ...]:
    raw = text.encode("utf-8")
    url = b"https://example.com/a"
    start = raw.index(url)
    tag = raw.index(b"#Japan")
    return (
        Facet(start, start + len(url), "link", "https://example.com/a"),
        Facet(tag, tag + len(b"#Japan"), "tag", "Japan"),
    )


@pytest.fixture
def channels(fake_bluesky: FakeBluesky, tmp_path: Path) -> Iterator[list[BlueskyChannel]]:
    """Channels made by ``_make`` are closed after the test."""
    made: list[BlueskyChannel] = []
    yield made
    for channel in made:
        channel.close()


def _make(
    fake: FakeBluesky,
    session_path: Path,
    made: list[BlueskyChannel],
    *,
    password: str | None = None,
    timeout: float = 2.0,
) -> BlueskyChannel:
    env = {
        "EMBEDKIT_BLUESKY_HANDLE": fake.handle,
        "EMBEDKIT_BLUESKY_APP_PASSWORD": password or fake.password,
        "EMBEDKIT_BLUESKY_PDS": fake.url,
    }
    channel = make_channel("bluesky", env=env, timeout=timeout, session_path=session_path)
    assert isinstance(channel, BlueskyChannel)
    made.append(channel)
    return channel


def _png(path: Path, size: int) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * (size - 8))
    return path


def test_the_record_carries_text_facets_langs_and_link_card_on_the_wire(
    fake_bluesky: FakeBluesky, tmp_path: Path, channels: list[BlueskyChannel]
) -> None:
    card = LinkCard("https://example.com/a", "Japan, South Korea bury trade hatchet", "Summit")
    post = sample_post("bluesky", text=TEXT, facets=_facets(TEXT), card=card, lang="ja")
    published = _make(fake_bluesky, tmp_path / "s.json", channels).publish(
        post, idempotency_key=KEY
    )
    [request] = [r for r in fake_bluesky.requests if r.path == CREATE]
    sent = request.json()
    record = sent["record"]
    assert sent["repo"] == fake_bluesky.did
    assert sent["collection"] == "app.bsky.feed.post"
    assert record["text"] == TEXT
    assert record["langs"] == ["ja"]
    link, tag = record["facets"]
    assert link["index"]["byteStart"] == len("日韓、貿易で和解 ".encode())
    assert link["index"]["byteEnd"] == link["index"]["byteStart"] + len("https://example.com/a")
    assert link["features"] == [
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a"}
    ]
    assert tag["index"]["byteEnd"] == len(TEXT.encode())
    assert tag["features"] == [{"$type": "app.bsky.richtext.facet#tag", "tag": "Japan"}]
    assert record["embed"]["$type"] == "app.bsky.embed.external"
    external = record["embed"]["external"]
    assert (external["uri"], external["title"], external["description"]) == (
        "https://example.com/a",
        "Japan, South Korea bury trade hatchet",
        "Summit",
    )
    [created] = fake_bluesky.records
    assert published.id == created["uri"]
    assert published.url == f"https://bsky.app/profile/{fake_bluesky.handle}/post/{created['rkey']}"


def test_the_record_key_is_a_tid_derived_from_the_idempotency_key(
    fake_bluesky: FakeBluesky, tmp_path: Path, channels: list[BlueskyChannel]
) -> None:
    _make(fake_bluesky, tmp_path / "s.json", channels).publish(
        sample_post("bluesky"), idempotency_key=KEY
    )
    [request] = [r for r in fake_bluesky.requests if r.path == CREATE]
    assert request.json()["rkey"] == rkey_for(KEY)
    assert TID.match(rkey_for(KEY))


@given(st.text())
def test_derived_record_keys_are_always_valid_tids(key: str) -> None:
    assert TID.match(rkey_for(key))
    assert rkey_for(key) == rkey_for(key)


def test_a_retry_with_the_same_key_does_not_post_twice(
    fake_bluesky: FakeBluesky, tmp_path: Path, channels: list[BlueskyChannel]
) -> None:
    channel = _make(fake_bluesky, tmp_path / "s.json", channels)
    first = channel.publish(sample_post("bluesky"), idempotency_key=KEY)
    second = channel.publish(sample_post("bluesky"), idempotency_key=KEY)
    assert first.id == second.id
    assert len(fake_bluesky.records) == 1
    assert fake_bluesky.count(CREATE) == 2


def test_a_timeout_after_acceptance_is_ambiguous_and_the_retry_is_safe(
    fake_bluesky: FakeBluesky, tmp_path: Path, channels: list[BlueskyChannel]
) -> None:
    channel = _make(fake_bluesky, tmp_path / "s.json", channels, timeout=0.4)
    channel.recent()  # log in first, so the timeout hits createRecord
    fake_bluesky.fault("accept_then_hang", seconds=1.5)
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("bluesky"), idempotency_key=KEY)
    assert (info.value.retryable, info.value.ambiguous) == (True, True)
    assert channel.idempotent is True
    again = channel.publish(sample_post("bluesky"), idempotency_key=KEY)
    assert [r["uri"] for r in fake_bluesky.records] == [again.id]


def test_the_session_is_saved_and_reused_by_the_next_run(
    fake_bluesky: FakeBluesky, tmp_path: Path, channels: list[BlueskyChannel]
) -> None:
    path = tmp_path / "state" / "bluesky.json"
    _make(fake_bluesky, path, channels).publish(sample_post("bluesky"), idempotency_key="k1")
    _make(fake_bluesky, path, channels).publish(sample_post("bluesky"), idempotency_key="k2")
    assert fake_bluesky.sessions_created == 1
    assert fake_bluesky.count("/xrpc/com.atproto.server.createSession") == 1
    assert len(fake_bluesky.records) == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = path.read_text()
    assert fake_bluesky.password not in saved
    assert json.loads(saved)["handle"] == fake_bluesky.handle


def test_a_refused_saved_session_logs_in_again_once(
    fake_bluesky: FakeBluesky, tmp_path: Path, channels: list[BlueskyChannel]
) -> None:
    path = tmp_path / "s.json"
    _make(fake_bluesky, path, channels).recent()
    fake_bluesky.revoke_sessions()
    _make(fake_bluesky, path, channels).publish(sample_post("bluesky"), idempotency_key=KEY)
    assert fake_bluesky.sessions_created == 2
    assert len(fake_bluesky.records) == 1


def test_a_small_image_becomes_the_card_thumbnail(
    fake_bluesky: FakeBluesky, tmp_path: Path, channels: list[BlueskyChannel]
) -> None:
    image = _png(tmp_path / "thumb.png", 2048)
    card = LinkCard("https://example.com/a", "Title")
    _make(fake_bluesky, tmp_path / "s.json", channels).publish(
        sample_post("bluesky", card=card, image_file=image.resolve()), idempotency_key=KEY
    )
    [upload] = [r for r in fake_bluesky.requests if r.path.endswith("uploadBlob")]
    assert upload.headers["content-type"] == "image/png"
    assert upload.body == image.read_bytes()
    thumb = fake_bluesky.records[0]["record"]["embed"]["external"]["thumb"]
    assert thumb["mimeType"] == "image/png"
    assert thumb["size"] == 2048
    assert thumb["ref"]["$link"] == fake_bluesky.blobs[0]["cid"]


def test_an_image_over_a_million_bytes_is_skipped_with_a_warning(
    fake_bluesky: FakeBluesky,
    tmp_path: Path,
    channels: list[BlueskyChannel],
    caplog: pytest.LogCaptureFixture,
) -> None:
    image = _png(tmp_path / "big.png", 1_000_001)
    card = LinkCard("https://example.com/a", "Title")
    _make(fake_bluesky, tmp_path / "s.json", channels).publish(
        sample_post("bluesky", card=card, image_file=image.resolve()), idempotency_key=KEY
    )
    assert fake_bluesky.blobs == []
    assert "thumb" not in fake_bluesky.records[0]["record"]["embed"]["external"]
    assert "without a thumbnail" in caplog.text


def test_thread_parts_are_replies_to_the_root(
    fake_bluesky: FakeBluesky, tmp_path: Path, channels: list[BlueskyChannel]
) -> None:
    post = sample_post("bluesky", thread=("2/3", "3/3"))
    _make(fake_bluesky, tmp_path / "s.json", channels).publish(post, idempotency_key=KEY)
    root, second, third = fake_bluesky.records
    assert second["record"]["reply"]["root"]["uri"] == root["uri"]
    assert third["record"]["reply"]["root"]["uri"] == root["uri"]
    assert third["record"]["reply"]["parent"]["uri"] == second["uri"]


@pytest.mark.parametrize(
    ("status", "retryable"), [(400, False), (401, False), (403, False), (500, True), (503, True)]
)
def test_error_statuses_are_classified(
    fake_bluesky: FakeBluesky,
    tmp_path: Path,
    channels: list[BlueskyChannel],
    status: int,
    retryable: bool,
) -> None:
    fake_bluesky.fault("status", status=status, body=f"Injected {status} from the PDS")
    with pytest.raises(ChannelError) as info:
        _make(fake_bluesky, tmp_path / "s.json", channels).publish(
            sample_post("bluesky"), idempotency_key=KEY
        )
    assert (info.value.status, info.value.retryable, info.value.ambiguous) == (
        status,
        retryable,
        False,
    )
    assert f"Injected {status} from the PDS" in str(info.value)
    assert fake_bluesky.records == []


def test_rate_limit_carries_retry_after(
    fake_bluesky: FakeBluesky, tmp_path: Path, channels: list[BlueskyChannel]
) -> None:
    fake_bluesky.fault("rate_limit", retry_after=12)
    with pytest.raises(ChannelError) as info:
        _make(fake_bluesky, tmp_path / "s.json", channels).publish(
            sample_post("bluesky"), idempotency_key=KEY
        )
    assert (info.value.status, info.value.retryable, info.value.retry_after) == (429, True, 12.0)


def test_a_wrong_password_fails_without_showing_it(
    fake_bluesky: FakeBluesky,
    tmp_path: Path,
    channels: list[BlueskyChannel],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "zzzz-wrong-pass-word"
    channel = _make(fake_bluesky, tmp_path / "s.json", channels, password=wrong)
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("bluesky"), idempotency_key=KEY)
    assert (info.value.status, info.value.retryable) == (401, False)
    assert "Invalid identifier or password" in str(info.value)
    for shown in (str(info.value), repr(channel), caplog.text):
        assert wrong not in shown
    assert not (tmp_path / "s.json").exists()


def test_connection_refused_is_retryable_and_not_ambiguous(tmp_path: Path) -> None:
    channel = BlueskyChannel(
        "a.example.com",
        "pass-word",
        pds=refused_url(),
        timeout=1.0,
        session_path=tmp_path / "s.json",
    )
    try:
        with pytest.raises(ChannelError) as info:
            channel.publish(sample_post("bluesky"), idempotency_key=KEY)
    finally:
        channel.close()
    assert (info.value.retryable, info.value.ambiguous) == (True, False)


def test_recent_lists_the_post_records_newest_first(
    fake_bluesky: FakeBluesky, tmp_path: Path, channels: list[BlueskyChannel]
) -> None:
    channel = _make(fake_bluesky, tmp_path / "s.json", channels)
    channel.publish(sample_post("bluesky", text="first"), idempotency_key="k1")
    channel.publish(sample_post("bluesky", text="second"), idempotency_key="k2")
    assert [p.text for p in channel.recent(limit=10)] == ["second", "first"]
    found = channel.find("k1")
    assert found is not None
    assert (found.text, found.idempotency_key) == ("first", "k1")
    assert channel.find("never-posted") is None


def test_missing_credentials_name_the_variables() -> None:
    with pytest.raises(MissingCredential) as info:
        make_channel("bluesky", env={"EMBEDKIT_BLUESKY_HANDLE": "a.example.com"})
    assert "EMBEDKIT_BLUESKY_APP_PASSWORD" in str(info.value)
    assert "EMBEDKIT_BLUESKY_HANDLE" not in str(info.value)


@pytest.mark.parametrize(("size", "uploaded"), [(4096, True), (1_000_001, False)])
def test_a_remote_thumbnail_is_fetched_through_the_hardened_client(
    fake_bluesky: FakeBluesky,
    http_recorder: FakeHttpRecorder,
    tmp_path: Path,
    size: int,
    uploaded: bool,
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * (size - 8)
    http_recorder.route("GET", "/images/thumb.png", Reply(200, png, {"Content-Type": "image/png"}))
    http = HttpClient(timeout=2.0, allow_private_networks=True)  # the recorder is on 127.0.0.1
    channel = BlueskyChannel(
        fake_bluesky.handle,
        fake_bluesky.password,
        pds=fake_bluesky.url,
        timeout=2.0,
        session_path=tmp_path / "s.json",
        http=http,
    )
    card = LinkCard("https://example.com/a", "Title", thumb=http_recorder.url + "/images/thumb.png")
    try:
        channel.publish(sample_post("bluesky", card=card), idempotency_key=KEY)
    finally:
        channel.close()
        http.close()
    external = fake_bluesky.records[0]["record"]["embed"]["external"]
    assert ("thumb" in external) is uploaded
    assert [b["size"] for b in fake_bluesky.blobs] == ([size] if uploaded else [])


def test_a_refreshed_session_is_saved_for_the_next_run(tmp_path: Path) -> None:
    fake = FakeBluesky(access_ttl=60).start()  # expires within atproto's 15-minute margin
    path = tmp_path / "s.json"
    made: list[BlueskyChannel] = []
    try:
        _make(fake, path, made).recent()
        first = json.loads(path.read_text())["session"]
        _make(fake, path, made).publish(sample_post("bluesky"), idempotency_key=KEY)
        second = json.loads(path.read_text())["session"]
    finally:
        for channel in made:
            channel.close()
        fake.stop()
    assert fake.sessions_created == 1
    assert fake.sessions_refreshed >= 1
    assert second != first
    assert len(fake.records) == 1


@pytest.mark.parametrize("status", [409, 500])
def test_a_retry_refused_in_another_way_still_finds_the_existing_post(
    fake_bluesky: FakeBluesky, tmp_path: Path, channels: list[BlueskyChannel], status: int
) -> None:
    channel = _make(fake_bluesky, tmp_path / "s.json", channels)
    first = channel.publish(sample_post("bluesky"), idempotency_key=KEY)
    fake_bluesky.fault("status", status=status, body="Record already exists (another wording)")
    again = channel.publish(sample_post("bluesky"), idempotency_key=KEY)
    assert again.id == first.id
    assert len(fake_bluesky.records) == 1
