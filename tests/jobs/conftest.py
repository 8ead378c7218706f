"""Fixtures for the scheduled-syndication tests: feeds, a fake Mastodon, the CLI.

- ``write_feed(path, n)`` writes an RSS 2.0 feed of ``n`` articles (guid ``art-00``...,
  one day apart, listed newest first like real feeds).
- ``mastodon`` is a running :class:`tests.syndicate.fakes.FakeMastodon` whose token is
  :data:`TOKEN`; ``mastodon_env`` sets ``EMBEDKIT_MASTODON_URL``/``_TOKEN`` for it.
- ``run_cli(*args)`` runs ``embedkit`` in a fresh Python process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from tests.syndicate.fakes import FakeMastodon

#: A token nobody would write by accident: it must never show up in any output.
TOKEN = "SENTINEL-t0ken-8c1f9d2e7a"
BASE_DATE = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
#: Starts the CLI a little faster than the console script.
CLI = [sys.executable, "-c", "import sys; from embedkit.cli._main import main; sys.exit(main())"]


def article_url(i: int) -> str:
    return f"https://news.example.com/2024/03/story-{i:02d}"


def write_feed(path: Path, n: int, *, start: int = 0, future: set[int] | None = None) -> Path:
    """An RSS feed of articles ``start``..``start+n-1``, newest first."""
    items = []
    for i in reversed(range(start, start + n)):
        published = BASE_DATE + timedelta(days=i)
        items.append(
            "<item>"
            f"<title>{escape(f'Story {i:02d}: Japan and South Korea talk trade')}</title>"
            f"<link>{article_url(i)}</link>"
            f'<guid isPermaLink="false">art-{i:02d}</guid>'
            f"<description>{escape(f'Summary of story {i:02d}. Leaders met in Tokyo.')}"
            "</description>"
            f"<pubDate>{format_datetime(published)}</pubDate>"
            "</item>"
        )
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>News</title><link>https://news.example.com/</link>"
        "<description>Test feed</description>" + "".join(items) + "</channel></rss>",
        encoding="utf-8",
    )
    return path


def posted_articles(fake: FakeMastodon) -> list[str]:
    """Which story each post on the fake announces (by the article URL in its text)."""
    found = []
    for post in fake.posts:
        urls = [u for u in post["status"].split() if u.startswith("https://news.example.com/")]
        found.append(urls[0] if urls else post["status"])
    return found


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    fake = FakeMastodon(token=TOKEN).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def mastodon_env(mastodon: FakeMastodon, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {"EMBEDKIT_MASTODON_URL": mastodon.url, "EMBEDKIT_MASTODON_TOKEN": TOKEN}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EMBEDKIT_LEDGER", raising=False)
    return env


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBEDKIT_")}
    env.update(extra or {})
    return env


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``embedkit ARGS`` in a new process and wait for it."""
    return subprocess.run(
        [*CLI, *args],
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``embedkit ARGS`` in a new process (for crash and overlap tests)."""
    return subprocess.Popen(
        [*CLI, *args], env=cli_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
