"""Outgoing channels: one small module per platform, built by name with :func:`make_channel`.

Every channel follows :class:`~embedkit.syndicate.channels._base.Channel`:
``publish(post, idempotency_key=...) -> Published`` and ``recent(limit)``.
Credentials come only from environment variables (see ``docs/channels.md``);
a missing one raises :class:`~embedkit._errors.MissingCredential` naming it.

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

from embedkit.syndicate.channels._base import Channel, classify_http_error, idempotency_key
from embedkit.syndicate.channels._registry import CHANNELS, ENV_VARS, make_channel

__all__ = [
    "CHANNELS",
    "ENV_VARS",
    "Channel",
    "classify_http_error",
    "idempotency_key",
    "make_channel",
]
