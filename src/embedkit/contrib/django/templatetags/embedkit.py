"""``{% load embedkit %}``: the ``embed`` and ``embed_scripts`` tags and the ``embeds`` filter."""

from __future__ import annotations

from embedkit.contrib.django._tags import register

__all__ = ["register"]
