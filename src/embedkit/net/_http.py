"""The hardened HTTP client every embedkit fetch goes through.

:class:`HttpClient` wraps one :class:`httpx.Client` (so connections are kept
alive and reused) and adds what fetching author-steerable URLs needs:

- a connect/read ``timeout`` and a total ``deadline`` per request, redirects
  included (both raise :class:`~embedkit._errors.Timeout`);
- a response-size cap, enforced while streaming (``max_bytes``);
- redirects followed by hand, at most ``max_redirects``, loops detected;
- the network guard (:mod:`embedkit.net._netguard`) on every URL that an author can
  steer, and on every redirect hop. The addresses that were checked are the
  ones connected to: the default transport resolves through the same DNS seam
  and pins the connection to the checked addresses, so a second DNS answer
  cannot smuggle in a private address (DNS rebinding).

Status codes are not errors for :meth:`HttpClient.get`; :func:`raise_for_status`
turns them into the typed errors of :mod:`embedkit._errors`.

Example::

    with HttpClient(timeout=3.0) as http:
        response = http.get("https://publish.twitter.com/oembed?url=...", trusted=True)
        raise_for_status(response)
        data = response.json()
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from embedkit._errors import (
    BlockedAddress,
    ConnectionFailed,
    FetchError,
    Forbidden,
    InvalidResponse,
    NotFound,
    ProviderError,
    RateLimited,
    Timeout,
)
from embedkit._version import __version__
from embedkit.net._netguard import DnsResolver, check_host, normalize_host, system_dns
from embedkit.net._transport import CURRENT_PERMIT, GuardedTransport, Permit

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_USER_AGENT",
    "SECRET_PARAMS",
    "GuardedTransport",
    "HttpClient",
    "HttpResponse",
    "parse_retry_after",
    "raise_for_status",
    "redact_url",
]

DEFAULT_USER_AGENT = f"embedkit/{__version__} (+https://pypi.org/project/embedkit/)"
DEFAULT_MAX_BYTES = 1_048_576
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Query parameters whose values never appear in messages (compared case-insensitively).
SECRET_PARAMS = frozenset(
    {"access_token", "token", "key", "api_key", "apikey", "secret", "client_secret", "password"}
)
_SECRET_QUERY = re.compile(
    r"(?P<lead>(?:^|[?&;]))(?P<name>[^=&;#]*)=(?P<value>[^&;#]*)",
)
_USERINFO = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@?#]*@")
_SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


def redact_url(url: str) -> str:
    """Replace secret query values (and any user:password) in ``url`` with ``***``.

    >>> redact_url("https://graph.facebook.com/oembed_post?url=x&access_token=abc|123")
    'https://graph.facebook.com/oembed_post?url=x&access_token=***'
    """

    def hide(match: re.Match[str]) -> str:
        name = match.group("name")
        if name.lower() in SECRET_PARAMS:
            return f"{match.group('lead')}{name}=***"
        return match.group(0)

    url = _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", str(url))
    base, sep, rest = url.partition("?")
    if not sep:
        return url
    query, hash_sep, fragment = rest.partition("#")
    return f"{base}?{_SECRET_QUERY.sub(hide, query)}{hash_sep}{fragment}"


@dataclass(frozen=True)
class HttpResponse:
    """A fully read response: final URL, status, headers and (capped) body.

    ``truncated`` is True when the body was cut at the size cap because the
    caller asked for a prefix (``get(..., truncate=True)``).
    """

    url: str
    status: int
    headers: httpx.Headers
    content: bytes
    truncated: bool = field(default=False)

    def __repr__(self) -> str:
        return (
            f"HttpResponse(url={redact_url(self.url)!r}, status={self.status}, "
            f"bytes={len(self.content)}, truncated={self.truncated})"
        )

    @property
    def charset(self) -> str | None:
        """The ``charset`` of the Content-Type header, if any."""
        _mime, params = _content_type(self.headers.get("content-type", ""))
        return params.get("charset")

    @property
    def mime_type(self) -> str:
        """The media type of the Content-Type header, lower-cased ("" if none)."""
        return _content_type(self.headers.get("content-type", ""))[0]

    def text(self) -> str:
        """The body decoded by its declared charset; UTF-8 with replacement otherwise."""
        charset = self.charset
        if charset:
            try:
                return self.content.decode(charset, errors="replace")
            except LookupError:
                pass
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; :class:`InvalidResponse` if it is not JSON."""
        try:
            if self.charset and self.charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
                return json.loads(self.text())
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidResponse(
                f"response from {redact_url(self.url)} is not valid JSON ({exc})",
                url=redact_url(self.url),
                status=self.status,
            ) from None


