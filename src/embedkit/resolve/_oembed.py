"""Fetch and validate oEmbed responses, built on the ``oembed`` package.

The ``oembed`` package (PyPI ``python-oembed``) builds the request URL
(endpoint, ``{format}`` placeholder, query parameters), matches URL schemes and
dispatches on the response's media type. embedkit uses it through its own
extension points and nothing else:

- endpoints are ``oembed.OEmbedEndpoint(url, ["regex:" + anchored_pattern])``;
- the transport is injected with ``endpoint.setUrllib(adapter)``: the adapter's
  ``build_opener()`` returns an opener whose ``open(url)`` goes through
  :class:`~embedkit.net._http.HttpClient` (timeouts, size cap, redirect limit,
  network guard) and maps HTTP status codes to embedkit's typed errors.

Three limits of the package are handled in the adapter, before the package sees
the body: it requires ``version`` (real providers omit it) and ``width``/``height``
keys on every video and rich response (Reddit omits them), it decodes only
UTF-8, and its XML parser calls ``Element.getiterator()``, removed in Python
3.9. The adapter therefore reads JSON (any charset) and XML itself, validates
and normalizes the data with :func:`normalize` (which fills ``version`` and the
size keys), and hands the package UTF-8 JSON. The package's own XML path is
never used.

Example::

    fetcher = OEmbedFetcher(HttpClient(timeout=3.0))
    data = fetcher.fetch(
        "https://publish.twitter.com/oembed",
        "https://twitter.com/Reuters/status/1636212467429621760",
        {"maxwidth": 550, "dnt": True},
        regexes=[r"https://(?:www\\.|mobile\\.)?(?:twitter|x)\\.com/[^/]+/status/\\d+"],
    )
    data["html"]
"""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import oembed as python_oembed

from embedkit._errors import FetchError, InvalidResponse
from embedkit._redaction import redact_url
from embedkit._values import as_int
from embedkit.net._http import HttpClient, HttpResponse, json_depth, raise_for_status

__all__ = [
    "OEMBED_TYPES",
    "OEmbedFetcher",
    "SchemeMismatch",
    "normalize",
]

OEMBED_TYPES = ("photo", "video", "link", "rich")
#: Fields that hold sizes in pixels.
SIZE_FIELDS = ("width", "height", "thumbnail_width", "thumbnail_height")
#: Fields that must be text when present.
TEXT_FIELDS = (
    "title",
    "author_name",
    "author_url",
    "provider_name",
    "provider_url",
    "thumbnail_url",
    "url",
    "html",
)
#: Every field normalize() knows, including the originals it keeps of odd sizes.
KNOWN_FIELDS = frozenset(
    {"type", "version", "cache_age", *TEXT_FIELDS, *SIZE_FIELDS}
    | {f"{name}_raw" for name in SIZE_FIELDS}
)
_MAX_CACHED_ENDPOINTS = 512

Param = str | int | float | bool | None


class SchemeMismatch(FetchError, ValueError):
    """The URL matches none of the URL schemes given for the endpoint."""


# -- pure validation -------------------------------------------------------------------


