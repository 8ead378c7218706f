"""Outgoing channels: one small module per platform, built by name with :func:`make_channel`.

Every channel follows :class:`~embedkit.syndicate.channels.base.Channel`:
``publish(post, idempotency_key=...) -> Published`` and ``recent(limit)``.
Credentials come only from environment variables (see ``docs/channels.md``);
a missing one raises :class:`~embedkit.errors.MissingCredential` naming it.

Example::

    channel = make_channel("mastodon")          # reads EMBEDKIT_MASTODON_URL/_TOKEN
    key = idempotency_key(post.article_id, "mastodon", post.text_hash)
    published = channel.publish(post, idempotency_key=key)
    print(published.id, published.url)

Seams (keyword arguments passed to the channel's constructor) let tests and
embedders reach the HTTP layer: ``transport``/``client`` (httpx channels),
``session`` (Mastodon's requests session), ``request`` (atproto), ``path``
(file), ``session_path`` (Bluesky's saved session).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any

from embedkit.errors import ConfigError
from embedkit.syndicate.channels.base import (
    Channel,
    classify_http_error,
    idempotency_key,
)

__all__ = ["CHANNELS", "Channel", "classify_http_error", "idempotency_key", "make_channel"]

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

#: name → (module, class); modules are imported only when their channel is made.
_REGISTRY: dict[str, tuple[str, str]] = {
    "x": ("embedkit.syndicate.channels.x", "XChannel"),
    "mastodon": ("embedkit.syndicate.channels.mastodon", "MastodonChannel"),
    "bluesky": ("embedkit.syndicate.channels.bluesky", "BlueskyChannel"),
    "threads": ("embedkit.syndicate.channels.threads", "ThreadsChannel"),
    "linkedin": ("embedkit.syndicate.channels.linkedin", "LinkedInChannel"),
    "telegram": ("embedkit.syndicate.channels.telegram", "TelegramChannel"),
    "slack": ("embedkit.syndicate.channels.webhook", "SlackWebhook"),
    "discord": ("embedkit.syndicate.channels.webhook", "DiscordWebhook"),
    "file": ("embedkit.syndicate.channels.file", "FileChannel"),
}


def make_channel(
    name: str,
    *,
    env: Mapping[str, str] = os.environ,
    timeout: float = 10.0,
    **seams: Any,
) -> Channel:
    """Build the channel called ``name`` from credentials in ``env``.

    Raises :class:`~embedkit.errors.ConfigError` for an unknown name (listing
    the known ones) and :class:`~embedkit.errors.MissingCredential` naming the
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
