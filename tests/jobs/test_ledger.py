"""The ledger: claims are exclusive, stale claims surface as unknown, nothing is lost."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from embedkit._errors import ConfigError, LedgerError
from embedkit.syndicate._ledger import Ledger, open_ledger, process_owner


def claim(ledger: Ledger, article: str = "a1", channel: str = "mastodon", run: str = "r1") -> bool:
    return ledger.claim(article, channel, text_hash="h", idempotency_key="k", run_id=run)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    with Ledger(tmp_path / "ledger.db") as opened:
        yield opened


def test_a_new_pair_is_claimed_once(ledger: Ledger) -> None:
    assert claim(ledger) is True
    assert claim(ledger, run="r2") is False
    row = ledger.get("a1", "mastodon")
    assert row is not None
    assert (row.state, row.run_id, row.idempotency_key, row.text_hash) == (
        "claimed",
        "r1",
        "k",
        "h",
    )


def test_claims_are_per_channel(ledger: Ledger) -> None:
    assert claim(ledger, channel="mastodon")
    assert claim(ledger, channel="bluesky")
    assert not claim(ledger, channel="mastodon")


@pytest.mark.parametrize(
    ("settle", "claimable"),
    [
        (lambda lg: lg.record_posted("a1", "mastodon", post_id="9", post_url="https://m/9"), False),
        (lambda lg: lg.record_failed("a1", "mastodon", error="HTTP 422", retryable=False), False),
        (lambda lg: lg.record_failed("a1", "mastodon", error="HTTP 503", retryable=True), True),
        (lambda lg: lg.record_unknown("a1", "mastodon", error="timeout after send"), False),
        (lambda lg: lg.release("a1", "mastodon", reason="budget"), True),
    ],
    ids=["posted", "failed-final", "failed-retryable", "unknown", "released"],
)
def test_which_states_may_be_claimed_again(ledger: Ledger, settle, claimable: bool) -> None:
    assert claim(ledger)
    settle(ledger)
    assert claim(ledger, run="r2") is claimable


def test_results_are_recorded(ledger: Ledger) -> None:
    claim(ledger)
    ledger.record_failed("a1", "mastodon", error="HTTP 503", retryable=True, attempts=3)
    claim(ledger, run="r2")
    ledger.record_posted("a1", "mastodon", post_id="9", post_url="https://m.example/@n/9")
    row = ledger.get("a1", "mastodon")
    assert row is not None
    assert (row.state, row.post_id, row.post_url, row.attempts, row.last_error, row.run_id) == (
        "posted",
        "9",
        "https://m.example/@n/9",
        4,
        None,
        "r2",
    )


def test_recording_a_row_that_was_never_claimed_is_an_error(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="a9"):
        ledger.record_posted("a9", "mastodon", post_id="1")


def test_rows_history_and_filters(tmp_path: Path) -> None:
    now = [1000.0]
    ledger = Ledger(tmp_path / "l.db", clock=lambda: now[0])
    for i, channel in enumerate(["mastodon", "bluesky", "mastodon"]):
        now[0] += 1
        claim(ledger, article=f"a{i}", channel=channel)
    assert [r.article_id for r in ledger.rows()] == ["a2", "a1", "a0"]
    assert [r.article_id for r in ledger.rows(channel="mastodon", limit=1)] == ["a2"]
    claim(ledger, article="a0", channel="x")
    assert [r.channel for r in ledger.history("a0")] == ["mastodon", "x"]
    assert ledger.history("nope") == []


def test_mark_existing_records_posted_without_an_id_and_keeps_existing_rows(
    ledger: Ledger,
) -> None:
    claim(ledger, article="a1")
    assert ledger.mark_existing(["a1", "a2", "a3", "a2"], "mastodon") == 2
    assert ledger.get("a1", "mastodon").state == "claimed"  # untouched
    row = ledger.get("a2", "mastodon")
    assert (row.state, row.post_id) == ("posted", None)
    assert not claim(ledger, article="a3")


def _dead_owner() -> str:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return process_owner(proc.pid)


def test_a_claim_whose_process_died_becomes_unknown_never_reclaimed(tmp_path: Path) -> None:
    dead = Ledger(tmp_path / "l.db", owner=_dead_owner())
    assert claim(dead)
    dead.close()
    ledger = Ledger(tmp_path / "l.db")
    assert claim(ledger, run="r2") is False
    row = ledger.get("a1", "mastodon")
    assert row.state == "unknown"
    assert "reconcile" in row.last_error


def test_a_claim_by_a_live_process_stays_claimed(tmp_path: Path) -> None:
    first = Ledger(tmp_path / "l.db")
    assert claim(first)
    second = Ledger(tmp_path / "l.db")
    assert second.sweep_stale() == []
    assert second.get("a1", "mastodon").state == "claimed"


def test_sweep_reports_stale_claims(tmp_path: Path) -> None:
    dead = Ledger(tmp_path / "l.db", owner=_dead_owner())
    claim(dead, article="a1")
    claim(dead, article="a2")
    swept = Ledger(tmp_path / "l.db").sweep_stale()
    assert sorted((r.article_id, r.state) for r in swept) == [("a1", "unknown"), ("a2", "unknown")]


def test_a_claim_from_another_host_is_trusted_for_the_lease_only(tmp_path: Path) -> None:
    now = [5000.0]
    remote = Ledger(
        tmp_path / "l.db", owner="elsewhere.example|123|456", clock=lambda: now[0], lease=600
    )
    claim(remote)
    local = Ledger(tmp_path / "l.db", clock=lambda: now[0], lease=600)
    now[0] += 599
    assert local.sweep_stale() == []
    now[0] += 2
    assert [r.state for r in local.sweep_stale()] == ["unknown"]


def test_threads_racing_for_the_same_rows_each_win_each_row_once(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    Ledger(path).close()
    wins: list[tuple[int, str]] = []
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        ledger = Ledger(path)
        barrier.wait()
        for i in range(25):
            if claim(ledger, article=f"a{i}", run=f"t{n}"):
                wins.append((n, f"a{i}"))
        ledger.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a for _, a in wins) == sorted(f"a{i}" for i in range(25))


_RACER = """
import sys
from embedkit.syndicate._ledger import Ledger
ledger = Ledger(sys.argv[1])
won = [i for i in range(40) if ledger.claim(f"a{i}", "mastodon", text_hash="h",
       idempotency_key="k", run_id=sys.argv[2])]