def normalize(data: object) -> dict[str, Any]:
    """Validate an oEmbed response and normalize its fields.

    - ``data`` must be a JSON object whose ``type`` is photo, video, link or rich;
    - photo needs ``url``, ``width`` and ``height``; video and rich need ``html``
      (their ``width``/``height`` may be null or missing, and become ``None``);
    - sizes that arrive as strings become ints (``"550"`` → 550); sizes that are
      not numbers (``"100%"``) become ``None`` and the original is kept in
      ``<field>_raw`` (``width_raw="100%"``);
    - ``cache_age`` becomes an int (X sends ``"3153600000"``) or ``None``;
    - ``version`` defaults to ``"1.0"``; absent fields such as ``provider_name``
      stay absent;
    - every field is bounded (:func:`_bounded`): ``html`` up to 512 KiB, other
      text cut to 8 KiB, overlong URLs dropped, other fields kept only when
      small and shallow (at most 64 of them).

    Raises :class:`InvalidResponse` saying what was wrong. The result is a new
    dict; normalizing it again changes nothing.

    >>> normalize({"type": "video", "html": "<iframe></iframe>", "width": "100%"})["width_raw"]
    '100%'
    """
    if not isinstance(data, dict):
        raise InvalidResponse(
            f"an oEmbed response must be a JSON object, not {type(data).__name__}"
        )
    kind = data.get("type")
    if kind not in OEMBED_TYPES:
        raise InvalidResponse(
            f"oEmbed response has type {kind!r}; expected one of {', '.join(OEMBED_TYPES)}"
        )
    out: dict[str, Any] = dict(data)
    version = data.get("version")
    out["version"] = "1.0" if version is None or version == "" else str(version)
    for name in TEXT_FIELDS:
        value = out.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidResponse(
                f"oEmbed {kind} response has a {type(value).__name__} in {name!r}; expected text"
            )
        if not isinstance(value, str):
            out[name] = str(value)
    if kind == "photo":
        missing = [name for name in ("url", "width", "height") if name not in data]
        if missing or not out.get("url"):
            raise InvalidResponse(f"oEmbed photo response lacks {', '.join(missing or ['url'])}")
    if kind in ("video", "rich"):
        if not isinstance(out.get("html"), str) or not out["html"].strip():
            raise InvalidResponse(f"oEmbed {kind} response lacks html")
        out.setdefault("width", None)
        out.setdefault("height", None)
    for name in SIZE_FIELDS:
        if name not in out:
            continue
        raw = out[name]
        size = as_int(raw)
        if size is not None and not 0 <= size <= MAX_SIZE:
            size = None
        if size is None and raw is not None and f"{name}_raw" not in data:
            out[f"{name}_raw"] = raw
        out[name] = size
    if "cache_age" in out:
        age = as_int(out["cache_age"])
        out["cache_age"] = age if age is not None and age >= 0 else None
    return _bounded(out, kind)


#: Limits on what an answer may store (the cache keeps data and snapshot).
MAX_HTML = 512 * 1024
MAX_TEXT = 8 * 1024
MAX_URL = 4 * 1024
MAX_SIZE = 1_000_000
MAX_EXTRA_FIELDS = 64
MAX_EXTRA_NAME = 64
MAX_EXTRA_JSON = 16 * 1024
MAX_EXTRA_DEPTH = 4
_URL_FIELDS = frozenset({"author_url", "provider_url", "thumbnail_url", "url"})


def _bounded(out: dict[str, Any], kind: object) -> dict[str, Any]:
    """Cap every field an answer may store, so a cache entry stays small and flat.

    ``html`` over :data:`MAX_HTML` refuses the answer; URL fields over
    :data:`MAX_URL` are dropped (a cut URL is a wrong URL); other text is cut to
    :data:`MAX_TEXT` characters. Other fields are kept only while they are few,
    small and shallow; anything else is dropped.
    """
    html = out.get("html")
    if isinstance(html, str) and len(html) > MAX_HTML:
        raise InvalidResponse(f"oEmbed {kind} response has more than {MAX_HTML} bytes of html")
    bounded: dict[str, Any] = {}
    extras = 0
    for name, value in out.items():
        if name in KNOWN_FIELDS:
            if isinstance(value, str) and name != "html":
                if name in _URL_FIELDS and len(value) > MAX_URL:
                    if name == "url" and kind == "photo":
                        raise InvalidResponse("oEmbed photo response has an overlong url")
                    continue
                value = value[:MAX_TEXT]
            elif name.endswith("_raw") and not _small(value, 0):
                continue
            bounded[name] = value
            continue
        if extras >= MAX_EXTRA_FIELDS or len(name) > MAX_EXTRA_NAME or not _small(value):
            continue
        extras += 1
        bounded[name] = value
    return bounded


