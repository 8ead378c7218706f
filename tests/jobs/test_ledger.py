"""The ledger: claims are exclusive, stale claims surface as unknown, nothing is lost."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from embedkit._errors import ConfigError, LedgerError
from embedkit.syndicate._ledger import Ledger, LedgerRow, open_ledger, process_owner


def claim(ledger: Ledger, article: str = "a1", channel: str = "mastodon", run: str = "r1") -> bool:
    return ledger.claim(article, channel, text_hash="h", idempotency_key="k", run_id=run)


def existing(ledger: Ledger, article: str, channel: str = "mastodon") -> LedgerRow:
    """The row for (article, channel), which the test expects to exist."""
    row = ledger.get(article, channel)
    assert row is not None
    return row


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
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
def test_which_states_may_be_claimed_again(
    ledger: Ledger, settle: Callable[[Ledger], object], claimable: bool
) -> None:
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
    assert existing(ledger, "a1").state == "claimed"  # untouched
    row = existing(ledger, "a2")
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
    row = existing(ledger, "a1")
    assert row.state == "unknown"
    assert row.last_error is not None
    assert "reconcile" in row.last_error


def test_a_claim_by_a_live_process_stays_claimed(tmp_path: Path) -> None:
    first = Ledger(tmp_path / "l.db")
    assert claim(first)
    second = Ledger(tmp_path / "l.db")
    assert second.sweep_stale() == []
    assert existing(second, "a1").state == "claimed"


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
    assert existing(ledger, "a1").state == "posted"
    assert ledger.reopen("a1", "mastodon", reason="x") is False  # posted stays posted


# -- read-only ledgers: status and history never create, migrate or lock ----------


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_missing_ledger_opened_read_only_is_reported_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nonexistent" / "l.db"
    for mode in ("ro", "rw"):
        with pytest.raises(ConfigError, match=f"no ledger at {path}"):
            open_ledger(f"sqlite:///{path}", mode=mode)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_ledger_reads_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    dead = Ledger(path, owner=_dead_owner())
    assert claim(dead)
    dead.close()
    before = files(tmp_path)
    with open_ledger(f"sqlite:///{path}", mode="ro") as reader:
        (row,) = reader.rows()
        assert row.state == "claimed"
        assert reader.is_stale(row)  # shown as stale, not swept
        with pytest.raises(LedgerError, match="read-only"):
            reader.sweep_stale()
        with pytest.raises(LedgerError, match="read-only"):
            claim(reader, article="a2")
        # a writer is not locked out while the reader is open
        with Ledger(path) as writer:
            assert claim(writer, article="a3")
    assert set(files(tmp_path)) == set(before) == {"l.db"}
    with Ledger(path) as writer:  # the next writer settles it
        assert [r.article_id for r in writer.sweep_stale()] == ["a1"]


def test_a_corrupt_ledger_is_an_error_and_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    garbage = b"SQLite format 3\x00" + b"\xff" * 4000
    path.write_bytes(garbage)
    for mode in ("rwc", "ro"):
        with pytest.raises(LedgerError, match="not a usable SQLite database") as info:
            open_ledger(f"sqlite:///{path}", mode=mode)
        assert str(path) in str(info.value)
    assert path.read_bytes() == garbage
    assert files(tmp_path) == {"l.db": garbage}


def test_another_programs_database_is_not_read_as_a_ledger(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (x)")
    with pytest.raises(LedgerError, match="not an embedkit ledger"):
        open_ledger(f"sqlite:///{path}", mode="ro")


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_path_that_cannot_be_a_database_is_a_config_error(tmp_path: Path, kind: str) -> None:
    import os

    path = tmp_path / "l.db"
    if kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)
    with pytest.raises(ConfigError, match=r"is a (folder|FIFO)"):
        open_ledger(f"sqlite:///{path}")


def test_ledger_urls_expand_home_and_percent_escapes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert open_ledger("sqlite:///~/my%20ledger.db").path == tmp_path / "my ledger.db"


def test_row_to_dict_is_json_ready(ledger: Ledger) -> None:
    claim(ledger)
    ledger.record_posted("a1", "mastodon", post_id="9", post_url="https://m.example/9")
    data = existing(ledger, "a1").to_dict()
    assert set(data) == {
        "article_id", "channel", "state", "retryable", "post_id", "post_url", "attempts",
        "last_error", "text_hash", "claimed_at", "updated_at", "run_id", "idempotency_key",
        "match_hash",
    }  # fmt: skip
    assert data["updated_at"].endswith("+00:00")
    assert (data["state"], data["post_id"]) == ("posted", "9")
