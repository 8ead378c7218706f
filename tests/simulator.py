"""A local oEmbed provider simulator: a real HTTP server on 127.0.0.1 for tests.

:class:`ProviderSimulator` serves recorded provider responses (files in
``tests/fixtures/oembed/``) and injects the faults real providers produce:
error statuses, 429 with ``Retry-After``, hangs, slow answers, malformed JSON,
oversized bodies, redirects and redirect loops. Every request is recorded
(method, path, query, headers, client port) so tests can assert what was sent
and how connections were reused.

Use it through the ``simulator`` fixture of ``tests/conftest.py``::

    def test_something(simulator):
        simulator.route("/twitter/oembed", fixture="twitter-1.json")
        simulator.fault("/youtube/oembed", "status", status=500, times=1)
        url = simulator.url("/twitter/oembed?url=https://x.com/a/status/1")
        ...
        assert simulator.count("/twitter/oembed") == 1

``providers_file(tmp_path)`` writes a providers JSON (oembed.com registry
format) whose endpoints point at the simulator, so a Resolver built with
``providers=that_file`` talks to it instead of the real providers.
``transport()`` is an httpx transport that sends every request to the simulator
whatever its host, so ``HttpClient(transport=sim.transport())`` resolves
``https://news.example.com/...`` from the simulator's routes (no DNS, no packet out).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
from tests.loopback import LocalHTTPServer

__all__ = [
    "ALIASES",
    "FIXTURES",
    "PROVIDERS",
    "ProviderSimulator",
    "RecordedRequest",
    "Reply",
    "SimProvider",
    "fixture_bytes",
    "sim_provider",
]

#: Folder holding the recorded provider responses.
FIXTURES = Path(__file__).parent / "fixtures" / "oembed"

#: How long a "hang" fault sleeps by default: longer than any test timeout.
DEFAULT_HANG = 30.0

#: The status id of the seed article's Reuters post (see PROVENANCE.md).
REUTERS_STATUS_ID = "1636212467429621760"
REUTERS_URLS = (
    f"https://x.com/reuters/status/{REUTERS_STATUS_ID}",  # embedkit's canonical form
    f"https://x.com/Reuters/status/{REUTERS_STATUS_ID}",
    f"https://twitter.com/Reuters/status/{REUTERS_STATUS_ID}",
)


def fixture_bytes(name: str) -> bytes:
    """Read one file of ``tests/fixtures/oembed/`` as bytes."""
    return (FIXTURES / name).read_bytes()


@dataclass(frozen=True)
class RecordedRequest:
    """One request the simulator received.

    ``query`` holds the last value of each query parameter; ``headers`` has
    lower-case names. ``client_port`` is the port of the client's socket, so
    two requests with the same port came over one (kept-alive) connection.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    client_port: int
    body: bytes = b""
    raw_path: str = ""

    @property
    def url_param(self) -> str | None:
        """The ``url`` query parameter (the post an oEmbed request asks about)."""
        return self.query.get("url")


