"""The ``mastodon`` channel: any Mastodon instance through Mastodon.py.

``status_post`` with the post text, its language, an uploaded image when the
post has one, and an ``Idempotency-Key`` header: Mastodon remembers the key
for about an hour and answers a repeated request with the status it already
created, so a retry after a timeout cannot post twice. The channel is
therefore ``idempotent``. Thread follow-ups are replies, each with its own
derived key.

Mastodon.py is built so that construction makes no request
(``version_check_mode="none"``) and rate limits raise instead of sleeping
(``ratelimit_method="throw"``); the job layer decides about waiting. A
response hook on the requests session keeps the last answer's headers so a
429's ``Retry-After`` reaches :class:`~embedkit._errors.ChannelError`.

Variables: ``EMBEDKIT_MASTODON_URL`` (the instance, e.g.
``https://mastodon.social``), ``EMBEDKIT_MASTODON_TOKEN`` (an application
token with ``write:statuses``, ``write:media``, ``read:accounts``,
``read:statuses``).
"""

from __future__ import annotations

import html
import io
import re
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonRatelimitError,
)

from embedkit._errors import ChannelError, ConfigError
from embedkit._redaction import get_logger
from embedkit.net._http import DEFAULT_USER_AGENT, HttpClient, parse_retry_after
from embedkit.net._sent import was_sent
from embedkit.syndicate._models import Post, Published, RemotePost
from embedkit.syndicate.channels._base import classify_http_error, redact, require_env
from embedkit.syndicate.channels._media import post_image

__all__ = ["ENV_TOKEN", "ENV_URL", "MAX_IMAGE_BYTES", "MastodonChannel", "html_to_text"]

ENV_URL = "EMBEDKIT_MASTODON_URL"
ENV_TOKEN = "EMBEDKIT_MASTODON_TOKEN"
MAX_IMAGE_BYTES = 16 * 1024 * 1024

log = get_logger(__name__)

_TAG = re.compile(r"<[^>]+>")


def html_to_text(content: str) -> str:
    """Plain text of a status's HTML ``content`` (paragraphs → blank lines).

    >>> html_to_text("<p>Hello &amp; <a href='x'>bye</a></p><p>two<br />lines</p>")
    'Hello & bye\\n\\ntwo\\nlines'
    """
    text = re.sub(r"</p>\s*<p[^>]*>", "\n\n", content, flags=re.IGNORECASE)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    return html.unescape(_TAG.sub("", text)).strip()


