"""Channels by name: the list of channels, their environment variables, make_channel."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any

from embedkit._errors import ConfigError
from embedkit.syndicate.channels._base import (
    Channel,
)

__all__ = ["CHANNELS", "ENV_VARS", "make_channel"]

#: Every channel name :func:`make_channel` knows.
CHANNELS: tuple[str, ...] = (
    "x",
    "mastodon",
    "bluesky",
    "threads",
    "linkedin",
    "telegram",
    "slack",
    "discord",
    "file",
)

#: Every environment variable a channel reads, with what it holds (docs/channels.md lists them).
ENV_VARS: Mapping[str, str] = {
    "EMBEDKIT_X_API_KEY": "x: app consumer key",
    "EMBEDKIT_X_API_SECRET": "x: app consumer secret",
    "EMBEDKIT_X_ACCESS_TOKEN": "x: account access token (read and write)",
    "EMBEDKIT_X_ACCESS_SECRET": "x: account access token secret",
    "EMBEDKIT_MASTODON_URL": "mastodon: instance base URL",
    "EMBEDKIT_MASTODON_TOKEN": "mastodon: application access token",
    "EMBEDKIT_BLUESKY_HANDLE": "bluesky: account handle",
    "EMBEDKIT_BLUESKY_APP_PASSWORD": "bluesky: app password",
    "EMBEDKIT_BLUESKY_PDS": "bluesky: PDS URL (default https://bsky.social)",
    "EMBEDKIT_THREADS_TOKEN": "threads: Threads user access token",
    "EMBEDKIT_THREADS_USER_ID": "threads: Threads user id",
    "EMBEDKIT_THREADS_API_URL": "threads: API base (default https://graph.threads.net)",
    "EMBEDKIT_LINKEDIN_TOKEN": "linkedin: OAuth access token",
    "EMBEDKIT_LINKEDIN_AUTHOR": "linkedin: urn:li:person:… or urn:li:organization:…",
    "EMBEDKIT_LINKEDIN_API_URL": "linkedin: API base (default https://api.linkedin.com)",
    "EMBEDKIT_LINKEDIN_VERSION": "linkedin: LinkedIn-Version header (YYYYMM)",
    "EMBEDKIT_TELEGRAM_BOT_TOKEN": "telegram: bot token",
    "EMBEDKIT_TELEGRAM_CHAT_ID": "telegram: @channel or numeric chat id",
    "EMBEDKIT_TELEGRAM_API_URL": "telegram: Bot API base (default https://api.telegram.org)",
    "EMBEDKIT_SLACK_WEBHOOK_URL": "slack: incoming webhook URL (secret)",
    "EMBEDKIT_DISCORD_WEBHOOK_URL": "discord: webhook URL (secret)",
    "EMBEDKIT_FILE_CHANNEL_PATH": "file: JSON-lines output file",
}

#: name → (module, class); modules are imported only when their channel is made.
_REGISTRY: dict[str, tuple[str, str]] = {
    "x": ("embedkit.syndicate.channels._x", "XChannel"),
    "mastodon": ("embedkit.syndicate.channels._mastodon", "MastodonChannel"),
    "bluesky": ("embedkit.syndicate.channels._bluesky", "BlueskyChannel"),
    "threads": ("embedkit.syndicate.channels._threads", "ThreadsChannel"),
    "linkedin": ("embedkit.syndicate.channels._linkedin", "LinkedInChannel"),
    "telegram": ("embedkit.syndicate.channels._telegram", "TelegramChannel"),
    "slack": ("embedkit.syndicate.channels._webhook", "SlackWebhook"),
    "discord": ("embedkit.syndicate.channels._webhook", "DiscordWebhook"),
    "file": ("embedkit.syndicate.channels._file", "FileChannel"),
}


def make_channel(
    name: str,
    *,
    env: Mapping[str, str] = os.environ,
    timeout: float = 10.0,
    **seams: Any,
) -> Channel:
    """Build the channel called ``name`` from credentials in ``env``.

    Raises :class:`~embedkit._errors.ConfigError` for an unknown name (listing
    the known ones) and :class:`~embedkit._errors.MissingCredential` naming the
    variables to set. ``seams`` go to the channel's constructor.
    """
    key = name.strip().lower()
    if key not in _REGISTRY:
        raise ConfigError(f"unknown channel {name!r}; known channels: {', '.join(CHANNELS)}")
    module_name, class_name = _REGISTRY[key]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # an optional client library is not installed
        extra = {"mastodon": "mastodon", "bluesky": "bluesky"}.get(key, "all")
        raise ConfigError(
            f"channel {key!r} needs a library that is not installed ({exc.name}); "
            f"install embedkit[{extra}]"
        ) from exc
    factory = getattr(module, class_name)
    channel: Channel = factory.from_env(env, timeout=timeout, **seams)
    return channel
