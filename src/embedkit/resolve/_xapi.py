"""The X API as a fallback source: an X post's text, author and date via tweepy.

When an X post has no cached snapshot (it was never fetched, or the oEmbed endpoint
is down) and the publisher set ``EMBEDKIT_X_BEARER_TOKEN``, the resolver asks the
v2 API once and caches the answer like a snapshot. This is I/O, so it lives on the
resolving side; the presentation layer only ever sees the
:class:`~embedkit.present.PostSnapshot` it returns.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from embedkit._models import Ref
from embedkit._redaction import get_logger
from embedkit.present._snapshot import PostSnapshot

__all__ = ["from_x_api"]

log = get_logger(__name__)


_STATUS = re.compile(r"/status(?:es)?/([0-9]{1,20})(?:/|$)")


def _clean(text: str | None) -> str | None:
    if not text:
        return None
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line) or None


def from_x_api(ref: Ref, bearer_token: str, *, timeout: float = 5.0) -> PostSnapshot | None:
    """Fetch an X post's text, author and date with the v2 API (tweepy).

    Any failure — no id, network error, 4xx/5xx, a deleted post, an unexpected
    shape — returns None: the next fallback source takes over. The token is never
    logged or put in a message (tweepy's own debug log lines are redacted).
    """
    import requests
    import tweepy

    found = _STATUS.search(ref.url)
    post_id = ref.post_id or (found.group(1) if found else None)
    if not post_id or not post_id.isdigit() or not bearer_token:
        return None
    get_logger("tweepy.client")  # its debug lines carry the Bearer header: masked

    class _TimeoutSession(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> requests.Response:
            kwargs.setdefault("timeout", timeout)
            return super().request(*args, **kwargs)

    try:
        client = tweepy.Client(bearer_token=bearer_token)
        client.session = _TimeoutSession()
        response = client.get_tweet(
            post_id,
            expansions=["author_id"],
            tweet_fields=["created_at"],
            user_fields=["username", "name"],
        )
        tweet = response.data
        if tweet is None:
            return None
        users = response.includes.get("users", []) if response.includes else []
        author = next((u for u in users if str(u.id) == str(tweet.author_id)), None)
        created = tweet.created_at
        if isinstance(created, datetime.datetime) and created.tzinfo is not None:
            created = created.astimezone(datetime.UTC)
        handle = author.username if author is not None else None
        return PostSnapshot(
            url=ref.url,
            provider="Twitter",
            layout="post",
            text=_clean(tweet.text),
            author_name=author.name if author is not None else None,
            handle=handle,
            author_url=f"https://x.com/{handle}" if handle else None,
            published=created,
            source="x_api",
        )
    except Exception as exc:  # any failure falls through to the next source
        message = str(exc).replace(bearer_token, "[redacted]")
        log.warning("X API lookup for post %s failed: %s: %s", post_id, type(exc).__name__, message)
        return None
