"""``embedkit render``: a Markdown or HTML file in, a complete page with embeds out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from embedkit.cli._options import open_resolver, resolver_options

__all__ = ["render"]


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the page here (and its consent script beside it); default stdout.",
)
@click.option(
    "--consent",
    is_flag=True,
    help="Show each embed as its static fallback with a 'load' button; no "
    "third-party request before the reader clicks.",
)
@click.option(
    "--trusted-body",
    is_flag=True,
    help="Keep the author's HTML as written (scripts, styles, any attribute). By "
    "default the body is cleaned with an allowlist fit for articles.",
)
@resolver_options
def render(
    file: Path, output: Path | None, consent: bool, trusted_body: bool, **options: Any
) -> None:
    """Render FILE (Markdown with front matter, or HTML) into a page with embeds.

    A post URL alone on its own line or paragraph becomes an embed; provider
    scripts are loaded once at the end of the page. With --offline (or when
    providers are unreachable) embeds show their static fallbacks.
    """
    from embedkit.page import render_document, write_assets

    with open_resolver(consent=consent, **options) as resolver:
        page = render_document(file, resolver, trusted_body=trusted_body)
    if output is None:
        click.echo(page, nl=False)
        return
    output.write_text(page, encoding="utf-8")
    write_assets(output.parent)
    click.echo(f"Wrote {output}", err=True)