class MastodonChannel:
    """Post to one Mastodon account."""

    name = "mastodon"
    idempotent = True

    def __init__(
        self,
        api_base_url: str,
        access_token: str,
        *,
        timeout: float = 10.0,
        session: requests.Session | None = None,
        http: HttpClient | None = None,
    ) -> None:
        if not api_base_url.startswith(("http://", "https://")):
            raise ConfigError(f"{ENV_URL} must be an http(s) URL, not {api_base_url!r}")
        self.api_base_url = api_base_url.rstrip("/")
        self.timeout = timeout
        self._token = access_token
        self._http = http
        self._last_headers: Mapping[str, str] = {}
        self._owns_session = session is None
        self._session = session or requests.Session()
        self._session.hooks.setdefault("response", []).append(self._remember)
        self._api = Mastodon(
            access_token=access_token,
            api_base_url=self.api_base_url,
            request_timeout=timeout,
            ratelimit_method="throw",
            version_check_mode="none",
            session=self._session,
            user_agent=DEFAULT_USER_AGENT,
        )

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], *, timeout: float = 10.0, **seams: Any
    ) -> MastodonChannel:
        """Build from ``EMBEDKIT_MASTODON_URL`` and ``EMBEDKIT_MASTODON_TOKEN``."""
        found = require_env("mastodon", env, [ENV_URL, ENV_TOKEN])
        return cls(found[ENV_URL], found[ENV_TOKEN], timeout=timeout, **seams)

    def __repr__(self) -> str:
        return f"MastodonChannel(api_base_url={self.api_base_url!r}, access_token='***')"

    def close(self) -> None:
        """Close the HTTP session, unless the caller passed in their own."""
        if self._owns_session:
            self._session.close()

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last_headers = dict(response.headers)

    # -- publishing -----------------------------------------------------------------

    def publish(self, post: Post, *, idempotency_key: str) -> Published:
        """Post the status (and its thread replies); return its id and URL."""
        media_ids = self._upload(post)
        try:
            status = self._api.status_post(
                post.text,
                idempotency_key=idempotency_key,
                language=post.lang,
                media_ids=media_ids or None,
                visibility="public",
            )
        except MastodonError as exc:
            raise self._error(exc, sent_means_ambiguous=True) from exc
        extra = {"uri": str(status.get("uri") or "")}
        parent = status["id"]
        for index, part in enumerate(post.thread, start=1):
            try:
                reply = self._api.status_post(
                    part,
                    in_reply_to_id=parent,
                    idempotency_key=f"{idempotency_key}-{index}",
                    language=post.lang,
                    visibility="public",
                )
            except MastodonError as exc:
                problem = self._error(exc, sent_means_ambiguous=True)
                log.warning("mastodon: thread reply %d of %s failed: %s", index, parent, problem)
                extra["thread_error"] = f"reply {index}: {problem}"
                break
            parent = reply["id"]
        return Published(id=str(status["id"]), url=status.get("url"), extra=extra)

    def _upload(self, post: Post) -> list[str]:
        image = post_image(
            post, "mastodon", max_bytes=MAX_IMAGE_BYTES, timeout=self.timeout, http=self._http
        )
        if image is None:
            return []
        try:
            media = self._api.media_post(
                io.BytesIO(image.data),
                mime_type=image.mime,
                file_name=image.name,
                description=post.card.title if post.card else None,
            )
        except MastodonError as exc:  # nothing is posted yet: never ambiguous
            raise self._error(exc, sent_means_ambiguous=False) from exc
        return [str(media["id"])]

    # -- reading back -------------------------------------------------------------

    def recent(self, limit: int = 40) -> list[RemotePost]:
        """The account's latest statuses (at most 40), newest first."""
        try:
            me = self._api.account_verify_credentials()
            statuses = self._api.account_statuses(
                me["id"], limit=max(1, min(limit, 40)), exclude_reblogs=True
            )
        except MastodonError as exc:
            raise self._error(exc, sent_means_ambiguous=False) from exc
        return [
            RemotePost(
                id=str(s["id"]),
                text=html_to_text(str(s.get("content") or "")),
                url=s.get("url"),
                created_at=s.get("created_at")
                if isinstance(s.get("created_at"), datetime)
                else None,
            )
            for s in statuses
        ]

    def max_characters(self) -> int | None:
        """The instance's status length limit, or None when it cannot be read."""
        try:
            info = self._api.instance()
            return int(info["configuration"]["statuses"]["max_characters"])
        except (MastodonError, KeyError, TypeError, ValueError):
            return None

    # -- errors ---------------------------------------------------------------------

    def _error(self, exc: MastodonError, *, sent_means_ambiguous: bool) -> ChannelError:
        """Translate a Mastodon.py exception into a classified ChannelError."""
        if isinstance(exc, MastodonRatelimitError):
            retry_after = parse_retry_after(self._last_headers.get("Retry-After"), now=time.time())
            if retry_after is None:
                retry_after = _reset_delay(self._last_headers.get("X-RateLimit-Reset"))
            return classify_http_error(
                429, sent=True, retry_after=retry_after, reason="mastodon: rate limited"
            )
        if isinstance(exc, MastodonNetworkError):
            sent = was_sent(exc.__cause__ or exc.__context__) and sent_means_ambiguous
            reason = redact(f"mastodon: {_cause_name(exc)}", [self._token])
            return classify_http_error(None, sent=sent, reason=reason)
        if isinstance(exc, MastodonAPIError):
            status = exc.args[1] if len(exc.args) > 1 else None
            if isinstance(status, int):
                detail = exc.args[3] if len(exc.args) > 3 and exc.args[3] else exc.args[2]
                retry_after = parse_retry_after(
                    self._last_headers.get("Retry-After"), now=time.time()
                )
                return classify_http_error(
                    status,
                    sent=True,
                    retry_after=retry_after,
                    reason=redact(f"mastodon: {detail}", [self._token]),
                )
            # a 2xx whose body could not be read: the status probably exists
            return ChannelError(
                "mastodon: the answer could not be read (the post may have been published)",
                retryable=True,
                ambiguous=sent_means_ambiguous,
            )
        return ChannelError(redact(f"mastodon: {exc}", [self._token]))


def _cause_name(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, requests.exceptions.Timeout):
        return "timed out"
    if cause is not None:
        return f"network error ({type(cause).__name__})"
    return "network error"


def _reset_delay(value: str | None) -> float | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, when.timestamp() - time.time())
