"""The root ``embedkit`` command: lazy subcommands, logging, and where errors become exit codes.

Exit status, for every command:

- 0: done;
- 1: a runtime failure: a post failed or its result is unknown, a file could not
  be written, the ledger is damaged, an unexpected error;
- 2: a usage or configuration error: a bad option, a path that does not exist
  or is of the wrong kind, a missing credential, a malformed source;
- 3: ``syndicate run`` and ``post`` only: nothing failed, but the time budget
  left posts for the next run.

Every error is one line on stderr (``Error: ...``) naming the problem and the
option or path; ``-v`` adds the underlying causes; a Python traceback appears
only with ``--traceback`` or ``EMBEDKIT_DEBUG=1``.

Subcommand modules are imported when their command runs, so ``embedkit
--help`` loads neither the resolver nor the syndicator.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from embedkit._version import __version__
from embedkit.cli._options import RUN_STATE, common_options

if TYPE_CHECKING:
    import logging

__all__ = ["COMMANDS", "LazyGroup", "cli", "main", "setup_logging"]

#: name → (module, attribute, one-line help shown by ``embedkit --help``).
COMMANDS: Mapping[str, tuple[str, str, str]] = {
    "cache": ("embedkit.cli._cache", "cache", "Inspect and purge the embed cache."),
    "providers": (
        "embedkit.cli._providers",
        "providers",
        "Match URLs to oEmbed providers, list them, update the registry.",
    ),
    "render": (
        "embedkit.cli._render",
        "render",
        "Render FILE (Markdown with front matter, or HTML) into a page with embeds.",
    ),
    "resolve": (
        "embedkit.cli._resolve",
        "resolve",
        "Resolve post references (URLs) into embed HTML.",
    ),
    "serve": (
        "embedkit.cli._serve",
        "serve",
        "Run the embed service: an oEmbed provider for any CMS, over HTTP.",
    ),
    "syndicate": (
        "embedkit.cli._syndicate",
        "syndicate",
        "Preview, post and schedule article announcements on social channels.",
    ),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported when first used.

    ``lazy`` maps a name to (module, attribute, short help); the short help is
    what ``--help`` lists, so listing imports nothing. Reading ``commands``
    loads them all (for tools that walk the tree).
    """

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str, str]], **kw: Any) -> None:
        self._lazy = dict(lazy)
        super().__init__(*args, **kw)

    @property  # type: ignore[override]
    def commands(self) -> dict[str, click.Command]:
        for name in list(self._lazy):
            self._load(name)
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = value

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        self._commands[name or str(cmd.name)] = cmd

    def _load(self, name: str) -> click.Command | None:
        if name in self._commands:
            return self._commands[name]
        if name not in self._lazy:
            return None
        import importlib

        module, attribute, _ = self._lazy[name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        self._commands[name] = command
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self._commands, *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self._commands:
                command = self._commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(formatter.width)))
            else:
                rows.append((name, self._lazy[name][2]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class EmbedkitGroup(LazyGroup):
    """The root group: every failure becomes one line and an exit code (module docs)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        RUN_STATE.reset()
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except BaseException as exc:  # the one place where errors end
            code = _report(exc)
        sys.exit(code if isinstance(code, int) else 0)


def _debugging() -> bool:
    flag = os.environ.get("EMBEDKIT_DEBUG", "").strip().lower()
    return RUN_STATE.traceback or flag in {"1", "true", "yes", "on"}


#: Library argument names, as the flag that sets them.
_FLAGS = {
    "allow_private_networks": "--allow-private-networks",
    "max_posts": "--max-posts",
    "mark_existing": "--mark-existing",
    "retry_unknown": "--retry-unknown",
    "retry_failed": "--retry-failed",
    "dry_run": "--dry-run",
}


def cli_message(text: str) -> str:
    """A library message as the command line says it: one line, flags not arguments.

    >>> cli_message("refusing 10.0.0.1; set allow_private_networks to allow it")
    'refusing 10.0.0.1; pass --allow-private-networks to allow it'
    """
    import re

    text = re.sub(r"\s*\n\s*", " ", text.strip())
    text = re.sub(r"\bset (allow_private_networks)\b", r"pass \1", text)
    for name, flag in _FLAGS.items():
        text = re.sub(rf"(?<![-\w]){name}\b", flag, text)
    return text


def _say(line: str) -> None:
    from embedkit._redaction import redact
    from embedkit.cli._term import echo

    echo(redact(line), err=True)


def _report(exc: BaseException) -> int:
    """Print one line for ``exc`` (more with -v, a traceback when asked); the exit code."""
    from embedkit._errors import EmbedkitError

    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else 1
    if isinstance(exc, click.exceptions.Exit):
        return exc.exit_code
    if isinstance(exc, BrokenPipeError):
        _silence_stdout()
        return 1
    if _debugging() and not isinstance(exc, click.ClickException):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, (KeyboardInterrupt, click.exceptions.Abort)):
        _say("Aborted.")
        return 130
    no_args = getattr(click.exceptions, "NoArgsIsHelpError", ())
    if isinstance(exc, no_args) and getattr(exc, "ctx", None) is not None:
        click.echo(exc.ctx.get_help(), err=True)  # a group called alone: its help
        return 2
    if isinstance(exc, click.ClickException):
        message = cli_message(exc.format_message())
        ctx = getattr(exc, "ctx", None)
        if isinstance(exc, click.UsageError) and ctx is not None:
            message += f" (see '{ctx.command_path} --help')"
        _say(f"Error: {message}")
        return exc.exit_code
    if isinstance(exc, EmbedkitError):
        _say(f"Error: {cli_message(str(exc))}")
        _causes(exc)
        return exc.exit_code
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        _say(f"Error: cannot use{where}: {exc.strerror or exc}")
        _causes(exc)
        return 1
    if not isinstance(exc, Exception):
        raise exc
    _say(
        f"Error: unexpected {type(exc).__name__}: {cli_message(str(exc)) or 'no message'} "
        "(a bug: --traceback shows where; please report it)"
    )
    return 1


def _causes(exc: BaseException) -> None:
    """With -v: the chain of causes, one per line."""
    if RUN_STATE.verbose < 1:
        return
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        _say(f"  caused by {type(cause).__name__}: {cli_message(str(cause))}")
        cause = cause.__cause__ or cause.__context__


def _silence_stdout() -> None:
    """After a closed pipe (``embedkit ... | head``), drop what is still buffered."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


# -- logging ------------------------------------------------------------------------


def setup_logging(
    *, verbose: int = 0, quiet: int = 0, log_format: str = "text", narrate: bool = False
) -> logging.Handler:
    """Send embedkit's logs to stderr as text or JSON lines, at the level -v/-q ask for.

    Warnings by default; ``narrate`` commands (post, run) also log their
    progress (info). Each -v lowers the level one step, each -q raises it.
    Replaces the handler an earlier call installed.
    """
    import logging

    from embedkit._logging import JsonFormatter, TextFormatter

    def level(value: int) -> int:
        return min(max(value, logging.DEBUG), logging.CRITICAL)

    class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
        """Writes to whatever ``sys.stderr`` is now; on a terminal, control characters escaped."""

        def __init__(self) -> None:
            super().__init__(sys.stderr)

        @property
        def stream(self) -> Any:
            return sys.stderr

        @stream.setter
        def stream(self, value: Any) -> None:
            pass

        def format(self, record: logging.LogRecord) -> str:
            from embedkit.cli._term import escape_controls, is_terminal

            text = super().format(record)
            return escape_controls(text) if is_terminal(sys.stderr) else text

    from embedkit._config import env_flag
    from embedkit._redaction import THIRD_PARTY_LOGGERS, RedactingFilter

    # The handler sits on the root logger, so the HTTP and OAuth libraries' lines pass
    # through the same redacting filter; below WARNING they are held back unless -vvv
    # or EMBEDKIT_LOG_THIRD_PARTY=1 asks for them.
    root = logging.getLogger()
    for old in list(root.handlers) + list(logging.getLogger("embedkit").handlers):
        if getattr(old, "_embedkit_cli", False):
            root.removeHandler(old)
            logging.getLogger("embedkit").removeHandler(old)
    handler = StderrHandler()
    handler._embedkit_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    show_third_party = verbose >= 3 or env_flag(os.environ, "EMBEDKIT_LOG_THIRD_PARTY")
    handler.addFilter(RedactingFilter(hold=() if show_third_party else THIRD_PARTY_LOGGERS))
    root.addHandler(handler)
    shift = 10 * (quiet - verbose)
    root.setLevel(level(logging.WARNING + shift))
    logging.getLogger("embedkit").setLevel(logging.NOTSET)
    syndicate = logging.getLogger("embedkit.syndicate")
    for old in list(syndicate.handlers):  # one installed by syndicate's configure_logging
        if getattr(old, "_embedkit_syndicate", False):
            syndicate.removeHandler(old)
    syndicate.propagate = True
    syndicate.setLevel(level(logging.INFO + shift) if narrate else logging.NOTSET)
    return handler


# -- the root command ------------------------------------------------------------------


@click.group(
    "embedkit",
    cls=EmbedkitGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="embedkit")
@common_options()
def cli() -> None:
    """Resolve social post embeds and syndicate articles.

    \b
    embedkit resolve URL...        oEmbed HTML with a static fallback
    embedkit render FILE           a Markdown/HTML page with its embeds
    embedkit providers ...         match, list and update oEmbed providers
    embedkit cache ...             inspect and purge the embed cache
    embedkit serve                 an oEmbed HTTP service for any CMS
    embedkit syndicate ...         preview, post and schedule social posts

    \b
    Exit status: 0 done; 1 a runtime failure (a post failed or is unknown, a
    file could not be written); 2 a usage or configuration error (bad option,
    missing or wrong kind of path, missing credential); 3 (syndicate run and
    post) posts left for the next run by the time budget.
    """


def main() -> None:
    """Run the command line (the ``embedkit`` console script)."""
    cli(prog_name="embedkit")
