"""The README is part of the product: its commands, reference and examples are checked."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from embedkit._config import ENV_VARS
from embedkit.cli._main import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_quick_start_is_exactly_two_commands() -> None:
    blocks = re.findall(r"```(?:sh|bash|console)\n(.*?)```", _section("Quick start"), re.S)
    commands = [line for block in blocks for line in block.splitlines() if line.strip()]
    assert len(commands) == 2, commands
    assert "embedkit render" in commands[0] or "embedkit resolve" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = [line for line in ci.splitlines() if "pytest" in line and "pip install" in line]
    assert len(command) == 1, command
    quick_start = _section("Quick start")
    assert command[0].strip() in quick_start.splitlines()


def test_cli_reference_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _commands(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


@pytest.mark.parametrize(
    ("path", "command"),
    list(_commands(cli)),
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else "",
)
def test_every_command_has_help_and_a_readme_entry(
    path: tuple[str, ...], command: click.Command
) -> None:
    assert (command.help or "").strip(), f"embedkit {' '.join(path)} has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts} has no help"
    assert f"embedkit {' '.join(path)}" in README


def _variables_read_by_the_code() -> set[str]:
    names = set(ENV_VARS)
    for path in (ROOT / "src" / "embedkit").rglob("*.py"):
        names |= set(re.findall(r"\bEMBEDKIT_[A-Z0-9_]*[A-Z0-9]\b", path.read_text("utf-8")))
    return names


@pytest.mark.parametrize("name", sorted(_variables_read_by_the_code()))
def test_every_environment_variable_is_documented(name: str) -> None:
    assert f"`{name}`" in README


def _python_examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, re.S)


def _run_example(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a documented example as a reader would: a fresh process, fresh cache and ledger."""
    env = {
        **os.environ,
        "EMBEDKIT_CACHE": f"sqlite:///{tmp_path}/cache.db",
        "EMBEDKIT_LEDGER": f"sqlite:///{tmp_path}/ledger.db",
    }
    env.pop("EMBEDKIT_PROVIDERS", None)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("index", range(len(_python_examples())))
def test_readme_python_examples_run(index: int, tmp_path: Path) -> None:
    code = _python_examples()[index]
    result = _run_example(code, tmp_path)
    assert result.returncode == 0, f"example {index} failed:\n{code}\n{result.stderr}"


def test_changelog_names_api_and_cli() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [0.1.0]" in changelog
    assert "`embedkit resolve" in changelog
    assert "`Resolver(" in changelog


def test_readme_preview_is_real_output() -> None:
    """The syndicate preview shown in README is what the command prints today."""
    block = README.split("<!-- preview:start -->")[1].split("<!-- preview:end -->")[0]
    lines = block.strip().removeprefix("```text").removesuffix("```").strip("\n").splitlines()
    command, shown = lines[0], "\n".join(lines[1:])
    argv = command.removeprefix("$ embedkit ").split()
    result = CliRunner().invoke(cli, argv, prog_name="embedkit")
    assert result.exit_code == 0, result.output
    assert result.output.rstrip("\n") == shown


def _doc_examples() -> list[tuple[str, int, str]]:
    """Python blocks of docs/*.md; a block tagged `python no-run` needs the network,
    credentials or the reader's own files, and is shown but not run."""
    found = []
    for doc in sorted((ROOT / "docs").glob("*.md")):
        blocks = re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
        found += [(doc.name, i, code) for i, code in enumerate(blocks)]
    return found


@pytest.mark.parametrize(("doc", "index", "code"), _doc_examples(), ids=lambda v: str(v)[:30])
def test_docs_python_examples_run(doc: str, index: int, code: str, tmp_path: Path) -> None:
    result = _run_example(code, tmp_path)
    assert result.returncode == 0, f"{doc} example {index} failed:\n{code}\n{result.stderr}"
