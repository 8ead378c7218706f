"""The hardened HTTP client every embedkit fetch goes through.

:class:`HttpClient` sends httpx requests straight to its transport (by default
:class:`~embedkit.net._transport.GuardedTransport`, which keeps connections
alive and reuses them; no cookie jar, no environment proxies) and adds what
fetching author-steerable URLs needs:

- a connect/read ``timeout`` and one wall-clock ``deadline`` per request that
  covers connect, TLS, headers, redirects, body and decoding (both raise
  :class:`~embedkit._errors.Timeout`); :meth:`HttpClient.budget` shares one
  deadline among several requests;
- a response-size cap on the decoded body, enforced while streaming
  (``max_bytes``); only gzip and deflate are asked for and decoded, one layer
  at most, incrementally, so a compression bomb stops at the cap;
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

import codecs
import concurrent.futures
import contextlib
import contextvars
import email.utils
import ipaddress
import json
import logging
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
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
from embedkit._redaction import get_logger, redact, redact_url
from embedkit._version import __version__
from embedkit.net._netguard import DnsResolver, check_host, normalize_host, system_dns
from embedkit.net._transport import (
    BODY_LIMIT,
    CURRENT_DEADLINE,
    CURRENT_PERMIT,
    MAX_HEAD_BYTES,
    GuardedTransport,
    Permit,
    WireLimitExceeded,
    ascii_host,
)

__all__ = [
    "ACCEPT_ENCODING",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_USER_AGENT",
    "MAX_JSON_DEPTH",
    "GuardedTransport",
    "HttpClient",
    "HttpResponse",
    "json_depth",
    "parse_retry_after",
    "raise_for_status",
    "redact_url",
    "text_codec",
]

log = get_logger(__name__)

DEFAULT_USER_AGENT = f"embedkit/{__version__} (+https://pypi.org/project/embedkit/)"
DEFAULT_MAX_BYTES = 1_048_576
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: The only content codings embedkit asks for, and so the only ones it decodes.
ACCEPT_ENCODING = "gzip, deflate"
_SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
#: How deeply a JSON answer may nest arrays and objects.
MAX_JSON_DEPTH = 20
#: Charsets that are not text encodings a page could be written in (``idna``
#: raises on ordinary text, ``undefined`` on everything).
_NOT_TEXT_CHARSETS = frozenset(
    {"idna", "punycode", "undefined", "unicode_escape", "raw_unicode_escape", "utf_7", "mbcs"}
)
#: Backslashes and control characters: read differently by different URL parsers.
_AMBIGUOUS_LOCATION = re.compile(r"[\\\x00-\x1f\x7f]")

#: An absolute http(s) URL already in the form httpx would give it: a lower-case
#: ASCII host, no default port, no dot segment, no fragment, and a target of
#: characters httpx leaves as they are (valid ``%XX`` escapes included).
_PLAIN_URL = re.compile(
    r"(https?)://((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)"
    r"(?::([1-9][0-9]{0,4}))?"
    r"((?:/(?:[A-Za-z0-9\-_~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2}|\.(?!\.?(?:/|\?|$)))*)?)"
)
#: What httpx reads as an IPv4 address, and then refuses unless it is one ("." is any
#: character there too).
_IPV4_STYLE = re.compile(r"[0-9]+.[0-9]+.[0-9]+.[0-9]+")
_CHARSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,39}")


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
        """The body decoded by its declared charset; UTF-8 with replacement otherwise.

        A charset that is unknown, malformed or not a text encoding (``idna``,
        ``undefined``...) counts as undeclared. Never raises.
        """
        codec = text_codec(self.charset)
        if codec is not None:
            try:
                return self.content.decode(codec, errors="replace")
            except (LookupError, ValueError, TypeError):
                pass
        return self.content.decode("utf-8", errors="replace")

    def json(self, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
        """The body parsed as JSON; :class:`InvalidResponse` if it is not JSON.

        Arrays and objects nested deeper than ``max_depth`` are refused too: no
        oEmbed answer needs them, and deep nesting breaks recursive code later.
        """
        try:
            codec = text_codec(self.charset)
            if codec is not None and codec not in ("utf-8", "utf_8"):
                data = json.loads(self.text())
            else:
                data = json.loads(self.content)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            reason = "it is nested too deeply" if isinstance(exc, RecursionError) else exc
            shown = redact_url(self.url)
            raise InvalidResponse(
                f"response from {shown} is not valid JSON ({reason})", url=shown, status=self.status
            ) from None
        if json_depth(data) > max_depth:
            shown = redact_url(self.url)
            raise InvalidResponse(
                f"response from {shown} nests JSON deeper than {max_depth} levels",
                url=shown,
                status=self.status,
            )
        return data


def json_depth(value: object) -> int:
    """How deeply ``value`` nests lists and dicts (0 for a scalar), without recursion.

    >>> json_depth({"a": [1, {"b": []}]})
    4
    """
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children if isinstance(child, dict | list | tuple))
    return deepest


def text_codec(charset: str | None) -> str | None:
    """The Python codec for a declared ``charset``, or None when it is not usable.

    Unknown names, names with odd characters (``utf-8\\x00``) and codecs that
    are not text encodings a document could use (``idna``, ``undefined``,
    ``utf-7``...) give None, so callers fall back to UTF-8.

    >>> text_codec("ISO-8859-1"), text_codec("idna"), text_codec("utf-8\\x00")
    ('iso8859-1', None, None)
    """
    if not charset or not _CHARSET_NAME.fullmatch(charset):
        return None
    try:
        info = codecs.lookup(charset)
    except (LookupError, ValueError):
        return None
    name = info.name.replace("-", "_")
    if name in _NOT_TEXT_CHARSETS or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


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
        # The transport is called directly: no cookie jar, no auth flow, no URL
        # re-parsing, no environment proxies — one parse per URL, and what is sent
        # is exactly what is checked.
        self._transport = transport or GuardedTransport(dns=dns, guard=not allow_private_networks)
        self._dns_pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._dns_lock = threading.Lock()
        self._headers = (
            ("Accept", "*/*"),
            ("Accept-Encoding", ACCEPT_ENCODING),
            ("Connection", "keep-alive"),
            ("User-Agent", user_agent),
        )

    def __repr__(self) -> str:
        return (
            f"HttpClient(timeout={self.timeout}, deadline={self.deadline}, "
            f"max_bytes={self.max_bytes}, max_redirects={self.max_redirects}, "
            f"allow_private_networks={self.allow_private_networks})"
        )

    def close(self) -> None:
        """Close the connection pool (and the DNS lookup threads)."""
        self._transport.close()
        if self._dns_pool is not None:
            self._dns_pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def budget(self) -> Iterator[None]:
        """Share one deadline among every :meth:`get` made inside the block.

        The resolver wraps everything it fetches for one reference (a short
        link's expansion, a discovery page, the oEmbed answer) in one budget, so a
        slow reference costs at most one deadline however many requests it takes.
        Nested budgets keep the earlier end.
        """
        ends_at = self.clock() + self.deadline
        outer = _BUDGET.get()
        if outer is not None and outer[0] is self:
            ends_at = min(ends_at, outer[1])
        token = _BUDGET.set((self, ends_at))
        try:
            yield
        finally:
            _BUDGET.reset(token)

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

        ``max_bytes`` overrides the client's cap for this request; it applies to
        the decoded body, and bodies are decoded incrementally (gzip or deflate,
        one layer at most), so a compression bomb stops at the cap. A body over
        the cap raises :class:`InvalidResponse` naming the limit, unless
        ``truncate=True``: then the first ``max_bytes`` bytes are returned with
        ``truncated=True`` (for reading the head of a page).

        One wall-clock deadline covers DNS-checked connect, TLS, headers, every
        redirect, the body and its decoding. Raises only :class:`FetchError`
        subclasses: :class:`Timeout`, :class:`ConnectionFailed`,
        :class:`BlockedAddress` or :class:`InvalidResponse` (redirect trouble, an
        unsupported encoding, an unusable answer); never for a status code.
        """
        cap = self.max_bytes if max_bytes is None else max_bytes
        now = self.clock()
        ends_at = now + self.deadline
        scoped = _BUDGET.get()
        if scoped is not None and scoped[0] is self:
            ends_at = min(ends_at, scoped[1])
        token = CURRENT_DEADLINE.set(time.monotonic() + (ends_at - now))
        try:
            response = self._get(url, dict(headers or {}), trusted, cap, truncate, ends_at)
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "GET %s: %d, %d bytes",
                    redact_url(response.url),
                    response.status,
                    len(response.content),
                )
            return response
        except FetchError:
            raise
        except MemoryError:
            shown = redact_url(str(url))
            raise InvalidResponse(f"the answer from {shown} is too large", url=shown) from None
        except Exception as exc:  # nothing below resolve() may raise anything else
            shown = redact_url(str(url))
            what = redact(f"{type(exc).__name__}: {exc}")
            if isinstance(exc, httpx.TransportError | OSError):
                raise ConnectionFailed(f"could not fetch {shown}: {what}", url=shown) from None
            raise InvalidResponse(f"unusable answer from {shown}: {what}", url=shown) from None
        finally:
            CURRENT_DEADLINE.reset(token)

    def _get(
        self,
        url: str,
        request_headers: dict[str, str],
        trusted: bool,
        cap: int,
        truncate: bool,
        ends_at: float,
    ) -> HttpResponse:
        seen: set[str] = set()
        current = self._parse(url, first=True)
        # What we can decode is what we ask for, whatever the caller's headers say, and
        # the Host is always the URL's: the name the guard checked.
        request_headers = {
            k: v for k, v in request_headers.items() if k.lower() not in ("accept-encoding", "host")
        }
        hops = 0
        while True:
            guarded = not self.allow_private_networks and not (trusted and hops == 0)
            self._check_deadline(ends_at, url)
            remaining = ends_at - self.clock()
            seen.add(_without_fragment(current))
            response = self._send(
                current,
                request_headers,
                guarded,
                min(self.timeout, remaining),
                hops > 0,
                ends_at,
                _body_limit(cap),
            )
            location = response.headers.get("location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return self._read(response, str(current), cap, truncate, ends_at)
            response.close()
            hops += 1
            target = self._parse(location, base=current)
            if _without_fragment(target) in seen:
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

    def _lookup(self, ends_at: float) -> DnsResolver:
        """The DNS seam, waited for at most until the deadline.

        The name in an author's URL can be served by a name server that answers
        slowly on purpose; the lookup runs on a small pool of threads so that the
        fetch gives up at its deadline (the lookup itself ends on the system
        resolver's own timeout).
        """

        def resolve(host: str, port: int) -> list[str]:
            remaining = ends_at - self.clock()
            if remaining <= 0:
                raise Timeout(
                    f"gave up resolving {host!r}: the {self.deadline:g} s deadline passed"
                )
            with self._dns_lock:
                if self._dns_pool is None:
                    self._dns_pool = concurrent.futures.ThreadPoolExecutor(
                        max_workers=8, thread_name_prefix="embedkit-dns"
                    )
                pool = self._dns_pool
            future = pool.submit(self.dns, host, port)
            try:
                return future.result(timeout=remaining)
            except concurrent.futures.TimeoutError:
                future.cancel()
                raise Timeout(
                    f"gave up resolving {host!r} after the {self.deadline:g} s deadline"
                ) from None

        return resolve

    def _check_deadline(self, ends_at: float, url: str) -> None:
        if self.clock() >= ends_at:
            shown = redact_url(str(url))
            raise Timeout(f"gave up on {shown} after the {self.deadline:g} s deadline", url=shown)

    def _parse(
        self, url: str, *, base: httpx.URL | _PlainUrl | None = None, first: bool = False
    ) -> httpx.URL | _PlainUrl:
        if base is None:
            plain = _PlainUrl.read(url)
            if plain is not None:
                return plain
        what = "URL" if first else "redirect target"
        if base is not None and _AMBIGUOUS_LOCATION.search(url):
            # Browsers read ``http:\\host/`` as another host, httpx as a path on this
            # one: a target that parsers disagree about is not followed at all.
            raise InvalidResponse(f"invalid {what} {redact_url(str(url))!r}: ambiguous characters")
        try:
            parsed = base.join(url) if base is not None else httpx.URL(url)
            host = parsed.host
        except (httpx.InvalidURL, ValueError, TypeError, UnicodeError) as exc:
            raise InvalidResponse(f"invalid {what} {redact_url(str(url))!r}: {exc}") from None
        if parsed.scheme not in ("http", "https") or not host:
            what = "fetch" if first else "follow a redirect to"
            raise BlockedAddress(
                f"refusing to {what} {redact_url(str(parsed))}: only http and https URLs "
                "with a host are allowed",
                url=redact_url(str(parsed)),
            )
        return parsed

    def _send(
        self,
        url: httpx.URL | _PlainUrl,
        headers: Mapping[str, str],
        guarded: bool,
        timeout: float,
        redirected: bool,
        ends_at: float,
        body_limit: int,
    ) -> httpx.Response:
        # The ASCII (IDNA) form, as the Host header carries it: what DNS, the guard,
        # the connection and TLS all use. httpx's ``host`` is decoded to Unicode, which
        # Python's resolver and TLS would encode by other rules (ß → ss).
        host = normalize_host(url.host if isinstance(url, _PlainUrl) else ascii_host(url))
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = check_host(host, port, dns=self._lookup(ends_at)) if guarded else None
        except Timeout as exc:
            exc.url = redact_url(str(url))
            raise
        except BlockedAddress as exc:
            shown = redact_url(str(url))
            prefix = f"redirect to {shown} refused: " if redirected else ""
            raise BlockedAddress(f"{prefix}{exc}", url=shown) from None
        except ConnectionFailed as exc:
            raise ConnectionFailed(str(exc), url=redact_url(str(url))) from exc
        self._check_deadline(ends_at, str(url))
        token = CURRENT_PERMIT.set(Permit(host, port, tuple(addresses) if addresses else None))
        sent = self._request_headers(headers)
        try:
            if isinstance(url, _PlainUrl) and isinstance(self._transport, GuardedTransport):
                # A URL read without httpx, to embedkit's own transport: no httpx.Request.
                return self._transport.send(
                    url.scheme,
                    url.host,
                    url.port,
                    url.target,
                    [("Host", url.authority), *sent],
                    timeout,
                    body_limit,
                )
            request = httpx.Request(
                "GET",
                httpx.URL(str(url)) if isinstance(url, _PlainUrl) else url,
                headers=sent,
                extensions={
                    "timeout": {"connect": timeout, "read": timeout, "write": timeout,
                                "pool": timeout},
                    BODY_LIMIT: body_limit,
                },
            )  # fmt: skip
            response = self._transport.handle_request(request)
            response.request = request
            return response
        except FetchError as exc:  # the pinned backend refused or could not resolve
            exc.url = exc.url or redact_url(str(url))
            raise
        except httpx.TimeoutException as exc:
            shown = redact_url(str(url))
            if self.clock() >= ends_at:
                message = f"gave up on {shown} after the {self.deadline:g} s deadline"
            else:
                message = f"timed out after {timeout:g} s fetching {shown}"
            raise Timeout(message, url=shown) from exc
        except httpx.InvalidURL as exc:
            shown = redact_url(str(url))
            raise InvalidResponse(f"invalid URL {shown!r}: {exc}", url=shown) from None
        except httpx.HTTPError as exc:
            shown = redact_url(str(url))
            raise ConnectionFailed(f"could not fetch {shown}: {exc}", url=shown) from exc
        finally:
            CURRENT_PERMIT.reset(token)

    def _request_headers(self, given: Mapping[str, str]) -> list[tuple[str, str]]:
        """The client's own headers, each replaced by a caller's of the same name: one of each."""
        if not given:
            return list(self._headers)
        names = {name.lower() for name in given}
        return [
            *((name, value) for name, value in self._headers if name.lower() not in names),
            *given.items(),
        ]

    def _read(
        self, response: httpx.Response, final: str, cap: int, truncate: bool, ends_at: float
    ) -> HttpResponse:
        status = response.status_code
        shown = _Shown(final)
        try:
            if response.is_stream_consumed:  # a test transport that built the body in memory
                decoder, source = _Decoder("identity"), iter((response.content,))
            else:
                decoder = _Decoder.for_response(response.headers, shown, status)
                source = response.iter_raw()
            # Compressed bytes are capped too: a stream that decodes to nothing
            # (an endless gzip file name) must still end.
            raw_cap = cap if decoder.identity else cap + _RAW_SLACK
            declared = response.headers.get("content-length")
            if not truncate and declared and declared.isdigit() and int(declared) > raw_cap:
                raise shown.too_large(cap, status)
            chunks: list[bytes] = []
            size = raw_size = 0
            truncated = False
            for raw in source:
                raw_size += len(raw)
                pending = raw
                while pending and not truncated:
                    out, pending = decoder.decode(pending, cap - size + 1)
                    if out:
                        chunks.append(out)
                        size += len(out)
                    if size > cap:
                        if not truncate:
                            raise shown.too_large(cap, status)
                        truncated = True
                    if self.clock() >= ends_at:
                        raise Timeout(
                            f"gave up reading {shown.url} after the {self.deadline:g} s deadline",
                            url=shown.url,
                        )
                if truncated:
                    break
                if raw_size > raw_cap:
                    if not truncate:
                        raise shown.too_large(cap, status)
                    truncated = True
                    break
            content = b"".join(chunks)
            if len(content) > cap:
                content = content[:cap]
        except httpx.TimeoutException as exc:
            if self.clock() >= ends_at:
                message = f"gave up reading {shown.url} after the {self.deadline:g} s deadline"
            else:
                message = f"timed out reading {shown.url}"
            raise Timeout(message, url=shown.url) from exc
        except zlib.error as exc:
            raise InvalidResponse(
                f"response from {shown.url} is not valid {decoder.coding} data ({exc})",
                url=shown.url,
                status=status,
            ) from None
        except WireLimitExceeded as exc:
            raise InvalidResponse(
                f"response from {shown.url} is too large: {exc}", url=shown.url, status=status
            ) from None
        except httpx.HTTPError as exc:
            raise ConnectionFailed(
                f"connection failed reading {shown.url}: {exc}", url=shown.url
            ) from exc
        finally:
            response.close()
        return HttpResponse(final, status, response.headers, content, truncated)


#: How many compressed bytes beyond the decoded cap a body may take.
_RAW_SLACK = 64 * 1024


def _canonical_ipv4(host: str) -> bool:
    try:
        return str(ipaddress.IPv4Address(host)) == host
    except ValueError:
        return False


def _body_limit(cap: int) -> int:
    """What a body capped at ``cap`` decoded bytes may take on the wire, framing included.

    Compressed bodies may run past the cap by the slack; chunked framing (sizes,
    extensions, trailers) gets five times as much again, enough for a body sent one
    byte per chunk, so only a server padding its framing meets this before the cap.
    """
    return 6 * (cap + _RAW_SLACK) + MAX_HEAD_BYTES


class _PlainUrl:
    """An absolute http(s) URL read without httpx's parser, because it is plain.

    Most URLs embedkit fetches (an oEmbed endpoint and its query) match
    :data:`_PLAIN_URL`, a form that httpx would leave exactly as it is; reading
    them with a regular expression costs a microsecond where httpx's parser costs
    thirty. Anything else is read by httpx. ``join`` (a redirect) is httpx's.
    """

    __slots__ = ("_text", "authority", "host", "port", "scheme", "target")

    def __init__(self, text: str, scheme: str, host: str, port: int | None, target: str) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.target = target
        self.authority = host if port is None else f"{host}:{port}"
        self._text = text

    @classmethod
    def read(cls, url: str) -> _PlainUrl | None:
        """``url`` when it is plain (see :data:`_PLAIN_URL`), else None.

        >>> plain = _PlainUrl.read("https://example.com:8443/oembed?url=a%2Fb&format=json")
        >>> plain.host, plain.port, plain.target
        ('example.com', 8443, '/oembed?url=a%2Fb&format=json')
        >>> _PlainUrl.read("https://Example.com/"), _PlainUrl.read("http://a.test:80/")
        (None, None)
        >>> _PlainUrl.read("http://127.0.0.1:8150/").host, _PlainUrl.read("http://01.2.3.4/")
        ('127.0.0.1', None)
        """
        found = _PLAIN_URL.fullmatch(url)
        if found is None:
            return None
        scheme, host, port_text, target = found.groups()
        if "xn--" in host or (_IPV4_STYLE.fullmatch(host) and not _canonical_ipv4(host)):
            return None  # httpx validates A-labels and dotted quads: let it say no
        port = int(port_text) if port_text else None
        if port is not None and (port > 65535 or port == (443 if scheme == "https" else 80)):
            return None  # httpx refuses the one, drops the other
        return cls(url, scheme, host, port, target or "/")

    def join(self, url: str) -> httpx.URL:
        return httpx.URL(self._text).join(url)

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"_PlainUrl({redact_url(self._text)!r})"


def _without_fragment(url: httpx.URL | _PlainUrl) -> str:
    """``url`` as text without its fragment (what a redirect loop repeats)."""
    return str(url).partition("#")[0]


class _Shown:
    """A URL redacted only when a message needs it (most requests need none)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._shown: str | None = None

    @property
    def url(self) -> str:
        if self._shown is None:
            self._shown = redact_url(self._url)
        return self._shown

    def too_large(self, cap: int, status: int) -> InvalidResponse:
        return InvalidResponse(
            f"response from {self.url} is larger than the {_size(cap)} limit",
            url=self.url,
            status=status,
        )


_BUDGET: contextvars.ContextVar[tuple[HttpClient, float] | None] = contextvars.ContextVar(
    "embedkit_http_budget", default=None
)


class _Decoder:
    """Incremental decoding of at most one content coding, with bounded output.

    ``decode(data, limit)`` returns at most ``limit`` decoded bytes and the input
    it has not consumed yet, so no step ever holds more than the cap in memory.
    """

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self.identity = coding == "identity"
        wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
        self._zlib = None if self.identity else zlib.decompressobj(wbits)
        self._started = False

    @classmethod
    def for_response(cls, headers: httpx.Headers, shown: _Shown, status: int) -> _Decoder:
        codings = [
            token.strip().lower()
            for value in headers.get_list("content-encoding")
            for token in value.split(",")
        ]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1:
            raise InvalidResponse(
                f"response from {shown.url} is encoded {len(codings)} times "
                f"({', '.join(codings[:5])}); at most one content encoding is accepted",
                url=shown.url,
                status=status,
            )
        if not codings:
            return cls("identity")
        coding = "gzip" if codings[0] == "x-gzip" else codings[0]
        if coding not in ("gzip", "deflate"):
            raise InvalidResponse(
                f"response from {shown.url} uses content encoding {coding[:40]!r}; embedkit "
                f"accepts only {ACCEPT_ENCODING}",
                url=shown.url,
                status=status,
            )
        return cls(coding)

    def decode(self, data: bytes, limit: int) -> tuple[bytes, bytes]:
        if self._zlib is None:
            return data[:limit], data[limit:]
        try:
            out = self._zlib.decompress(data, limit)
        except zlib.error:
            if self.coding != "deflate" or self._started:
                raise
            # "deflate" is sometimes sent without its zlib wrapper.
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            self._started = True
            return self.decode(data, limit)
        self._started = True
        return out, self._zlib.unconsumed_tail
