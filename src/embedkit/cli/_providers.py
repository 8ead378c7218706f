"""``embedkit providers``: which provider serves a URL, the list, and registry updates."""

from __future__ import annotations

import json
import sys

import click

from embedkit._errors import InvalidReference
from embedkit.cli._options import format_option
from embedkit.net._http import HttpClient
from embedkit.resolve._providers import ProviderRegistry
from embedkit.resolve._registry_update import update_registry

__all__ = ["providers"]

_providers_file = click.option(
    "--providers",
    "providers_file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    envvar="EMBEDKIT_PROVIDERS",
    help="Providers JSON file that adds to or replaces the bundled providers. "
    "[env: EMBEDKIT_PROVIDERS]",
)


@click.group()
def providers() -> None:
    """Match URLs to oEmbed providers, list them, update the registry."""


@providers.command("match")
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@_providers_file
def match_command(urls: tuple[str, ...], providers_file: str | None) -> None:
    """Print URL<TAB>provider for each URL ("-" when no provider matches).

    URLs are canonicalized first, so every pasted shape of a post matches.
    An invalid URL is reported on stderr and the exit status is 2.
    """
    registry = ProviderRegistry.default(providers_file)
    invalid = False
    for url in urls:
        try:
            found = registry.match_ref(url)
        except InvalidReference as exc:
            click.echo(f"Error: {exc}", err=True)
            invalid = True
            continue
        click.echo(f"{url}\t{found.provider.name if found else '-'}")
    if invalid:
        sys.exit(2)


@providers.command("list")
@format_option("text", "json", default="text")
@_providers_file
def list_command(fmt: str, providers_file: str | None) -> None:
    """List every known provider with its endpoint(s)."""
    registry = ProviderRegistry.default(providers_file)
    for provider in sorted(registry, key=lambda p: p.name.lower()):
        endpoints = [endpoint.url for endpoint in provider.endpoints]
        if fmt == "json":
            click.echo(
                json.dumps(
                    {"name": provider.name, "url": provider.url, "endpoints": endpoints},
                    ensure_ascii=False,
                )
            )
        else:
            click.echo(f"{provider.name}\t{', '.join(endpoints)}")


@providers.command("update")
@click.option(
    "--from",
    "source",
    required=True,
    metavar="FILE|URL",
    help="A registry in oembed.com's providers.json format (a file or a URL).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.01),
    default=30.0,
    show_default=True,
    help="Seconds to wait when SOURCE is a URL.",
)
def update_command(source: str, timeout: float) -> None:
    """Replace the bundled provider registry with a newer one.

    The new registry is validated first; an invalid one leaves the current
    registry in place. The update is stored in the user data folder and used
    by every later run.
    """
    with HttpClient(timeout=timeout) as http:
        count = update_registry(source, http=http)
    click.echo(f"Updated the provider registry: {count} providers.")
