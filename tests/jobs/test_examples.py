"""The cron and systemd examples are well-formed and call `syndicate run` with real options."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

from embedkit.cli._syndicate import syndicate

EXAMPLES = Path(__file__).parents[2] / "examples"


def run_args(command: str) -> list[str]:
    words = shlex.split(command)
    start = words.index("syndicate")
    assert words[start + 1] == "run"
    return words[start + 2 :]


def check_run_command(command: str) -> None:
    args = run_args(command)
    ctx = syndicate.commands["run"].make_context("run", args)  # raises on a bad option
    assert ctx.params["channels"]
    source = ctx.params["source_arg"] or ctx.params["source_opt"]
    assert source.startswith("https://")


def test_crontab_runs_every_five_minutes() -> None:
    lines = [
        line
        for line in (EXAMPLES / "cron" / "embedkit.crontab").read_text().splitlines()
        if line and not line.startswith("#") and "=" not in line.split()[0]
    ]
    (entry,) = lines
    fields = entry.split(None, 5)
    assert fields[:5] == ["*/5", "*", "*", "*", "*"]
    check_run_command(fields[5].split(";")[-1])
    assert "flock" in (EXAMPLES / "cron" / "embedkit.crontab").read_text()


def read_unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    text = (EXAMPLES / "systemd" / name).read_text().replace("\\\n", " ")
    parser.read_string(text)
    return parser


def test_systemd_service_is_a_oneshot_with_secrets_from_a_file() -> None:
    unit = read_unit("embedkit-syndicate.service")
    assert unit["Service"]["Type"] == "oneshot"
    assert unit["Service"]["EnvironmentFile"].startswith("/")
    assert "TOKEN" not in unit["Service"].get("Environment", "")
    check_run_command(unit["Service"]["ExecStart"])
    assert "--log-format json" in " ".join(unit["Service"]["ExecStart"].split())


def test_systemd_timer_every_five_minutes_and_persistent() -> None:
    unit = read_unit("embedkit-syndicate.timer")
    assert unit["Timer"]["OnCalendar"] == "*:0/5"
    assert unit["Timer"]["Persistent"] == "true"
    assert unit["Install"]["WantedBy"] == "timers.target"
