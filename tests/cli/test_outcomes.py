"""Outcomes that must be visible (issue 12): what a command did is what it says it did."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.simulator import REUTERS_STATUS_ID, ProviderSimulator

from embedkit import Resolver
from embedkit.cli._main import cli
from embedkit.syndicate import RunSummary, load_articles, run_job
from embedkit.syndicate._ledger import Ledger

REUTERS = f"https://twitter.com/Reuters/status/{REUTERS_STATUS_ID}"
CANONICAL = f"https://x.com/reuters/status/{REUTERS_STATUS_ID}"
YOUTUBE = "https://youtu.be/dQw4w9WgXcQ"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private XDG folders and a working folder, so 'nothing written anywhere' is checkable."""
    for name in list(os.environ):
        if name.startswith("EMBEDKIT_"):
            monkeypatch.delenv(name)
    for sub in ("cwd", "data", "cache"):
        (tmp_path / sub).mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path / "cwd")
    return tmp_path


def files(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def write_articles(folder: Path, n: int) -> Path:
    folder.mkdir(exist_ok=True)
    for i in range(n):
        (folder / f"a{i}.json").write_text(
            json.dumps(
                {
                    "id": f"a{i}",
                    "title": f"Story {i}",
                    "url": f"https://news.example.com/{i}",
                    "published_at": f"2024-05-0{i + 1}T09:00:00Z",
                }
            )
        )
    return folder


# -- dry runs write nothing, and exit as their table says ---------------------------------


@pytest.mark.parametrize("command", ["run", "post"])
def test_a_dry_run_writes_nothing_anywhere(
    home: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("EMBEDKIT_FILE_CHANNEL_PATH", str(home / "posts.jsonl"))
    source = write_articles(home / "articles", 1)
    target = source if command == "run" else source / "a0.json"
    before = files(home)
    result = CliRunner().invoke(
        cli, ["syndicate", command, str(target), "--channel", "file", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert files(home) == before  # no ledger in the data folder, no post, nothing
    assert "no ledger at" in result.stderr
    assert str(home / "data" / "embedkit" / "ledger.db") in result.stderr


def test_a_dry_run_reads_an_existing_ledger_without_touching_it(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMBEDKIT_FILE_CHANNEL_PATH", str(home / "posts.jsonl"))
    source = write_articles(home / "articles", 2)
    ledger = f"sqlite:///{home / 'ledger.db'}"
    args = ["syndicate", "run", str(source), "--channel", "file", "--ledger", ledger]
    first = CliRunner().invoke(cli, [*args, "--max-posts", "1"])
    assert first.exit_code == 0, first.output
    before = files(home)
    dry = CliRunner().invoke(cli, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    header, row = dry.stdout.splitlines()[:2]
    assert header.split() == [
        "channel", "would", "post", "skipped", "failed", "unknown", "deferred"
    ]  # fmt: skip
    assert row.split() == ["file", "1", "1", "0", "0", "0"]
    assert files(home) == before


def test_a_dry_run_that_cannot_fit_exits_1_and_its_table_says_failed(home: Path) -> None:
    article = home / "long.json"
    article.write_text(
        json.dumps({"id": "l", "title": "Trade " * 80, "url": "https://n.example/l"})
    )
    result = CliRunner().invoke(
        cli, ["syndicate", "run", str(article), "--channel", "x", "--dry-run", "--mark-existing"]
    )
    assert result.exit_code == 0  # --mark-existing formats nothing
    result = CliRunner().invoke(
        cli,
        ["syndicate", "run", str(article), "--channel", "x", "--dry-run"],
        env={"EMBEDKIT_X_API_KEY": "k1234567", "EMBEDKIT_X_API_SECRET": "s1234567",
             "EMBEDKIT_X_ACCESS_TOKEN": "t1234567", "EMBEDKIT_X_ACCESS_SECRET": "a1234567"},
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    row = result.stdout.splitlines()[1].split()
    assert row == ["x", "0", "0", "1", "0", "0"]


# -- a spent budget is news ---------------------------------------------------------------


def test_a_spent_budget_exits_3_and_says_so_even_when_quiet(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMBEDKIT_FILE_CHANNEL_PATH", str(home / "posts.jsonl"))
    source = write_articles(home / "articles", 3)
    args = [
        "syndicate", "run", str(source), "--channel", "file", "--quiet",
        "--ledger", f"sqlite:///{home / 'l.db'}", "--budget", "1", "--spacing", "30",
    ]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 3, result.output
    assert "deferred: 2 posts left for the next run" in result.stdout
    assert "--budget 1 s" in result.stdout
    assert len((home / "posts.jsonl").read_text().splitlines()) == 1
    again = CliRunner().invoke(cli, [*args, "--format", "json"])  # the next run posts one more
    data = json.loads(again.stdout)
    assert (again.exit_code, data["exit_code"]) == (3, 3)
    assert data["totals"][0]["posted"] == 1
    assert data["totals"][0]["deferred"] == 1


def test_the_library_summary_says_the_same_as_the_exit_status(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"EMBEDKIT_FILE_CHANNEL_PATH": str(home / "posts.jsonl")}
    now = [0.0]
    summary = run_job(
        load_articles(write_articles(home / "articles", 2)),
        ["file"],
        Ledger(home / "l.db"),
        env=env,
        spacing=30,
        budget=10,
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert [o.status for o in summary.outcomes] == ["posted", "deferred"]
    assert summary.exit_code == 3
    assert summary.totals()[0].deferred == 1


# -- configuration is checked once, before anything is claimed -----------------------------


def test_a_missing_credential_is_one_line_exit_2_and_nothing_is_created(home: Path) -> None:
    source = write_articles(home / "articles", 3)
    before = files(home)
    argv = ["syndicate", "post", str(source / "a0.json"), "--channel", "mastodon"]
    result = CliRunner().invoke(cli, [*argv, "--channel", "x"])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "EMBEDKIT_MASTODON_URL, EMBEDKIT_MASTODON_TOKEN" in line
    assert "EMBEDKIT_X_API_KEY" in line
    assert files(home) == before  # not even the default ledger


def test_mark_existing_needs_no_credentials(home: Path) -> None:
    source = write_articles(home / "articles", 2)
    ledger = home / "l.db"
    result = CliRunner().invoke(
        cli,
        ["syndicate", "run", str(source), "--channel", "mastodon", "--mark-existing",
         "--ledger", f"sqlite:///{ledger}"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert {r.state for r in Ledger(ledger).rows()} == {"posted"}


# -- read-only commands on real databases ---------------------------------------------------


def test_read_only_commands_leave_valid_databases_as_they_were(
    home: Path, monkeypatch: pytest.MonkeyPatch, simulator: ProviderSimulator
) -> None:
    monkeypatch.setenv("EMBEDKIT_FILE_CHANNEL_PATH", str(home / "posts.jsonl"))
    source = write_articles(home / "articles", 2)
    ledger = f"sqlite:///{home / 'l.db'}"
    cache = f"sqlite:///{home / 'c.db'}"
    runner = CliRunner()
    assert (
        runner.invoke(
            cli, ["syndicate", "run", str(source), "--channel", "file", "--ledger", ledger]
        ).exit_code
        == 0
    )
    assert runner.invoke(cli, ["resolve", YOUTUBE, "--offline", "--cache", cache]).exit_code == 0
    before = files(home)
    for argv in (
        ["syndicate", "status", "--ledger", ledger],
        ["syndicate", "history", "a1", "--ledger", ledger, "--format", "json"],
        ["syndicate", "run", str(source), "--channel", "file", "--ledger", ledger, "--dry-run"],
        ["syndicate", "post", str(source / "a1.json"), "--channel", "file", "--ledger", ledger,
         "--dry-run"],
        ["cache", "stats", "--cache", cache],
        ["syndicate", "preview", str(source / "a1.json"), "--channel", "bluesky"],
        ["providers", "match", YOUTUBE],
        ["providers", "list"],
    ):  # fmt: skip
        result = runner.invoke(cli, argv)
        assert result.exit_code == 0, (argv, result.output)
        assert files(home) == before, argv
    assert not any(name.endswith(("-wal", "-shm")) for name in before)


def test_a_corrupt_ledger_is_an_error_and_is_left_alone(home: Path) -> None:
    source = write_articles(home / "articles", 1)
    corrupt = home / "l.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xfe" * 5000)
    result = CliRunner().invoke(
        cli,
        ["syndicate", "run", str(source), "--channel", "file", "--ledger", f"sqlite:///{corrupt}"],
        env={"EMBEDKIT_FILE_CHANNEL_PATH": str(home / "posts.jsonl")},
    )
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "is not a usable SQLite database" in line
    assert "left as it is" in line
    assert corrupt.read_bytes() == b"SQLite format 3\x00" + b"\xfe" * 5000
    assert not (home / "posts.jsonl").exists()


# -- render: a summary, JSON for machines, assets only beside the page ----------------------


def test_render_says_how_its_embeds_were_served(home: Path) -> None:
    doc = home / "page.md"
    doc.write_text(f"---\ntitle: T\n---\n\n{REUTERS}\n\n{YOUTUBE}\n\nhttps://example.org/x\n")
    result = CliRunner().invoke(cli, ["render", str(doc), "--offline", "--cache", "memory://"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["2 embeds: 2 fallback (offline)"]
    assert "<html" in result.stdout
    assert list((home / "cwd").iterdir()) == []  # no assets without -o

    machine = CliRunner().invoke(
        cli, ["render", str(doc), "--offline", "--cache", "memory://", "--format", "json"]
    )
    data = json.loads(machine.stdout)
    assert data["total"] == 2
    assert data["counts"] == {"fallback": 2}
    assert [(e["url"], e["status"], e["error"]) for e in data["embeds"]] == [
        (CANONICAL, "fallback", "offline"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "fallback", "offline"),
    ]
    assert data["written"] == []
    assert "<html" in data["html"]


def test_render_writes_assets_beside_the_page_only_and_says_where(home: Path) -> None:
    doc = home / "page.md"
    doc.write_text(f"---\ntitle: T\n---\n\n{REUTERS}\n")
    out = home / "site" / "posts" / "page.html"  # folders created: the user asked for this file
    result = CliRunner().invoke(
        cli, ["render", str(doc), "-o", str(out), "--offline", "--cache", "memory://", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"Wrote {out}, embedkit-consent.js, embedkit.css",
        "1 embed: 1 fallback (offline)",  # still said with -q: the page is not what it could be
    ]
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "embedkit-consent.js",
        "embedkit.css",
        "page.html",
    ]
    assert list((home / "cwd").iterdir()) == []


def test_render_summary_counts_cached_and_fresh(home: Path, simulator: ProviderSimulator) -> None:
    providers = simulator.providers_file(home)
    simulator.route("/twitter/oembed", fixture="twitter-reuters.json", when_url=CANONICAL)
    opts = ["--cache", f"sqlite:///{home}/c.db", "--providers", str(providers)]
    doc = home / "page.md"
    doc.write_text(f"---\ntitle: T\n---\n\n{REUTERS}\n")
    first = CliRunner().invoke(cli, ["render", str(doc), *opts])
    assert first.stderr.splitlines() == ["1 embed: 1 fresh"]
    second = CliRunner().invoke(cli, ["render", str(doc), *opts, "--quiet"])
    assert second.stderr == ""  # all well, and asked to be quiet


# -- names: one provider name, flags not arguments, "not a URL" ------------------------------


def test_one_provider_name_for_x_everywhere(home: Path, simulator: ProviderSimulator) -> None:
    providers = simulator.providers_file(home)
    simulator.route("/twitter/oembed", fixture="twitter-reuters.json", when_url=CANONICAL)
    cache = f"sqlite:///{home}/c.db"
    with Resolver(cache="memory://", providers=str(providers), allow_private_networks=True) as r:
        name = r.resolve(REUTERS).provider
    assert name
    runner = CliRunner()
    argv = ["resolve", REUTERS, "--format", "json", "--cache", cache]
    resolved = runner.invoke(cli, [*argv, "--providers", str(providers)])
    assert json.loads(resolved.stdout)["provider"] == name
    matched = runner.invoke(cli, ["providers", "match", REUTERS, "--providers", str(providers)])
    assert matched.stdout == f"{REUTERS}\t{name}\n"
    stats = runner.invoke(cli, ["cache", "stats", "--cache", cache, "--format", "json"])
    assert json.loads(stats.stdout)["providers"] == {name: 1}


def test_not_a_url_is_called_that(home: Path) -> None:
    result = CliRunner().invoke(cli, ["resolve", "not a url", "--cache", "memory://"])
    assert result.exit_code == 2
    assert result.stderr == 'Error: not a URL (no scheme and no host name): "not a url"\n'


def test_errors_name_the_flag_not_the_library_argument(home: Path) -> None:
    result = CliRunner().invoke(
        cli, ["syndicate", "preview", "http://127.0.0.1:9/feed.xml", "--channel", "x"]
    )  # refused by the address check before anything is sent
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "pass --allow-private-networks to allow it" in line
    assert "allow_private_networks" not in line


# -- library users get the JSON the command prints ------------------------------------------


def test_post_json_is_the_library_summary_to_dict(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMBEDKIT_FILE_CHANNEL_PATH", str(home / "posts.jsonl"))
    article = write_articles(home / "articles", 1) / "a0.json"
    ledger = home / "l.db"
    result = CliRunner().invoke(
        cli,
        ["syndicate", "post", str(article), "--channel", "file", "--ledger", f"sqlite:///{ledger}",
         "--format", "json"],
    )  # fmt: skip
    printed = json.loads(result.stdout)
    assert printed["exit_code"] == result.exit_code == 0
    again = run_job(load_articles(article), ["file"], Ledger(ledger), run_id=printed["run_id"])
    expected: RunSummary = again
    data = expected.to_dict()
    assert set(data) == set(printed)
    assert data["totals"][0]["skipped"] == 1  # the same shape, from the library
    assert printed["outcomes"][0]["status"] == "posted"
    assert set(printed["outcomes"][0]) == set(data["outcomes"][0])


def test_status_shows_a_dead_runs_claim_without_sweeping_it(home: Path) -> None:
    import subprocess
    import sys

    from embedkit.syndicate._ledger import process_owner

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    path = home / "l.db"
    with Ledger(path, owner=process_owner(proc.pid)) as dead:
        assert dead.claim("a1", "file", text_hash="h", idempotency_key="k", run_id="r1")
    before = files(home)
    result = CliRunner().invoke(cli, ["syndicate", "status", "--ledger", f"sqlite:///{path}"])
    assert result.exit_code == 0, result.output
    assert "claimed (run gone)" in result.stdout
    assert files(home) == before
    row = Ledger(path).get("a1", "file")
    assert row is not None
    assert row.state == "claimed"  # a writer's job to settle it
