"""Writing to the terminal: text that cannot drive it, JSON that cannot either.

Titles, provider names, post texts and error messages come from feeds, pages
and providers, so they may hold ESC, CSI, OSC or BEL sequences that would
retitle, recolour or clear the reader's terminal, or fake output. Rules:

- **On a terminal** (stdout or stderr is a TTY), every control character except
  newline and tab is shown escaped (``\\x1b``, ``\\x07``, ``\\x9b``...), so it is
  visible and inert.
- **Not on a terminal** (a pipe, a file), text output is written exactly as
  embedkit made it (click's own ANSI stripping is turned off too), so a page
  or a post saved with ``>`` is byte-for-byte the real thing. Read such output
  with ``less`` (which shows control characters as ``^[``) rather than ``cat``.
- **JSON** is escaped everywhere (:func:`embedkit._logging.to_json`).

>>> escape_controls("Title\\x1b]0;pwned\\x07 \\u009b2J\\r")
'Title\\\\x1b]0;pwned\\\\x07 \\\\x9b2J\\\\x0d'
"""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

import click

from embedkit._logging import to_json

__all__ = ["echo", "echo_json", "escape_controls", "is_terminal"]

#: C0 controls except tab and newline, DEL, and the C1 controls.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """``text`` with every control character but tab and newline written as ``\\xNN``."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (False for pipes, files and test runners)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print ``text`` on stdout (or stderr): escaped on a terminal, exact otherwise."""
    stream = sys.stderr if err else sys.stdout
    if is_terminal(stream):
        text = escape_controls(text)
    click.echo(text, err=err, nl=nl, color=True)


def echo_json(data: Any) -> None:
    """Print ``data`` as one line of JSON on stdout."""
    click.echo(to_json(data))