def _small(value: object, depth: int = MAX_EXTRA_DEPTH) -> bool:
    """True for a JSON value worth keeping: short text, a number, a small shallow container."""
    if value is None or isinstance(value, bool | int):
        return not isinstance(value, int) or abs(value) < 10**18
    if isinstance(value, float):
        return value == value and abs(value) != float("inf")
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    if depth <= 0 or not isinstance(value, dict | list) or json_depth(value) > depth:
        return False
    try:
        return len(json.dumps(value, allow_nan=False)) <= MAX_EXTRA_JSON
    except (TypeError, ValueError, RecursionError):
        return False


def query_params(params: Mapping[str, Param] | None) -> dict[str, str]:
    """Provider query parameters as strings: booleans → "true"/"false", None dropped."""
    out: dict[str, str] = {}
    for name, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out


def _xml_to_dict(raw: bytes, url: str) -> dict[str, Any]:
    """Read an XML oEmbed body (``<oembed><type>...</type>...</oembed>``)."""
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise InvalidResponse(f"XML oEmbed response from {url} declares a DTD; refused", url=url)
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as exc:
        raise InvalidResponse(f"response from {url} is not valid XML ({exc})", url=url) from None
    if root.tag != "oembed":
        raise InvalidResponse(
            f"XML response from {url} has root <{root.tag}>, not <oembed>", url=url
        )
    return {child.tag: child.text for child in root}


# -- the transport adapter that python-oembed calls -----------------------------------


class _Reply:
    """What ``opener.open()`` returns to python-oembed: ``info()`` and ``read()``."""

    def __init__(self, headers: Mapping[str, str], body: bytes) -> None:
        self._headers = dict(headers)
        self._body = body

    def info(self) -> Mapping[str, str]:
        return self._headers

    def read(self) -> bytes:
        return self._body


class _Opener:
    """A urllib-style opener backed by :class:`HttpClient`."""

    def __init__(self, http: HttpClient, trusted: bool) -> None:
        self._http = http
        self._trusted = trusted
        self.addheaders: Iterable[tuple[str, str]] = ()

    def open(self, url: str) -> _Reply:
        headers = dict(self.addheaders)
        headers.setdefault("Accept", "application/json, text/xml;q=0.5, */*;q=0.1")
        response = self._http.get(url, headers=headers, trusted=self._trusted)
        raise_for_status(response)
        # embedkit's rules decide what is valid. normalize() also fills what the
        # package insists on (version; width/height keys of video and rich).
        data = normalize(_decode(response))
        body = json.dumps(data).encode("utf-8")
        return _Reply({"Content-Type": "application/json; charset=utf-8"}, body)


class HttpClientUrllib:
    """The object handed to ``OEmbedEndpoint.setUrllib``: it offers ``build_opener()``."""

    def __init__(self, http: HttpClient, *, trusted: bool) -> None:
        self.http = http
        self.trusted = trusted

    def build_opener(self) -> _Opener:
        return _Opener(self.http, self.trusted)


def _decode(response: HttpResponse) -> dict[str, Any]:
    """Read a JSON or XML oEmbed body into a dict, whatever its charset."""
    mime = response.mime_type
    head = response.content.lstrip()[:1]
    if "xml" in mime or (not mime.endswith("json") and head == b"<"):
        data: Any = _xml_to_dict(response.content, redact_url(response.url))
    elif "json" in mime or "javascript" in mime or head in (b"{", b"["):
        data = response.json()
    else:
        shown = redact_url(response.url)
        raise InvalidResponse(
            f"response from {shown} is {mime or 'untyped'}, not JSON or XML oEmbed",
            url=shown,
            status=response.status,
        )
    if not isinstance(data, dict):
        shown = redact_url(response.url)
        raise InvalidResponse(
            f"response from {shown} is a JSON {type(data).__name__}, not an object",
            url=shown,
            status=response.status,
        )
    return data


# -- the fetcher -----------------------------------------------------------------------


