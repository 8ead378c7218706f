"""The ``telegram`` channel: a bot posting to a channel or group through the Bot API.

``sendMessage`` with the post text and a link preview of the article (or
``sendPhoto`` with the text as caption when the post has a picture: a web URL
that Telegram fetches, or a checked local picture, ``Post.image_file``, read
by :func:`~embedkit.syndicate.channels._media.post_image` with a hard byte
limit and uploaded). The text is sent as plain text (no ``parse_mode``), so
nothing in an article's title or summary is read as HTML or Markdown. A
picture that cannot be used is dropped with a warning and the text still goes
out. The bot token sits in the URL path
(``/bot<token>/sendMessage``), so requests are built against a placeholder and
:class:`~embedkit.syndicate.channels._http.SecretURLTransport` inserts the
token just before sending: httpx's log lines and exceptions never see it.

Variables: ``EMBEDKIT_TELEGRAM_BOT_TOKEN``, ``EMBEDKIT_TELEGRAM_CHAT_ID``
(``@channelname`` or a numeric id), optional ``EMBEDKIT_TELEGRAM_API_URL``.
The Bot API cannot list a chat's past messages: :meth:`recent` raises
NotImplementedError.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from embedkit._errors import ChannelError
from embedkit.syndicate._models import Post, Published, RemotePost
from embedkit.syndicate.channels._base import require_env
from embedkit.syndicate.channels._http import json_body, make_client, send
from embedkit.syndicate.channels._media import image_ref, post_image

__all__ = [
    "DEFAULT_API_URL",
    "ENV_API_URL",
    "ENV_CHAT_ID",
    "ENV_TOKEN",
    "MAX_PHOTO_BYTES",
    "TelegramChannel",
]

ENV_TOKEN = "EMBEDKIT_TELEGRAM_BOT_TOKEN"
ENV_CHAT_ID = "EMBEDKIT_TELEGRAM_CHAT_ID"
ENV_API_URL = "EMBEDKIT_TELEGRAM_API_URL"
DEFAULT_API_URL = "https://api.telegram.org"
#: The Bot API's limit for an uploaded photo.
MAX_PHOTO_BYTES = 10 * 1024 * 1024


class TelegramChannel:
    """Post to one Telegram chat as a bot."""

    name = "telegram"
    idempotent = False

    def __init__(
        self,
        token: str,
        chat_id: str,
        *,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.chat_id = chat_id
        self.timeout = timeout
        self.api_url = api_url.rstrip("/")
        self._token = token
        public = f"{self.api_url}/botREDACTED"
        self._client = make_client(
            timeout=timeout,
            transport=transport,
            client=client,
            public=public,
            secret=f"{self.api_url}/bot{token}",
        )
        self._base = public if client is None else f"{self.api_url}/bot{token}"

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], *, timeout: float = 10.0, **seams: Any
    ) -> TelegramChannel:
        """Build from the ``EMBEDKIT_TELEGRAM_*`` variables."""
        found = require_env("telegram", env, [ENV_TOKEN, ENV_CHAT_ID])
        api_url = (env.get(ENV_API_URL) or "").strip() or DEFAULT_API_URL
        return cls(found[ENV_TOKEN], found[ENV_CHAT_ID], api_url=api_url, timeout=timeout, **seams)

    def __repr__(self) -> str:
        return f"TelegramChannel(chat_id={self.chat_id!r}, api_url={self.api_url!r}, token='***')"

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def publish(self, post: Post, *, idempotency_key: str) -> Published:
        """Send the post (a photo with caption when the post has a usable picture)."""
        response = self._send_photo(post)
        if response is None:
            payload: dict[str, Any] = {"chat_id": self.chat_id, "text": post.text}
            if post.card is not None:
                payload["link_preview_options"] = {"url": post.card.url, "prefer_large_media": True}
            response = self._call("sendMessage", json=payload)
        data = json_body(response, channel=self.name)
        result = data.get("result")
        if not data.get("ok") or not isinstance(result, dict) or "message_id" not in result:
            raise ChannelError(
                "telegram: the Bot API answered without a message (the post may exist)",
                retryable=True,
                ambiguous=True,
            )
        message_id = str(result["message_id"])
        chat = result.get("chat") if isinstance(result.get("chat"), dict) else {}
        return Published(
            id=message_id,
            url=_message_url(chat or {}, message_id),
            extra={"chat_id": str((chat or {}).get("id", self.chat_id))},
        )

    def recent(self, limit: int = 40) -> list[RemotePost]:
        """The Bot API has no history call for a bot's own messages."""
        raise NotImplementedError("telegram: the Bot API cannot list a chat's past messages")

    def _send_photo(self, post: Post) -> httpx.Response | None:
        ref = image_ref(post)
        if ref is None:
            return None
        if isinstance(ref, str) and ref.lower().startswith(("http://", "https://")):
            payload = {"chat_id": self.chat_id, "photo": ref, "caption": post.text}
            return self._call("sendPhoto", json=payload)
        image = post_image(
            post, self.name, max_bytes=MAX_PHOTO_BYTES, timeout=self.timeout, http=None
        )
        if image is None:
            return None
        return self._call(
            "sendPhoto",
            data={"chat_id": self.chat_id, "caption": post.text},
            files={"photo": (image.name, image.data, image.mime)},
        )

    def _call(self, method: str, **kwargs: Any) -> httpx.Response:
        return send(
            self._client,
            "POST",
            f"{self._base}/{method}",
            channel=self.name,
            secrets=[self._token],
            **kwargs,
        )


def _message_url(chat: Mapping[str, Any], message_id: str) -> str | None:
    """``https://t.me/<username>/<id>`` for public chats, ``/c/<id>/`` for private supergroups."""
    username = chat.get("username")
    if username:
        return f"https://t.me/{username}/{message_id}"
    chat_id = str(chat.get("id", ""))
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return None
