"""Wagtail: an embed finder that resolves through embedkit.

``pip install 'embedkit[wagtail]'``, then in settings::

    WAGTAILEMBEDS_FINDERS = [{"class": "embedkit.contrib.wagtail.EmbedkitFinder"}]

Wagtail's ``{% embed %}`` tag, rich-text embeds and ``EmbedBlock`` then show
embedkit's sanitized embeds, and a post that cannot be fetched its static
fallback. See :class:`EmbedkitFinder` and ``docs/wagtail.md``.
"""

from __future__ import annotations

from embedkit.contrib.wagtail._finder import EmbedkitFinder, embed_fields

__all__ = ["EmbedkitFinder", "embed_fields", "embed_finder_class"]

#: Wagtail's convention: ``{"class": "embedkit.contrib.wagtail"}`` names this finder too.
embed_finder_class = EmbedkitFinder
