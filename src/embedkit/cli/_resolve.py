"""``embedkit resolve``: references in, embed HTML (or JSON lines) out."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from embedkit._config import HTML_PARAMS
from embedkit._errors import InvalidReference
from embedkit._models import Embed
from embedkit.cli._options import format_option, open_resolver, resolver_options
from embedkit.resolve._refs import parse_ref

__all__ = ["resolve"]


@click.command()
@click.argument("refs", nargs=-1, required=True, metavar="REF...")
@format_option("html", "json", default="html")
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
@click.option(
    "--consent", is_flag=True, help="Render each embed as its fallback with a 'load' button."
)
@resolver_options
def resolve(refs: tuple[str, ...], fmt: str, refresh: bool, consent: bool, **options: Any) -> None:
    """Resolve post references (URLs) into embed HTML.

    Each REF is a post URL in any shape people paste (x.com, twitter.com,
    youtu.be, bsky.app, a Mastodon instance...). Provider trouble never fails
    the command: the embed falls back to a static card. An invalid REF is
    reported on stderr, the others are still resolved, and the exit status is 2.

    \b
    --format html   each embed's HTML, one after another
    --format json   one JSON object per line: ref, url, status, provider, html, error
    """
    params = {name: options.pop(name) for name in HTML_PARAMS}
    valid: list[str] = []
    invalid = 0
    for ref in refs:
        try:
            parse_ref(ref)
        except InvalidReference as exc:
            click.echo(f"Error: {exc}", err=True)
            invalid += 1
        else:
            valid.append(ref)
    if valid:
        with open_resolver(consent=consent, **options) as resolver:
            embeds = _resolve_with_progress(resolver, valid, refresh, params)
        for embed in embeds:
            click.echo(_render(embed, fmt))
    if invalid:
        sys.exit(2)


def _resolve_with_progress(
    resolver: Any, refs: list[str], refresh: bool, params: dict[str, Any]
) -> list[Embed]:
    if len(refs) > 1 and sys.stderr.isatty():
        with click.progressbar(length=len(refs), label="Resolving", file=sys.stderr) as bar:
            return list(
                resolver.resolve_many(
                    refs, refresh=refresh, on_result=lambda _e: bar.update(1), **params
                )
            )
    return list(resolver.resolve_many(refs, refresh=refresh, **params))


def _render(embed: Embed, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            {
                "ref": embed.ref,
                "url": embed.url,
                "status": embed.status,
                "provider": embed.provider,
                "html": embed.html,
                "error": embed.error,
            },
            ensure_ascii=False,
        )
    return embed.html
