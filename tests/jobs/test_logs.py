"""Run logs: JSON lines for shippers, text for people, secrets redacted in both."""

from __future__ import annotations

import io
import json
import logging

import pytest

from embedkit.syndicate._logs import configure_logging, redact

SECRET = "s3cr3t-value-xyz"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDKIT_MASTODON_TOKEN", SECRET)


def emit(fmt: str) -> str:
    stream = io.StringIO()
    handler = configure_logging(fmt, stream=stream)
    try:
        logging.getLogger("embedkit.syndicate.run").error(
            f"failed mastodon a1: HTTP 401 for token {SECRET}",
            extra={
                "event": "failed",
                "channel": "mastodon",
                "article_id": "a1",
                "reason": f"bad token {SECRET}",
                "password": "not-a-field",
            },
        )
    finally:
        logging.getLogger("embedkit.syndicate").removeHandler(handler)
    return stream.getvalue()


@pytest.mark.usefixtures("env")
def test_json_lines_carry_the_fields_and_no_secret() -> None:
    line = emit("json")
    data = json.loads(line)
    assert (data["level"], data["event"], data["channel"], data["article_id"]) == (
        "error",
        "failed",
        "mastodon",
        "a1",
    )
    assert "password" not in data
    assert SECRET not in line
    assert "***" in data["reason"]


@pytest.mark.usefixtures("env")
def test_text_lines_are_readable_and_redacted() -> None:
    line = emit("text")
    assert line.startswith("error   failed mastodon a1")
    assert line.count("bad token") == 0  # the message already says what happened
    assert SECRET not in line


@pytest.mark.parametrize(
    ("name", "redacted"),
    [
        ("EMBEDKIT_X_ACCESS_SECRET", True),
        ("EMBEDKIT_BLUESKY_APP_PASSWORD", True),
        ("EMBEDKIT_X_API_KEY", True),
        ("EMBEDKIT_MASTODON_URL", False),
    ],
)
def test_which_variables_count_as_secrets(name: str, redacted: bool) -> None:
    assert (redact("value=abcdefgh", {name: "abcdefgh"}) == "value=***") is redacted