class OEmbedFetcher:
    """Fetch oEmbed data from provider endpoints through python-oembed.

    Endpoints are cached per ``(endpoint_url, regexes, trusted)``. Results are
    :func:`normalize`-d dicts. HTTP trouble raises the typed errors of
    :func:`embedkit.net._http.raise_for_status`; bodies that are not oEmbed raise
    :class:`InvalidResponse`.
    """

    def __init__(self, http: HttpClient) -> None:
        self.http = http
        self._endpoints: dict[tuple[str, tuple[str, ...], bool], python_oembed.OEmbedEndpoint] = {}
        self._lock = threading.Lock()

    def _endpoint(
        self, endpoint_url: str, regexes: Sequence[str], trusted: bool
    ) -> python_oembed.OEmbedEndpoint:
        key = (endpoint_url, tuple(regexes), trusted)
        with self._lock:
            endpoint = self._endpoints.get(key)
            if endpoint is None:
                if len(self._endpoints) >= _MAX_CACHED_ENDPOINTS:
                    self._endpoints.clear()
                endpoint = python_oembed.OEmbedEndpoint(
                    endpoint_url, ["regex:" + pattern for pattern in regexes]
                )
                endpoint.setUrllib(HttpClientUrllib(self.http, trusted=trusted))
                endpoint.setUserAgent(self.http.user_agent)
                self._endpoints[key] = endpoint
            return endpoint

    def fetch(
        self,
        endpoint_url: str,
        url: str,
        params: Mapping[str, Param] | None = None,
        *,
        regexes: Sequence[str] = (),
        trusted: bool = True,
    ) -> dict[str, Any]:
        """Ask ``endpoint_url`` about ``url`` (always ``format=json``).

        ``regexes`` are the endpoint's anchored URL-scheme patterns; when given,
        ``url`` must match one (else :class:`SchemeMismatch`). ``trusted`` says
        the endpoint came from configuration (see :meth:`HttpClient.get`).
        """
        endpoint = self._endpoint(endpoint_url, regexes, trusted)
        if regexes and not endpoint.match(url):
            raise SchemeMismatch(
                f"{url} matches none of the URL schemes of {redact_url(endpoint_url)}",
                url=redact_url(endpoint_url),
            )
        options = query_params(params)
        options["format"] = "json"
        request_url = endpoint.request(url, **options)
        return self._run(endpoint, request_url)

    def fetch_discovered(
        self, oembed_url: str, params: Mapping[str, Param] | None = None
    ) -> dict[str, Any]:
        """Fetch a full oEmbed URL found by discovery, adding ``params``.

        The URL is author-steerable, so it is guard-checked (``trusted=False``).
        """
        parts = urlsplit(oembed_url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query.update(query_params(params))
        full = urlunsplit(parts._replace(query=urlencode(query), fragment=""))
        base = urlunsplit(parts._replace(query="", fragment=""))
        return self._run(self._endpoint(base, (), False), full)

    def _run(self, endpoint: python_oembed.OEmbedEndpoint, request_url: str) -> dict[str, Any]:
        try:
            data = endpoint.fetch(request_url).getData()
        except python_oembed.OEmbedError as exc:
            shown = redact_url(request_url)
            raise InvalidResponse(f"{exc} (from {shown})", url=shown) from None
        except InvalidResponse as exc:
            if exc.url is not None:
                raise
            shown = redact_url(request_url)
            raise InvalidResponse(f"{exc} (from {shown})", url=shown) from None
        except FetchError:
            raise
        except Exception as exc:  # whatever a hostile answer breaks is provider trouble
            shown = redact_url(request_url)
            raise InvalidResponse(
                f"unusable oEmbed answer from {shown} ({type(exc).__name__})", url=shown
            ) from None
        # The package hands back the JSON the adapter wrote, which normalize() made:
        # reading it again would change nothing.
        if not isinstance(data, dict):
            raise InvalidResponse(f"the oEmbed package returned {type(data).__name__}")
        return data
