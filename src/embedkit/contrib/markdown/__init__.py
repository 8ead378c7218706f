"""Python-Markdown (and MkDocs): standalone URLs become embeds.

``pip install 'embedkit[markdown]'`` (or ``[mkdocs]``), then::

    markdown.markdown(text, extensions=["embedkit.contrib.markdown"],
                      extension_configs={"embedkit.contrib.markdown": {"consent": True}})

or in ``mkdocs.yml``::

    markdown_extensions:
      - embedkit.contrib.markdown

See :class:`EmbedkitExtension` and ``docs/markdown.md``.
"""

from __future__ import annotations

from typing import Any

from embedkit.contrib.markdown._extension import EmbedkitExtension

__all__ = ["EmbedkitExtension", "makeExtension"]


def makeExtension(**kwargs: Any) -> EmbedkitExtension:
    """Python-Markdown's entry point: ``extensions=["embedkit.contrib.markdown"]``."""
    return EmbedkitExtension(**kwargs)
