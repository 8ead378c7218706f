"""The Starlette app behind ``embedkit serve``: endpoints over one Resolver.

Every resolve runs in a bounded thread pool (the resolver is synchronous), so
the event loop keeps answering while providers are slow. Errors are JSON
(``{"error": ..., "status": ...}``): 400 for a bad or unusable URL or parameter,
413/414 for a body or query over its limit, 429 over the rate limit, 501 for an
oEmbed format other than JSON. Provider trouble is never an error here: the
answer is the embed's static fallback, with ``embedkit_status`` saying so.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import AsyncIterator, Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from embedkit._config import DEFAULT_TIMEOUT, env_flag, env_float
from embedkit._errors import CacheError, DocumentError, InvalidReference
from embedkit._memo import LruMemo
from embedkit._models import Embed
from embedkit._redaction import get_logger
from embedkit._version import __version__
from embedkit.net._http import GuardedTransport, HttpClient
from embedkit.page import find_standalone_urls, render_html, script_tags
from embedkit.page._render import markdown_document
from embedkit.resolve import ProviderRegistry, Resolver, parse_ref
from embedkit.resolve.cache import cache_key, is_fresh
from embedkit.serve._limits import LimitsMiddleware, TokenBuckets, json_error_body
from embedkit.serve._metrics import CONTENT_TYPE, Metrics, MetricsMiddleware
from embedkit.serve._oembed import (
    BadParameter,
    cache_control,
    embed_params,
    etag_for,
    etag_matches,
    oembed_response,
)
from embedkit.serve._settings import ServeSettings

__all__ = ["ENDPOINTS", "OPENAPI_PATH", "create_app"]

log = get_logger("embedkit.serve")

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
ENDPOINTS = frozenset(
    {"/oembed", "/embed", "/render", "/providers/match", "/healthz", "/metrics", "/openapi.json"}
)
T = TypeVar("T")
_NONCE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
_MARKDOWN_TYPES = ("text/markdown", "text/x-markdown")


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json_error_body(status, message),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _provider_names(registry: ProviderRegistry) -> Callable[[str], str]:
    """Name the provider of an upstream request URL by its endpoint (else ``other``)."""
    known: dict[str, str] = {}
    for provider in registry:
        for endpoint in provider.endpoints:
            for url in (endpoint.url, endpoint.token_url):
                if url:
                    known.setdefault(url.replace("{format}", "json"), provider.name)
    return lambda url: known.get(url, "other")


def _own_resolver(settings: ServeSettings, metrics: Metrics, env: Mapping[str, str]) -> Resolver:
    """The resolver the environment describes, its upstream requests counted by provider."""
    registry = ProviderRegistry.default(env=env)
    timeout = env_float(env, "EMBEDKIT_TIMEOUT", DEFAULT_TIMEOUT)
    private = env_flag(env, "EMBEDKIT_ALLOW_PRIVATE_NETWORKS")
    provider_of = _provider_names(registry)
    transport = GuardedTransport(
        guard=not private, on_request=lambda url: metrics.upstream.labels(provider_of(url)).inc()
    )
    http = HttpClient(timeout=timeout, allow_private_networks=private, transport=transport)
    try:
        return Resolver(
            providers=registry,
            timeout=timeout,
            allow_private_networks=private,
            consent=settings.consent,
            offline=settings.offline,
            http=http,
            max_workers=min(8, settings.fetch_threads),
            env=env,
        )
    except BaseException:
        http.close()
        raise


class _Recent:
    """An embed served from the cache, and when the cache last said so."""

    __slots__ = ("checked_at", "checking", "embed")

    def __init__(self, embed: Embed, checked_at: float) -> None:
        self.embed = embed
        self.checked_at = checked_at
        self.checking = False  # one request is reading the cache again for it


#: Embeds remembered for ``recheck_seconds``: this many, weighing at most this together.
_RECENT_SIZE = 4096
_RECENT_BYTES = 32 * 1024 * 1024


class _Service:
    """The endpoints, over one resolver."""

    def __init__(self, resolver: Resolver, settings: ServeSettings, metrics: Metrics) -> None:
        self.resolver = resolver
        self.settings = settings
        self.metrics = metrics
        self.hits = anyio.CapacityLimiter(settings.hit_threads)
        self.fetches = anyio.CapacityLimiter(settings.fetch_threads)
        self.openapi = OPENAPI_PATH.read_bytes()
        self._parse = functools.lru_cache(maxsize=4096)(parse_ref)
        self._recent: LruMemo[tuple[str, ...], _Recent] = LruMemo(
            _RECENT_SIZE if settings.recheck_seconds > 0 else 0,
            max_weight=_RECENT_BYTES,
            weigh=lambda recent: 2 * len(recent.embed.html) + 512,
        )

    def _remembered(self, key: tuple[str, ...], now: float) -> Embed | None:
        """An embed the cache gave less than ``recheck_seconds`` ago, still fresh.

        Read in the event loop: no thread, no cache read. Once the time is up, one
        request reads the cache again while the others keep this answer until its
        expiry, so a busy post never sends every request to the threads at once.
        """
        recent = self._recent.get(key)
        if recent is None or not (recent.embed.expires_at or 0.0) > now:
            return None
        if now - recent.checked_at < self.settings.recheck_seconds or recent.checking:
            return recent.embed
        recent.checking = True
        return None

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        """Run blocking work that may wait on a provider (the fetch pool)."""
        return await anyio.to_thread.run_sync(partial(func, *args), limiter=self.fetches)

    def _if_fresh(self, url: str, params: dict[str, Any]) -> Embed | None:
        """The embed when the cache holds it fresh (no provider asked), else ``None``."""
        remembered = self.resolver.remembered(url, **params)  # one version read
        if remembered is not None:
            return remembered
        ref = self._parse(url)  # InvalidReference: a 400
        if ref.needs_redirect:
            return None
        try:
            entry = self.resolver.cache.get(cache_key(ref.url, params))
        except CacheError:
            return None
        if entry is None or not is_fresh(entry, self.resolver.clock()):
            return None
        return self.resolver.resolve(url, **params)

    # -- resolving one URL ------------------------------------------------------

    async def _embed(self, request: Request) -> tuple[Embed, dict[str, Any]] | Response:
        query = request.query_params
        url = query.get("url", "").strip()
        if not url:
            return _error(400, "the url parameter is missing: give ?url=<post URL>")
        try:
            params = embed_params(query)
        except BadParameter as exc:
            return _error(400, str(exc))
        started = self.resolver.clock()
        key = (url, *(f"{name}={value}" for name, value in sorted(params.items())))
        remembered = self._remembered(key, started)
        if remembered is not None:
            self.metrics.embed_served(remembered.status, True)
            return remembered, params
        try:
            # A fresh cache entry is served by the hit pool; anything that may ask a
            # provider waits in the fetch pool, so slow providers never hold up hits.
            found = await anyio.to_thread.run_sync(self._if_fresh, url, params, limiter=self.hits)
            if found is None:
                found = await self._run(partial(self.resolver.resolve, url, **params))
            embed: Embed = found
        except InvalidReference as exc:
            self._recent.pop(key)
            return _error(400, str(exc))
        except BaseException:
            self._recent.pop(key)  # the next request reads the cache again
            raise
        hit = embed.status == "cached" or (
            embed.status == "gone" and (embed.fetched_at or 0.0) < started
        )
        self.metrics.embed_served(embed.status, hit)
        if hit:
            self._recent.put(key, _Recent(embed, started))
        else:
            self._recent.pop(key)
        return embed, params

    def _html(self, embed: Embed, params: Mapping[str, Any]) -> str:
        if self.resolver.consent or params.get("omit_script") == "true" or not embed.scripts:
            return embed.html
        return embed.html + "\n" + script_tags(embed.scripts)

    def _cached(self, request: Request, embed: Embed, body: bytes, media_type: str) -> Response:
        _age, control = cache_control(
            embed.status, expires_at=embed.expires_at, now=self.resolver.clock()
        )
        etag = etag_for(body)
        headers = {
            "Cache-Control": control,
            "ETag": etag,
            "X-Embedkit-Status": embed.status,
        }
        if etag_matches(etag, request.headers.get("if-none-match")):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=media_type, headers=headers)

    async def oembed(self, request: Request) -> Response:
        fmt = request.query_params.get("format", "json").lower()
        if fmt != "json":
            return _error(501, f"format {fmt!r} is not implemented: this provider answers json")
        found = await self._embed(request)
        if isinstance(found, Response):
            return found
        embed, params = found
        max_age, _control = cache_control(
            embed.status, expires_at=embed.expires_at, now=self.resolver.clock()
        )
        answer = oembed_response(
            embed,
            self._html(embed, params),
            max_age=max_age,
            maxwidth=params.get("maxwidth"),
            maxheight=params.get("maxheight"),
        )
        body = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
        return self._cached(request, embed, body, "application/json")

    async def embed(self, request: Request) -> Response:
        found = await self._embed(request)
        if isinstance(found, Response):
            return found
        embed, params = found
        body = self._html(embed, params).encode()
        return self._cached(request, embed, body, "text/html; charset=utf-8")

    # -- pages ------------------------------------------------------------------

    async def _body(self, request: Request) -> bytes | Response:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length", "")
        too_large = _error(413, f"the request body is larger than {limit} bytes")
        if declared.isdigit() and int(declared) > limit:
            return too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return too_large
            chunks.append(chunk)
        return b"".join(chunks)

    async def render(self, request: Request) -> Response:
        raw = await self._body(request)
        if isinstance(raw, Response):
            return raw
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return _error(400, f"the body is not UTF-8 text ({exc.reason} at byte {exc.start})")
        query = request.query_params
        nonce = query.get("nonce") or None
        if nonce is not None and (len(nonce) > 128 or not set(nonce) <= _NONCE_CHARS):
            return _error(400, "nonce must be up to 128 base64 characters")
        fmt = query.get("format")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if fmt is None:
            fmt = "markdown" if content_type in _MARKDOWN_TYPES else "html"
        if fmt not in ("html", "markdown"):
            return _error(400, "format must be html or markdown")
        try:
            page = await self._run(self._render, text, fmt, nonce)
        except (DocumentError, BadParameter) as exc:
            return _error(400, str(exc))
        return Response(
            page,
            media_type="text/html; charset=utf-8",
            headers={"Cache-Control": "no-store"},
        )

    def _render(self, text: str, fmt: str, nonce: str | None) -> str:
        if fmt == "markdown":
            _meta, text = markdown_document(text, Path("the request body"))
        urls = set(find_standalone_urls(text))
        if len(urls) > self.settings.max_embeds:
            raise BadParameter(
                f"the page has {len(urls)} URLs to embed; at most "
                f"{self.settings.max_embeds} are resolved per request"
            )
        return render_html(text, self.resolver, nonce=nonce)

    # -- the rest -----------------------------------------------------------------

    async def providers_match(self, request: Request) -> Response:
        url = request.query_params.get("url", "").strip()
        if not url:
            return _error(400, "the url parameter is missing: give ?url=<post URL>")
        try:
            canonical = parse_ref(url).url
            provider = self.resolver.match(url)
        except InvalidReference as exc:
            return _error(400, str(exc))
        return JSONResponse({"url": canonical, "provider": provider, "matched": bool(provider)})

    async def healthz(self, request: Request) -> Response:
        cache = self.resolver.cache
        error: str | None = None
        try:
            await self._run(cache.get, "embedkit:healthz")
        except CacheError as exc:
            error = str(exc)
        reachable = error is None
        answer: dict[str, Any] = {
            "status": "ok" if reachable else "degraded",
            "version": __version__,
            "cache": {"url": cache.url, "reachable": reachable},
        }
        if error:
            answer["cache"]["error"] = error
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    async def metrics_text(self, request: Request) -> Response:
        body = await self._run(self.metrics.render)
        return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})

    async def openapi_json(self, request: Request) -> Response:
        return Response(self.openapi, media_type="application/json")


def create_app(
    resolver: Resolver | None = None,
    *,
    settings: ServeSettings | None = None,
    env: Mapping[str, str] | None = None,
) -> Starlette:
    """Build the ASGI app (Starlette) that serves embeds over HTTP.

    ``resolver``: the :class:`~embedkit.Resolver` to serve (the caller keeps and
    closes it). Without one, the app builds its own from ``env`` (default
    ``os.environ``: ``EMBEDKIT_CACHE``, ``EMBEDKIT_PROVIDERS``, ``EMBEDKIT_TIMEOUT``,
    ``EMBEDKIT_ALLOW_PRIVATE_NETWORKS``...), counts its upstream requests for
    ``/metrics``, and closes it at shutdown. ``settings`` default to
    :meth:`ServeSettings.from_env`.

    Example (``uvicorn`` runs it; see docs/serve.md)::

        from embedkit import Resolver
        from embedkit.serve import ServeSettings, create_app

        app = create_app(
            Resolver(cache="redis://cache.internal:6379/0"),
            settings=ServeSettings(allow_origins=("https://cms.example.com",)),
        )
    """
    env = os.environ if env is None else env
    settings = settings or ServeSettings.from_env(env)
    metrics = Metrics(env)
    owned = resolver is None
    if resolver is None:
        resolver = _own_resolver(settings, metrics, env)
    service = _Service(resolver, settings, metrics)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                service.resolver.close()
                service.resolver.http.close()

    buckets = TokenBuckets(settings.rate_limit) if settings.rate_limit else None
    middleware = [Middleware(MetricsMiddleware, metrics=metrics, endpoints=ENDPOINTS)]
    if settings.allow_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.allow_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type", "If-None-Match"],
                expose_headers=["ETag", "X-Embedkit-Status", "Retry-After"],
                max_age=600,
            )
        )
    middleware.append(
        Middleware(
            LimitsMiddleware,
            max_query_bytes=settings.max_query_bytes,
            buckets=buckets,
            on_refused=lambda reason: metrics.refused.labels(reason).inc(),
        )
    )
    routes = [
        Route("/oembed", service.oembed, methods=["GET"]),
        Route("/embed", service.embed, methods=["GET"]),
        Route("/render", service.render, methods=["POST"]),
        Route("/providers/match", service.providers_match, methods=["GET"]),
        Route("/healthz", service.healthz, methods=["GET"]),
        Route("/metrics", service.metrics_text, methods=["GET"]),
        Route("/openapi.json", service.openapi_json, methods=["GET"]),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return _error(404, f"no endpoint {request.url.path}; see /openapi.json")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return _error(405, f"{request.method} is not allowed on {request.url.path}")

    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error answering %s", request.url.path)
        return _error(500, "internal error (logged by the server)")

    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={404: not_found, 405: not_allowed, Exception: crashed},
    )
    app.state.resolver = resolver
    app.state.settings = settings
    return app
