"""Crash safety: ``kill -9`` a run at any step; nothing is posted twice, nothing is lost.

Each trial (seeded) starts ``embedkit syndicate run`` in a subprocess against a fresh
fake Mastodon and a feed of 1–6 articles, and kills it with SIGKILL at one of:

- ``loading``: while the run fetches the feed from a local HTTP server (before any
  claim);
- ``timer``: a random moment after the start (while starting, loading, or posting);
- ``before-accept``: when the k-th ``POST /api/v1/statuses`` arrives, after the claim,
  before the platform accepts it (the request is then dropped);
- ``after-accept``: after the platform created the k-th post, before the answer
  reaches the run (so the ledger never records it).

Then the recovery a newsroom would run: ``syndicate run`` (stale claims become
``unknown``; the rest is posted), ``syndicate reconcile`` (unknown rows are found on
the platform, or certainly absent and re-opened) and ``syndicate run`` again. After
that, every article is on the platform exactly once and every ledger row is ``posted``.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.jobs.conftest import TOKEN, article_url, posted_articles, start_cli, write_feed
from tests.syndicate.fakes import FakeHttpRecorder, FakeMastodon, Reply, Request

from embedkit.cli._main import cli
from embedkit.syndicate._ledger import Ledger

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

TRIALS = 50
STOPPERS: list[threading.Thread] = []
KILL_POINTS = ("loading", "timer", "before-accept", "after-accept")


def kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the run and wait until it is gone (reaped), like a crashed cron job."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def one_trial(tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    rng = random.Random(seed)
    n = rng.randint(1, 6)
    point = KILL_POINTS[seed % len(KILL_POINTS)]
    k = rng.randint(1, n)
    workdir = tmp_path / f"trial-{seed}"
    workdir.mkdir()
    feed_file = write_feed(workdir / "feed.xml", n)
    ledger_url = f"sqlite:///{workdir / 'ledger.db'}"
    fake = FakeMastodon(token=TOKEN).start()
    site = FakeHttpRecorder().start()
    site.route(
        "GET",
        "/feed.xml",
        Reply(200, feed_file.read_bytes(), {"Content-Type": "application/rss+xml"}),
    )
    feed = f"{site.url}/feed.xml"
    env = {
        "EMBEDKIT_MASTODON_URL": fake.url,
        "EMBEDKIT_MASTODON_TOKEN": TOKEN,
        "EMBEDKIT_ALLOW_PRIVATE_NETWORKS": "1",
    }
    killed = threading.Event()
    holder: dict[str, subprocess.Popen[str]] = {}
    posts_seen = [0]

    def on_feed_request(req: Request) -> None:
        if point == "loading" and not killed.is_set():
            killed.set()
            kill(holder["proc"])
            site.fault("drop", method="GET", path="/feed.xml")

    def on_request(req: Request) -> None:
        if killed.is_set():
            return
        if point == "before-accept" and req.method == "POST" and req.path.endswith("statuses"):
            posts_seen[0] += 1
            if posts_seen[0] == k:
                killed.set()
                kill(holder["proc"])
                fake.fault("drop")  # this very request is never accepted

    def on_post(post: dict[str, Any]) -> None:
        if point != "after-accept" or killed.is_set():
            return
        posts_seen[0] += 1
        if posts_seen[0] == k:
            killed.set()
            kill(holder["proc"])  # the post exists; the run never hears of it

    fake.on_request = on_request
    fake.on_post = on_post
    site.on_request = on_feed_request
    try:
        proc = start_cli(
            "syndicate",
            "run",
            "--source",
            str(feed),
            "--channel",
            "mastodon",
            "--ledger",
            ledger_url,
            env=env,
        )
        holder["proc"] = proc
        if point == "timer" and not killed.wait(rng.uniform(0.0, 0.8)):
            killed.set()
            kill(proc)
        proc.communicate(timeout=60)
        fake.on_request = fake.on_post = site.on_request = None

        for name, value in env.items():
            monkeypatch.setenv(name, value)
        runner = CliRunner()
        run = [
            "syndicate",
            "run",
            "--source",
            str(feed),
            "--channel",
            "mastodon",
            "--ledger",
            ledger_url,
        ]
        second = runner.invoke(cli, run)
        assert second.exit_code in (0, 1), second.output
        settle = runner.invoke(cli, ["syndicate", "reconcile", "--ledger", ledger_url])
        assert settle.exit_code == 0, settle.output
        third = runner.invoke(cli, run)
        assert third.exit_code == 0, (point, k, n, third.output)

        counts = Counter(posted_articles(fake))
        expected = {article_url(i): 1 for i in range(n)}
        assert dict(counts) == expected, (seed, point, k, n, second.output, settle.output)
        with Ledger(workdir / "ledger.db") as ledger:
            rows = ledger.rows(limit=None)
        assert sorted(r.article_id for r in rows) == [f"art-{i:02d}" for i in range(n)]
        assert {r.state for r in rows} == {"posted"}
        assert {r.post_id for r in rows} == {p["id"] for p in fake.posts}
        return point, settle.output
    finally:  # stopping waits for the servers' poll interval: do it in the background
        for server in (fake, site):
            stopper = threading.Thread(target=server.stop)
            stopper.start()
            STOPPERS.append(stopper)


@pytest.fixture
def stop_servers() -> Iterator[None]:
    """Join the background stoppers of a trial's servers after it."""
    yield
    while STOPPERS:
        STOPPERS.pop().join()


@pytest.mark.parametrize(
    "seed",
    range(TRIALS),
    ids=[f"seed{s}-{KILL_POINTS[s % len(KILL_POINTS)]}" for s in range(TRIALS)],
)
@pytest.mark.usefixtures("stop_servers")
def test_kill_9_at_any_step_never_posts_twice_nor_loses_a_post(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One seeded trial: a slow machine fails this seed alone, named, not the whole run."""
    point, settled = one_trial(tmp_path, seed, monkeypatch)
    states = {line.split()[0] for line in settled.splitlines() if line.strip()}
    # The recovery was really exercised: a post the run never heard of is found on the
    # platform; a post killed before the platform accepted it is re-opened.
    if point == "after-accept":
        assert "posted" in states, settled
    if point == "before-accept":
        assert "pending" in states, settled
