"""`embedkit syndicate preview` and `post`: one library call each, post goes through the ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.jobs.conftest import article_url, write_feed
from tests.syndicate.fakes import FakeMastodon

from embedkit.cli._main import cli
from embedkit.syndicate._ledger import Ledger

ARTICLE: dict[str, Any] = {
    "id": "seed-1",
    "title": "Japan, South Korea bury trade hatchet amid security threats",
    "url": "https://www.reuters.com/world/asia-pacific/japan-south-korea-2023-03-16/",
    "summary": "Japanese Prime Minister Fumio Kishida welcomed South Korean President Yoon "
    "Suk Yeol in Tokyo, the first such visit in 12 years.",
    "tags": ["Japan", "South Korea"],
}


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "article.json"
    path.write_text(json.dumps(ARTICLE), encoding="utf-8")
    return path


def test_preview_json_has_one_object_per_channel(article: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "syndicate",
            "preview",
            str(article),
            "--channel",
            "x",
            "--channel",
            "mastodon",
            "--channel",
            "bluesky",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["channel"] for line in lines] == ["x", "mastodon", "bluesky"]
    for line in lines:
        assert set(line) >= {"channel", "text", "length", "limit", "fits"}
        assert line["fits"] is True
        assert line["length"] <= line["limit"]
        assert ARTICLE["url"] in line["text"]
    assert [line["limit"] for line in lines] == [280, 500, 300]


def test_preview_text_shows_length_over_limit(article: Path) -> None:
    result = CliRunner().invoke(cli, ["syndicate", "preview", str(article), "--channel", "x"])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("── x  ")
    assert first.endswith("/280  fits")
    assert ARTICLE["title"] in result.stdout


def test_preview_selects_a_feed_entry(tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "feed.xml", 3)
    result = CliRunner().invoke(
        cli,
        [
            "syndicate",
            "preview",
            str(feed),
            "--channel",
            "mastodon",
            "--entry",
            "1",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert article_url(1) in json.loads(result.stdout)["text"]


def test_post_is_exactly_once_too(
    article: Path, tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    ledger = f"sqlite:///{tmp_path / 'l.db'}"
    args = ["syndicate", "post", str(article), "--channel", "mastodon", "--ledger", ledger]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("posted     mastodon   http://127.0.0.1:")
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0
    assert "already posted" in second.stdout
    assert len(mastodon.posts) == 1
    assert ARTICLE["url"] in mastodon.posts[0]["status"]
    (row,) = Ledger(tmp_path / "l.db").history("seed-1")
    assert (row.channel, row.state, row.post_id) == ("mastodon", "posted", mastodon.posts[0]["id"])


def test_post_dry_run_shows_the_text_and_posts_nothing(
    article: Path, tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "syndicate",
            "post",
            str(article),
            "--channel",
            "mastodon",
            "--dry-run",
            "--ledger",
            f"sqlite:///{tmp_path / 'l.db'}",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("would-post mastodon")
    assert ARTICLE["title"] in result.stdout
    assert mastodon.posts == []
    assert not (tmp_path / "l.db").exists()


def test_history_accepts_the_source_file(
    article: Path, tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    ledger = f"sqlite:///{tmp_path / 'l.db'}"
    CliRunner().invoke(
        cli, ["syndicate", "post", str(article), "--channel", "mastodon", "--ledger", ledger]
    )
    result = CliRunner().invoke(
        cli, ["syndicate", "history", str(article), "--ledger", ledger, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (row["article_id"], row["channel"], row["state"]) == ("seed-1", "mastodon", "posted")


def test_a_malformed_article_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "no url"}')
    result = CliRunner().invoke(cli, ["syndicate", "preview", str(bad), "--channel", "x"])
    assert result.exit_code == 2
    assert "url" in result.output
    assert str(bad) in result.output


def test_preview_exits_1_when_a_post_cannot_fit(tmp_path: Path) -> None:
    path = tmp_path / "long.json"
    path.write_text(json.dumps({**ARTICLE, "title": "Trade " * 80}), encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "syndicate",
            "preview",
            str(path),
            "--channel",
            "x",
            "--channel",
            "linkedin",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1
    x, linkedin = (json.loads(line) for line in result.stdout.splitlines())
    assert (x["channel"], x["fits"]) == ("x", False)
    assert x["error"]
    assert (linkedin["channel"], linkedin["fits"]) == ("linkedin", True)


def test_a_post_that_cannot_fit_fails_once_and_is_not_retried(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    path = tmp_path / "long.json"
    path.write_text(json.dumps({**ARTICLE, "title": "Trade " * 100}), encoding="utf-8")
    ledger = f"sqlite:///{tmp_path / 'l.db'}"
    args = ["syndicate", "post", str(path), "--channel", "mastodon", "--ledger", ledger]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 1
    assert first.stdout.startswith("failed     mastodon")
    (row,) = Ledger(tmp_path / "l.db").rows()
    assert (row.state, row.retryable) == ("failed", False)
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0
    assert "failed earlier, not retryable" in second.stdout
    assert mastodon.posts == []


def test_history_finds_a_url_id_from_a_pasted_url(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    path = tmp_path / "no-id.json"
    path.write_text(json.dumps({k: v for k, v in ARTICLE.items() if k != "id"}))
    ledger = f"sqlite:///{tmp_path / 'l.db'}"
    CliRunner().invoke(
        cli, ["syndicate", "post", str(path), "--channel", "mastodon", "--ledger", ledger]
    )
    pasted = ARTICLE["url"].replace("https://www.reuters.com", "HTTPS://WWW.Reuters.com") + (
        "?utm_source=newsletter"
    )
    result = CliRunner().invoke(cli, ["syndicate", "history", pasted, "--ledger", ledger])
    assert result.exit_code == 0
    assert "mastodon" in result.stdout
    assert "posted" in result.stdout
