"""`embedkit syndicate run` against a real fake Mastodon on 127.0.0.1."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from tests.jobs.conftest import TOKEN, article_url, posted_articles, run_cli, start_cli, write_feed
from tests.syndicate.fakes import FakeHttpRecorder, FakeMastodon, Reply, Request

from embedkit.cli._main import cli
from embedkit.syndicate._article import load_articles
from embedkit.syndicate._ledger import Ledger
from embedkit.syndicate._run import RunSummary, run_job
from embedkit.syndicate.channels import Channel, make_channel

pytestmark = pytest.mark.timeout(120)


_SESSIONS: list[requests.Session] = []


def mastodon_channel(env: dict[str, str], *, timeout: float = 5.0) -> Channel:
    """The real Mastodon channel, on an HTTP session the test closes afterwards."""
    session = requests.Session()
    _SESSIONS.append(session)
    return make_channel("mastodon", env=env, timeout=timeout, session=session)


@pytest.fixture(autouse=True)
def _close_sessions() -> Iterator[None]:
    yield
    while _SESSIONS:
        _SESSIONS.pop().close()


def table(stdout: str) -> dict[str, dict[str, int]]:
    """The summary table as {channel: {column: count}} (deferred only when not 0)."""
    lines = [line.split() for line in stdout.splitlines() if line.strip()]
    header = lines[0]
    assert header == ["channel", "posted", "skipped", "failed", "unknown", "deferred"]
    columns = ["posted", "skipped", "failed", "unknown", "deferred"]
    found = {
        cells[0]: dict(zip(columns, map(int, cells[1:6]), strict=True))
        for cells in lines[1:]
        if len(cells) == 6 and cells[1].isdigit()
    }
    for counts in found.values():
        if counts["deferred"] == 0:
            del counts["deferred"]
    return found


def test_a_feed_of_20_is_posted_once_then_never_again(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    feed = write_feed(tmp_path / "feed.xml", 20)
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    args = ("syndicate", "run", "--source", str(feed), "--channel", "mastodon", "--ledger", ledger)

    first = run_cli(*args, env=mastodon_env)
    assert first.returncode == 0, first.stderr
    assert table(first.stdout) == {
        "mastodon": {"posted": 20, "skipped": 0, "failed": 0, "unknown": 0}
    }
    assert posted_articles(mastodon) == [article_url(i) for i in range(20)]  # oldest first

    second = run_cli(*args, env=mastodon_env)
    assert second.returncode == 0, second.stderr
    assert table(second.stdout)["mastodon"] == {
        "posted": 0,
        "skipped": 20,
        "failed": 0,
        "unknown": 0,
    }
    assert len(mastodon.posts) == 20


def test_new_entries_go_out_on_the_next_run(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    feed = tmp_path / "feed.xml"
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    runner = CliRunner()
    args = ["syndicate", "run", "--source", str(feed), "--channel", "mastodon", "--ledger", ledger]
    write_feed(feed, 3)
    assert runner.invoke(cli, args).exit_code == 0
    write_feed(feed, 5)  # two new stories on top; the feed re-lists the old ones
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert posted_articles(mastodon) == [article_url(i) for i in range(5)]


def test_two_overlapping_runs_post_each_article_once(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    feed = write_feed(tmp_path / "feed.xml", 20)
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"

    def slow_posts(req: Request) -> None:
        if req.method == "POST":
            time.sleep(0.03)  # keep both runs posting at the same time

    mastodon.on_request = slow_posts
    args = ("syndicate", "run", "--source", str(feed), "--channel", "mastodon", "--ledger", ledger)
    runs = [start_cli(*args, env=mastodon_env) for _ in range(2)]
    outputs = [run.communicate(timeout=90) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    posted = posted_articles(mastodon)
    assert sorted(posted) == sorted(article_url(i) for i in range(20))
    totals = [table(out)["mastodon"] for out, _ in outputs]
    assert sum(t["posted"] for t in totals) == 20
    assert all(t["posted"] + t["skipped"] == 20 for t in totals)


def test_mark_existing_then_only_new_articles(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    feed = tmp_path / "feed.xml"
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    runner = CliRunner()
    args = ["syndicate", "run", "--source", str(feed), "--channel", "mastodon", "--ledger", ledger]
    write_feed(feed, 4)
    marked = runner.invoke(cli, [*args, "--mark-existing"])
    assert marked.exit_code == 0, marked.output
    assert table(marked.stdout)["mastodon"]["skipped"] == 4
    assert mastodon.posts == []
    write_feed(feed, 6)
    assert runner.invoke(cli, args).exit_code == 0
    assert posted_articles(mastodon) == [article_url(4), article_url(5)]


def test_dry_run_posts_nothing_and_claims_nothing(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    feed = write_feed(tmp_path / "feed.xml", 3)
    db = tmp_path / "ledger.db"
    result = CliRunner().invoke(
        cli,
        [
            "syndicate",
            "run",
            "--source",
            str(feed),
            "--channel",
            "mastodon",
            "--ledger",
            f"sqlite:///{db}",
            "--dry-run",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "would post" in result.output
    assert article_url(2) in result.output
    assert mastodon.posts == []
    assert Ledger(db).rows() == []


def test_max_posts_and_since(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    feed = write_feed(tmp_path / "feed.xml", 6)
    args = [
        "syndicate",
        "run",
        "--source",
        str(feed),
        "--channel",
        "mastodon",
        "--ledger",
        f"sqlite:///{tmp_path / 'l.db'}",
        "--since",
        "2024-03-03",
        "--max-posts",
        "2",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert posted_articles(mastodon) == [article_url(2), article_url(3)]
    result = CliRunner().invoke(cli, args)
    assert posted_articles(mastodon)[2:] == [article_url(4), article_url(5)]


def test_spacing_between_posts_on_a_channel(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    articles = load_articles(str(write_feed(tmp_path / "feed.xml", 3)))
    slept: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    summary = run_job(
        articles,
        [mastodon_channel(mastodon_env)],
        Ledger(tmp_path / "l.db"),
        spacing=30,
        clock=lambda: now[0],
        sleep=sleep,
    )
    assert summary.exit_code == 0
    assert slept == [pytest.approx(30), pytest.approx(30)]


# -- faults -------------------------------------------------------------------


def job(
    tmp_path: Path, env: dict[str, str], n: int = 1, *, timeout: float = 5.0, budget: float = 300.0
) -> tuple[RunSummary, Ledger, list[float]]:
    """Run the job in-process with a virtual clock; return (summary, ledger, sleeps)."""
    articles = load_articles(str(write_feed(tmp_path / "feed.xml", n)))
    ledger = Ledger(tmp_path / "ledger.db")
    slept: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    channel = mastodon_channel(env, timeout=timeout)
    summary = run_job(
        articles,
        [channel],
        ledger,
        clock=lambda: now[0],
        sleep=sleep,
        jitter_rng=random.Random(7),
        budget=budget,
    )
    return summary, ledger, slept


def states(ledger: Ledger) -> dict[str, str]:
    return {row.article_id: row.state for row in ledger.rows(limit=None)}


def test_a_500_is_retried_then_posted(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    mastodon.fault("status", status=500, times=2)
    summary, ledger, slept = job(tmp_path, mastodon_env)
    assert summary.exit_code == 0
    assert len(mastodon.posts) == 1
    assert mastodon.count("/api/v1/statuses", "POST") == 3
    assert len(slept) == 2
    assert slept[1] > slept[0]  # exponential backoff
    (row,) = ledger.rows()
    assert (row.state, row.attempts) == ("posted", 3)


def test_a_persistent_500_fails_retryably_within_the_budget(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    mastodon.fault("status", status=503, times=None)
    summary, ledger, slept = job(tmp_path, mastodon_env, n=2, budget=20)
    assert summary.exit_code == 1
    assert [o.status for o in summary.outcomes] == ["failed", "failed"]
    assert sum(slept) <= 20
    assert all(row.state == "failed" and row.retryable for row in ledger.rows())
    mastodon.clear_faults()
    summary, _, _ = job(tmp_path, mastodon_env, n=2)  # the next run posts them
    assert summary.exit_code == 0
    assert len(mastodon.posts) == 2


def test_a_429_is_retried_after_retry_after(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    mastodon.fault("rate_limit", retry_after=7)
    summary, _, slept = job(tmp_path, mastodon_env)
    assert summary.exit_code == 0
    assert slept
    assert slept[0] >= 7
    assert len(mastodon.posts) == 1


def test_a_429_longer_than_the_budget_leaves_the_post_for_the_next_run(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    mastodon.fault("rate_limit", retry_after=600)
    summary, ledger, slept = job(tmp_path, mastodon_env, n=3, budget=60)
    assert slept == []
    assert mastodon.count("/api/v1/statuses", "POST") == 1  # the channel is held back
    assert [o.status for o in summary.outcomes] == ["failed", "deferred", "deferred"]
    assert summary.exit_code == 1  # a failure outranks what was deferred
    (row,) = ledger.rows()  # the two others were never claimed
    assert (row.state, row.retryable) == ("failed", True)
    assert row.last_error is not None
    assert "429" in row.last_error


@pytest.mark.parametrize("kind", ["hang", "accept_then_hang"])
def test_a_timeout_on_mastodon_is_retried_with_the_same_idempotency_key(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str], kind: str
) -> None:
    mastodon.fault(kind, seconds=3)
    summary, ledger, _ = job(tmp_path, mastodon_env, timeout=0.5)
    assert summary.exit_code == 0, summary.outcomes
    assert len(mastodon.posts) == 1
    keys = [
        r.headers.get("idempotency-key")
        for r in mastodon.requests
        if r.method == "POST" and r.path == "/api/v1/statuses"
    ]
    assert len(keys) == 2
    assert keys[0]
    assert keys[0] == keys[1] == ledger.rows()[0].idempotency_key


@pytest.mark.parametrize(("status", "token"), [(422, TOKEN), (401, "wrong-token-123456")])
def test_requests_the_platform_rejects_fail_without_retry(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str], status: int, token: str
) -> None:
    if status == 422:
        mastodon.fault("status", status=422, body="Validation failed: Text too long")
    env = {**mastodon_env, "EMBEDKIT_MASTODON_TOKEN": token}
    feed = write_feed(tmp_path / "feed.xml", 2)
    result = run_cli(
        "syndicate",
        "run",
        "--source",
        str(feed),
        "--channel",
        "mastodon",
        "--ledger",
        f"sqlite:///{tmp_path / 'l.db'}",
        env=env,
    )
    assert result.returncode == 1, result.stderr
    rows = Ledger(tmp_path / "l.db").rows()
    failed = [r for r in rows if r.state == "failed"]
    assert failed
    assert all(not r.retryable and str(status) in (r.last_error or "") for r in failed)
    assert "failed: mastodon art-00" in result.stdout
    posts = mastodon.count("/api/v1/statuses", "POST")
    assert posts == 2  # one attempt each, no retry
    assert len(mastodon.posts) == (1 if status == 422 else 0)  # 422 hit the first article only


def test_a_failing_channel_does_not_block_the_others(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    out = tmp_path / "posts.jsonl"
    feed = write_feed(tmp_path / "feed.xml", 3)
    mastodon.fault("status", status=401, times=None)
    env = {**mastodon_env, "EMBEDKIT_FILE_CHANNEL_PATH": str(out)}
    result = run_cli(
        "syndicate",
        "run",
        "--source",
        str(feed),
        "--channel",
        "mastodon",
        "--channel",
        "file",
        "--ledger",
        f"sqlite:///{tmp_path / 'l.db'}",
        env=env,
    )
    assert result.returncode == 1
    totals = table(result.stdout)
    assert totals["mastodon"]["failed"] == 3
    assert totals["file"]["posted"] == 3
    assert len(out.read_text().splitlines()) == 3


def test_missing_credentials_stop_the_run_before_anything_is_claimed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EMBEDKIT_MASTODON_TOKEN", raising=False)
    monkeypatch.delenv("EMBEDKIT_MASTODON_URL", raising=False)
    monkeypatch.setenv("EMBEDKIT_FILE_CHANNEL_PATH", str(tmp_path / "posts.jsonl"))
    feed = write_feed(tmp_path / "feed.xml", 2)
    result = CliRunner().invoke(
        cli,
        [
            "syndicate",
            "run",
            "--source",
            str(feed),
            "--channel",
            "mastodon",
            "--channel",
            "file",
            "--ledger",
            f"sqlite:///{tmp_path / 'l.db'}",
        ],
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()  # once, not once per article
    assert "EMBEDKIT_MASTODON_URL, EMBEDKIT_MASTODON_TOKEN" in line
    assert not (tmp_path / "posts.jsonl").exists()  # the file channel posted nothing either
    assert not (tmp_path / "l.db").exists()


# -- logs, status, history ----------------------------------------------------------


def test_json_logs_parse_and_never_contain_the_token(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    feed = write_feed(tmp_path / "feed.xml", 4)
    db = tmp_path / "ledger.db"
    mastodon.fault("status", status=500, times=1)
    mastodon.fault("status", status=422, times=1, body=f"echoing your token {TOKEN}")
    result = run_cli(
        "syndicate",
        "run",
        "--source",
        str(feed),
        "--channel",
        "mastodon",
        "--ledger",
        f"sqlite:///{db}",
        "--log-format",
        "json",
        "--format",
        "json",
        env=mastodon_env,
    )
    assert result.returncode == 1
    err_lines = [json.loads(line) for line in result.stderr.splitlines()]
    (run,) = [json.loads(line) for line in result.stdout.splitlines()]
    events = {line.get("event") for line in err_lines}
    assert {"posted", "retry", "failed", "summary"} <= events
    (totals,) = run["totals"]
    assert (totals["channel"], totals["posted"], totals["failed"]) == ("mastodon", 3, 1)
    assert run["exit_code"] == 1
    assert [o["status"] for o in run["outcomes"]].count("posted") == 3
    for blob in (
        result.stdout,
        result.stderr,
        *(p.read_bytes().decode("latin-1") for p in tmp_path.glob("ledger.db*")),
    ):
        assert TOKEN not in blob
    status = run_cli("syndicate", "status", "--ledger", f"sqlite:///{db}", "--format", "json")
    assert TOKEN not in status.stdout


def test_status_and_history(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    feed = write_feed(tmp_path / "feed.xml", 3)
    ledger = f"sqlite:///{tmp_path / 'l.db'}"
    runner = CliRunner()
    runner.invoke(
        cli,
        ["syndicate", "run", "--source", str(feed), "--channel", "mastodon", "--ledger", ledger],
    )
    status = runner.invoke(cli, ["syndicate", "status", "--ledger", ledger, "--format", "json"])
    assert status.exit_code == 0
    rows = [json.loads(line) for line in status.output.splitlines()]
    assert sorted(r["article_id"] for r in rows) == ["art-00", "art-01", "art-02"]
    assert all(r["state"] == "posted" and r["post_url"].startswith(mastodon.url) for r in rows)
    limited = runner.invoke(
        cli, ["syndicate", "status", "--ledger", ledger, "--limit", "1", "--channel", "mastodon"]
    )
    assert len(limited.output.splitlines()) == 1
    assert "posted" in limited.output
    history = runner.invoke(cli, ["syndicate", "history", "art-01", "--ledger", ledger])
    assert history.exit_code == 0
    assert "mastodon" in history.output
    assert mastodon.posts[1]["id"] in history.output
    empty = runner.invoke(cli, ["syndicate", "history", "nope", "--ledger", ledger])
    assert "No ledger rows for nope" in empty.output


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["syndicate", "run", "--channel", "mastodon"]).exit_code == 2
    feed = write_feed(tmp_path / "feed.xml", 1)
    bad_date = runner.invoke(
        cli, ["syndicate", "run", str(feed), "--channel", "file", "--since", "yesterday"]
    )
    assert bad_date.exit_code == 2
    assert "ISO date" in bad_date.output
    assert runner.invoke(cli, ["syndicate", "status", "--ledger", "postgres://x"]).exit_code == 2


def test_a_corrupt_ledger_is_reported_with_its_path(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    db.write_bytes(b"garbage" * 1000)
    result = CliRunner().invoke(cli, ["syndicate", "status", "--ledger", f"sqlite:///{db}"])
    assert result.exit_code == 1
    assert str(db) in result.output


# -- a channel without idempotency keys ------------------------------------------


@pytest.fixture
def discord(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHttpRecorder]:
    fake = FakeHttpRecorder().start()
    fake.route(
        "POST", "/api/webhooks/42/hook-secret-abcdef", Reply.json({"id": "900", "channel_id": "7"})
    )
    monkeypatch.setenv(
        "EMBEDKIT_DISCORD_WEBHOOK_URL", f"{fake.url}/api/webhooks/42/hook-secret-abcdef"
    )
    try:
        yield fake
    finally:
        fake.stop()


def test_an_ambiguous_timeout_without_idempotency_becomes_unknown_not_retried(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str], discord: FakeHttpRecorder
) -> None:
    discord.fault("accept_then_hang", seconds=3)
    feed = write_feed(tmp_path / "feed.xml", 2)
    ledger = f"sqlite:///{tmp_path / 'l.db'}"
    runner = CliRunner()
    run = [
        "syndicate",
        "run",
        "--source",
        str(feed),
        "--channel",
        "discord",
        "--channel",
        "mastodon",
        "--ledger",
        ledger,
        "--channel-timeout",
        "0.5",
    ]
    result = runner.invoke(cli, run)
    assert result.exit_code == 1
    totals = table(result.stdout)
    assert totals["discord"] == {"posted": 1, "skipped": 0, "failed": 0, "unknown": 1}
    assert totals["mastodon"]["posted"] == 2  # unaffected
    assert discord.count("/api/webhooks/42/hook-secret-abcdef", "POST") == 2  # no retry
    assert "unknown: discord art-00" in result.output

    again = runner.invoke(cli, run)  # unknown is reported again, never re-posted
    assert again.exit_code == 1
    assert table(again.stdout)["discord"]["unknown"] == 1
    assert discord.count("/api/webhooks/42/hook-secret-abcdef", "POST") == 2

    check = runner.invoke(cli, ["syndicate", "reconcile", "--ledger", ledger])
    assert check.exit_code == 1
    assert "cannot list recent posts" in check.output
    forced = runner.invoke(cli, ["syndicate", "reconcile", "--ledger", ledger, "--retry-unknown"])
    assert forced.exit_code == 0
    assert "pending" in forced.output
    final = runner.invoke(cli, run)
    assert final.exit_code == 0
    assert table(final.stdout)["discord"]["posted"] == 1
    assert "hook-secret-abcdef" not in result.output + check.output + final.output


def test_scheduled_articles_wait_for_their_time(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, publish_at in [("now", "2024-05-01T08:00:00Z"), ("later", "2024-05-01T10:00:00Z")]:
        (folder / f"{name}.json").write_text(
            json.dumps(
                {
                    "id": name,
                    "title": f"Story {name}",
                    "url": f"https://news.example.com/{name}",
                    "published_at": "2024-05-01T07:00:00Z",
                    "publish_at": publish_at,
                }
            )
        )
    articles = load_articles(str(folder))
    channel = mastodon_channel(mastodon_env)
    ledger = Ledger(tmp_path / "l.db")
    at_nine = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    first = run_job(articles, [channel], ledger, now=at_nine)
    assert [(o.article_id, o.status) for o in first.outcomes] == [
        ("later", "skipped"),
        ("now", "posted"),
    ]
    second = run_job(articles, [channel], ledger, now=at_nine + timedelta(hours=1))
    assert [(o.article_id, o.status) for o in second.outcomes] == [
        ("now", "skipped"),
        ("later", "posted"),
    ]
    assert len(mastodon.posts) == 2


def test_quiet_runs_print_nothing_without_news(
    tmp_path: Path, mastodon: FakeMastodon, mastodon_env: dict[str, str]
) -> None:
    feed = write_feed(tmp_path / "feed.xml", 2)
    args = [
        "syndicate",
        "run",
        "--quiet",
        "--source",
        str(feed),
        "--channel",
        "mastodon",
        "--ledger",
        f"sqlite:///{tmp_path / 'l.db'}",
    ]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0
    assert table(first.stdout)["mastodon"]["posted"] == 2
    assert first.stderr == ""  # info logs are off
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0
    assert second.output == ""


def test_posts_fit_the_instances_own_limit(tmp_path: Path, mastodon_env: dict[str, str]) -> None:
    small = FakeMastodon(token=TOKEN, max_characters=120).start()
    try:
        env = {**mastodon_env, "EMBEDKIT_MASTODON_URL": small.url}
        folder = tmp_path / "a"
        folder.mkdir()
        (folder / "long.json").write_text(
            json.dumps(
                {
                    "id": "long",
                    "title": "Japan, South Korea bury trade hatchet",
                    "url": "https://n.example/l",
                    "summary": "Leaders met. " * 40,
                }
            )
        )
        summary = run_job(
            load_articles(str(folder)), [mastodon_channel(env)], Ledger(tmp_path / "l.db")
        )
        assert summary.exit_code == 0, summary.outcomes
        (post,) = small.posts
        assert len(post["status"]) <= 120
        assert "https://n.example/l" in post["status"]  # URL shorter than 23: raw length bounds
    finally:
        small.stop()


def test_a_malformed_file_in_a_source_folder_does_not_hold_back_the_others(
    tmp_path: Path,
) -> None:
    """One bad file is named on stderr and makes the run exit 1; the good ones go out."""
    source = tmp_path / "articles"
    source.mkdir()
    for n in (1, 2):
        (source / f"a{n}.md").write_text(
            f"---\ntitle: Article {n}\nurl: https://news.example.com/{n}\n---\n\nBody {n}.\n"
        )
    (source / "notes.md").write_text("just some notes, no front matter\n")
    out = tmp_path / "posts.jsonl"
    env = {**os.environ, "EMBEDKIT_FILE_CHANNEL_PATH": str(out)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "embedkit",
            "syndicate",
            "run",
            "--source",
            str(source),
            "--channel",
            "file",
            "--ledger",
            f"sqlite:///{tmp_path}/ledger.db",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "notes.md" in result.stderr
    assert "Traceback" not in result.stderr
    posted = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(p["article_id"] for p in posted) == [
        "https://news.example.com/1",
        "https://news.example.com/2",
    ]
