"""Every `embedkit syndicate` command and option has help text and a documentation entry."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from embedkit.cli._syndicate import syndicate

DOC = Path(__file__).parents[2] / "docs" / "scheduled-syndication.md"
COMMANDS = sorted(syndicate.commands)


def test_the_group_has_the_six_commands() -> None:
    assert COMMANDS == ["history", "post", "preview", "reconcile", "run", "status"]


@pytest.mark.parametrize("name", COMMANDS)
def test_command_and_options_have_help_and_docs(name: str) -> None:
    command = syndicate.commands[name]
    assert command.help
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"#### `embedkit syndicate {name}", 1)[1].split("\n#### ", 1)[0]
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts} has no help"
            assert any(f"`{opt}" in section for opt in param.opts), (
                f"{name} {param.opts[0]} is not documented"
            )


def test_the_documented_python_example_runs(tmp_path: Path) -> None:
    import re
    import subprocess
    import sys

    (code,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["[('file', 1, 0)]", "[('file', 0, 1)]"]
