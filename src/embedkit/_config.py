"""Defaults and environment settings, gathered in one place.

Precedence everywhere: an explicit argument beats the environment, which beats
the default. Every variable embedkit reads is listed in :data:`ENV_VARS` (the
README's table is checked against it).
"""

from __future__ import annotations

from collections.abc import Mapping

from embedkit._errors import ConfigError

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENV_VARS",
    "HTML_PARAMS",
    "env_flag",
    "env_float",
    "parse_flag",
]

DEFAULT_TIMEOUT = 5.0

#: Parameters that change the HTML a provider returns, and so are part of the cache key.
HTML_PARAMS: tuple[str, ...] = (
    "maxwidth",
    "maxheight",
    "theme",
    "lang",
    "dnt",
    "omit_script",
    "hide_thread",
    "hide_media",
    "align",
)

#: Every environment variable embedkit reads, with what it does (the channels' own
#: credentials are listed in :data:`embedkit.syndicate.channels.ENV_VARS`).
ENV_VARS: Mapping[str, str] = {
    "EMBEDKIT_CACHE": "cache URL: sqlite:///path, memory://, redis://host:port/db",
    "EMBEDKIT_PROVIDERS": "a providers JSON file that adds to or replaces bundled providers",
    "EMBEDKIT_TIMEOUT": "seconds to wait for a web server embedkit reads from: a provider, "
    "a page, a feed (--fetch-timeout)",
    "EMBEDKIT_CHANNEL_TIMEOUT": "seconds to wait for a channel's API (--channel-timeout)",
    "EMBEDKIT_LEDGER": "ledger URL: sqlite:///path (--ledger)",
    "EMBEDKIT_DEBUG": "1 shows the Python traceback of an error (--traceback)",
    "EMBEDKIT_ALLOW_PRIVATE_NETWORKS": "1 lets author URLs reach private/loopback addresses",
    "EMBEDKIT_CONSENT": "1: consent placeholders (CLI, serve, Django, Wagtail, Markdown)",
    "EMBEDKIT_TEMPLATES": "template folders searched before the packaged ones",
    "EMBEDKIT_META_TOKEN": "Meta app token for Instagram/Facebook oEmbed",
    "EMBEDKIT_X_BEARER_TOKEN": "X API bearer token for richer fallbacks when no snapshot exists",
    "EMBEDKIT_TRUSTED_MASTODON_INSTANCES": "Mastodon instances (host names, comma-separated) "
    "whose own embed.js may run on your pages",
    "EMBEDKIT_TWITCH_PARENT": "the host name(s) of your pages, which Twitch's player needs",
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def parse_flag(text: str) -> bool | None:
    """``True`` for 1/true/yes/on, ``False`` for 0/false/no/off or blank, else ``None``.

    >>> parse_flag(" Yes "), parse_flag("0"), parse_flag("maybe")
    (True, False, None)
    """
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def env_flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    """Read a boolean environment variable (1/true/yes/on or 0/false/no/off)."""
    raw = env.get(name)
    if raw is None:
        return default
    flag = parse_flag(raw)
    if flag is None:
        raise ConfigError(f"{name} must be 1 or 0 (true/false), not {raw!r}")
    return flag


def env_float(env: Mapping[str, str], name: str, default: float) -> float:
    """Read a positive number of seconds from the environment."""
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be greater than 0, not {raw!r}")
    return value
