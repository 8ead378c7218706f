"""The Telegram channel against a local Bot API recorder: the token in the path never leaks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.syndicate.fakes import FakeHttpRecorder, Reply, sample_post

from embedkit._errors import ChannelError, MissingCredential
from embedkit.syndicate._models import LinkCard
from embedkit.syndicate.channels import idempotency_key, make_channel
from embedkit.syndicate.channels._telegram import TelegramChannel

TOKEN = "7000000001:AAHsecretTelegramTokenValue_0123456"
KEY = idempotency_key("article-1", "telegram", "hash-1")


def _sent(message_id: int, chat: dict[str, object]) -> Reply:
    return Reply.json({"ok": True, "result": {"message_id": message_id, "chat": chat, "date": 1}})


@pytest.fixture
def channel(http_recorder: FakeHttpRecorder) -> Iterator[TelegramChannel]:
    env = {
        "EMBEDKIT_TELEGRAM_BOT_TOKEN": TOKEN,
        "EMBEDKIT_TELEGRAM_CHAT_ID": "@newsroom",
        "EMBEDKIT_TELEGRAM_API_URL": http_recorder.url,
    }
    made = make_channel("telegram", env=env, timeout=0.5)
    assert isinstance(made, TelegramChannel)
    yield made
    made.close()


def test_send_message_with_a_link_preview(
    http_recorder: FakeHttpRecorder, channel: TelegramChannel
) -> None:
    chat = {"id": -1001234567890, "type": "channel", "username": "newsroom"}
    http_recorder.route("POST", f"/bot{TOKEN}/sendMessage", _sent(42, chat))
    card = LinkCard("https://example.com/a", "Title")
    post = sample_post("telegram", card=card)
    published = channel.publish(post, idempotency_key=KEY)
    [request] = http_recorder.requests
    assert request.json() == {
        "chat_id": "@newsroom",
        "text": post.text,
        "link_preview_options": {"url": "https://example.com/a", "prefer_large_media": True},
    }
    assert (published.id, published.url) == ("42", "https://t.me/newsroom/42")


def test_a_private_supergroup_gets_a_c_link(
    http_recorder: FakeHttpRecorder, channel: TelegramChannel
) -> None:
    http_recorder.route(
        "POST", f"/bot{TOKEN}/sendMessage", _sent(7, {"id": -1001234567890, "type": "supergroup"})
    )
    published = channel.publish(sample_post("telegram"), idempotency_key=KEY)
    assert published.url == "https://t.me/c/1234567890/7"


def test_an_image_url_is_sent_as_a_photo_with_caption(
    http_recorder: FakeHttpRecorder, channel: TelegramChannel
) -> None:
    http_recorder.route("POST", f"/bot{TOKEN}/sendPhoto", _sent(8, {"id": 1, "type": "private"}))
    post = sample_post("telegram", image="https://example.com/photo.jpg")
    channel.publish(post, idempotency_key=KEY)
    assert http_recorder.requests[0].json() == {
        "chat_id": "@newsroom",
        "photo": "https://example.com/photo.jpg",
        "caption": post.text,
    }


def test_a_local_image_is_uploaded(
    http_recorder: FakeHttpRecorder, channel: TelegramChannel, tmp_path: Path
) -> None:
    http_recorder.route("POST", f"/bot{TOKEN}/sendPhoto", _sent(9, {"id": 1, "type": "private"}))
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x01" * 16)
    channel.publish(sample_post("telegram", image_file=image.resolve()), idempotency_key=KEY)
    parts = http_recorder.requests[0].multipart()
    assert parts["photo"] == image.read_bytes()
    assert parts["chat_id"] == b"@newsroom"


@pytest.mark.parametrize(
    ("status", "description", "retryable", "retry_after"),
    [
        (400, "Bad Request: chat not found", False, None),
        (401, "Unauthorized", False, None),
        (403, "Forbidden: bot is not a member of the channel chat", False, None),
        (429, "Too Many Requests: retry after 5", True, 5.0),
        (502, "Bad Gateway", True, None),
    ],
)
def test_bot_api_errors_are_classified(
    http_recorder: FakeHttpRecorder,
    channel: TelegramChannel,
    caplog: pytest.LogCaptureFixture,
    status: int,
    description: str,
    retryable: bool,
    retry_after: float | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    body: dict[str, object] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": int(retry_after)}
    http_recorder.route("POST", f"/bot{TOKEN}/sendMessage", Reply.json(body, status=status))
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("telegram"), idempotency_key=KEY)
    error = info.value
    assert (error.status, error.retryable, error.retry_after) == (status, retryable, retry_after)
    assert description in str(error)
    assert "/botREDACTED/sendMessage" in caplog.text  # httpx logged the request, token-free
    for shown in (str(error), repr(channel), caplog.text):
        assert TOKEN not in shown
        assert "AAHsecret" not in shown


def test_a_timeout_after_sending_is_ambiguous_and_hides_the_token(
    http_recorder: FakeHttpRecorder, channel: TelegramChannel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    http_recorder.fault("hang", seconds=1.0)
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("telegram"), idempotency_key=KEY)
    assert (info.value.retryable, info.value.ambiguous) == (True, True)
    assert TOKEN not in str(info.value)
    assert TOKEN not in caplog.text
    assert http_recorder.requests[0].path == f"/bot{TOKEN}/sendMessage"


def test_recent_is_not_possible(channel: TelegramChannel) -> None:
    with pytest.raises(NotImplementedError):
        channel.recent()


def test_missing_variables_are_named() -> None:
    with pytest.raises(MissingCredential) as info:
        make_channel("telegram", env={"EMBEDKIT_TELEGRAM_BOT_TOKEN": TOKEN})
    assert "EMBEDKIT_TELEGRAM_CHAT_ID" in str(info.value)
    assert TOKEN not in str(info.value)


@settings(max_examples=60, deadline=None)
@given(
    token=st.from_regex(r"[0-9]{6,10}:[A-Za-z0-9_-]{20,40}", fullmatch=True),
    status=st.sampled_from([400, 401, 403, 404, 409, 429, 500, 502]),
    echo=st.booleans(),
)
def test_no_token_reaches_an_error_even_when_the_api_echoes_it(
    token: str, status: int, echo: bool
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"/bot{token}/sendMessage"
        said = f"Bad thing at {request.url}" if echo else "Bad Request"
        return httpx.Response(status, json={"ok": False, "error_code": status, "description": said})

    channel = TelegramChannel(
        token,
        "@newsroom",
        api_url="https://api.telegram.invalid",
        transport=httpx.MockTransport(answer),
    )
    try:
        with pytest.raises(ChannelError) as info:
            channel.publish(sample_post("telegram"), idempotency_key=KEY)
    finally:
        channel.close()
    assert token not in str(info.value)
    assert token not in repr(channel)
    assert info.value.status == status