def _content_type(value: str) -> tuple[str, dict[str, str]]:
    mime, *params = value.split(";")
    found: dict[str, str] = {}
    for param in params:
        name, sep, val = param.partition("=")
        if sep:
            found[name.strip().lower()] = val.strip().strip('"')
    return mime.strip().lower(), found


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delay-seconds or an HTTP-date.

    ``now`` is the current wall-clock time (epoch seconds) that an HTTP-date is
    measured from. Dates in the past give ``0.0``; unreadable values ``None``.

    >>> parse_retry_after("120", now=0)
    120.0
    >>> parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", now=30)
    30.0
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


def raise_for_status(response: HttpResponse, *, now: Callable[[], float] = time.time) -> None:
    """Raise the typed error for an unsuccessful status; return for 2xx/3xx.

    404/410 → :class:`NotFound`, 401/403 → :class:`Forbidden`, 429 →
    :class:`RateLimited` (with ``retry_after`` from the header, HTTP-dates
    measured from ``now()``), 5xx → :class:`ProviderError`, other 4xx →
    :class:`InvalidResponse`. Every error carries the redacted URL and status.
    """
    status = response.status
    if status < 400:
        return
    url = redact_url(response.url)
    reason = httpx.codes.get_reason_phrase(status) or "error"
    message = f"HTTP {status} {reason} from {url}"
    if status in (404, 410):
        raise NotFound(message, url=url, status=status)
    if status in (401, 403):
        raise Forbidden(message, url=url, status=status)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=now())
        if retry_after is not None:
            message += f" (retry after {retry_after:g} s)"
        raise RateLimited(message, url=url, status=status, retry_after=retry_after)
    if status >= 500:
        raise ProviderError(message, url=url, status=status)
    raise InvalidResponse(message, url=url, status=status)


