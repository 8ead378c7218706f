"""The root ``embedkit`` command group, and the one place errors become exit codes."""

from __future__ import annotations

from typing import Any

import click

from embedkit import __version__
from embedkit._errors import EmbedkitError
from embedkit.net._redaction import configure_cli_logging, redact

__all__ = ["cli", "main"]


class EmbedkitGroup(click.Group):
    """A click group that turns library errors into a message and an exit code.

    Every :class:`EmbedkitError` that reaches the command line is printed as
    ``Error: <message>`` on stderr and exits with the error's ``exit_code``; no
    traceback reaches the user. Messages can quote what a platform answered, so
    secret environment values are masked first.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EmbedkitError as exc:
            click.echo(f"Error: {redact(str(exc))}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=EmbedkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="embedkit")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log more to stderr (-vv for debug, -vvv with HTTP and OAuth libraries' logs). "
    "Secrets are masked at every level.",
)
def cli(verbose: int) -> None:
    """Resolve social post embeds and syndicate articles.

    \b
    embedkit resolve URL...        oEmbed HTML with a static fallback
    embedkit render FILE           a Markdown/HTML page with its embeds
    embedkit providers ...         match, list and update oEmbed providers
    embedkit cache ...             inspect and purge the embed cache
    embedkit syndicate ...         preview, post and schedule social posts
    """
    configure_cli_logging(verbose)


def _register() -> None:
    from embedkit.cli._cache import cache
    from embedkit.cli._providers import providers
    from embedkit.cli._render import render
    from embedkit.cli._resolve import resolve

    for command in (resolve, render, providers, cache):
        cli.add_command(command)
    try:
        from embedkit.cli._syndicate import syndicate
    except ImportError:  # the syndicate group lands separately
        return
    cli.add_command(syndicate)


_register()


def main() -> None:
    """Run the command line (the ``embedkit`` console script)."""
    cli(prog_name="embedkit")
