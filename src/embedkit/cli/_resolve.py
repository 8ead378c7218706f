"""``embedkit resolve``: references in, embed HTML (or JSON lines) out."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from embedkit._config import HTML_PARAMS
from embedkit.cli._options import (
    common_options,
    consent_option,
    format_option,
    open_resolver,
    resolver_options,
)
from embedkit.cli._term import echo, echo_json

if TYPE_CHECKING:
    from embedkit._models import Embed
    from embedkit.resolve import Resolver

__all__ = ["resolve"]


@click.command()
@click.argument("refs", nargs=-1, required=True, metavar="REF...")
@format_option(
    "text: each embed's HTML, one after another; json: one object per line and per "
    "REF, in order (ref, url, status, kind, provider, html, error; status 'invalid' "
    "for a REF that is not a usable URL; kind 'card' for a link card, else 'embed').",
    aliases={"html": "text"},
)
@click.option("--maxwidth", type=click.IntRange(min=1), help="Maximum embed width in pixels.")
@click.option("--maxheight", type=click.IntRange(min=1), help="Maximum embed height in pixels.")
@click.option("--theme", type=click.Choice(["light", "dark"]), help="X: colour theme.")
@click.option("--lang", metavar="CODE", help="X: language of the embed chrome (e.g. ja).")
@click.option("--dnt", is_flag=True, default=None, help="X: ask X not to track readers.")
@click.option(
    "--omit-script",
    is_flag=True,
    default=None,
    help="X: leave widgets.js out of the provider HTML.",
)
@click.option("--hide-thread", is_flag=True, default=None, help="X: hide the parent post.")
@click.option("--hide-media", is_flag=True, default=None, help="X: hide photos and cards.")
@click.option(
    "--align",
    type=click.Choice(["left", "right", "center", "none"]),
    help="X: alignment of the embed.",
)
@click.option("--refresh", is_flag=True, help="Ask the provider even if the cache is fresh.")
@consent_option
@resolver_options
@common_options()
def resolve(refs: tuple[str, ...], fmt: str, refresh: bool, consent: bool, **options: Any) -> None:
    """Resolve post references (URLs) into embed HTML.

    Each REF is a post URL in any shape people paste (x.com, twitter.com,
    youtu.be, bsky.app, a Mastodon instance...). Provider trouble never fails
    the command: the embed falls back to a static card. An invalid REF is
    reported on stderr (and, with --format json, as a line with status
    "invalid"); the others are still resolved, and the exit status is 2.
    """
    from embedkit._errors import InvalidReference
    from embedkit.resolve import parse_ref

    params = {name: options.pop(name) for name in HTML_PARAMS}
    problems: dict[int, str] = {}
    valid: list[str] = []
    for index, ref in enumerate(refs):
        try:
            parse_ref(ref)
        except InvalidReference as exc:
            problems[index] = str(exc)
        else:
            valid.append(ref)
    embeds: list[Embed] = []
    if valid:
        with open_resolver(consent=consent, **options) as resolver:
            embeds = _resolve_with_progress(resolver, valid, refresh, params)
    found = iter(embeds)
    for index, ref in enumerate(refs):
        if index in problems:
            _invalid(ref, problems[index], fmt)
        else:
            _print(next(found), fmt)
    if problems:
        raise click.exceptions.Exit(2)


def _resolve_with_progress(
    resolver: Resolver, refs: list[str], refresh: bool, params: dict[str, Any]
) -> list[Embed]:
    if len(refs) > 1 and sys.stderr.isatty():
        with click.progressbar(length=len(refs), label="Resolving", file=sys.stderr) as bar:
            return list(
                resolver.resolve_many(
                    refs, refresh=refresh, on_result=lambda _e: bar.update(1), **params
                )
            )
    return list(resolver.resolve_many(refs, refresh=refresh, **params))


def _invalid(ref: str, problem: str, fmt: str) -> None:
    echo(f"Error: {problem}", err=True)
    if fmt == "json":
        echo_json(
            {
                "ref": ref,
                "url": None,
                "status": "invalid",
                "kind": None,
                "provider": None,
                "html": None,
                "error": problem,
            }
        )


def _print(embed: Embed, fmt: str) -> None:
    if fmt == "json":
        echo_json(
            {
                "ref": embed.ref,
                "url": embed.url,
                "status": embed.status,
                "kind": embed.kind,
                "provider": embed.provider,
                "html": embed.html,
                "error": embed.error,
            }
        )
    else:
        echo(embed.html)
