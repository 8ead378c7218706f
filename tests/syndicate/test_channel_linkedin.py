"""The LinkedIn channel against a local Posts API recorder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.syndicate.fakes import FakeHttpRecorder, Reply, sample_post

from embedkit._errors import ChannelError, ConfigError, MissingCredential
from embedkit.syndicate._models import LinkCard
from embedkit.syndicate.channels import idempotency_key, make_channel
from embedkit.syndicate.channels._linkedin import LinkedInChannel, little_text

TOKEN = "AQVsecretLinkedInToken0123456789"
AUTHOR = "urn:li:organization:5515715"
KEY = idempotency_key("article-1", "linkedin", "hash-1")
URN = "urn:li:share:7130000000000000000"


@pytest.fixture
def channel(http_recorder: FakeHttpRecorder) -> Iterator[LinkedInChannel]:
    env = {
        "EMBEDKIT_LINKEDIN_TOKEN": TOKEN,
        "EMBEDKIT_LINKEDIN_AUTHOR": AUTHOR,
        "EMBEDKIT_LINKEDIN_API_URL": http_recorder.url,
        "EMBEDKIT_LINKEDIN_VERSION": "202503",
    }
    made = make_channel("linkedin", env=env, timeout=0.5)
    assert isinstance(made, LinkedInChannel)
    yield made
    made.close()


def test_publish_sends_a_public_article_post(
    http_recorder: FakeHttpRecorder, channel: LinkedInChannel
) -> None:
    http_recorder.route("POST", "/rest/posts", Reply(201, b"", {"x-restli-id": URN}))
    card = LinkCard("https://example.com/a", "Japan, South Korea bury trade hatchet", "Summit")
    post = sample_post("linkedin", text="Trade (talks) resume #Japan", card=card)
    published = channel.publish(post, idempotency_key=KEY)
    [request] = http_recorder.requests
    assert request.headers["linkedin-version"] == "202503"
    assert request.headers["x-restli-protocol-version"] == "2.0.0"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.json() == {
        "author": AUTHOR,
        "commentary": "Trade \\(talks\\) resume {hashtag|\\#|Japan}",
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
        "content": {
            "article": {
                "source": "https://example.com/a",
                "title": "Japan, South Korea bury trade hatchet",
                "description": "Summit",
            }
        },
    }
    assert (published.id, published.url) == (URN, f"https://www.linkedin.com/feed/update/{URN}/")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain words", "plain words"),
        ("a_b *c* ~d~", "a\\_b \\*c\\* \\~d\\~"),
        ("[x](y) <z> {w} | @me \\", "\\[x\\]\\(y\\) \\<z\\> \\{w\\} \\| \\@me \\\\"),
        ("#Japan and #韓国", "{hashtag|\\#|Japan} and {hashtag|\\#|韓国}"),
        ("issue#5 stays", "issue\\#5 stays"),
    ],
)
def test_little_text_escapes_reserved_characters(text: str, expected: str) -> None:
    assert little_text(text) == expected


def test_an_answer_without_the_post_urn_is_ambiguous(
    http_recorder: FakeHttpRecorder, channel: LinkedInChannel
) -> None:
    http_recorder.route("POST", "/rest/posts", Reply(201, b""))
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("linkedin"), idempotency_key=KEY)
    assert (info.value.retryable, info.value.ambiguous) == (True, True)


@pytest.mark.parametrize(
    ("status", "retryable"), [(400, False), (401, False), (403, False), (422, False), (504, True)]
)
def test_errors_are_classified_with_linkedin_message(
    http_recorder: FakeHttpRecorder, channel: LinkedInChannel, status: int, retryable: bool
) -> None:
    body = {"message": f"Injected LinkedIn error {status}", "status": status}
    http_recorder.route("POST", "/rest/posts", Reply.json(body, status=status))
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("linkedin"), idempotency_key=KEY)
    assert (info.value.status, info.value.retryable) == (status, retryable)
    assert f"Injected LinkedIn error {status}" in str(info.value)
    assert TOKEN not in str(info.value)


def test_a_timeout_after_sending_is_ambiguous(
    http_recorder: FakeHttpRecorder, channel: LinkedInChannel
) -> None:
    http_recorder.fault("hang", seconds=1.0)
    with pytest.raises(ChannelError) as info:
        channel.publish(sample_post("linkedin"), idempotency_key=KEY)
    assert (info.value.retryable, info.value.ambiguous) == (True, True)


def test_recent_uses_the_author_finder(
    http_recorder: FakeHttpRecorder, channel: LinkedInChannel
) -> None:
    http_recorder.route(
        "GET",
        "/rest/posts",
        Reply.json(
            {"elements": [{"id": URN, "commentary": "hello", "publishedAt": 1764212400000}]}
        ),
    )
    [post] = channel.recent(limit=3)
    request = http_recorder.requests[0]
    assert request.query["q"] == ["author"]
    assert request.query["author"] == [AUTHOR]
    assert request.headers["x-restli-method"] == "FINDER"
    assert (post.id, post.text) == (URN, "hello")
    assert post.created_at is not None


def test_author_must_be_a_person_or_organization_urn() -> None:
    env = {"EMBEDKIT_LINKEDIN_TOKEN": TOKEN, "EMBEDKIT_LINKEDIN_AUTHOR": "newsroom"}
    with pytest.raises(ConfigError, match="urn:li:person"):
        make_channel("linkedin", env=env)


def test_missing_token_is_named(channel: LinkedInChannel) -> None:
    assert TOKEN not in repr(channel)
    with pytest.raises(MissingCredential, match="EMBEDKIT_LINKEDIN_TOKEN"):
        make_channel("linkedin", env={"EMBEDKIT_LINKEDIN_AUTHOR": AUTHOR})
