"""Regenerate the CLI reference in README.md from the commands' own --help.

Usage: python scripts/cli_reference.py [--check]

The reference sits between the markers ``<!-- cli-reference:start -->`` and
``<!-- cli-reference:end -->``. With ``--check`` nothing is written and the exit
status is 1 when README.md is out of date (tests/test_docs.py runs this check).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click
from click.testing import CliRunner

from embedkit.cli._main import cli

README = Path(__file__).resolve().parents[1] / "README.md"
START = "<!-- cli-reference:start -->"
END = "<!-- cli-reference:end -->"


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Yield the argument path of every command, depth first, sorted by name."""
    yield path
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from walk(command.commands[name], (*path, name))


def reference() -> str:
    """The Markdown of the whole reference."""
    runner = CliRunner()
    parts = []
    for path in walk(cli):
        result = runner.invoke(cli, [*path, "--help"], prog_name="embedkit", terminal_width=88)
        if result.exit_code != 0:
            raise SystemExit(f"embedkit {' '.join(path)} --help failed:\n{result.output}")
        title = " ".join(("embedkit", *path))
        parts.append(f"#### `{title}`\n\n```\n{result.output.rstrip()}\n```\n")
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    try:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
    except ValueError:
        print(f"README.md lacks the {START} / {END} markers", file=sys.stderr)
        return 1
    new = f"{head}{START}\n{reference()}{END}{tail}"
    if "--check" in argv:
        if new != text:
            print(
                "README.md's CLI reference is out of date: run python scripts/cli_reference.py",
                file=sys.stderr,
            )
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
