"""The ``linkedin`` channel: the LinkedIn Posts API (``/rest/posts``) over httpx.

One ``POST /rest/posts`` with the author URN, the text as ``commentary`` (in
LinkedIn's "little text" format: reserved characters escaped, hashtags as
``{hashtag|\\#|Tag}``), public visibility on the main feed, and the article as
``content.article`` (source URL, title, description). The new post's URN comes
back in the ``x-restli-id`` header. Headers ``LinkedIn-Version`` and
``X-Restli-Protocol-Version: 2.0.0`` are always sent.

Variables: ``EMBEDKIT_LINKEDIN_TOKEN`` (scope ``w_member_social`` for a person,
``w_organization_social`` for an organization page), ``EMBEDKIT_LINKEDIN_AUTHOR``
(``urn:li:person:…`` or ``urn:li:organization:…``), optional
``EMBEDKIT_LINKEDIN_API_URL`` (default ``https://api.linkedin.com``) and
``EMBEDKIT_LINKEDIN_VERSION`` (``YYYYMM``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from embedkit._errors import ChannelError, ConfigError
from embedkit.syndicate._models import Post, Published, RemotePost
from embedkit.syndicate.channels._base import require_env
from embedkit.syndicate.channels._http import json_body, make_client, send

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_VERSION",
    "ENV_API_URL",
    "ENV_AUTHOR",
    "ENV_TOKEN",
    "ENV_VERSION",
    "LinkedInChannel",
    "little_text",
]

ENV_TOKEN = "EMBEDKIT_LINKEDIN_TOKEN"
ENV_AUTHOR = "EMBEDKIT_LINKEDIN_AUTHOR"
ENV_API_URL = "EMBEDKIT_LINKEDIN_API_URL"
ENV_VERSION = "EMBEDKIT_LINKEDIN_VERSION"
DEFAULT_API_URL = "https://api.linkedin.com"
DEFAULT_VERSION = "202510"

_AUTHOR = re.compile(r"^urn:li:(person|organization):[A-Za-z0-9_-]+$")
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")


def little_text(text: str) -> str:
    r"""``text`` in LinkedIn's "little text" format: reserved characters escaped, hashtags linked.

    >>> little_text("Trade (talks) #Japan_Korea")
    'Trade \\(talks\\) {hashtag|\\#|Japan_Korea}'
    """
    out: list[str] = []
    pos = 0
    for match in _HASHTAG.finditer(text):
        out.append(_RESERVED.sub(r"\\\1", text[pos : match.start()]))
        out.append("{hashtag|\\#|" + match.group(1) + "}")
        pos = match.end()
    out.append(_RESERVED.sub(r"\\\1", text[pos:]))
    return "".join(out)


class LinkedInChannel:
    """Post to a LinkedIn member's or organization's feed."""

    name = "linkedin"
    idempotent = False

    def __init__(
        self,
        token: str,
        author: str,
        *,
        api_url: str = DEFAULT_API_URL,
        version: str = DEFAULT_VERSION,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        if not _AUTHOR.match(author):
            raise ConfigError(
                f"{ENV_AUTHOR} must be urn:li:person:<id> or urn:li:organization:<id>, "
                f"not {author!r}"
            )
        self.author = author
        self.api_url = api_url.rstrip("/")
        self.version = version
        self._token = token
        self._client = make_client(timeout=timeout, transport=transport, client=client)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], *, timeout: float = 10.0, **seams: Any
    ) -> LinkedInChannel:
        """Build from the ``EMBEDKIT_LINKEDIN_*`` variables."""
        found = require_env("linkedin", env, [ENV_TOKEN, ENV_AUTHOR])
        return cls(
            found[ENV_TOKEN],
            found[ENV_AUTHOR],
            api_url=(env.get(ENV_API_URL) or "").strip() or DEFAULT_API_URL,
            version=(env.get(ENV_VERSION) or "").strip() or DEFAULT_VERSION,
            timeout=timeout,
            **seams,
        )

    def __repr__(self) -> str:
        return f"LinkedInChannel(author={self.author!r}, api_url={self.api_url!r}, token='***')"

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._token}",
            "LinkedIn-Version": self.version,
            "X-Restli-Protocol-Version": "2.0.0",
        }

    def publish(self, post: Post, *, idempotency_key: str) -> Published:
        """Create the post; return its URN and feed URL."""
        body: dict[str, Any] = {
            "author": self.author,
            "commentary": little_text(post.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if post.card is not None:
            article = {"source": post.card.url, "title": post.card.title}
            if post.card.description:
                article["description"] = post.card.description
            body["content"] = {"article": article}
        response = send(
            self._client,
            "POST",
            f"{self.api_url}/rest/posts",
            channel=self.name,
            secrets=[self._token],
            headers=self._headers(),
            json=body,
        )
        urn = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id")
        if not urn:
            raise ChannelError(
                f"linkedin: HTTP {response.status_code} without an x-restli-id header "
                "(the post may exist)",
                status=response.status_code,
                retryable=True,
                ambiguous=True,
            )
        return Published(id=urn, url=f"https://www.linkedin.com/feed/update/{urn}/")

    def recent(self, limit: int = 40) -> list[RemotePost]:
        """The author's latest posts (``GET /rest/posts?q=author``; needs read permission)."""
        response = send(
            self._client,
            "GET",
            f"{self.api_url}/rest/posts",
            channel=self.name,
            secrets=[self._token],
            headers={**self._headers(), "X-RestLi-Method": "FINDER"},
            params={
                "q": "author",
                "author": self.author,
                "count": str(max(1, min(limit, 100))),
                "sortBy": "LAST_MODIFIED",
            },
        )
        elements = json_body(response, channel=self.name).get("elements") or []
        return [
            RemotePost(
                id=str(el.get("id", "")),
                text=str(el.get("commentary") or ""),
                url=f"https://www.linkedin.com/feed/update/{el.get('id', '')}/",
                created_at=_from_millis(el.get("publishedAt") or el.get("createdAt")),
            )
            for el in elements
            if isinstance(el, dict)
        ]


def _from_millis(value: object) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    return None
