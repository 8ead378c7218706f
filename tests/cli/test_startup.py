"""`embedkit --help` is fast because it imports only click and embedkit's light root (issue 10).

No timing here (benchmarks/bench_cli.py measures): a fresh process runs each
``--help`` and reports which heavy modules it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("httpx", "jinja2", "nh3", "oembed", "embedkit.syndicate", "embedkit.resolve", "feedparser")

PROBE = """
import contextlib, io, json, sys
args, watched = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["embedkit", *args]
from embedkit.cli._main import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main()
    except SystemExit as exc:
        code = exc.code
heavy = sorted(name for name in watched if name in sys.modules)
print(json.dumps({"code": code, "heavy": heavy, "help": out.getvalue()}))
"""


def probe(args: list[str]) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["syndicate", "--help"],
        ["syndicate", "run", "--help"],
        ["resolve", "--help"],
        ["render", "--help"],
        ["cache", "--help"],
        ["providers", "match", "--help"],
    ],
    ids=" ".join,
)
def test_help_imports_no_heavy_module(args: list[str]) -> None:
    found = probe(args)
    assert found["code"] == 0
    assert "Usage: embedkit" in str(found["help"])
    assert found["heavy"] == []


def test_the_probe_sees_heavy_imports_when_they_happen() -> None:
    """The probe is not blind: a command that resolves does import the resolver."""
    found = probe(["providers", "match", "https://youtu.be/dQw4w9WgXcQ"])
    assert found["code"] == 0
    assert "embedkit.resolve" in found["heavy"]  # type: ignore[operator]
