"""Presentation: safe HTML from untrusted provider data.

:func:`sanitize` cleans provider HTML against the matched platform's policy;
the static fallback (:class:`PostSnapshot` and its sources: the provider's own
markup, the URL alone) shows a post without any third-party code; :func:`present`
combines both into what an embed shows.
"""

from __future__ import annotations

from embedkit.present._blockquotes import from_oembed
from embedkit.present._presentation import Presented, display_name, present
from embedkit.present._sanitize import KNOWN_SCRIPTS, Sanitized, iframe_hosts, sanitize
from embedkit.present._snapshot import (
    PostSnapshot,
    merge,
    snapshot_from_dict,
    snapshot_to_dict,
)
from embedkit.present._urlfacts import from_url, snowflake_time

__all__ = [
    "KNOWN_SCRIPTS",
    "PostSnapshot",
    "Presented",
    "Sanitized",
    "display_name",
    "from_oembed",
    "from_url",
    "iframe_hosts",
    "merge",
    "present",
    "sanitize",
    "snapshot_from_dict",
    "snapshot_to_dict",
    "snowflake_time",
]
