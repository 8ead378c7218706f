"""The Threads channel against a local Graph API recorder: container, publish, permalink."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from tests.syndicate.fakes import FakeHttpRecorder, Reply, sample_post

from embedkit._errors import ChannelError, MissingCredential
from embedkit.syndicate._models import LinkCard
from embedkit.syndicate.channels import idempotency_key, make_channel
from embedkit.syndicate.channels._threads import ThreadsChannel

TOKEN = "THAAsecretThreadsToken0123456789"
USER = "17841400000000001"
KEY = idempotency_key("article-1", "threads", "hash-1")
CONTAINER = f"/v1.0/{USER}/threads"
PUBLISH = f"/v1.0/{USER}/threads_publish"


@pytest.fixture
def channel(http_recorder: FakeHttpRecorder) -> Iterator[ThreadsChannel]:
    env = {
        "EMBEDKIT_THREADS_TOKEN": TOKEN,
        "EMBEDKIT_THREADS_USER_ID": USER,
        "EMBEDKIT_THREADS_API_URL": http_recorder.url,
    }
    made = make_channel("threads", env=env, timeout=0.5)
    assert isinstance(made, ThreadsChannel)
    yield made
    made.close()


def _routes(recorder: FakeHttpRecorder) -> None:
    recorder.route("POST", CONTAINER, Reply.json({"id": "c-1"}))
    recorder.route("POST", PUBLISH, Reply.json({"id": "m-1"}))
    recorder.route(
        "GET",
        "/v1.0/m-1",
        Reply.json({"id": "m-1", "permalink": "https://www.threads.net/@n/post/X"}),
    )


def test_publish_creates_then_publishes_a_text_container(
    http_recorder: FakeHttpRecorder, channel: ThreadsChannel
) -> None:
    _routes(http_recorder)
    post = sample_post("threads", card=LinkCard("https://example.com/a", "Title"))
    published = channel.publish(post, idempotency_key=KEY)
    create, publish, permalink = http_recorder.requests
    assert (create.method, create.path) == ("POST", CONTAINER)
    assert create.form() == {
        "text": [post.text],
        "media_type": ["TEXT"],
        "link_attachment": ["https://example.com/a"],
    }
    assert publish.form() == {"creation_id": ["c-1"]}
    assert permalink.query == {"fields": ["permalink"]}
    for request in (create, publish, permalink):
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert TOKEN not in request.raw_path
    assert (published.id, published.url) == ("m-1", "https://www.threads.net/@n/post/X")


def test_an_image_url_makes_an_image_container(
    http_recorder: FakeHttpRecorder, channel: ThreadsChannel
) -> None:
    _routes(http_recorder)
    channel.publish(sample_post("threads", image="https://example.com/p.jpg"), idempotency_key=KEY)
    form = http_recorder.requests[0].form()
    assert (form["media_type"], form["image_url"]) == (["IMAGE"], ["https://example.com/p.jpg"])


def test_a_timeout_while_creating_the_container_is_not_ambiguous(
    http_recorder: FakeHttpRecorder, channel: ThreadsChannel
) -> None:
    _routes(http_recorder)
    http_recorder.fault("hang", seconds=1.0, method="POST", path=CONTAINER)
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("threads"), idempotency_key=KEY)
    assert (info.value.retryable, info.value.ambiguous) == (True, False)


def test_a_timeout_while_publishing_is_ambiguous(
    http_recorder: FakeHttpRecorder, channel: ThreadsChannel
) -> None:
    _routes(http_recorder)
    http_recorder.fault("accept_then_hang", seconds=1.0, method="POST", path=PUBLISH)
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("threads"), idempotency_key=KEY)
    assert (info.value.retryable, info.value.ambiguous) == (True, True)


@pytest.mark.parametrize(
    ("status", "retryable"), [(400, False), (401, False), (403, False), (500, True)]
)
def test_graph_errors_are_classified_with_their_message(
    http_recorder: FakeHttpRecorder,
    channel: ThreadsChannel,
    caplog: pytest.LogCaptureFixture,
    status: int,
    retryable: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    error = {
        "error": {
            "message": f"Injected graph error {status}",
            "type": "OAuthException",
            "code": 100,
            "fbtrace_id": "A",
        }
    }
    http_recorder.route("POST", CONTAINER, Reply.json(error, status=status))
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("threads"), idempotency_key=KEY)
    assert (info.value.status, info.value.retryable) == (status, retryable)
    assert f"Injected graph error {status}" in str(info.value)
    assert TOKEN not in str(info.value)
    assert "HTTP Request: POST" in caplog.text
    assert TOKEN not in caplog.text


def test_rate_limit_with_retry_after(
    http_recorder: FakeHttpRecorder, channel: ThreadsChannel
) -> None:
    _routes(http_recorder)
    http_recorder.fault("rate_limit", retry_after=30)
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("threads"), idempotency_key=KEY)
    assert (info.value.status, info.value.retryable, info.value.retry_after) == (429, True, 30.0)


def test_a_failed_permalink_read_still_reports_the_post(
    http_recorder: FakeHttpRecorder, channel: ThreadsChannel
) -> None:
    _routes(http_recorder)
    http_recorder.route("GET", "/v1.0/m-1", Reply.json({"error": {"message": "x"}}, status=500))
    published = channel.publish(sample_post("threads"), idempotency_key=KEY)
    assert (published.id, published.url) == ("m-1", None)


def test_recent_lists_the_profile_posts(
    http_recorder: FakeHttpRecorder, channel: ThreadsChannel
) -> None:
    http_recorder.route(
        "GET",
        CONTAINER,
        Reply.json(
            {
                "data": [
                    {
                        "id": "2",
                        "text": "newer",
                        "permalink": "https://www.threads.net/@n/post/B",
                        "timestamp": "2026-11-27T03:00:00+0000",
                    },
                    {
                        "id": "1",
                        "text": "older",
                        "permalink": "https://www.threads.net/@n/post/A",
                        "timestamp": "2026-11-26T03:00:00+0000",
                    },
                ]
            }
        ),
    )
    recent = channel.recent(limit=5)
    assert [(p.id, p.text) for p in recent] == [("2", "newer"), ("1", "older")]
    assert recent[0].created_at is not None
    assert recent[0].created_at.day == 27
    assert http_recorder.requests[0].query["limit"] == ["5"]


def test_repr_and_missing_variables(channel: ThreadsChannel) -> None:
    assert TOKEN not in repr(channel)
    with pytest.raises(MissingCredential, match="EMBEDKIT_THREADS_USER_ID"):
        make_channel("threads", env={"EMBEDKIT_THREADS_TOKEN": TOKEN})
