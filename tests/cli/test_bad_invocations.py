"""Every command under bad paths: one line of error, the right exit code, no traceback,
and read-only commands leave the file system as they found it (issue 15).

The commands and their path parameters come from the click tree itself: a new
command joins the matrix automatically (and the test asks for its minimal
invocation in ``BASE``). Kinds of bad path:

- ``missing`` and ``missing_parent``: the file, or its folder, does not exist;
- ``folder``, ``devnull`` (a device), ``fifo``: the wrong kind of file;
- ``unreadable``: ``/proc/self/mem``, a regular file whose read fails with EIO.
  The tests run as root, and root reads files whatever their mode, so a mode
  0000 file would be readable; procfs refuses root too;
- ``unwritable``: ``/proc/x.html``, where nothing can be created, even by root;
- ``loop``: a symlink to itself;
- ``too_long``: a path of 5,000 characters (Linux allows 4,096).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from embedkit.cli._main import cli
from embedkit.cli._paths import InputPath, OutputFile
from embedkit.resolve.cache import Entry, open_cache
from embedkit.syndicate._ledger import Ledger

REF = "https://x.com/Reuters/status/1636212467429621760"
KINDS = (
    "missing",
    "missing_parent",
    "folder",
    "devnull",
    "fifo",
    "unreadable",
    "unwritable",
    "loop",
    "too_long",
)
DATABASES = {"cache_url": "cache", "ledger_url": "ledger"}


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


def command_at(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


COMMANDS = list(_commands(cli))

#: The smallest invocation of each command that works, by parameter name.
BASE: dict[tuple[str, ...], dict[str, object]] = {
    ("cache", "purge"): {"cache_url": "{cache}", "purge_all": True},
    ("cache", "stats"): {"cache_url": "{cache}"},
    ("providers", "list"): {},
    ("providers", "match"): {"urls": "https://youtu.be/dQw4w9WgXcQ"},
    ("providers", "update"): {"source": "{providers}"},
    ("render",): {"file": "{doc}", "offline": True, "cache_url": "memory://"},
    ("resolve",): {"refs": REF, "offline": True, "cache_url": "memory://"},
    ("serve",): {"check": True, "cache_url": "memory://"},
    ("syndicate", "history"): {"article": "art-1", "ledger_url": "{ledger}"},
    ("syndicate", "post"): {
        "source_arg": "{article}",
        "channels": "file",
        "ledger_url": "{ledger}",
    },
    ("syndicate", "preview"): {"source_arg": "{article}", "channels": "x"},
    ("syndicate", "reconcile"): {"ledger_url": "{ledger}"},
    ("syndicate", "run"): {
        "source_arg": "{article}",
        "channels": "file",
        "ledger_url": "{ledger}",
    },
    ("syndicate", "status"): {"ledger_url": "{ledger}"},
}
#: Commands that must not create, change or lock anything (with these options).
READ_ONLY = {
    ("cache", "stats"),
    ("providers", "list"),
    ("providers", "match"),
    ("syndicate", "history"),
    ("syndicate", "preview"),
    ("syndicate", "status"),
}
#: Parameters that take a path although their type does not say so.
EXTRA_PATHS: dict[tuple[str, ...], dict[str, str]] = {
    ("syndicate", "history"): {"article": "id_or_file"}
}
#: Options that are alternatives: testing one drops the other.
ALTERNATIVES = {"source_arg": "source_opt", "source_opt": "source_arg"}


def test_every_command_has_a_base_invocation() -> None:
    assert sorted(BASE) == sorted(COMMANDS), "add the new command's minimal invocation to BASE"


@dataclass(frozen=True)
class Case:
    command: tuple[str, ...]
    param: str  # a parameter name, or "env:EMBEDKIT_TEMPLATES"
    role: str  # input, input_or_folder, output, cache, ledger, id_or_file, templates
    kind: str
    dry_run: bool = False

    @property
    def read_only(self) -> bool:
        return self.command in READ_ONLY or self.dry_run

    def __str__(self) -> str:
        dry = " --dry-run" if self.dry_run else ""
        return f"{' '.join(self.command)}{dry} {self.param} {self.kind}"


def _role(command: tuple[str, ...], param: click.Parameter) -> str | None:
    extra = EXTRA_PATHS.get(command, {})
    if param.name in extra:
        return extra[param.name]
    if isinstance(param.type, OutputFile):
        return "output"
    if isinstance(param.type, InputPath):
        return "input_or_folder" if param.type.folder_ok else "input"
    return DATABASES.get(param.name or "")


def _cases() -> Iterator[Case]:
    for path in COMMANDS:
        command = command_at(path)
        names = {p.name for p in command.params}
        params = [(p.name or "", _role(path, p)) for p in command.params]
        if "providers_file" in names and "cache_url" in names:  # the resolver reads templates
            params.append(("env:EMBEDKIT_TEMPLATES", "templates"))
        for name, role in params:
            if role is None:
                continue
            for kind in KINDS:
                if role == "output" and kind == "unreadable":
                    continue  # never write a page into /proc/self/mem
                yield Case(path, name, role, kind)
                if "dry_run" in names and name != "source_opt":
                    yield Case(path, name, role, kind, dry_run=True)


CASES = list(_cases())


def _expected(case: Case) -> int:
    """The exit status the contract promises for this case."""
    role, kind, cmd = case.role, case.kind, case.command
    wrong_kind = kind in ("folder", "devnull", "fifo", "loop", "too_long")
    if role in ("input", "input_or_folder"):
        return 0 if (role == "input_or_folder" and kind == "folder") else 2
    if role == "templates":
        return 0 if kind == "folder" else 2
    if role == "output":
        if kind in ("missing", "missing_parent"):
            return 0  # the user asked for that file: created, folders too
        return 1 if kind == "unwritable" else 2
    if role == "id_or_file":  # a path that is not there is an article id
        return 0 if kind in ("missing", "missing_parent", "unwritable", "too_long") else 2
    # databases
    if wrong_kind:
        return 2
    creates = cmd in (("render",), ("resolve",), ("serve",)) or (
        cmd in (("syndicate", "post"), ("syndicate", "run")) and not case.dry_run
    )
    if kind in ("missing", "missing_parent", "unwritable"):
        if cmd == ("syndicate", "reconcile") or case.dry_run:
            return 0  # nothing to settle / a dry run reads it as empty
        if not creates:
            return 2  # reported as missing, never created
        if role == "ledger" and kind == "unwritable":
            return 1  # the ledger cannot be created there
        return 0  # created; a cache that cannot be is carried on without
    assert kind == "unreadable"
    if role == "cache" and creates:
        return 0  # a broken cache never breaks a page
    if case.dry_run and role == "ledger":
        return 1
    return 1


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Valid inputs and an empty cache and ledger, made once and copied for each case."""
    folder = tmp_path_factory.mktemp("world")
    (folder / "article.json").write_text(
        json.dumps({"id": "art-1", "title": "A title", "url": "https://news.example.com/a"})
    )
    (folder / "doc.md").write_text(f"---\ntitle: A page\n---\n\n{REF}\n")
    (folder / "providers.json").write_text(
        json.dumps(
            [
                {
                    "provider_name": "Example",
                    "provider_url": "https://ex.org",
                    "endpoints": [
                        {"url": "https://ex.org/oembed", "schemes": ["https://ex.org/*"]}
                    ],
                }
            ]
        )
    )
    cache = open_cache(f"sqlite:///{folder / 'cache.db'}")
    entry = Entry(
        key="k", url="https://youtu.be/x", provider="YouTube", params={}, data={},
        fetched_at=0.0, expires_at=1.0,
    )  # fmt: skip
    cache.set(entry)
    cache.close()
    Ledger(folder / "ledger.db").close()
    return folder


