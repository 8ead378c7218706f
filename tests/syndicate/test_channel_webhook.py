"""Slack and Discord webhooks against a local recorder: the URL is a secret and stays hidden."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from tests.syndicate.fakes import FakeHttpRecorder, Reply, refused_url, sample_post

from embedkit._errors import ChannelError, MissingCredential
from embedkit.syndicate.channels import idempotency_key, make_channel
from embedkit.syndicate.channels._webhook import DiscordWebhook, SlackWebhook

KEY = idempotency_key("article-1", "slack", "hash-1")
SLACK_PATH = "/services/T0001/B0001/slacksecretXYZ123"
DISCORD_PATH = "/api/webhooks/1234567890/discordsecretABC987"


@pytest.fixture
def made() -> Iterator[list[SlackWebhook | DiscordWebhook]]:
    channels: list[SlackWebhook | DiscordWebhook] = []
    yield channels
    for channel in channels:
        channel.close()


def _slack(
    url: str, made: list[SlackWebhook | DiscordWebhook], timeout: float = 2.0
) -> SlackWebhook:
    channel = make_channel("slack", env={"EMBEDKIT_SLACK_WEBHOOK_URL": url}, timeout=timeout)
    assert isinstance(channel, SlackWebhook)
    made.append(channel)
    return channel


def _discord(
    url: str, made: list[SlackWebhook | DiscordWebhook], timeout: float = 2.0
) -> DiscordWebhook:
    channel = make_channel("discord", env={"EMBEDKIT_DISCORD_WEBHOOK_URL": url}, timeout=timeout)
    assert isinstance(channel, DiscordWebhook)
    made.append(channel)
    return channel


def test_slack_posts_the_text_to_the_secret_url(
    http_recorder: FakeHttpRecorder, made: list[SlackWebhook | DiscordWebhook]
) -> None:
    http_recorder.route("POST", SLACK_PATH, Reply(200, b"ok", {"Content-Type": "text/plain"}))
    post = sample_post("slack")
    published = _slack(http_recorder.url + SLACK_PATH, made).publish(post, idempotency_key=KEY)
    [request] = http_recorder.requests
    assert request.path == SLACK_PATH
    assert request.json()["text"] == post.text
    assert published.id == f"slack-{KEY[:20]}"
    assert published.url is None


def test_discord_waits_for_the_message_and_disables_mentions(
    http_recorder: FakeHttpRecorder, made: list[SlackWebhook | DiscordWebhook]
) -> None:
    message = {"id": "1180000000000000001", "channel_id": "555", "guild_id": "777", "content": "x"}
    http_recorder.route("POST", DISCORD_PATH, Reply.json(message))
    post = sample_post("discord", text="@everyone Japan and Korea https://example.com/a")
    published = _discord(http_recorder.url + DISCORD_PATH, made).publish(post, idempotency_key=KEY)
    [request] = http_recorder.requests
    assert request.query == {"wait": ["true"]}
    assert request.json() == {"content": post.text, "allowed_mentions": {"parse": []}}
    assert published.id == "1180000000000000001"
    assert published.url == "https://discord.com/channels/777/555/1180000000000000001"


def test_a_query_in_the_discord_url_is_kept(
    http_recorder: FakeHttpRecorder, made: list[SlackWebhook | DiscordWebhook]
) -> None:
    http_recorder.route("POST", DISCORD_PATH, Reply.json({"id": "9", "channel_id": "1"}))
    url = http_recorder.url + DISCORD_PATH + "?thread_id=42"
    published = _discord(url, made).publish(sample_post("discord"), idempotency_key=KEY)
    assert http_recorder.requests[0].query == {"thread_id": ["42"], "wait": ["true"]}
    assert published.url is None  # no guild id in the answer


@pytest.mark.parametrize(
    ("status", "body", "retryable", "words"),
    [
        (400, b"invalid_payload", False, "invalid_payload"),
        (403, b"action_prohibited", False, "action_prohibited"),
        (404, b"no_service", False, "no_service"),
        (410, b"channel_is_archived", False, "channel_is_archived"),
        (500, b"rollup_error", True, "rollup_error"),
    ],
)
def test_slack_errors_are_classified_and_name_slack_not_the_url(
    http_recorder: FakeHttpRecorder,
    made: list[SlackWebhook | DiscordWebhook],
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: bytes,
    retryable: bool,
    words: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    http_recorder.route("POST", SLACK_PATH, Reply(status, body, {"Content-Type": "text/plain"}))
    channel = _slack(http_recorder.url + SLACK_PATH, made)
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("slack"), idempotency_key=KEY)
    assert (info.value.status, info.value.retryable) == (status, retryable)
    assert words in str(info.value)
    assert "hooks.slack.invalid" in caplog.text  # httpx logged the placeholder URL
    for shown in (str(info.value), repr(channel), caplog.text):
        assert "slacksecretXYZ123" not in shown


def test_discord_rate_limit_uses_the_body_retry_after(
    http_recorder: FakeHttpRecorder, made: list[SlackWebhook | DiscordWebhook]
) -> None:
    body = {"message": "You are being rate limited.", "retry_after": 2.5, "global": False}
    http_recorder.route("POST", DISCORD_PATH, Reply.json(body, status=429))
    with pytest.raises(ChannelError) as info:
        _discord(http_recorder.url + DISCORD_PATH, made).publish(
            sample_post("discord"), idempotency_key=KEY
        )
    assert (info.value.status, info.value.retryable, info.value.retry_after) == (429, True, 2.5)
    assert "rate limited" in str(info.value)


def test_a_hang_after_sending_is_ambiguous_and_hides_the_url(
    http_recorder: FakeHttpRecorder,
    made: list[SlackWebhook | DiscordWebhook],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    http_recorder.route("POST", DISCORD_PATH, Reply.json({"id": "1", "channel_id": "2"}))
    http_recorder.fault("hang", seconds=1.0)
    with pytest.raises(ChannelError) as info:
        _discord(http_recorder.url + DISCORD_PATH, made, timeout=0.3).publish(
            sample_post("discord"), idempotency_key=KEY
        )
    assert (info.value.retryable, info.value.ambiguous) == (True, True)
    assert "discordsecretABC987" not in str(info.value)
    assert "discordsecretABC987" not in caplog.text
    assert info.value.__cause__ is None


def test_connection_refused_is_not_ambiguous(made: list[SlackWebhook | DiscordWebhook]) -> None:
    with pytest.raises(ChannelError) as info:
        _slack(refused_url() + SLACK_PATH, made).publish(sample_post("slack"), idempotency_key=KEY)
    assert (info.value.retryable, info.value.ambiguous) == (True, False)
    assert "slacksecretXYZ123" not in str(info.value)


def test_webhooks_cannot_list_past_posts(made: list[SlackWebhook | DiscordWebhook]) -> None:
    channel = _slack("https://hooks.slack.com/services/T/B/secret", made)
    with pytest.raises(NotImplementedError):
        channel.recent()
    assert "secret" not in repr(channel)


@pytest.mark.parametrize(
    ("name", "variable"),
    [("slack", "EMBEDKIT_SLACK_WEBHOOK_URL"), ("discord", "EMBEDKIT_DISCORD_WEBHOOK_URL")],
)
def test_missing_webhook_url_names_the_variable(name: str, variable: str) -> None:
    with pytest.raises(MissingCredential, match=variable):
        make_channel(name, env={})


def test_an_unreadable_discord_answer_is_ambiguous(
    http_recorder: FakeHttpRecorder, made: list[SlackWebhook | DiscordWebhook]
) -> None:
    http_recorder.route("POST", DISCORD_PATH, Reply.json({"id": "1", "channel_id": "2"}))
    http_recorder.fault("malformed")
    with pytest.raises(ChannelError) as info:
        _discord(http_recorder.url + DISCORD_PATH, made).publish(
            sample_post("discord"), idempotency_key=KEY
        )
    assert (info.value.retryable, info.value.ambiguous) == (True, True)
