"""One vocabulary for the command line (issue 12): every command, from the click tree.

An option that several commands share has one name, metavar, default and
environment variable everywhere; ``-v``/``-q``/``--format`` exist on every
command; no option means two things.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from embedkit._config import ENV_VARS
from embedkit.cli._main import COMMANDS as LAZY
from embedkit.cli._main import cli
from embedkit.cli._options import CHANNEL_NAMES
from embedkit.syndicate.channels import CHANNELS

ROOT = Path(__file__).resolve().parents[2]


def _walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from _walk(command.commands[name], (*path, name))


PATHS = list(_walk(cli))


def command_at(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def is_leaf(path: tuple[str, ...]) -> bool:
    return not isinstance(command_at(path), click.Group)


def help_record(path: tuple[str, ...], option: click.Option) -> str:
    ctx = click.Context(command_at(path), info_name=path[-1] if path else "embedkit")
    record = option.get_help_record(ctx)
    assert record is not None
    return record[0]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(("embedkit", *p)))
def test_every_help_works_and_offers_the_common_options(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    for flag in ("-v, --verbose", "-q, --quiet", "--log-format", "--traceback"):
        assert flag in result.output, f"embedkit {' '.join(path)} lacks {flag}"
    if path and is_leaf(path):
        assert "--format [text|json]" in result.output
    assert "--timeout" not in result.output  # --fetch-timeout or --channel-timeout


def _shared_options() -> dict[str, list[tuple[tuple[str, ...], click.Option]]]:
    found: dict[str, list[tuple[tuple[str, ...], click.Option]]] = defaultdict(list)
    for path in PATHS:
        for param in command_at(path).params:
            if isinstance(param, click.Option):
                long = max(param.opts, key=len)
                found[long].append((path, param))
    return {flag: uses for flag, uses in found.items() if len(uses) > 1}


SHARED = _shared_options()


def test_the_shared_options_are_the_ones_we_expect() -> None:
    assert {
        "--allow-private-networks",
        "--cache",
        "--channel",
        "--channel-timeout",
        "--dry-run",
        "--entry",
        "--fetch-timeout",
        "--format",
        "--ledger",
        "--log-format",
        "--providers",
        "--quiet",
        "--source",
        "--thread",
        "--traceback",
        "--verbose",
    } <= set(SHARED)


@pytest.mark.parametrize("flag", sorted(SHARED))
def test_a_shared_option_has_one_name_metavar_default_and_variable(flag: str) -> None:
    uses = SHARED[flag]
    (first_path, first), *others = uses
    for path, option in others:
        where = f"{' '.join(path)} vs {' '.join(first_path)}"
        assert option.opts == first.opts, where
        assert option.name == first.name, where
        assert option.default == first.default, where
        assert option.envvar == first.envvar, where
        assert help_record(path, option) == help_record(first_path, first), where


def test_every_variable_an_option_reads_is_listed_and_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for uses in SHARED.values():
        for _path, option in uses:
            if option.envvar:
                assert option.envvar in ENV_VARS
                assert f"`{option.envvar}`" in readme


def test_the_channel_list_in_help_is_the_real_one() -> None:
    assert ", ".join(CHANNELS) == CHANNEL_NAMES


def test_root_help_lists_each_command_as_the_command_itself_says() -> None:
    for name, (_module, _attribute, short) in LAZY.items():
        assert command_at((name,)).get_short_help_str(120) == short


def test_preview_help_does_not_say_it_posts() -> None:
    result = CliRunner().invoke(cli, ["syndicate", "preview", "--help"])
    assert "post to" not in result.output.lower()
    assert "post nothing" in result.output


def test_docs_and_help_agree_on_entry_minus_one() -> None:
    result = CliRunner().invoke(cli, ["syndicate", "preview", "--help"], terminal_width=200)
    assert "-1 the last" in result.output
    doc = (ROOT / "docs" / "scheduled-syndication.md").read_text(encoding="utf-8")
    assert doc.count("-1 the last") >= 3  # preview, post, history


def test_entry_minus_one_is_the_last_entry(tmp_path: Path) -> None:
    feed = tmp_path / "feed.json"
    feed.write_text(
        json.dumps(
            [
                {"id": f"a{i}", "title": f"Story {i}", "url": f"https://n.example/{i}"}
                for i in range(3)
            ]
        )
    )
    argv = ["syndicate", "preview", str(feed), "--entry", "-1", "--channel", "x"]
    result = CliRunner().invoke(cli, [*argv, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["article_id"] == "a2"


@pytest.mark.parametrize("spelling", ["MASTODON", "Mastodon", " mastodon "])
def test_channel_names_are_case_insensitive(tmp_path: Path, spelling: str) -> None:
    article = tmp_path / "a.json"
    article.write_text(json.dumps({"id": "a", "title": "T", "url": "https://n.example/a"}))
    result = CliRunner().invoke(
        cli, ["syndicate", "preview", str(article), "--channel", spelling, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["channel"] == "mastodon"


def test_an_unknown_channel_is_one_line_naming_the_option() -> None:
    result = CliRunner().invoke(cli, ["syndicate", "status", "--channel", "myspace"])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "'--channel'" in line
    assert "unknown channel 'myspace'" in line


def test_post_preview_and_run_take_their_source_the_same_way() -> None:
    for name in ("post", "preview", "run"):
        command = command_at(("syndicate", name))
        params = {p.name: p for p in command.params}
        assert isinstance(params["source_arg"], click.Argument)
        assert params["source_opt"].opts == ["--source"]


def test_the_old_timeout_option_is_refused_with_a_hint() -> None:
    result = CliRunner().invoke(cli, ["syndicate", "run", "--timeout", "3", "--channel", "x"])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert re.search(r"No such option '--timeout'.*'--channel-timeout'", line)


def test_format_html_is_still_accepted_by_resolve() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "resolve",
            "https://x.com/a/status/1",
            "--format",
            "html",
            "--offline",
            "--cache",
            "memory://",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<figure")


def test_verbosity_is_accepted_before_and_after_the_subcommand() -> None:
    for argv in (
        ["-q", "providers", "match", "https://youtu.be/dQw4w9WgXcQ"],
        ["providers", "match", "https://youtu.be/dQw4w9WgXcQ", "-q"],
        ["providers", "-v", "match", "https://youtu.be/dQw4w9WgXcQ"],
        ["providers", "match", "-vv", "https://youtu.be/dQw4w9WgXcQ"],
    ):
        result = CliRunner().invoke(cli, argv)
        assert result.exit_code == 0, (argv, result.output)
        assert result.stdout == "https://youtu.be/dQw4w9WgXcQ\tYouTube\n"


@pytest.mark.parametrize("argv", [[], ["syndicate"], ["cache"], ["providers"]], ids=str)
def test_a_group_alone_shows_its_help(argv: list[str]) -> None:
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"Usage: {' '.join(['embedkit', *argv])} [OPTIONS] COMMAND")
    assert "Error" not in result.stderr
