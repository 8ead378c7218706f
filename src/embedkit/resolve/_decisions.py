"""The resolver's decisions, as pure functions: no I/O, no clock of their own.

Whether to serve a cache entry, ask the provider, or fall back depends only on
the entry, the time and the resolver's settings; these functions say which, so
the rules are tested with plain values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from embedkit._config import HTML_PARAMS
from embedkit._models import EmbedStatus
from embedkit.resolve.cache import Entry
from embedkit.resolve.cache._policy import is_fresh

__all__ = ["Action", "html_params", "next_action", "status_without_fetch"]

Action = Literal["serve", "fetch", "fallback"]


def html_params(params: Mapping[str, object]) -> dict[str, str]:
    """Validate and stringify the parameters that change a provider's HTML.

    ``None`` values are dropped, booleans become ``"true"``/``"false"`` (X's
    spelling), numbers become their decimal form. An unknown name raises
    :class:`TypeError`, as an unexpected keyword argument would.

    >>> html_params({"maxwidth": 550, "dnt": True, "theme": None})
    {'dnt': 'true', 'maxwidth': '550'}
    """
    clean: dict[str, str] = {}
    for name in sorted(params):
        if name not in HTML_PARAMS:
            allowed = ", ".join(HTML_PARAMS)
            raise TypeError(f"unknown embed parameter {name!r} (allowed: {allowed})")
        value = params[name]
        if value is None:
            continue
        if isinstance(value, bool):
            clean[name] = "true" if value else "false"
        else:
            clean[name] = str(value)
    return clean


def next_action(
    entry: Entry | None,
    *,
    now: float,
    refresh: bool,
    offline: bool,
    can_fetch: bool,
    blocked_until: float | None,
) -> Action:
    """Decide what to do with a reference given its cache entry.

    A fresh entry is served unless ``refresh`` asks for the provider and the
    provider may be asked. The provider may not be asked when offline, when
    nothing knows its endpoint, or while a 429 pause is running.
    """
    may_fetch = can_fetch and not offline and not (blocked_until and blocked_until > now)
    if entry is not None and is_fresh(entry, now) and not (refresh and may_fetch):
        return "serve"
    return "fetch" if may_fetch else "fallback"


def status_without_fetch(entry: Entry | None) -> EmbedStatus:
    """The status of an embed served without a successful fetch.

    A tombstone stays ``gone``; an entry that still has oEmbed data is
    ``stale`` (stale-if-error); with nothing usable, it is a ``fallback``.
    """
    if entry is None:
        return "fallback"
    if entry.state == "gone":
        return "gone"
    return "stale" if entry.data is not None else "fallback"
