"""The root ``embedkit`` command group."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="embedkit")
def cli() -> None:
    """Resolve social post embeds and syndicate articles."""


def main() -> None:
    """Run the command line."""
    cli()
