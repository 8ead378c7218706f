"""Slack and Discord incoming webhooks: ``slack`` and ``discord`` channels.

The webhook URL is the credential (anyone holding it can post), so it comes
only from ``EMBEDKIT_SLACK_WEBHOOK_URL`` / ``EMBEDKIT_DISCORD_WEBHOOK_URL`` and
never appears in a message, log line or repr: requests are built against a
placeholder URL and :class:`~embedkit.syndicate.channels._http.SecretURLTransport`
swaps in the real one at the last moment.

Slack answers ``ok`` and no id, so the post id is derived from the idempotency
key. Discord is called with ``?wait=true`` and answers the message, whose id is
returned (and a URL when the answer names the guild). Mentions are disabled on
Discord (``allowed_mentions``) so an article never pings ``@everyone``.
Neither can list past posts: :meth:`recent` raises NotImplementedError.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from embedkit._errors import ConfigError
from embedkit.syndicate._models import Post, Published, RemotePost
from embedkit.syndicate.channels._base import require_env
from embedkit.syndicate.channels._http import json_body, make_client, send

__all__ = [
    "ENV_DISCORD",
    "ENV_SLACK",
    "DiscordWebhook",
    "SlackWebhook",
]

ENV_SLACK = "EMBEDKIT_SLACK_WEBHOOK_URL"
ENV_DISCORD = "EMBEDKIT_DISCORD_WEBHOOK_URL"


class _Webhook:
    """Shared shape of a webhook channel."""

    name = "webhook"
    idempotent = False
    env_var = ""
    placeholder = "https://webhook.invalid/embedkit"

    def __init__(
        self,
        webhook_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        url = httpx.URL(webhook_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigError(f"{self.env_var} is not an http(s) URL (value not shown)")
        self._secret = webhook_url
        self._client = make_client(
            timeout=timeout,
            transport=transport,
            client=client,
            public=self.placeholder,
            secret=webhook_url,
        )
        # with a caller's client there is no URL swap: send the real URL through it
        self._target = self.placeholder if client is None else webhook_url

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, timeout: float = 10.0, **seams: Any) -> Any:
        """Build from the webhook URL variable."""
        url = require_env(cls.name, env, [cls.env_var])[cls.env_var]
        return cls(url, timeout=timeout, **seams)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(webhook_url='***')"

    def recent(self, limit: int = 40) -> list[RemotePost]:
        """Webhooks cannot read the channel back."""
        raise NotImplementedError(f"{self.name}: an incoming webhook cannot list past posts")

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()


class SlackWebhook(_Webhook):
    """Post to a Slack channel through an incoming webhook."""

    name = "slack"
    env_var = ENV_SLACK
    placeholder = "https://hooks.slack.invalid/embedkit"

    def publish(self, post: Post, *, idempotency_key: str) -> Published:
        """Send ``post.text`` (links unfurled); Slack gives no id, so it is key-derived."""
        payload = {"text": post.text, "unfurl_links": True, "unfurl_media": True}
        send(
            self._client,
            "POST",
            self._target,
            channel=self.name,
            secrets=[self._secret],
            json=payload,
        )
        return Published(id=f"slack-{idempotency_key[:20]}", url=None)


class DiscordWebhook(_Webhook):
    """Post to a Discord channel through a webhook, waiting for the message id."""

    name = "discord"
    env_var = ENV_DISCORD
    placeholder = "https://discord.invalid/embedkit"

    def publish(self, post: Post, *, idempotency_key: str) -> Published:
        """Send ``post.text`` with mentions disabled; return the message id."""
        payload = {"content": post.text, "allowed_mentions": {"parse": []}}
        response = send(
            self._client,
            "POST",
            self._target,
            channel=self.name,
            secrets=[self._secret],
            params={"wait": "true"},
            json=payload,
        )
        data = json_body(response, channel=self.name)
        message_id = str(data.get("id") or "")
        if not message_id:
            return Published(id=f"discord-{idempotency_key[:20]}", url=None)
        guild, channel_id = data.get("guild_id"), data.get("channel_id")
        url = (
            f"https://discord.com/channels/{guild}/{channel_id}/{message_id}"
            if guild and channel_id
            else None
        )
        extra = {"channel_id": str(channel_id)} if channel_id else {}
        return Published(id=message_id, url=url, extra=extra)
