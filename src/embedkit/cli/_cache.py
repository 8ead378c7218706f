"""``embedkit cache``: inspect and purge the embed cache."""

from __future__ import annotations

import time
from dataclasses import asdict

import click

from embedkit.cli._options import cache_option, common_options, format_option
from embedkit.cli._term import echo, echo_json

__all__ = ["cache"]


@click.group()
@common_options()
def cache() -> None:
    """Inspect and purge the embed cache."""


@cache.command("stats")
@cache_option
@format_option("text: one field per line; json: one object.")
@common_options()
def stats_command(cache_url: str | None, fmt: str) -> None:
    """Show how many entries the cache holds, per provider, and how many expired.

    Read-only: a cache file that does not exist is reported (exit 2), never
    created, and nothing is written or locked.
    """
    from embedkit.resolve.cache import open_cache

    backend = open_cache(cache_url, mode="ro")
    try:
        stats = backend.stats(time.time())
    finally:
        backend.close()
    if fmt == "json":
        echo_json(asdict(stats))
        return
    echo(f"backend:   {stats.backend}")
    echo(f"location:  {stats.location}")
    echo(f"entries:   {stats.entries}")
    echo(f"expired:   {stats.expired}")
    echo(f"gone:      {stats.gone}")
    if stats.size_bytes is not None:
        echo(f"size:      {stats.size_bytes} bytes")
    for name, count in sorted(stats.providers.items()):
        echo(f"  {name}: {count}")


@cache.command("purge")
@cache_option
@click.option("--provider", metavar="NAME", help="Remove the entries of this provider.")
@click.option("--url", metavar="URL", help="Remove the entries of this post (any shape).")
@click.option("--all", "purge_all", is_flag=True, help="Remove every entry.")
@format_option("text: one line; json: an object with the number removed.")
@common_options()
def purge_command(
    cache_url: str | None, provider: str | None, url: str | None, purge_all: bool, fmt: str
) -> None:
    """Remove cache entries by provider, by URL, or all of them.

    A cache file that does not exist is reported (exit 2), not created.
    """
    if not (provider or url or purge_all):
        raise click.UsageError("say what to purge: --provider, --url or --all")
    from embedkit.resolve import canonicalize
    from embedkit.resolve.cache import open_cache

    if url is not None:
        url = canonicalize(url)
    backend = open_cache(cache_url, mode="rw")
    location = backend.url  # a password, if any, is shown as ***
    try:
        removed = backend.purge(provider=provider, url=url, all=purge_all)
    finally:
        backend.close()
    if fmt == "json":
        echo_json({"removed": removed, "location": location})
    else:
        echo(f"Removed {removed} entr{'y' if removed == 1 else 'ies'} from {location}.")
