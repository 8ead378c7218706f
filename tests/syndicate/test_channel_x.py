"""The X channel: tweepy's real request path, intercepted at the requests layer by ``responses``.

X's hosts are fixed (api.twitter.com, upload.twitter.com), so instead of a
local server these tests register responses for those URLs; tweepy, OAuth 1.0a
signing and requests all run for real.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from tests.syndicate.fakes import sample_post

from embedkit._errors import ChannelError, MissingCredential
from embedkit.syndicate.channels import idempotency_key, make_channel
from embedkit.syndicate.channels._x import XChannel

TWEETS = "https://api.twitter.com/2/tweets"
UPLOAD = "https://upload.twitter.com/1.1/media/upload.json"
ME = "https://api.twitter.com/2/users/me"
KEY = idempotency_key("article-1", "x", "hash-1")
ENV = {
    "EMBEDKIT_X_API_KEY": "consumer-key-AAAA",
    "EMBEDKIT_X_API_SECRET": "consumer-secret-BBBB",
    "EMBEDKIT_X_ACCESS_TOKEN": "access-token-CCCC",
    "EMBEDKIT_X_ACCESS_SECRET": "access-secret-DDDD",
}
SECRETS = tuple(ENV.values())


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def _channel() -> XChannel:
    channel = make_channel("x", env=ENV, timeout=2.0)
    assert isinstance(channel, XChannel)
    return channel


def _json_body(request: requests.PreparedRequest) -> Any:
    """The JSON a request sent (every request these tests inspect has a body)."""
    assert request.body is not None
    return json.loads(request.body)


def _created(tweet_id: str, text: str = "t") -> dict[str, object]:
    return {"data": {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id]}}


def test_publish_sends_the_text_signed_with_oauth1(mocked: responses.RequestsMock) -> None:
    mocked.post(TWEETS, json=_created("1636212467429621760"), status=201)
    post = sample_post("x")
    published = _channel().publish(post, idempotency_key=KEY)
    assert published.id == "1636212467429621760"
    assert published.url == "https://x.com/i/web/status/1636212467429621760"
    [call] = mocked.calls
    assert _json_body(call.request) == {"text": post.text}
    auth = call.request.headers["Authorization"]
    assert auth.startswith("OAuth ")
    assert 'oauth_consumer_key="consumer-key-AAAA"' in auth
    assert 'oauth_token="access-token-CCCC"' in auth
    assert "oauth_signature=" in auth
    assert "consumer-secret-BBBB" not in auth
    assert "access-secret-DDDD" not in auth


def test_a_thread_is_a_reply_chain(mocked: responses.RequestsMock) -> None:
    for tweet_id in ("100", "101", "102"):
        mocked.post(TWEETS, json=_created(tweet_id), status=201)
    post = sample_post("x", thread=("2/3", "3/3"))
    assert _channel().publish(post, idempotency_key=KEY).id == "100"
    bodies = [_json_body(c.request) for c in mocked.calls]
    assert bodies[1] == {"text": "2/3", "reply": {"in_reply_to_tweet_id": "100"}}
    assert bodies[2] == {"text": "3/3", "reply": {"in_reply_to_tweet_id": "101"}}


def test_a_failed_reply_keeps_the_published_head(mocked: responses.RequestsMock) -> None:
    mocked.post(TWEETS, json=_created("100"), status=201)
    mocked.post(TWEETS, json={"title": "Service Unavailable"}, status=503)
    published = _channel().publish(sample_post("x", thread=("2/2",)), idempotency_key=KEY)
    assert published.id == "100"
    assert "reply 1" in published.extra["thread_error"]


def test_an_image_is_uploaded_to_the_v1_endpoint_and_attached(
    mocked: responses.RequestsMock, tmp_path: Path
) -> None:
    image = tmp_path / "photo.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    mocked.post(
        UPLOAD, json={"media_id": 710511363345354753, "media_id_string": "710511363345354753"}
    )
    mocked.post(TWEETS, json=_created("200"), status=201)
    _channel().publish(sample_post("x", image_file=image.resolve()), idempotency_key=KEY)
    upload, tweet = mocked.calls
    assert upload.request.headers["Content-Type"].startswith("multipart/form-data")
    assert isinstance(upload.request.body, bytes)
    assert b"\xff\xd8\xff\xe0" in upload.request.body
    assert upload.request.headers["Authorization"].startswith("OAuth ")
    assert _json_body(tweet.request)["media"] == {"media_ids": ["710511363345354753"]}


def _error_body(status: int) -> dict[str, object]:
    return {"title": "Problem", "detail": f"Injected {status} from X", "status": status}


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (422, False),
        (500, True),
        (503, True),
    ],
)
def test_error_statuses_are_classified(
    mocked: responses.RequestsMock, status: int, retryable: bool
) -> None:
    mocked.post(TWEETS, json=_error_body(status), status=status)
    with pytest.raises(ChannelError) as info:
        _channel().publish(sample_post("x"), idempotency_key=KEY)
    assert (info.value.status, info.value.retryable, info.value.ambiguous) == (
        status,
        retryable,
        False,
    )
    assert f"Injected {status} from X" in str(info.value)


def test_rate_limit_uses_the_reset_time(mocked: responses.RequestsMock) -> None:
    reset = int(time.time()) + 90
    mocked.post(
        TWEETS,
        json={"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
        status=429,
        headers={"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"},
    )
    with pytest.raises(ChannelError) as info:
        _channel().publish(sample_post("x"), idempotency_key=KEY)
    assert (info.value.status, info.value.retryable) == (429, True)
    assert info.value.retry_after is not None
    assert 80 <= info.value.retry_after <= 91


def test_a_duplicate_refusal_says_the_text_is_already_there(
    mocked: responses.RequestsMock,
) -> None:
    body = {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "status": 403,
        "title": "Forbidden",
    }
    mocked.post(TWEETS, json=body, status=403)
    with pytest.raises(ChannelError) as info:
        _channel().publish(sample_post("x"), idempotency_key=KEY)
    assert info.value.retryable is False
    assert "probably posted" in str(info.value)


@pytest.mark.parametrize(
    ("exception", "ambiguous"),
    [
        (requests.exceptions.ReadTimeout("read timed out"), True),
        (requests.exceptions.ConnectTimeout("connect timed out"), False),
        (requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected"), True),
    ],
)
def test_network_failures_say_whether_the_post_may_exist(
    mocked: responses.RequestsMock, exception: Exception, ambiguous: bool
) -> None:
    mocked.post(TWEETS, body=exception)
    with pytest.raises(ChannelError) as info:
        _channel().publish(sample_post("x"), idempotency_key=KEY)
    assert (info.value.retryable, info.value.ambiguous) == (True, ambiguous)


def test_an_upload_failure_is_never_ambiguous(
    mocked: responses.RequestsMock, tmp_path: Path
) -> None:
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    mocked.post(UPLOAD, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(ChannelError) as info:
        _channel().publish(sample_post("x", image_file=image.resolve()), idempotency_key=KEY)
    assert (info.value.retryable, info.value.ambiguous) == (True, False)
    assert len(mocked.calls) == 1  # no tweet was attempted


def test_recent_reads_the_account_timeline(mocked: responses.RequestsMock) -> None:
    mocked.get(ME, json={"data": {"id": "2244994945", "name": "News", "username": "newsroom"}})
    mocked.get(
        "https://api.twitter.com/2/users/2244994945/tweets",
        json={
            "data": [
                {
                    "id": "12",
                    "text": "newest",
                    "created_at": "2026-11-27T03:00:00.000Z",
                    "edit_history_tweet_ids": ["12"],
                },
                {
                    "id": "11",
                    "text": "older",
                    "created_at": "2026-11-26T03:00:00.000Z",
                    "edit_history_tweet_ids": ["11"],
                },
            ],
            "meta": {"result_count": 2},
        },
    )
    recent = _channel().recent(limit=10)
    assert [(p.id, p.text) for p in recent] == [("12", "newest"), ("11", "older")]
    assert recent[0].url == "https://x.com/newsroom/status/12"
    assert recent[0].created_at is not None
    assert recent[0].created_at.year == 2026
    url = mocked.calls[1].request.url
    assert url is not None
    assert url.endswith("max_results=10&tweet.fields=created_at")


def test_secrets_stay_out_of_errors_reprs_and_logs(
    mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mocked.post(TWEETS, json=_error_body(401), status=401)
    channel = _channel()
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("x"), idempotency_key=KEY)
    for secret in SECRETS:
        assert secret not in str(info.value)
        assert secret not in repr(channel)
    for secret in ("consumer-secret-BBBB", "access-secret-DDDD"):
        assert secret not in caplog.text


def test_missing_credentials_name_every_variable() -> None:
    env = {"EMBEDKIT_X_API_KEY": "k", "EMBEDKIT_X_ACCESS_TOKEN": "t"}
    with pytest.raises(MissingCredential) as info:
        make_channel("x", env=env)
    message = str(info.value)
    assert "EMBEDKIT_X_API_SECRET" in message
    assert "EMBEDKIT_X_ACCESS_SECRET" in message
    assert "EMBEDKIT_X_API_KEY" not in message