@dataclass(frozen=True)
class Reply:
    """A response a route or handler returns."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = "application/json"


Handler = Callable[[RecordedRequest], "Reply | bytes | str | dict[str, Any] | list[Any]"]


def _as_bytes(body: bytes | str | dict[str, Any] | list[Any] | None) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


def _as_reply(value: Reply | bytes | str | dict[str, Any] | list[Any]) -> Reply:
    if isinstance(value, Reply):
        return value
    return Reply(body=_as_bytes(value))


@dataclass
class _Route:
    path: str
    when_url: str | None
    reply: Reply | None
    handler: Handler | None
    method: str | None

    def matches(self, request: RecordedRequest) -> bool:
        if self.method is not None and request.method != self.method:
            return False
        return self.when_url is None or request.query.get("url") == self.when_url

    def respond(self, request: RecordedRequest) -> Reply:
        if self.handler is not None:
            return _as_reply(self.handler(request))
        assert self.reply is not None
        return self.reply


@dataclass
class _Fault:
    kind: str
    remaining: int | None
    opts: dict[str, Any]


FAULT_KINDS = frozenset(
    {
        "status",
        "rate_limit",
        "hang",
        "delay",
        "malformed",
        "oversize",
        "redirect_loop",
        "redirect",
        "reset",
        "trickle",
    }
)


@dataclass(frozen=True)
class SimProvider:
    """A provider the simulator can stand in for: real URL schemes, a fixture."""

    name: str
    slug: str
    provider_url: str
    schemes: tuple[str, ...]
    fixture: str
    #: Other provider names this entry shadows (embedkit's ``replaces`` key).
    replaces: tuple[str, ...] = ()


#: Providers :meth:`ProviderSimulator.providers_file` knows, by provider_name.
PROVIDERS: dict[str, SimProvider] = {
    p.name: p
    for p in (
        SimProvider(
            "Twitter",
            "twitter",
            "https://twitter.com",
            (
                "https://twitter.com/*/status/*",
                "https://www.twitter.com/*/status/*",
                "https://mobile.twitter.com/*/status/*",
                "https://twitter.com/i/web/status/*",
                "https://x.com/*/status/*",
                "https://www.x.com/*/status/*",
                "https://mobile.x.com/*/status/*",
                "https://x.com/i/web/status/*",
            ),
            "twitter-1.json",
            replaces=("X",),
        ),
        SimProvider(
            "YouTube",
            "youtube",
            "https://www.youtube.com/",
            (
                "https://*.youtube.com/watch*",
                "https://youtube.com/watch*",
                "https://youtu.be/*",
                "https://*.youtube.com/shorts/*",
                "https://youtube.com/shorts/*",
                "https://*.youtube.com/live/*",
                "https://youtube.com/live/*",
                "https://*.youtube.com/embed/*",
                "https://*.youtube.com/playlist?list=*",
            ),
            "youtube-1.json",
        ),
        SimProvider(
            "Vimeo",
            "vimeo",
            "https://vimeo.com/",
            ("https://vimeo.com/*", "https://player.vimeo.com/video/*"),
            "vimeo-1.json",
        ),
        SimProvider(
            "Instagram",
            "instagram",
            "https://instagram.com",
            (
                "https://www.instagram.com/p/*",
                "https://instagram.com/p/*",
                "https://www.instagram.com/reel/*",
                "https://instagram.com/reel/*",
                "https://www.instagram.com/tv/*",
                "https://www.instagram.com/*/p/*",
                "https://instagr.am/p/*",
            ),
            "instagram-1.json",
        ),
        SimProvider(
            "Bluesky",
            "bluesky",
            "https://bsky.app",
            ("https://bsky.app/profile/*/post/*",),
            "bluesky-1.json",
            replaces=("Bluesky Social",),
        ),
        SimProvider(
            "TikTok",
            "tiktok",
            "http://www.tiktok.com/",
            ("https://www.tiktok.com/@*/video/*", "https://www.tiktok.com/*"),
            "tiktok-1.json",
        ),
        SimProvider(
            "Reddit",
            "reddit",
            "https://reddit.com/",
            (
                "https://reddit.com/r/*/comments/*/*",
                "https://www.reddit.com/r/*/comments/*/*",
                "https://www.reddit.com/user/*/comments/*/*",
            ),
            "reddit-1.json",
        ),
        SimProvider(
            "Flickr",
            "flickr",
            "https://www.flickr.com/",
            ("https://*.flickr.com/photos/*", "https://flic.kr/p/*"),
            "flickr-1.json",
        ),
        SimProvider(
            "SoundCloud",
            "soundcloud",
            "http://soundcloud.com/",
            ("https://soundcloud.com/*", "https://on.soundcloud.com/*"),
            "soundcloud-1.json",
        ),
        SimProvider(
            "Spotify",
            "spotify",
            "https://spotify.com/",
            ("https://open.spotify.com/*",),
            "spotify-3.json",
        ),
        SimProvider(
            "TED",
            "ted",
            "https://www.ted.com",
            ("https://www.ted.com/talks/*", "https://ted.com/talks/*"),
            "ted-1.json",
        ),
        SimProvider(
            "Dailymotion",
            "dailymotion",
            "https://www.dailymotion.com",
            ("https://www.dailymotion.com/video/*",),
            "dailymotion-1.json",
        ),
        SimProvider(
            "Tumblr",
            "tumblr",
            "https://www.tumblr.com",
            ("https://*.tumblr.com/post/*",),
            "tumblr-1.json",
        ),
    )
}

#: Other names a provider is known by (the oembed.com registry's), mapped to ours.
ALIASES: dict[str, str] = {"X": "Twitter", "Bluesky Social": "Bluesky"}


def sim_provider(name: str) -> SimProvider:
    """The simulator's provider called ``name`` (or one of its :data:`ALIASES`)."""
    try:
        return PROVIDERS[ALIASES.get(name, name)]
    except KeyError:
        raise KeyError(
            f"the simulator does not know provider {name!r}; known: {sorted(PROVIDERS)}"
        ) from None


