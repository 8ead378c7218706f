"""The ``x`` channel: posts on X (Twitter) through tweepy, OAuth 1.0a user context.

``tweepy.Client.create_tweet`` (API v2 ``POST /2/tweets``) with the post text;
an image is uploaded first through the v1.1 media endpoint
(``tweepy.API.simple_upload`` on ``upload.twitter.com``) and attached by id;
thread parts are a reply chain (``in_reply_to_tweet_id``). X has no
idempotency key, so the channel is not idempotent: after a timeout the job
layer marks the row ``unknown`` and reconciles with :meth:`XChannel.recent`
instead of posting again.

tweepy's ``Client`` sets no timeout of its own; the channel gives it a
requests session that applies ``timeout`` to every request.

Variables (from the app's "Keys and tokens" page, with Read and Write
permission): ``EMBEDKIT_X_API_KEY``, ``EMBEDKIT_X_API_SECRET``,
``EMBEDKIT_X_ACCESS_TOKEN``, ``EMBEDKIT_X_ACCESS_SECRET``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests
import tweepy

from embedkit._errors import ChannelError
from embedkit._redaction import get_logger
from embedkit.net._http import HttpClient, parse_retry_after
from embedkit.net._sent import was_sent
from embedkit.syndicate._models import Post, Published, RemotePost
from embedkit.syndicate.channels._base import classify_http_error, redact, require_env
from embedkit.syndicate.channels._media import post_image

__all__ = [
    "ENV_ACCESS_SECRET",
    "ENV_ACCESS_TOKEN",
    "ENV_API_KEY",
    "ENV_API_SECRET",
    "MAX_IMAGE_BYTES",
    "XChannel",
]

ENV_API_KEY = "EMBEDKIT_X_API_KEY"
ENV_API_SECRET = "EMBEDKIT_X_API_SECRET"
ENV_ACCESS_TOKEN = "EMBEDKIT_X_ACCESS_TOKEN"
ENV_ACCESS_SECRET = "EMBEDKIT_X_ACCESS_SECRET"
MAX_IMAGE_BYTES = 5 * 1024 * 1024

log = get_logger(__name__)


class _TimeoutSession(requests.Session):
    """A requests session that applies a default timeout to every request."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, *args, **kwargs)


