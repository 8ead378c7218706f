"""Reading a ``requests`` exception: had the request left before it failed?

Used by the channels whose client library runs on requests (tweepy, Mastodon.py).
A refused connection or a connect timeout means nothing was sent (a retry is
safe); a read timeout or a connection cut while waiting means the platform
may have accepted the request (a retry could post twice).
"""

from __future__ import annotations

import requests
import urllib3.exceptions

__all__ = ["was_sent"]


def was_sent(exc: BaseException | None) -> bool:
    """Whether the request may have reached the server before ``exc`` happened.

    >>> was_sent(requests.exceptions.ConnectTimeout("connect timed out"))
    False
    >>> was_sent(requests.exceptions.ReadTimeout("read timed out"))
    True
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError):
        inner = exc.args[0] if exc.args else None
        reason = getattr(inner, "reason", inner)
        if isinstance(
            reason,
            urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError,
        ):
            return False
    return not isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema)
