"""Pages: documents whose standalone URLs become embeds, over any resolver.

:func:`render_html` and :func:`render_document` need only an
:class:`EmbedSource` (a :class:`~embedkit.Resolver` is one): something that
resolves many URLs at once and says whether the page is in consent mode.
"""

from __future__ import annotations

from embedkit.page._autoembed import find_standalone_urls
from embedkit.page._render import (
    CONSENT_SCRIPT_NAME,
    STYLESHEET_NAME,
    DocumentSource,
    EmbedSource,
    RenderSummary,
    consent_script_path,
    render_document,
    render_html,
    script_tags,
    stylesheet_path,
    summarize_embeds,
    write_assets,
)
from embedkit.page._render import _embeddable as embeddable
from embedkit.page._scripts import RecordingSource, ScriptCollection

__all__ = [
    "CONSENT_SCRIPT_NAME",
    "STYLESHEET_NAME",
    "DocumentSource",
    "EmbedSource",
    "RecordingSource",
    "RenderSummary",
    "ScriptCollection",
    "consent_script_path",
    "embeddable",
    "find_standalone_urls",
    "render_document",
    "render_html",
    "script_tags",
    "stylesheet_path",
    "summarize_embeds",
    "write_assets",
]