@pytest.fixture
def world(tmp_path: Path, template: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A copy of the template, private XDG folders, and a working folder of its own."""
    for name in list(os.environ):
        if name.startswith("EMBEDKIT_"):
            monkeypatch.delenv(name)
    for source in template.iterdir():
        shutil.copy2(source, tmp_path / source.name)
    for sub in ("cwd", "data", "cache", "home", "config"):
        (tmp_path / sub).mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EMBEDKIT_FILE_CHANNEL_PATH", str(tmp_path / "posts.jsonl"))
    monkeypatch.chdir(tmp_path / "cwd")
    return {
        "tmp": str(tmp_path),
        "article": str(tmp_path / "article.json"),
        "doc": str(tmp_path / "doc.md"),
        "providers": str(tmp_path / "providers.json"),
        "cache": f"sqlite:///{tmp_path / 'cache.db'}",
        "ledger": f"sqlite:///{tmp_path / 'ledger.db'}",
    }


def bad_path(kind: str, tmp: Path, suffix: str) -> str:
    if kind == "missing":
        return str(tmp / f"missing{suffix}")
    if kind == "missing_parent":
        return str(tmp / "no" / "such" / "folder" / f"file{suffix}")
    if kind == "folder":
        (tmp / "a-folder").mkdir(exist_ok=True)
        return str(tmp / "a-folder")
    if kind == "devnull":
        return "/dev/null"
    if kind == "fifo":
        fifo = tmp / "a-fifo"
        if not fifo.exists():
            os.mkfifo(fifo)
        return str(fifo)
    if kind == "unreadable":
        return "/proc/self/mem"
    if kind == "unwritable":
        return f"/proc/embedkit-test{suffix}"
    if kind == "loop":
        loop = tmp / "a-loop"
        if not loop.is_symlink():
            loop.symlink_to(loop)
        return str(loop)
    assert kind == "too_long"
    return str(tmp / ("x" * 5000))


def argv_for(case: Case, world: dict[str, str]) -> tuple[list[str], dict[str, str], str]:
    """The command line, extra environment, and the bad value for one case."""
    command = command_at(case.command)
    values = {
        name: value.format(**world) if isinstance(value, str) else value
        for name, value in BASE[case.command].items()
    }
    tmp = Path(world["tmp"])
    suffix = {"output": ".html", "cache": ".db", "ledger": ".db"}.get(case.role, ".md")
    bad = bad_path(case.kind, tmp, suffix)
    env: dict[str, str] = {}
    if case.param.startswith("env:"):
        env[case.param[4:]] = bad
    else:
        values.pop(ALTERNATIVES.get(case.param, ""), None)
        values[case.param] = f"sqlite:///{bad}" if case.role in ("cache", "ledger") else bad
    if case.dry_run:
        values["dry_run"] = True
    argv = [*case.command]
    for param in command.params:
        if param.name not in values:
            continue
        value = values[param.name]
        if isinstance(param, click.Argument):
            argv.append(str(value))
        elif isinstance(param, click.Option) and param.is_flag:
            argv.append(param.opts[0])
        else:
            assert isinstance(param, click.Option)
            argv.extend([param.opts[0], str(value)])
    return argv, env, bad


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under root, with size and modification time."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if path.is_symlink():
                found[str(path)] = (0, 0)
                continue
            info = path.stat()
            found[str(path)] = (info.st_size if path.is_file() else 0, info.st_mtime_ns)
    return found


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_paths_get_one_line_and_the_documented_exit_code(
    case: Case, world: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv, env, bad = argv_for(case, world)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    tmp = Path(world["tmp"])
    before = snapshot(tmp)
    result = CliRunner().invoke(cli, argv)
    expected = _expected(case)
    assert result.exit_code == expected, (argv[:6], result.stdout[-500:], result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    if expected == 0:
        assert errors == []
    else:
        assert len(errors) == 1, result.stderr
        (line,) = errors
        flag = case.param.removeprefix("env:")
        assert bad[:60] in line or flag in line, line
        assert len(result.stderr.strip().splitlines()) <= 2, result.stderr  # + a warning at most
    if case.read_only:
        assert snapshot(tmp) == before, "a read-only command changed the file system"


# -- the same guarantees, in real processes ---------------------------------------------

SUBPROCESS_CASES = [
    (("render", "{doc}", "-o", "/proc/embedkit-test.html", "--offline"), 1),
    (("syndicate", "status", "--ledger", "sqlite:///{tmp}/gone/l.db"), 2),
    (("cache", "stats", "--cache", "sqlite:///{tmp}/gone/dir/c.db"), 2),
    (("syndicate", "run", "--source", "{tmp}/gone", "--channel", "x", "--dry-run"), 2),
    (("syndicate", "preview", "/dev/null", "--channel", "x"), 2),
    (("resolve", REF, "--providers", "/proc/self/mem", "--offline"), 2),
]


@pytest.mark.parametrize(("args", "code"), SUBPROCESS_CASES, ids=lambda v: str(v)[:50])
def test_in_a_real_process(world: dict[str, str], args: tuple[str, ...], code: int) -> None:
    argv = [arg.format(**world) for arg in args]
    result = subprocess.run(
        [sys.executable, "-m", "embedkit", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ")
    assert not (Path(world["tmp"]) / "gone").exists()


def test_traceback_only_when_asked(world: dict[str, str]) -> None:
    corrupt = Path(world["tmp"]) / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    base = [sys.executable, "-m", "embedkit", "syndicate", "status", "--ledger"]
    runs = {
        "plain": subprocess.run([*base, f"sqlite:///{corrupt}"], capture_output=True, text=True),
        "verbose": subprocess.run(
            [*base, f"sqlite:///{corrupt}", "-v"], capture_output=True, text=True
        ),
        "flag": subprocess.run(
            [*base, f"sqlite:///{corrupt}", "--traceback"], capture_output=True, text=True
        ),
        "env": subprocess.run(
            [*base, f"sqlite:///{corrupt}"],
            capture_output=True,
            text=True,
            env={**os.environ, "EMBEDKIT_DEBUG": "1"},
        ),
    }
    assert {name: run.returncode for name, run in runs.items()} == dict.fromkeys(runs, 1)
    (line,) = runs["plain"].stderr.splitlines()
    assert line.startswith(f"Error: the ledger {corrupt} is not a usable SQLite database")
    verbose = runs["verbose"].stderr.splitlines()
    assert verbose[0] == line
    assert verbose[1].startswith("  caused by DatabaseError:")  # -v: detail, no traceback
    assert "Traceback" not in runs["plain"].stderr + runs["verbose"].stderr
    for name in ("flag", "env"):
        assert "Traceback (most recent call last)" in runs[name].stderr
        assert runs[name].stderr.rstrip().splitlines()[-1] == line
