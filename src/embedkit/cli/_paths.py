"""Paths on the command line: inputs that must be readable files, outputs we may write.

Every path a user types is checked before any work starts, and a problem is
one line that names the option and the path: it does not exist (and whether its
folder does), it is a folder, a device, a FIFO or a socket where a file was
wanted, a symlink loop, longer than the system allows, or it cannot be read.
Those are usage errors (exit 2). Writing an output that the system refuses
(``-o /proc/x.html``) is a runtime error (exit 1) naming the path.

An output's missing parent folders are created, because the user asked for
that file; when they cannot be, the message names the folder.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import click

from embedkit._files import special_kind

__all__ = [
    "CommandError",
    "InputPath",
    "OutputFile",
    "input_problem",
    "is_url",
    "shown",
    "write_output",
]


class CommandError(click.ClickException):
    """A runtime failure the command reports in one line (exit 1)."""

    exit_code = 1


def shown(path: str | os.PathLike[str]) -> str:
    """A path for a message: one line, long ones shortened in the middle."""
    from embedkit._sqlite import shown_path

    return shown_path(path)


def is_url(value: str) -> bool:
    """Whether a source is a URL rather than a path."""
    return value.lower().startswith(("http://", "https://"))


def _os_problem(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symlink loop"
    if exc.errno == errno.ENAMETOOLONG:
        return "is longer than the system allows for a path"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read (permission denied)"
    return f"cannot be used ({exc.strerror or exc})"


def input_problem(path: str, *, folder_ok: bool = False, file_ok: bool = True) -> str | None:
    """What is wrong with ``path`` as an input file (or folder), or None."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        if os.path.islink(path):
            return "is a broken symlink"
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            return f"does not exist (nor does the folder {shown(parent)})"
        return "does not exist"
    except OSError as exc:
        return _os_problem(exc)
    kind = special_kind(info.st_mode)
    if kind == "a folder" and folder_ok:
        try:
            os.listdir(path)
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"
        return None
    if kind is not None:
        return f"is {kind}, not a {'file' if file_ok else 'folder'}"
    if not file_ok:
        return "is a file, not a folder"
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return None


class InputPath(click.ParamType):  # type: ignore[type-arg]
    """A file (or folder, or URL) that must exist and be readable; the value stays a str."""

    name = "path"

    def __init__(self, *, folder_ok: bool = False, url_ok: bool = False, hint: str = "") -> None:
        self.folder_ok = folder_ok
        self.url_ok = url_ok
        self.hint = hint

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
        if self.url_ok and is_url(text):
            return text
        problem = input_problem(text, folder_ok=self.folder_ok)
        if problem is not None:
            hint = self.hint if problem.startswith("is a folder") else ""
            self.fail(f"{shown(text)} {problem}{hint}", param, ctx)
        return text


class OutputFile(click.ParamType):  # type: ignore[type-arg]
    """A file to write: may not exist yet, but must not be a folder, device or FIFO."""

    name = "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = Path(value)
        try:
            info = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return path  # created by write_output, parent folders too
        except OSError as exc:
            self.fail(f"{shown(path)} {_os_problem(exc)}", param, ctx)
        kind = special_kind(info.st_mode)
        if kind is not None:
            self.fail(f"{shown(path)} is {kind}; give the name of a file to write", param, ctx)
        return path


def write_output(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8), creating missing parent folders.

    Raises :class:`CommandError` naming the folder or the file when the system
    refuses.
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(
            f"cannot create the folder {shown(folder)} for {shown(path)}: {exc.strerror or exc}"
        ) from exc
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {shown(path)}: {exc.strerror or exc}") from exc