print(" ".join(map(str, won)))
"""


def test_processes_racing_for_the_same_rows_each_win_each_row_once(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, str(path), f"p{n}"], stdout=subprocess.PIPE, text=True
        )
        for n in range(4)
    ]
    won = [int(i) for p in procs for i in p.communicate(timeout=60)[0].split()]
    assert sorted(won) == list(range(40))


def test_a_corrupt_file_names_its_path(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    path.write_bytes(b"this is not a SQLite database, just some bytes" * 100)
    with pytest.raises(LedgerError, match=str(path)):
        Ledger(path)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////var/tmp/x/ledger.db", "/var/tmp/x/ledger.db"),
        ("sqlite:///relative/ledger.db", "relative/ledger.db"),
        ("/plain/path.db", "/plain/path.db"),
    ],
)
def test_ledger_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    target = expected if not expected.startswith("/") else str(tmp_path) + expected
    if url.startswith("sqlite:////"):
        url = "sqlite:///" + str(tmp_path) + expected
    elif url.startswith("/"):
        url = target
    assert open_ledger(url).path == Path(target)


def test_ledger_url_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "env.db"
    assert open_ledger(env={"EMBEDKIT_LEDGER": f"sqlite:///{path}"}).path == path


def test_unsupported_ledger_url() -> None:
    with pytest.raises(ConfigError, match="postgres"):
        open_ledger("postgres://db/ledger")


def test_reconcile_updates_only_touch_rows_still_in_the_expected_state(ledger: Ledger) -> None:
    claim(ledger)
    assert ledger.reopen("a1", "mastodon", reason="x") is False  # a live claim stays claimed
    assert ledger.settle_posted("a1", "mastodon", post_id="1", post_url=None, note="x") is False
    ledger.record_unknown("a1", "mastodon", error="timeout")
    assert ledger.settle_posted("a1", "mastodon", post_id="1", post_url=None, note="found")
    assert ledger.get("a1", "mastodon").state == "posted"
    assert ledger.reopen("a1", "mastodon", reason="x") is False  # posted stays posted
