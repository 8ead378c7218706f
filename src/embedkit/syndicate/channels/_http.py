"""The httpx plumbing shared by the HTTP-API channels (Threads, LinkedIn, Telegram, webhooks).

:func:`send` makes one request and turns every failure into a classified
:class:`~embedkit._errors.ChannelError` whose message carries the platform's
error text but no secret. Exceptions are not chained (``from None``) because
httpx errors hold the request, and the request holds the URL.

:class:`SecretURLTransport` keeps secret URLs (a Telegram bot token in the
path, a whole webhook URL) out of everything httpx logs or raises: the channel
builds requests against a harmless public URL, and the transport swaps in the
secret one just before the bytes go out.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import httpx

from embedkit._errors import ChannelError
from embedkit.net._http import DEFAULT_USER_AGENT, parse_retry_after
from embedkit.net._sent import was_sent
from embedkit.syndicate.channels._base import classify_http_error, redact, truncate_reason

__all__ = [
    "SecretURLTransport",
    "error_text",
    "json_body",
    "make_client",
    "send",
]


class SecretURLTransport(httpx.BaseTransport):
    """Rewrite requests for ``public`` to ``secret`` (same suffix) before sending.

    A query in the suffix is merged with one already in ``secret``.
    """

    def __init__(self, inner: httpx.BaseTransport, *, public: str, secret: str) -> None:
        self._inner = inner
        self._public = public
        self._secret = secret

    def __repr__(self) -> str:
        return f"SecretURLTransport(public={self._public!r})"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url.startswith(self._public):
            rest = url[len(self._public) :]
            if rest.startswith("?") and "?" in self._secret:
                rest = "&" + rest[1:]
            request.read()
            headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "host"]
            request = httpx.Request(
                request.method,
                self._secret + rest,
                headers=headers,
                content=request.content,
                extensions=request.extensions,
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def make_client(
    *,
    timeout: float,
    transport: httpx.BaseTransport | None = None,
    client: httpx.Client | None = None,
    public: str | None = None,
    secret: str | None = None,
) -> httpx.Client:
    """The channel's one ``httpx.Client``: the given one, or a new one over ``transport``.

    With ``public``/``secret``, a new client's transport is wrapped in
    :class:`SecretURLTransport` (a client passed in is used as it is).
    """
    if client is not None:
        return client
    inner = transport if transport is not None else httpx.HTTPTransport()
    if public is not None and secret is not None:
        inner = SecretURLTransport(inner, public=public, secret=secret)
    return httpx.Client(
        transport=inner,
        timeout=timeout,
        headers={"User-Agent": DEFAULT_USER_AGENT},
        follow_redirects=False,
    )


def error_text(response: httpx.Response) -> str:
    """The platform's own words about a failed request, from JSON or text."""
    try:
        data: Any = response.json()
    except (ValueError, UnicodeDecodeError):
        return truncate_reason(response.text) if response.content else response.reason_phrase
    parts: list[str] = []
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):  # Graph API: {"error": {"message", "type", "code"}}
            parts.append(str(err.get("message") or err.get("type") or json.dumps(err)))
        elif err:
            parts.append(str(err))
        for key in ("message", "description", "error_description", "detail"):
            if data.get(key) and str(data[key]) not in parts:
                parts.append(str(data[key]))
    if not parts:
        parts.append(json.dumps(data, ensure_ascii=False))
    return truncate_reason("; ".join(parts))


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    channel: str,
    secrets: Iterable[str | None] = (),
    **kwargs: Any,
) -> httpx.Response:
    """Make one request; return a 2xx/3xx response or raise a classified ChannelError."""
    hidden = list(secrets)
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TransportError as exc:  # a read timeout or a cut connection: maybe accepted
        reason = redact(f"{channel}: {type(exc).__name__}: {exc}", hidden)
        raise classify_http_error(None, sent=was_sent(exc), reason=reason) from None
    if response.status_code >= 400:
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=time.time())
        if retry_after is None:
            retry_after = _body_retry_after(response)
        reason = redact(f"{channel}: {error_text(response)}", hidden)
        raise classify_http_error(
            response.status_code, sent=True, retry_after=retry_after, reason=reason
        ) from None
    return response


def _body_retry_after(response: httpx.Response) -> float | None:
    """Retry-After from the body (Telegram ``parameters.retry_after``, Discord ``retry_after``)."""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    params = data.get("parameters")
    value = params.get("retry_after") if isinstance(params, dict) else data.get("retry_after")
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def json_body(response: httpx.Response, *, channel: str) -> dict[str, Any]:
    """The response body as a JSON object, or a ChannelError saying it was not one.

    A 2xx whose body is unreadable means the platform probably accepted the post,
    so the error is ambiguous.
    """
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise ChannelError(
            f"{channel}: HTTP {response.status_code} but the answer is not a JSON object "
            "(the post may have been published)",
            status=response.status_code,
            retryable=True,
            ambiguous=True,
        )
    return data
