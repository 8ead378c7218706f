"""Terminal escapes (issue 8, item 11): untrusted text never drives the reader's terminal.

Real processes on a real pseudo-terminal: titles, provider names and provider
HTML holding ESC, OSC, CSI and BEL are shown escaped on a TTY; piped output is
written as it was made (docs/SECURITY.md, "Terminal escapes"); JSON escapes
every control character wherever it goes.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from embedkit._logging import to_json
from embedkit.cli._term import escape_controls
from embedkit.resolve.cache import Entry, cache_key, open_cache

EVIL = "Leaders meet\x1b]0;pwned\x07\x1b[2J\x9b31m"
SHOWN = "Leaders meet\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m"
X_URL = "https://x.com/reuters/status/1636212467429621760"


def on_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``embedkit ARGV`` with stdout and stderr on a pseudo-terminal; its exit and text."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "embedkit", *argv],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = proc.wait(timeout=60)
    return code, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def piped(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "embedkit", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMBEDKIT_")}
    xdg = str(tmp_path / "xdg")
    return {**clean, "XDG_CACHE_HOME": xdg, "XDG_DATA_HOME": xdg}


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "evil.json"
    path.write_text(
        json.dumps({"id": "evil", "title": EVIL, "url": "https://news.example.com/a"}),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def cache(tmp_path: Path) -> str:
    """A cache whose X entry and provider name carry terminal escapes."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    backend = open_cache(url)
    backend.set(
        Entry(
            key=cache_key(X_URL, {}),
            url=X_URL,
            provider=f"Twitter{EVIL}",
            params={},
            data={
                "type": "rich",
                "version": "1.0",
                "html": f"<blockquote><p>{EVIL}</p></blockquote>",
                "author_name": EVIL,
            },
            fetched_at=0.0,
            expires_at=4_000_000_000.0,
        )
    )
    backend.close()
    return url


def test_preview_on_a_terminal_shows_escapes_as_text(env: dict[str, str], article: Path) -> None:
    code, out = on_terminal(["syndicate", "preview", str(article), "--channel", "x"], env)
    assert code == 0, out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\x9b" not in out
    assert SHOWN in out


def test_piped_preview_is_written_as_made(env: dict[str, str], article: Path) -> None:
    result = piped(["syndicate", "preview", str(article), "--channel", "x"], env)
    assert result.returncode == 0, result.stderr
    assert EVIL in result.stdout


def test_json_never_carries_a_raw_control_character(env: dict[str, str], article: Path) -> None:
    argv = ["syndicate", "preview", str(article), "--channel", "x", "--format", "json"]
    result = piped(argv, env)
    assert not any(ch in result.stdout for ch in "\x1b\x07\x9b")
    assert EVIL in json.loads(result.stdout)["text"]  # escaped, not lost


def test_cache_stats_on_a_terminal(env: dict[str, str], cache: str) -> None:
    code, out = on_terminal(["cache", "stats", "--cache", cache], env)
    assert code == 0, out
    assert "\x1b" not in out
    assert "\x9b" not in out
    assert f"Twitter{SHOWN}: 1" in out


def test_resolve_on_a_terminal(env: dict[str, str], cache: str) -> None:
    code, out = on_terminal(["resolve", X_URL, "--cache", cache, "--offline"], env)
    assert code == 0, out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\\x1b]0;pwned" in out  # the provider text is there, inert


def test_errors_on_a_terminal_are_escaped_too(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "evil\x1b[2J.md"
    code, out = on_terminal(["render", str(bad)], env)
    assert code == 2
    assert "\x1b" not in out
    assert "evil\\x1b[2J.md does not exist" in out


def test_escape_controls_keeps_text_and_layout() -> None:
    assert escape_controls("日本と韓国\n\ttab") == "日本と韓国\n\ttab"
    assert escape_controls("\x00\x1b\r\x7f\x85\x9f") == "\\x00\\x1b\\x0d\\x7f\\x85\\x9f"


def test_to_json_escapes_c1_and_line_separators() -> None:
    text = to_json({"t": "a\x9b\x85\u2028b\x1b"})
    assert text == '{"t": "a\\u009b\\u0085\\u2028b\\u001b"}'
    assert json.loads(text) == {"t": "a\x9b\x85\u2028b\x1b"}
