"""What every channel shares: the registry, error classification, keys, secrets in reprs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from embedkit._errors import ChannelError, ConfigError, MissingCredential
from embedkit.syndicate.channels import CHANNELS, Channel, make_channel
from embedkit.syndicate.channels._base import (
    classify_http_error,
    idempotency_key,
    redact,
    require_env,
)

#: Every variable every channel reads, with values that must never be shown.
FULL_ENV = {
    "EMBEDKIT_X_API_KEY": "xkey-0000secret",
    "EMBEDKIT_X_API_SECRET": "xsecret-1111secret",
    "EMBEDKIT_X_ACCESS_TOKEN": "xtoken-2222secret",
    "EMBEDKIT_X_ACCESS_SECRET": "xaccess-3333secret",
    "EMBEDKIT_MASTODON_URL": "https://mastodon.example",
    "EMBEDKIT_MASTODON_TOKEN": "mastodon-4444secret",
    "EMBEDKIT_BLUESKY_HANDLE": "newsroom.example.com",
    "EMBEDKIT_BLUESKY_APP_PASSWORD": "bsky-5555-secret",
    "EMBEDKIT_THREADS_TOKEN": "threads-6666secret",
    "EMBEDKIT_THREADS_USER_ID": "1784",
    "EMBEDKIT_LINKEDIN_TOKEN": "linkedin-7777secret",
    "EMBEDKIT_LINKEDIN_AUTHOR": "urn:li:person:abc",
    "EMBEDKIT_TELEGRAM_BOT_TOKEN": "123:telegram-8888secret",
    "EMBEDKIT_TELEGRAM_CHAT_ID": "@newsroom",
    "EMBEDKIT_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/slack9999secret",
    "EMBEDKIT_DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/1/discord0000secret",
}
SECRET_VALUES = [v for k, v in FULL_ENV.items() if "secret" in v]


@pytest.mark.parametrize("name", CHANNELS)
def test_every_channel_is_built_from_the_environment_without_showing_secrets(
    name: str, tmp_path: Path
) -> None:
    env = {**FULL_ENV, "EMBEDKIT_FILE_CHANNEL_PATH": str(tmp_path / "posts.jsonl")}
    seams: dict[str, Any] = {"session_path": tmp_path / "bsky.json"} if name == "bluesky" else {}
    channel = make_channel(name, env=env, timeout=1.0, **seams)
    try:
        assert isinstance(channel, Channel)
        assert channel.name == name
        assert isinstance(channel.idempotent, bool)
        for secret in SECRET_VALUES:
            assert secret not in repr(channel)
            assert secret not in str(channel)
    finally:
        close = getattr(channel, "close", None)
        if close is not None:
            close()
    assert not (tmp_path / "bsky.json").exists()  # building never logs in


@pytest.mark.parametrize(
    ("name", "idempotent"),
    [
        ("x", False),
        ("mastodon", True),
        ("bluesky", True),
        ("threads", False),
        ("linkedin", False),
        ("telegram", False),
        ("slack", False),
        ("discord", False),
        ("file", True),
    ],
)
def test_which_channels_are_idempotent(name: str, idempotent: bool, tmp_path: Path) -> None:
    env = {**FULL_ENV, "EMBEDKIT_FILE_CHANNEL_PATH": str(tmp_path / "p.jsonl")}
    seams: dict[str, Any] = {"session_path": tmp_path / "bsky.json"} if name == "bluesky" else {}
    channel = make_channel(name, env=env, **seams)
    assert channel.idempotent is idempotent
    close = getattr(channel, "close", None)
    if close is not None:
        close()


def test_an_unknown_channel_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        make_channel("myspace", env=FULL_ENV)
    for name in CHANNELS:
        assert name in str(info.value)


@pytest.mark.parametrize(
    "name",
    ["x", "mastodon", "bluesky", "threads", "linkedin", "telegram", "slack", "discord", "file"],
)
def test_an_empty_environment_names_what_to_set(name: str) -> None:
    with pytest.raises(MissingCredential) as info:
        make_channel(name, env={})
    assert "EMBEDKIT_" in str(info.value)
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("status", "sent", "retryable", "ambiguous"),
    [
        (400, True, False, False),
        (401, True, False, False),
        (403, True, False, False),
        (404, True, False, False),
        (413, True, False, False),
        (422, True, False, False),
        (429, True, True, False),
        (408, True, True, False),
        (500, True, True, False),
        (502, True, True, False),
        (503, True, True, False),
        (None, True, True, True),
        (None, False, True, False),
    ],
)
def test_classify_http_error(
    status: int | None, sent: bool, retryable: bool, ambiguous: bool
) -> None:
    error = classify_http_error(status, sent=sent, reason="platform said no")
    assert isinstance(error, ChannelError)
    assert (error.status, error.retryable, error.ambiguous) == (status, retryable, ambiguous)
    assert str(error).startswith("platform said no")


def test_429_keeps_retry_after() -> None:
    assert classify_http_error(429, sent=True, retry_after=12.5).retry_after == 12.5


def test_a_long_reason_is_truncated() -> None:
    message = str(classify_http_error(400, sent=True, reason="x" * 5000))
    assert len(message) < 400


def test_idempotency_keys_are_stable_hex() -> None:
    key = idempotency_key("https://example.com/a", "mastodon", "abc")
    assert key == idempotency_key("https://example.com/a", "mastodon", "abc")
    assert len(key) == 64
    assert int(key, 16) >= 0


@given(
    st.tuples(st.text(), st.text(), st.text()),
    st.tuples(st.text(), st.text(), st.text()),
)
def test_distinct_inputs_give_distinct_keys(
    a: tuple[str, str, str], b: tuple[str, str, str]
) -> None:
    if a != b:
        assert idempotency_key(*a) != idempotency_key(*b)


def test_idempotency_key_changes_with_each_part() -> None:
    base = idempotency_key("a", "x", "h")
    assert (
        len(
            {
                base,
                idempotency_key("b", "x", "h"),
                idempotency_key("a", "y", "h"),
                idempotency_key("a", "x", "i"),
            }
        )
        == 4
    )


def test_redact_hides_every_secret_longest_first() -> None:
    assert redact("token abc123 and abc123456", ["abc123", "abc123456"]) == "token *** and ***"
    assert redact("short ab stays", ["ab", None, ""]) == "short ab stays"


def test_require_env_names_every_missing_variable_once() -> None:
    with pytest.raises(MissingCredential) as info:
        require_env("demo", {"A": "1", "B": "  "}, ["A", "B", "C"])
    message = str(info.value)
    assert "B, C" in message
    assert "'demo'" in message


def test_every_channel_can_be_closed() -> None:
    """run_job and reconcile close what they build; every channel must support it."""
    import importlib
    import inspect

    from embedkit.syndicate.channels import CHANNELS

    modules = {"slack": "webhook", "discord": "webhook"}
    for name in CHANNELS:
        module = importlib.import_module(f"embedkit.syndicate.channels._{modules.get(name, name)}")
        classes = [
            c
            for _, c in inspect.getmembers(module, inspect.isclass)
            if c.__module__ == module.__name__ and hasattr(c, "publish")
        ]
        assert classes, name
        for cls in classes:
            assert callable(getattr(cls, "close", None)), f"{cls.__name__} has no close()"
