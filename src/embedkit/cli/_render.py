"""``embedkit render``: a Markdown or HTML file in, a complete page with embeds out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from embedkit.cli._options import (
    common_options,
    consent_option,
    format_option,
    open_resolver,
    quiet_level,
    resolver_options,
)
from embedkit.cli._paths import CommandError, InputPath, OutputFile, shown, write_output
from embedkit.cli._term import echo, echo_json

if TYPE_CHECKING:
    pass

__all__ = ["render"]


@click.command()
@click.argument("file", type=InputPath())
@click.option(
    "-o",
    "--output",
    type=OutputFile(),
    help="Write the page here, and its stylesheet and consent script beside it "
    "(missing folders are created); default: the page on stdout, no other file.",
)
@consent_option
@format_option(
    "text: the page (on stdout without -o) and one summary line on stderr; json: "
    "one object on stdout with the files written, the embeds and their status "
    "(and the page as 'html' without -o)."
)
@click.option(
    "--trusted-body",
    is_flag=True,
    help="Keep the author's HTML as written (scripts, styles, any attribute). By "
    "default the body is cleaned with an allowlist fit for articles.",
)
@resolver_options
@common_options()
def render(
    file: str, output: Path | None, consent: bool, fmt: str, trusted_body: bool, **options: Any
) -> None:
    """Render FILE (Markdown with front matter, or HTML) into a page with embeds.

    A post URL alone on its own line or paragraph becomes an embed; provider
    scripts are loaded once at the end of the page. With --offline (or when
    providers are unreachable) embeds show their static fallbacks, and the
    summary on stderr says so ("3 embeds: 1 cached, 2 fallback (offline)").
    """
    from embedkit.page import RecordingSource, render_document, summarize_embeds, write_assets

    with open_resolver(consent=consent, **options) as resolver:
        recording = RecordingSource(resolver)
        page = render_document(file, recording, trusted_body=trusted_body)
    summary = summarize_embeds(recording.embeds)
    written: list[Path] = []
    if output is not None:
        write_output(output, page)
        try:
            written = [output, *write_assets(output.parent)]
        except OSError as exc:
            raise CommandError(
                f"wrote {shown(output)}, but not its assets beside it: {exc.strerror or exc}"
            ) from exc
    if fmt == "json":
        data: dict[str, Any] = {"written": [str(p) for p in written], **summary.to_dict()}
        if output is None:
            data["html"] = page
        echo_json(data)
    else:
        if output is None:
            echo(page, nl=False)
        else:
            echo(f"Wrote {', '.join(_names(written))}", err=True)
        degraded = any(embed.status not in ("fresh", "cached") for embed in summary.embeds)
        if quiet_level() == 0 or degraded:
            echo(summary.line(), err=True)


def _names(paths: list[Path]) -> list[str]:
    """The page by the name the user gave, its assets by file name."""
    return [shown(paths[0]), *(p.name for p in paths[1:])]
