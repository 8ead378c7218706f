"""embedkit: social embeds that never break, and syndication that posts exactly once."""

from __future__ import annotations

from embedkit.errors import EmbedkitError, InvalidReference
from embedkit.models import Embed, Ref

__all__ = ["Embed", "EmbedkitError", "InvalidReference", "Ref"]

__version__ = "0.1.0"