#: The providers written by default: the ones the resolver's tests meet most.
DEFAULT_PROVIDER_NAMES: tuple[str, ...] = (
    "Twitter",
    "YouTube",
    "Vimeo",
    "Instagram",
    "Bluesky",
    "TikTok",
    "Reddit",
    "Flickr",
    "SoundCloud",
    "Spotify",
)


class ProviderSimulator:
    """A threading HTTP server on 127.0.0.1 that plays oEmbed providers.

    Routes map a path to a reply (a fixture file, a body, or a handler called
    with the :class:`RecordedRequest`); faults on a path take precedence over
    its routes, optionally only for the next ``times`` requests. Unknown paths
    answer 404 with a small JSON error.
    """

    def __init__(self, fixtures: Path = FIXTURES) -> None:
        self.fixtures = fixtures
        self._lock = threading.Lock()
        self._routes: dict[str, list[_Route]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._server = LocalHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._started = False

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> ProviderSimulator:
        """Start serving in a background thread; returns ``self``."""
        if not self._started:
            self._thread.start()
            self._started = True
        return self

    def stop(self) -> None:
        """Stop serving; hanging and delayed handlers are woken up and end."""
        self._stopping.set()
        if self._started:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> ProviderSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the simulator listens on."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        """An absolute URL on the simulator for ``path`` (which may carry a query)."""
        if not path.startswith("/"):
            path = "/" + path
        return self.base_url + path

    # -- configuration --------------------------------------------------------

    def route(
        self,
        path: str,
        *,
        fixture: str | None = None,
        body: bytes | str | dict[str, Any] | list[Any] | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = "application/json",
        when_url: str | None = None,
        handler: Handler | None = None,
        method: str | None = None,
    ) -> None:
        """Answer requests for ``path``.

        Give exactly one of ``fixture`` (a file name in ``tests/fixtures/oembed``),
        ``body`` (bytes, text, or a dict/list sent as JSON) or ``handler`` (a
        callable taking the :class:`RecordedRequest` and returning a
        :class:`Reply`, bytes, text or a JSON-able dict). ``when_url`` limits the
        route to requests whose ``url`` query parameter equals it; such routes are
        tried before the path's general route. A new general route replaces the
        previous one; ``method`` limits the route to one HTTP method.
        """
        given = [x for x in (fixture, body, handler) if x is not None]
        if len(given) > 1:
            raise TypeError("route() takes only one of fixture=, body=, handler=")
        reply: Reply | None = None
        if handler is None:
            content = fixture_bytes_from(self.fixtures, fixture) if fixture else _as_bytes(body)
            reply = Reply(status, content, dict(headers or {}), content_type)
        new = _Route(path, when_url, reply, handler, method)
        with self._lock:
            routes = self._routes.setdefault(path, [])
            routes[:] = [r for r in routes if not (r.when_url == when_url and r.method == method)]
            # Specific (when_url) routes first, general ones last.
            routes.append(new)
            routes.sort(key=lambda r: (r.when_url is None, r.method is None))

    def page(
        self,
        path: str,
        *,
        fixture: str | None = None,
        html: str | None = None,
        rewrite: Mapping[str, str] | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        charset: str = "utf-8",
    ) -> None:
        """Serve an HTML page (a recorded ``*.html`` fixture or given ``html``).

        ``rewrite`` replaces strings in the page before serving, e.g.
        ``{"https://www.youtube.com": sim.base_url}`` so its discovery link points
        at the simulator.
        """
        if (fixture is None) == (html is None):
            raise TypeError("page() takes exactly one of fixture=, html=")
        text = (
            (self.fixtures / fixture).read_text("utf-8", errors="surrogateescape")
            if fixture
            else html
        )
        assert text is not None
        for old, new in (rewrite or {}).items():
            text = text.replace(old, new)
        self.route(
            path,
            body=text.encode(charset, errors="surrogateescape"),
            status=status,
            headers=headers,
            content_type=f"text/html; charset={charset}",
        )

    def discovery_page(
        self,
        path: str,
        oembed_path: str,
        *,
        link_type: str = "application/json+oembed",
        relative: bool = False,
        title: str = "A page with oEmbed discovery",
    ) -> str:
        """Serve a small HTML page whose ``<link rel=alternate>`` names ``oembed_path``.

        The link's ``url`` parameter is the page's own URL. Returns the page URL.
        """
        page_url = self.url(path)
        target = f"{oembed_path}?format=json&amp;url={quote(page_url, safe='')}"
        href = target if relative else self.url(target)
        html = (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{title}</title>"
            f'<link rel="alternate" type="{link_type}" href="{href}" title="{title}">'
            f"</head><body><p>{title}</p></body></html>"
        )
        self.page(path, html=html)
        return page_url

    def fault(self, path: str, kind: str, *, times: int | None = None, **opts: Any) -> None:
        """Make requests for ``path`` fail in a way real providers do.

        Kinds and options:

        - ``"status"``: ``status`` (default 500), optional ``body``, ``headers``,
          ``content_type``.
        - ``"rate_limit"``: 429 with ``Retry-After: retry_after`` (seconds or an
          HTTP-date string; omitted when ``None``).
        - ``"hang"``: wait ``seconds`` (default 30) without answering, then drop the
          connection; stopping the simulator wakes it up.
        - ``"delay"``: wait ``seconds`` (default 1.0), then answer normally.
        - ``"malformed"``: 200 with invalid JSON (``body`` to choose it).
        - ``"oversize"``: 200 with a ``size``-byte JSON-ish body (default 2 MiB),
          streamed in chunks; ``declare_length=True`` sends Content-Length instead of
          chunked encoding.
        - ``"redirect_loop"``: 302 back to the same URL, forever.
        - ``"redirect"``: ``status`` (default 302) to ``location``.
        - ``"reset"``: close the connection without any response.
        - ``"trickle"``: send one byte every ``interval`` seconds (default 0.05) for
          at most ``seconds`` (default 10), then close. ``part`` chooses where:
          ``"headers"`` (a header line that never ends), ``"body"`` (a chunked JSON
          body that never ends) or ``"gzip_name"`` (a ``Content-Encoding: gzip``
          body whose gzip header has a file name that never ends; with
          ``fast=True`` it is sent in 64 KiB pieces, up to ``size`` bytes, default
          8 MiB, as fast as the client reads). With ``finish=True`` the body part
          waits ``pause`` seconds after the last byte and then ends the answer
          properly, instead of closing the connection.

        ``times`` limits the fault to the next N requests; then routing resumes.
        A later fault for the same path is queued after earlier limited ones.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if kind == "redirect" and "location" not in opts:
            raise TypeError('fault(kind="redirect") needs location=')
        with self._lock:
            self._faults.setdefault(path, []).append(_Fault(kind, times, dict(opts)))

    def clear_faults(self, path: str | None = None) -> None:
        """Remove the faults of ``path``, or of every path."""
        with self._lock:
            if path is None:
                self._faults.clear()
            else:
                self._faults.pop(path, None)

    # -- what happened --------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        """The requests received for ``path``."""
        return [r for r in self.requests if r.path == path]

    def count(self, path: str | None = None) -> int:
        """How many requests arrived for ``path`` (or in total)."""
        if path is None:
            return len(self.requests)
        return len(self.requests_for(path))

    def last(self, path: str | None = None) -> RecordedRequest:
        """The most recent request (for ``path``); raises LookupError if none."""
        found = self.requests if path is None else self.requests_for(path)
        if not found:
            raise LookupError(f"no request for {path or 'any path'} yet")
        return found[-1]

    def reset_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport that sends every request here, whatever its host.

        The path and query are kept (``https://news.example.com/a?b`` asks this
        simulator for ``/a?b``); the original host goes along as ``X-Forwarded-Host``.
        """
        return _ToSimulator(self.port)

    # -- providers ------------------------------------------------------------

    def endpoint_url(self, name: str) -> str:
        """The simulator's oEmbed endpoint URL for a provider in :data:`PROVIDERS`."""
        return self.url(f"/{sim_provider(name).slug}/oembed")

    def providers_file(
        self,
        tmp_path: Path,
        names: Iterable[str] = DEFAULT_PROVIDER_NAMES,
        *,
        filename: str = "providers.json",
        route: bool = True,
    ) -> Path:
        """Write a providers JSON (oembed.com format) pointing at the simulator.

        Each named provider keeps its real URL schemes (X's on both twitter.com
        and x.com, with ``www.`` and ``mobile.``; the entry ``replaces`` the
        registry's "X", and "Bluesky" replaces "Bluesky Social"), and its endpoint becomes
        ``/<slug>/oembed`` here. With ``route=True`` those paths are routed to
        the provider's default fixture (for the Twitter endpoint the seed
        article's Reuters post gets ``twitter-reuters.json``). Returns the path.
        """
        entries: list[dict[str, Any]] = []
        for name in names:
            provider = sim_provider(name)
            endpoint = f"/{provider.slug}/oembed"
            entry: dict[str, Any] = {
                "provider_name": provider.name,
                "provider_url": provider.provider_url,
                "endpoints": [{"schemes": list(provider.schemes), "url": self.url(endpoint)}],
            }
            if provider.replaces:
                entry["replaces"] = list(provider.replaces)
            entries.append(entry)
            if route:
                self.route(endpoint, fixture=provider.fixture)
                if provider.name == "Twitter":
                    for reuters in REUTERS_URLS:
                        self.route(endpoint, fixture="twitter-reuters.json", when_url=reuters)
        path = Path(tmp_path) / filename
        path.write_text(json.dumps(entries, indent=2), encoding="utf-8")
        return path

    # -- request handling (called from server threads) -------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(path)
            while queue:
                fault = queue[0]
                if fault.remaining is None:
                    return fault
                if fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        queue.pop(0)
                    return fault
                queue.pop(0)
            return None

    def _find_route(self, request: RecordedRequest) -> _Route | None:
        with self._lock:
            routes = list(self._routes.get(request.path, ()))
        for route in routes:
            if route.matches(request):
                return route
        return None

    def _wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if the simulator is stopping."""
        return self._stopping.wait(seconds)


class _ToSimulator(httpx.BaseTransport):
    """Forward every request to the simulator on 127.0.0.1 (see ``transport()``)."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = request.url.copy_with(scheme="http", host="127.0.0.1", port=self._port)
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"host"]
        headers.append((b"X-Forwarded-Host", request.url.host.encode("ascii")))
        forwarded = httpx.Request(
            request.method, target, headers=headers, extensions=request.extensions
        )
        return self._inner.handle_request(forwarded)

    def close(self) -> None:
        self._inner.close()


