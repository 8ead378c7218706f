"""Presentation: safe HTML from untrusted provider data.

:func:`sanitize` cleans provider HTML against the matched provider's policy;
the static fallback (:class:`PostSnapshot` and its sources) shows a post without
any third-party code; :func:`present` combines both into what an embed shows.
"""

from __future__ import annotations

from embedkit.present._fallback import (
    PostSnapshot,
    display_name,
    from_oembed,
    from_url,
    merge,
    snapshot_from_dict,
    snapshot_to_dict,
    snowflake_time,
)
from embedkit.present._presentation import Presented, present
from embedkit.present._sanitize import KNOWN_SCRIPTS, Sanitized, iframe_hosts, sanitize

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
