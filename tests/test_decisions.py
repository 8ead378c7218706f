"""The resolver's decisions, tested with plain values (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from embedkit.resolve._decisions import html_params, next_action, status_without_fetch
from embedkit.resolve.cache import Entry
from embedkit.resolve.cache._base import EntryState

NOW = 1_700_000_000.0


def entry(
    *, expires_in: float, state: EntryState = "ok", data: dict[str, Any] | None = None
) -> Entry:
    return Entry(
        key="k",
        url="https://x.com/reuters/status/1",
        provider="Twitter",
        params={},
        data=data if data is not None or state == "gone" else {"type": "rich", "html": "<p>"},
        fetched_at=NOW - 10,
        expires_at=NOW + expires_in,
        state=state,
    )


@pytest.mark.parametrize(
    ("case", "kwargs", "expected"),
    [
        ("no entry, online", {"e": None}, "fetch"),
        ("no entry, offline", {"e": None, "offline": True}, "fallback"),
        ("no entry, no endpoint", {"e": None, "can_fetch": False}, "fallback"),
        ("fresh entry", {"e": entry(expires_in=60)}, "serve"),
        ("fresh entry, refresh", {"e": entry(expires_in=60), "refresh": True}, "fetch"),
        (
            "fresh entry, refresh offline",
            {"e": entry(expires_in=60), "refresh": True, "offline": True},
            "serve",
        ),
        ("expired entry", {"e": entry(expires_in=-1)}, "fetch"),
        ("expired entry, offline", {"e": entry(expires_in=-1), "offline": True}, "fallback"),
        (
            "expired entry, provider paused",
            {"e": entry(expires_in=-1), "blocked": NOW + 30},
            "fallback",
        ),
        ("expired entry, pause over", {"e": entry(expires_in=-1), "blocked": NOW - 1}, "fetch"),
        ("tombstone within recheck", {"e": entry(expires_in=60, state="gone")}, "serve"),
        ("tombstone due for recheck", {"e": entry(expires_in=-1, state="gone")}, "fetch"),
    ],
)
def test_next_action(case: str, kwargs: dict[str, Any], expected: str) -> None:
    action = next_action(
        kwargs["e"],
        now=NOW,
        refresh=kwargs.get("refresh", False),
        offline=kwargs.get("offline", False),
        can_fetch=kwargs.get("can_fetch", True),
        blocked_until=kwargs.get("blocked"),
    )
    assert action == expected, case


def test_status_without_fetch() -> None:
    assert status_without_fetch(None) == "fallback"
    assert status_without_fetch(entry(expires_in=-1)) == "stale"
    assert status_without_fetch(entry(expires_in=-1, state="gone")) == "gone"


def test_html_params_stringifies_and_sorts() -> None:
    assert html_params({"maxwidth": 550, "dnt": True, "omit_script": False, "theme": None}) == {
        "dnt": "true",
        "maxwidth": "550",
        "omit_script": "false",
    }


def test_html_params_rejects_unknown_names() -> None:
    with pytest.raises(TypeError, match="maxwdith"):
        html_params({"maxwdith": 500})
