"""``embedkit cache``: inspect and purge the embed cache."""

from __future__ import annotations

import json
import time
from dataclasses import asdict

import click

from embedkit.cli._options import format_option
from embedkit.resolve.cache import open_cache

__all__ = ["cache"]

_cache_url = click.option(
    "--cache",
    "cache_url",
    metavar="URL",
    envvar="EMBEDKIT_CACHE",
    help="Cache URL: sqlite:///path, memory://, redis://host:port/db. [env: EMBEDKIT_CACHE]",
)


@click.group()
def cache() -> None:
    """Inspect and purge the embed cache."""


@cache.command("stats")
@_cache_url
@format_option("text", "json", default="text")
def stats_command(cache_url: str | None, fmt: str) -> None:
    """Show how many entries the cache holds, per provider, and how many expired."""
    backend = open_cache(cache_url)
    try:
        stats = backend.stats(time.time())
    finally:
        backend.close()
    if fmt == "json":
        click.echo(json.dumps(asdict(stats), default=dict, ensure_ascii=False))
        return
    click.echo(f"backend:   {stats.backend}")
    click.echo(f"location:  {stats.location}")
    click.echo(f"entries:   {stats.entries}")
    click.echo(f"expired:   {stats.expired}")
    click.echo(f"gone:      {stats.gone}")
    if stats.size_bytes is not None:
        click.echo(f"size:      {stats.size_bytes} bytes")
    for name, count in sorted(stats.providers.items()):
        click.echo(f"  {name}: {count}")


@cache.command("purge")
@_cache_url
@click.option("--provider", metavar="NAME", help="Remove the entries of this provider.")
@click.option("--url", metavar="URL", help="Remove the entries of this post (any shape).")
@click.option("--all", "purge_all", is_flag=True, help="Remove every entry.")
def purge_command(
    cache_url: str | None, provider: str | None, url: str | None, purge_all: bool
) -> None:
    """Remove cache entries by provider, by URL, or all of them."""
    if not (provider or url or purge_all):
        raise click.UsageError("say what to purge: --provider, --url or --all")
    if url is not None:
        from embedkit.resolve._refs import canonicalize

        url = canonicalize(url)
    backend = open_cache(cache_url)
    try:
        removed = backend.purge(provider=provider, url=url, all=purge_all)
    finally:
        backend.close()
    click.echo(f"Removed {removed} entr{'y' if removed == 1 else 'ies'}.")