def _size(limit: int) -> str:
    """A byte count for people: "1 MiB", "512 KiB", "1000 bytes"."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if limit >= factor and limit % factor == 0:
            return f"{limit // factor} {unit}"
    return f"{limit} bytes"


# -- the client ----------------------------------------------------------------------


class HttpClient:
    """The one hardened HTTP client: timeouts, deadline, size cap, redirects, guard.

    ``trusted=True`` on :meth:`get` says the first URL came from configuration
    (a provider endpoint), so its host is not guard-checked; every redirect hop
    is, unless ``allow_private_networks``. ``transport`` replaces the default
    :class:`GuardedTransport` (tests pass :class:`httpx.MockTransport`); with a
    custom transport the guard still checks each URL before the request, but
    cannot pin the connection to the checked address. ``clock`` measures the
    deadline.
    """

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        deadline: float | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = 3,
        allow_private_networks: bool = False,
        transport: httpx.BaseTransport | None = None,
        dns: DnsResolver = system_dns,
        user_agent: str = DEFAULT_USER_AGENT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be greater than 0, not {timeout!r}")
        self.timeout = float(timeout)
        self.deadline = float(deadline) if deadline is not None else 2 * self.timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.allow_private_networks = allow_private_networks
        self.dns = dns
        self.user_agent = user_agent
        self.clock = clock
        self._client = httpx.Client(
            transport=transport or GuardedTransport(dns=dns, guard=not allow_private_networks),
            follow_redirects=False,
            trust_env=False,
            timeout=self.timeout,
            headers={"User-Agent": user_agent},
        )

    def __repr__(self) -> str:
        return (
            f"HttpClient(timeout={self.timeout}, deadline={self.deadline}, "
            f"max_bytes={self.max_bytes}, max_redirects={self.max_redirects}, "
            f"allow_private_networks={self.allow_private_networks})"
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        trusted: bool = False,
        max_bytes: int | None = None,
        truncate: bool = False,
    ) -> HttpResponse:
        """GET ``url``, following redirects, and read the body under the cap.

        ``max_bytes`` overrides the client's cap for this request. A body over
        the cap raises :class:`InvalidResponse` naming the limit, unless
        ``truncate=True``: then the first ``max_bytes`` bytes are returned with
        ``truncated=True`` (for reading the head of a page). Raises
        :class:`Timeout`, :class:`ConnectionFailed`, :class:`BlockedAddress` or
        :class:`InvalidResponse` (redirect trouble); never for a status code.
        """
        cap = self.max_bytes if max_bytes is None else max_bytes
        ends_at = self.clock() + self.deadline
        seen: set[str] = set()
        current = self._parse(url, first=True)
        request_headers = dict(headers or {})
        hops = 0
        while True:
            guarded = not self.allow_private_networks and not (trusted and hops == 0)
            remaining = ends_at - self.clock()
            if remaining <= 0:
                raise Timeout(
                    f"gave up on {redact_url(url)} after the {self.deadline:g} s deadline",
                    url=redact_url(url),
                )
            seen.add(str(current.copy_with(fragment=None)))
            response = self._send(
                current, request_headers, guarded, min(self.timeout, remaining), hops > 0
            )
            location = response.headers.get("location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return self._read(response, cap, truncate, ends_at)
            response.close()
            hops += 1
            target = self._parse(location, base=current)
            if str(target.copy_with(fragment=None)) in seen:
                raise InvalidResponse(
                    f"redirect loop: {redact_url(str(current))} redirects back to "
                    f"{redact_url(str(target))}",
                    url=redact_url(url),
                    status=response.status_code,
                )
            if hops > self.max_redirects:
                raise InvalidResponse(
                    f"too many redirects (more than {self.max_redirects}) from {redact_url(url)}",
                    url=redact_url(url),
                    status=response.status_code,
                )
            if (target.scheme, target.host, target.port) != (
                current.scheme,
                current.host,
                current.port,
            ):
                request_headers = {
                    k: v for k, v in request_headers.items() if k.lower() not in _SENSITIVE_HEADERS
                }
            current = target

    # -- steps ----------------------------------------------------------------------

    def _parse(self, url: str, *, base: httpx.URL | None = None, first: bool = False) -> httpx.URL:
        try:
            parsed = base.join(url) if base is not None else httpx.URL(url)
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            what = "URL" if first else "redirect target"
            raise InvalidResponse(f"invalid {what} {redact_url(str(url))!r}: {exc}") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            what = "fetch" if first else "follow a redirect to"
            raise BlockedAddress(
                f"refusing to {what} {redact_url(str(parsed))}: only http and https URLs "
                "with a host are allowed",
                url=redact_url(str(parsed)),
            )
        return parsed

    def _send(
        self,
        url: httpx.URL,
        headers: Mapping[str, str],
        guarded: bool,
        timeout: float,
        redirected: bool,
    ) -> httpx.Response:
        host = normalize_host(url.host)
        port = url.port or (443 if url.scheme == "https" else 80)
        shown = redact_url(str(url))
        try:
            addresses = check_host(host, port, dns=self.dns) if guarded else None
        except BlockedAddress as exc:
            prefix = f"redirect to {shown} refused: " if redirected else ""
            raise BlockedAddress(f"{prefix}{exc}", url=shown) from None
        except ConnectionFailed as exc:
            raise ConnectionFailed(str(exc), url=shown) from exc
        token = CURRENT_PERMIT.set(Permit(host, port, tuple(addresses) if addresses else None))
        try:
            request = self._client.build_request(
                "GET", url, headers=headers, timeout=httpx.Timeout(timeout)
            )
            return self._client.send(request, stream=True)
        except FetchError as exc:  # the pinned backend refused or could not resolve
            exc.url = exc.url or shown
            raise
        except httpx.TimeoutException as exc:
            raise Timeout(f"timed out after {timeout:g} s fetching {shown}", url=shown) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise ConnectionFailed(f"could not fetch {shown}: {exc}", url=shown) from exc
        except httpx.HTTPError as exc:
            raise ConnectionFailed(f"could not fetch {shown}: {exc}", url=shown) from exc
        finally:
            CURRENT_PERMIT.reset(token)

    def _read(
        self, response: httpx.Response, cap: int, truncate: bool, ends_at: float
    ) -> HttpResponse:
        shown = redact_url(str(response.url))
        final = str(response.url)
        too_large = f"response from {shown} is larger than the {_size(cap)} limit"
        try:
            declared = response.headers.get("content-length")
            if not truncate and declared and declared.isdigit() and int(declared) > cap:
                raise InvalidResponse(too_large, url=shown, status=response.status_code)
            chunks: list[bytes] = []
            size = 0
            truncated = False
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > cap:
                    if not truncate:
                        raise InvalidResponse(too_large, url=shown, status=response.status_code)
                    truncated = True
                    break
                if self.clock() > ends_at:
                    raise Timeout(
                        f"gave up reading {shown} after the {self.deadline:g} s deadline",
                        url=shown,
                    )
            content = b"".join(chunks)[:cap]
        except httpx.TimeoutException as exc:
            raise Timeout(f"timed out reading {shown}", url=shown) from exc
        except httpx.HTTPError as exc:
            raise ConnectionFailed(f"connection failed reading {shown}: {exc}", url=shown) from exc
        finally:
            response.close()
        return HttpResponse(final, response.status_code, response.headers, content, truncated)
