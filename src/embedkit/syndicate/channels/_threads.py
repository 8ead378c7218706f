"""The ``threads`` channel: Meta's Threads Graph API over httpx.

Publishing is two steps: create a media container (``POST
/v1.0/{user_id}/threads`` with ``media_type=TEXT`` and the text, plus the
article as ``link_attachment``; ``IMAGE`` with ``image_url`` when the post has
an image URL), then publish it (``POST /v1.0/{user_id}/threads_publish`` with
``creation_id``). A failed first step never posts anything, so its errors are
never ambiguous. The permalink is read afterwards; if that read fails the post
is still reported as published.

The token travels in an ``Authorization: Bearer`` header, never in a URL.
Variables: ``EMBEDKIT_THREADS_TOKEN`` (scopes ``threads_basic``,
``threads_content_publish``), ``EMBEDKIT_THREADS_USER_ID``, optional
``EMBEDKIT_THREADS_API_URL`` (default ``https://graph.threads.net``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from embedkit._errors import ChannelError
from embedkit._redaction import get_logger
from embedkit.syndicate._models import Post, Published, RemotePost
from embedkit.syndicate.channels._base import require_env
from embedkit.syndicate.channels._http import json_body, make_client, send

__all__ = ["DEFAULT_API_URL", "ENV_API_URL", "ENV_TOKEN", "ENV_USER_ID", "ThreadsChannel"]

ENV_TOKEN = "EMBEDKIT_THREADS_TOKEN"
ENV_USER_ID = "EMBEDKIT_THREADS_USER_ID"
ENV_API_URL = "EMBEDKIT_THREADS_API_URL"
DEFAULT_API_URL = "https://graph.threads.net"
API_VERSION = "v1.0"

log = get_logger(__name__)


class ThreadsChannel:
    """Post to one Threads profile."""

    name = "threads"
    idempotent = False

    def __init__(
        self,
        token: str,
        user_id: str,
        *,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.user_id = user_id
        self.api_url = api_url.rstrip("/")
        self._token = token
        self._client = make_client(timeout=timeout, transport=transport, client=client)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], *, timeout: float = 10.0, **seams: Any
    ) -> ThreadsChannel:
        """Build from the ``EMBEDKIT_THREADS_*`` variables."""
        found = require_env("threads", env, [ENV_TOKEN, ENV_USER_ID])
        api_url = (env.get(ENV_API_URL) or "").strip() or DEFAULT_API_URL
        return cls(found[ENV_TOKEN], found[ENV_USER_ID], api_url=api_url, timeout=timeout, **seams)

    def __repr__(self) -> str:
        return f"ThreadsChannel(user_id={self.user_id!r}, api_url={self.api_url!r}, token='***')"

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def publish(self, post: Post, *, idempotency_key: str) -> Published:
        """Create a container for ``post`` and publish it; return the media id and permalink."""
        form: dict[str, str] = {"text": post.text}
        if post.image and post.image.startswith(("http://", "https://")):
            form.update(media_type="IMAGE", image_url=post.image)
        else:
            form["media_type"] = "TEXT"
            if post.card is not None:
                form["link_attachment"] = post.card.url
        try:
            created = self._call("POST", f"{self.user_id}/threads", data=form)
        except ChannelError as exc:  # nothing is public until threads_publish
            exc.ambiguous = False
            raise
        creation_id = str(json_body(created, channel=self.name).get("id") or "")
        if not creation_id:
            raise ChannelError("threads: the container answer has no id", retryable=True)
        published = self._call(
            "POST", f"{self.user_id}/threads_publish", data={"creation_id": creation_id}
        )
        media_id = str(json_body(published, channel=self.name).get("id") or "")
        if not media_id:
            raise ChannelError(
                "threads: threads_publish answered without an id (the post may exist)",
                retryable=True,
                ambiguous=True,
            )
        return Published(id=media_id, url=self._permalink(media_id))

    def recent(self, limit: int = 40) -> list[RemotePost]:
        """The profile's latest posts (``GET /{user_id}/threads``), newest first."""
        response = self._call(
            "GET",
            f"{self.user_id}/threads",
            params={"fields": "id,text,permalink,timestamp", "limit": str(max(1, min(limit, 100)))},
        )
        items = json_body(response, channel=self.name).get("data") or []
        return [
            RemotePost(
                id=str(item.get("id", "")),
                text=str(item.get("text") or ""),
                url=item.get("permalink"),
                created_at=_parse_time(item.get("timestamp")),
            )
            for item in items
            if isinstance(item, dict)
        ]

    def _permalink(self, media_id: str) -> str | None:
        try:
            response = self._call("GET", media_id, params={"fields": "permalink"})
            link = json_body(response, channel=self.name).get("permalink")
        except ChannelError as exc:
            log.warning("threads: published %s but could not read its permalink: %s", media_id, exc)
            return None
        return str(link) if link else None

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return send(
            self._client,
            method,
            f"{self.api_url}/{API_VERSION}/{path}",
            channel=self.name,
            secrets=[self._token],
            headers={"Authorization": f"Bearer {self._token}"},
            **kwargs,
        )


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("+0000", "+00:00"))
    except ValueError:
        return None