def fixture_bytes_from(folder: Path, name: str) -> bytes:
    """Read fixture ``name`` from ``folder``, naming the folder if it is missing."""
    path = folder / name
    if not path.is_file():
        raise FileNotFoundError(f"no fixture {name!r} in {folder}")
    return path.read_bytes()


def _make_handler(sim: ProviderSimulator) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        server_version = "embedkit-simulator"

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: pytest captures output, and nobody reads access logs."""

        def do_GET(self) -> None:
            self._dispatch()

        def do_HEAD(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        # -- helpers --------------------------------------------------------------

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = RecordedRequest(
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
                client_port=int(self.client_address[1]),
                body=body,
                raw_path=self.path,
            )
            sim._record(request)
            fault = sim._take_fault(request.path)
            try:
                if fault is not None and self._apply_fault(fault, request):
                    return
                route = sim._find_route(request)
                if route is None:
                    self._send(Reply(404, _as_bytes({"error": f"no route for {request.path}"})))
                    return
                self._send(route.respond(request))
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            names = {k.lower() for k in reply.headers}
            if reply.content_type and "content-type" not in names:
                self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            # Headers and body leave in one write (one TCP segment for small answers):
            # with two writes a client's delayed ACK can stall a kept-alive request.
            buffer: list[bytes] = getattr(self, "_headers_buffer", [])
            head = b"".join([*buffer, b"\r\n"])
            buffer.clear()
            self.wfile.write(head + (reply.body if self.command != "HEAD" else b""))

        def _trickle(self, opts: dict[str, Any]) -> None:
            """Send a response one byte at a time (see ``fault(kind="trickle")``)."""
            interval = float(opts.get("interval", 0.05))
            until = time.monotonic() + float(opts.get("seconds", 10.0))
            part = opts.get("part", "headers")
            self.close_connection = True
            if part == "headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: ")
                drip = b"a"
            else:
                encoding = "Content-Encoding: gzip\r\n" if part == "gzip_name" else ""
                self.wfile.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + encoding.encode()
                    + b"Transfer-Encoding: chunked\r\n\r\n"
                )
                # gzip magic, deflate, FNAME flag, mtime, xfl, os: then the name.
                first = b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\xff" if part == "gzip_name" else b"{"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(first), first))
                drip = b"a" if part == "gzip_name" else b" "
            if opts.get("fast"):
                piece = drip * 65_536
                sent, size = 0, int(opts.get("size", 8 * 1024 * 1024))
                while sent < size and time.monotonic() < until and not sim._stopping.is_set():
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    sent += len(piece)
                return
            while time.monotonic() < until:
                if part == "headers":
                    self.wfile.write(drip)
                else:
                    self.wfile.write(b"1\r\n%s\r\n" % drip)
                if sim._wait(interval):
                    return
            if opts.get("finish") and part != "headers":
                if sim._wait(float(opts.get("pause", 0.0))):
                    return
                self.wfile.write(b"0\r\n\r\n")

        def _apply_fault(self, fault: _Fault, request: RecordedRequest) -> bool:
            """Act out a fault; False means "answer normally afterwards"."""
            opts = fault.opts
            kind = fault.kind
            if kind == "status":
                self._send(
                    Reply(
                        int(opts.get("status", 500)),
                        _as_bytes(opts.get("body", {"error": "simulated failure"})),
                        dict(opts.get("headers", {})),
                        opts.get("content_type", "application/json"),
                    )
                )
            elif kind == "rate_limit":
                headers = dict(opts.get("headers", {}))
                if opts.get("retry_after") is not None:
                    headers["Retry-After"] = str(opts["retry_after"])
                self._send(Reply(429, _as_bytes({"error": "rate limited"}), headers))
            elif kind == "hang":
                sim._wait(float(opts.get("seconds", DEFAULT_HANG)))
                self.close_connection = True
            elif kind == "delay":
                if sim._wait(float(opts.get("seconds", 1.0))):
                    self.close_connection = True
                    return True
                return False
            elif kind == "malformed":
                self._send(Reply(200, _as_bytes(opts.get("body", b'{"type": "rich", "html": '))))
            elif kind == "oversize":
                self._send_oversize(
                    int(opts.get("size", 2 * 1024 * 1024)), bool(opts.get("declare_length", False))
                )
            elif kind == "redirect_loop":
                self._send(Reply(302, b"", {"Location": request.raw_path}, None))
            elif kind == "redirect":
                self._send(
                    Reply(int(opts.get("status", 302)), b"", {"Location": opts["location"]}, None)
                )
            elif kind == "reset":
                self.close_connection = True
            elif kind == "trickle":
                self._trickle(opts)
            return True

        def _send_oversize(self, size: int, declare_length: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if declare_length:
                self.send_header("Content-Length", str(size))
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b'{"pad": "' + b"x" * 65_000
            sent = 0
            while sent < size and not sim._stopping.is_set():
                piece = chunk[: min(len(chunk), size - sent)]
                if declare_length:
                    self.wfile.write(piece)
                else:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)
            if not declare_length:
                self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True

    return _Handler
