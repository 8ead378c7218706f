"""``embedkit providers``: which provider serves a URL, the list, and registry updates."""

from __future__ import annotations

import click

from embedkit.cli._options import (
    common_options,
    fetch_timeout_option,
    format_option,
    private_networks_option,
    providers_option,
)
from embedkit.cli._paths import InputPath, shown
from embedkit.cli._term import echo, echo_json

__all__ = ["providers"]


@click.group()
@common_options()
def providers() -> None:
    """Match URLs to oEmbed providers, list them, update the registry."""


@providers.command("match")
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@format_option("text: URL<TAB>provider per line; json: one object per line (url, provider, error).")
@providers_option
@common_options()
def match_command(urls: tuple[str, ...], fmt: str, providers_file: str | None) -> None:
    """Print URL<TAB>provider for each URL ("-" when no provider matches).

    URLs are canonicalized first, so every pasted shape of a post matches. The
    provider is named as the resolver names it (an embed's "provider"). An
    invalid URL is reported on stderr and the exit status is 2. Reads no cache
    and writes nothing.
    """
    from embedkit._errors import InvalidReference
    from embedkit.resolve import ProviderRegistry

    registry = ProviderRegistry.default(providers_file)
    invalid = False
    for url in urls:
        try:
            found = registry.match_ref(url)
        except InvalidReference as exc:
            echo(f"Error: {exc}", err=True)
            invalid = True
            if fmt == "json":
                echo_json({"url": url, "provider": None, "error": str(exc)})
            continue
        name = found.provider.name if found else None
        if fmt == "json":
            echo_json({"url": url, "provider": name, "error": None})
        else:
            echo(f"{url}\t{name or '-'}")
    if invalid:
        raise click.exceptions.Exit(2)


@providers.command("list")
@format_option("text: name<TAB>endpoints per line; json: one object per line.")
@providers_option
@common_options()
def list_command(fmt: str, providers_file: str | None) -> None:
    """List every known provider with its endpoint(s). Writes nothing."""
    from embedkit.resolve import ProviderRegistry

    registry = ProviderRegistry.default(providers_file)
    for provider in sorted(registry, key=lambda p: p.name.lower()):
        endpoints = [endpoint.url for endpoint in provider.endpoints]
        if fmt == "json":
            echo_json({"name": provider.name, "url": provider.url, "endpoints": endpoints})
        else:
            echo(f"{provider.name}\t{', '.join(endpoints)}")


@providers.command("update")
@click.option(
    "--from",
    "source",
    required=True,
    metavar="FILE|URL",
    type=InputPath(url_ok=True),
    help="A registry in oembed.com's providers.json format (a file or a URL).",
)
@format_option("text: one line; json: an object with the count and the file written.")
@fetch_timeout_option
@private_networks_option
@common_options()
def update_command(
    source: str, fmt: str, fetch_timeout: float, allow_private_networks: bool
) -> None:
    """Replace the bundled provider registry with a newer one.

    The new registry is validated first; an invalid one leaves the current
    registry in place. The update is stored in the user data folder (the
    command says where) and used by every later run.
    """
    from embedkit.net import HttpClient
    from embedkit.resolve._providers import updated_registry_path
    from embedkit.resolve._registry_update import update_registry

    target = updated_registry_path()
    with HttpClient(timeout=fetch_timeout, allow_private_networks=allow_private_networks) as http:
        count = update_registry(source, http=http, dest=target)
    if fmt == "json":
        echo_json({"providers": count, "written": str(target)})
    else:
        echo(f"Updated the provider registry: {count} providers, written to {shown(target)}.")
