"""What the endpoints answer, as pure functions: query parameters in, oEmbed JSON and
caching headers out.

Everything a provider sent is untrusted: only the documented oEmbed fields are
copied, strings as strings, sizes as integers, URLs only when they are http(s).
The ``html`` is always the resolver's (sanitized embed or static fallback), plus
script tags from the fixed allowlist the embed names.

>>> cache_control("cached", expires_at=1060.0, now=1000.0)
(60, 'public, max-age=60')
>>> cache_control("fallback", expires_at=None, now=1000.0)
(60, 'public, max-age=60')
>>> etag_matches('"abc"', 'W/"xyz", "abc"')
True
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from embedkit._models import Embed

__all__ = [
    "FALLBACK_MAX_AGE",
    "BadParameter",
    "cache_control",
    "embed_params",
    "etag_for",
    "etag_matches",
    "oembed_response",
]

#: How long a CDN may keep a stale answer or a fallback before asking again (seconds).
FALLBACK_MAX_AGE = 60
#: The largest maxwidth/maxheight accepted (pixels).
MAX_DIMENSION = 4096

_BOOL = {"1": "true", "true": "true", "yes": "true", "0": "false", "false": "false", "no": "false"}
_CHOICES = {"theme": ("light", "dark"), "align": ("left", "right", "center", "none")}
_FLAGS = ("dnt", "omit_script", "hide_thread", "hide_media")
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
_TEXT_FIELDS = ("title", "author_name", "provider_name")
_URL_FIELDS = ("author_url", "provider_url", "thumbnail_url")
_MAX_TEXT = 2000


class BadParameter(ValueError):
    """A query parameter that cannot be used; the message names it (for a 400)."""


def _dimension(name: str, raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DIMENSION:
        raise BadParameter(f"{name} must be a whole number of pixels from 1 to {MAX_DIMENSION}")
    return int(raw)


def embed_params(query: Mapping[str, str]) -> dict[str, Any]:
    """The embed parameters of a request (``maxwidth``, ``maxheight`` and X's options).

    Every value is checked against a closed set, because each distinct value is
    a distinct cache entry and a distinct upstream request. Unknown parameters
    are ignored, as oEmbed consumers send their own.

    >>> embed_params({"maxwidth": "550", "dnt": "1", "theme": "dark", "_wpnonce": "x"})
    {'maxwidth': 550, 'dnt': 'true', 'theme': 'dark'}
    """
    params: dict[str, Any] = {}
    for name in ("maxwidth", "maxheight"):
        if query.get(name):
            params[name] = _dimension(name, query[name])
    for flag in _FLAGS:
        if query.get(flag):
            value = _BOOL.get(query[flag].lower())
            if value is None:
                raise BadParameter(f"{flag} must be true or false")
            params[flag] = value
    for name, choices in _CHOICES.items():
        if query.get(name):
            if query[name] not in choices:
                raise BadParameter(f"{name} must be one of {', '.join(choices)}")
            params[name] = query[name]
    if query.get("lang"):
        if not _LANG.match(query["lang"]):
            raise BadParameter("lang must be a language code such as ja or pt-BR")
        params["lang"] = query["lang"]
    return params


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= 100_000 else None
    if isinstance(value, float) and value.is_integer():
        return _int(int(value))
    if isinstance(value, str) and value.strip().isdigit():
        return _int(int(value.strip()))
    return None


def _http_url(value: object) -> str | None:
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def cache_control(status: str, *, expires_at: float | None, now: float) -> tuple[int, str]:
    """``(max_age, Cache-Control header)`` from an embed's freshness.

    A fresh or cached embed (or a tombstone) may be kept until its entry
    expires; a stale answer or a fallback only :data:`FALLBACK_MAX_AGE`
    seconds, so the next ask after an outage reaches the provider again.
    """
    if status in ("fresh", "cached", "gone") and expires_at is not None:
        max_age = max(0, int(expires_at - now))
    else:
        max_age = FALLBACK_MAX_AGE
    return max_age, f"public, max-age={max_age}"


def oembed_response(
    embed: Embed, html: str, *, max_age: int, maxwidth: int | None, maxheight: int | None
) -> dict[str, Any]:
    """The oEmbed 1.0 JSON object for ``embed``, with ``html`` as its markup.

    ``type`` is ``video`` when the provider said so, else ``rich`` (the html is
    always embedkit's markup, so ``photo`` and ``link`` answers become ``rich``).
    ``width``/``height`` are the provider's, bounded by ``maxwidth``/``maxheight``,
    or ``null`` when unknown. embedkit adds ``url`` (the canonical URL),
    ``embedkit_status`` and ``embedkit_scripts`` (the allowlisted scripts ``html``
    needs, already included as tags unless ``omit_script`` was asked for).
    """
    data = embed.data
    width = _int(data.get("width"))
    height = _int(data.get("height"))
    if width is None:
        width = maxwidth
    if maxwidth is not None and width is not None:
        width = min(width, maxwidth)
    if maxheight is not None and height is not None:
        height = min(height, maxheight)
    answer: dict[str, Any] = {
        "version": "1.0",
        "type": "video" if data.get("type") == "video" else "rich",
        "html": html,
        "width": width,
        "height": height,
    }
    for name in _TEXT_FIELDS:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            answer[name] = value.strip()[:_MAX_TEXT]
    if "provider_name" not in answer and embed.provider:
        answer["provider_name"] = embed.provider
    for name in _URL_FIELDS:
        url = _http_url(data.get(name))
        if url is not None:
            answer[name] = url
    if "thumbnail_url" in answer:
        for name in ("thumbnail_width", "thumbnail_height"):
            size = _int(data.get(name))
            if size is not None:
                answer[name] = size
    answer["cache_age"] = max_age
    answer["url"] = embed.url
    answer["embedkit_status"] = embed.status
    answer["embedkit_scripts"] = list(embed.scripts)
    return answer


def etag_for(body: bytes) -> str:
    """A strong ETag for a response body."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def etag_matches(etag: str, if_none_match: str | None) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, as RFC 9110 asks)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))