class XChannel:
    """Post to one X account."""

    name = "x"
    idempotent = False

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        access_token: str,
        access_secret: str,
        *,
        timeout: float = 10.0,
        session: requests.Session | None = None,
        http: HttpClient | None = None,
    ) -> None:
        self.timeout = timeout
        self._secrets = (api_key, api_secret, access_token, access_secret)
        self._http = http
        self._client = tweepy.Client(
            consumer_key=api_key,
            consumer_secret=api_secret,
            access_token=access_token,
            access_token_secret=access_secret,
        )
        self._client.session = session or _TimeoutSession(timeout)
        auth = tweepy.OAuth1UserHandler(api_key, api_secret, access_token, access_secret)
        self._api = tweepy.API(auth, timeout=timeout, retry_count=0)
        if session is not None:
            self._api.session = session

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, timeout: float = 10.0, **seams: Any) -> XChannel:
        """Build from the four ``EMBEDKIT_X_*`` variables."""
        names = [ENV_API_KEY, ENV_API_SECRET, ENV_ACCESS_TOKEN, ENV_ACCESS_SECRET]
        found = require_env("x", env, names)
        return cls(*(found[n] for n in names), timeout=timeout, **seams)

    def __repr__(self) -> str:
        return "XChannel(api_key='***', access_token='***')"

    def close(self) -> None:
        """Close the HTTP sessions."""
        self._client.session.close()
        self._api.session.close()

    # -- publishing -----------------------------------------------------------------

    def publish(self, post: Post, *, idempotency_key: str) -> Published:
        """Post the tweet (and its reply chain); return its id and URL."""
        media_ids = self._upload(post)
        try:
            response = self._client.create_tweet(text=post.text, media_ids=media_ids or None)
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise self._error(exc, may_have_posted=True) from None
        tweet_id = str(_data(response).get("id") or "")
        if not tweet_id:
            raise ChannelError(
                "x: the answer to create_tweet has no id (the post may exist)",
                retryable=True,
                ambiguous=True,
            )
        extra: dict[str, str] = {}
        parent = tweet_id
        for index, part in enumerate(post.thread, start=1):
            try:
                reply = self._client.create_tweet(text=part, in_reply_to_tweet_id=parent)
            except (tweepy.TweepyException, requests.RequestException) as exc:
                problem = self._error(exc, may_have_posted=True)
                log.warning("x: thread reply %d to %s failed: %s", index, parent, problem)
                extra["thread_error"] = f"reply {index}: {problem}"
                break
            parent = str(_data(reply).get("id") or parent)
        return Published(id=tweet_id, url=f"https://x.com/i/web/status/{tweet_id}", extra=extra)

    def _upload(self, post: Post) -> list[str]:
        image = post_image(
            post, "x", max_bytes=MAX_IMAGE_BYTES, timeout=self.timeout, http=self._http
        )
        if image is None:
            return []
        try:
            media = self._api.simple_upload(image.name, file=io.BytesIO(image.data))
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise self._error(exc, may_have_posted=False) from None
        return [str(media.media_id_string)]

    # -- reading back -------------------------------------------------------------

    def recent(self, limit: int = 40) -> list[RemotePost]:
        """The account's latest posts (``GET /2/users/:id/tweets``), newest first."""
        try:
            me = self._client.get_me(user_auth=True).data
            user_id = getattr(me, "id", None)
            if user_id is None:
                raise ChannelError("x: get_me answered without the account id")
            response = self._client.get_users_tweets(
                user_id,
                user_auth=True,
                max_results=max(5, min(limit, 100)),
                tweet_fields=["created_at"],
            )
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise self._error(exc, may_have_posted=False) from None
        username = getattr(me, "username", None) or "i/web"
        return [
            RemotePost(
                id=str(t.id),
                text=str(t.text),
                url=f"https://x.com/{username}/status/{t.id}",
                created_at=t.created_at if isinstance(t.created_at, datetime) else None,
            )
            for t in (response.data or [])
        ][:limit]

    # -- errors ---------------------------------------------------------------------

    def _error(self, exc: BaseException, *, may_have_posted: bool) -> ChannelError:
        """Translate a tweepy or requests exception into a classified ChannelError."""
        if isinstance(exc, tweepy.HTTPException):
            response = exc.response
            status = int(getattr(response, "status_code", 0) or 0) or None
            words = "; ".join(str(m) for m in exc.api_messages) or str(exc)
            if status == 403 and "duplicate" in words.lower():
                words += " (X already has this text: an earlier attempt was probably posted)"
            retry_after = None
            if isinstance(exc, tweepy.TooManyRequests):
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"), now=time.time()
                )
                if retry_after is None and exc.reset_time is not None:
                    retry_after = max(0.0, float(exc.reset_time) - time.time())
            return classify_http_error(
                status, sent=True, retry_after=retry_after, reason=self._clean(f"x: {words}")
            )
        if isinstance(exc, requests.RequestException):
            sent = may_have_posted and was_sent(exc)
            return classify_http_error(None, sent=sent, reason=f"x: {type(exc).__name__}")
        # tweepy.API wraps network failures: "Failed to send request: ..."
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, requests.RequestException):
            sent = may_have_posted and was_sent(cause)
            return classify_http_error(None, sent=sent, reason=f"x: {type(cause).__name__}")
        return ChannelError(self._clean(f"x: {exc}"))

    def _clean(self, text: str) -> str:
        return redact(text, self._secrets)


def _data(response: Any) -> dict[str, Any]:
    data = getattr(response, "data", None)
    return data if isinstance(data, dict) else {}
