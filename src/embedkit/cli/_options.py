"""Options shared by several commands, defined once as decorators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from embedkit.resolve._resolver import Resolver

__all__ = ["format_option", "open_resolver", "resolver_options"]

F = TypeVar("F", bound=Callable[..., Any])


def resolver_options(func: F) -> F:
    """Add --cache, --providers, --timeout, --allow-private-networks and --offline."""
    decorators = [
        click.option(
            "--cache",
            "cache_url",
            metavar="URL",
            envvar="EMBEDKIT_CACHE",
            help="Cache URL: sqlite:///path (default: a file in the user cache "
            "folder), memory://, redis://host:port/db. [env: EMBEDKIT_CACHE]",
        ),
        click.option(
            "--providers",
            "providers_file",
            metavar="FILE",
            type=click.Path(dir_okay=False),
            envvar="EMBEDKIT_PROVIDERS",
            help="Providers JSON file (oembed.com format) that adds to or replaces "
            "the bundled providers. [env: EMBEDKIT_PROVIDERS]",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.01),
            default=None,
            metavar="SECONDS",
            help="Seconds to wait for a provider. [default: 5; env: EMBEDKIT_TIMEOUT]",
        ),
        click.option(
            "--allow-private-networks",
            is_flag=True,
            default=None,
            help="Let author URLs reach loopback/private addresses (intranets, "
            "tests). [env: EMBEDKIT_ALLOW_PRIVATE_NETWORKS=1]",
        ),
        click.option(
            "--offline",
            is_flag=True,
            help="Make no network request: serve the cache, else fallbacks.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def format_option(*choices: str, default: str) -> Callable[[F], F]:
    """A --format option with the given choices."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format.",
    )


def open_resolver(
    *,
    cache_url: str | None,
    providers_file: str | None,
    timeout: float | None,
    allow_private_networks: bool | None,
    offline: bool,
    **extra: Any,
) -> Resolver:
    """Build the Resolver the shared options describe."""
    return Resolver(
        cache=cache_url,
        providers=providers_file,
        timeout=timeout,
        allow_private_networks=allow_private_networks,
        offline=offline,
        **extra,
    )
