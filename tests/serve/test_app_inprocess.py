"""``create_app`` with resolvers built for the case: consent, a broken cache, secrets, hangs."""

from __future__ import annotations

import asyncio
import math
import threading
from typing import Any

import httpx
import pytest
from tests.cache.redis_helpers import free_port
from tests.simulator import FIXTURES

from embedkit import Resolver
from embedkit._errors import ConfigError
from embedkit.net._http import HttpClient
from embedkit.page._autoembed import CONSENT_MARKER
from embedkit.resolve.cache import MemoryCache, cache_key
from embedkit.serve import ServeSettings, create_app

POST = "https://x.com/Reuters/status/1636212467429621760"
NO_LIMIT = ServeSettings(rate_limit=None)


def get(app: Any, path: str, **params: str) -> httpx.Response:
    """One request to an ASGI app in this process (no server, no lifespan)."""

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://serve") as client:
            return await client.get(path, params=params)

    return asyncio.run(ask())


def test_consent_mode_serves_placeholders_without_provider_scripts() -> None:
    with Resolver(cache="memory://", offline=True, consent=True) as resolver:
        resolver.cache.set(_cached_entry(resolver))  # a live embed that needs widgets.js
        data = get(create_app(resolver, settings=NO_LIMIT), "/oembed", url=POST).json()
    assert data["embedkit_status"] == "cached"
    assert CONSENT_MARKER in data["html"]
    assert "<script" not in data["html"]


def _cached_entry(resolver: Resolver) -> Any:
    from embedkit.resolve.cache import CachePolicy, cache_key, on_success

    html = (
        '<blockquote class="twitter-tweet"><p>LIVE</p></blockquote>'
        '<script async src="https://platform.twitter.com/widgets.js"></script>'
    )
    return on_success(
        None,
        key=cache_key("https://x.com/reuters/status/1636212467429621760", {}),
        url="https://x.com/reuters/status/1636212467429621760",
        provider="Twitter",
        params={},
        data={"type": "rich", "version": "1.0", "html": html, "provider_name": "Twitter"},
        now=resolver.clock(),
        policy=CachePolicy(),
    )


class ExplodingCache(MemoryCache):
    """A cache backend with a bug (not a CacheError): the resolver lets it through."""

    def get(self, key: str) -> Any:
        raise RuntimeError("bug in a third-party backend: secret-detail")


def test_an_unexpected_error_is_a_generic_500_never_a_traceback(caplog: Any) -> None:
    with Resolver(cache=ExplodingCache(), offline=True) as resolver:
        reply = get(create_app(resolver, settings=NO_LIMIT), "/oembed", url=POST)
    assert reply.status_code == 500
    assert reply.json() == {"error": "internal error (logged by the server)", "status": 500}
    assert reply.headers["cache-control"] == "no-store"
    assert "secret-detail" not in reply.text
    assert "secret-detail" in caplog.text  # the server's log has it


def test_healthz_never_shows_the_cache_password() -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0?socket_timeout=0.5"
    with Resolver(cache=url, offline=True) as resolver:
        app = create_app(resolver, settings=NO_LIMIT)
        health = get(app, "/healthz")
        embed = get(app, "/oembed", url=POST)
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["cache"]["url"].startswith("redis://:***@127.0.0.1")
    assert "hunter2" not in health.text
    assert embed.status_code == 200  # no cache: still an answer (the fallback)
    assert embed.json()["embedkit_status"] == "fallback"


def test_errors_are_not_cached_and_embeds_are() -> None:
    with Resolver(cache="memory://", offline=True) as resolver:
        app = create_app(resolver, settings=NO_LIMIT)
        bad = get(app, "/oembed", url="ftp://x")
        good = get(app, "/oembed", url=POST)
    assert bad.headers["cache-control"] == "no-store"
    assert good.headers["cache-control"].startswith("public, max-age=")


def test_a_hanging_provider_does_not_hold_up_cached_embeds() -> None:
    """Every fetch thread waits on a provider that does not answer; hits still come back."""
    release = threading.Event()
    body = (FIXTURES / "twitter-1.json").read_bytes()

    def provider(request: httpx.Request) -> httpx.Response:
        if "status%2F1636212467429621760" not in str(request.url):
            release.wait(30)  # a hanging provider, until the test lets go
        return httpx.Response(200, content=body)

    http = HttpClient(transport=httpx.MockTransport(provider))
    settings = ServeSettings(rate_limit=None, hit_threads=2, fetch_threads=4)
    with Resolver(cache="memory://", http=http) as resolver:
        app = create_app(resolver, settings=settings)

        async def scenario() -> tuple[str, list[bool], list[str]]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://serve") as client:
                first = await client.get("/oembed", params={"url": POST})
                assert first.json()["embedkit_status"] == "fresh"
                hanging = [
                    asyncio.create_task(
                        client.get("/oembed", params={"url": f"https://x.com/a/status/{n}"})
                    )
                    for n in range(10)  # more than the 4 fetch threads
                ]
                await asyncio.sleep(0.2)
                hit = await asyncio.wait_for(client.get("/oembed", params={"url": POST}), 20)
                still_hanging = [not task.done() for task in hanging]
                release.set()
                done = await asyncio.gather(*hanging)
                return (
                    hit.json()["embedkit_status"],
                    still_hanging,
                    [d.json()["embedkit_status"] for d in done],
                )

        status, still_hanging, statuses = asyncio.run(scenario())
    http.close()
    assert status == "cached"
    assert all(still_hanging)  # the hit was answered while every fetch still waited
    assert set(statuses) == {"fresh"}


# -- answers from memory (recheck_seconds) ------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _served(app: Any) -> tuple[str, str]:
    data = get(app, "/oembed", url=POST).json()
    return data["embedkit_status"], data["html"]


def test_a_post_served_from_the_cache_is_answered_from_memory_until_the_recheck() -> None:
    clock = _Clock()
    with Resolver(cache="memory://", offline=True, clock=clock) as resolver:
        resolver.cache.set(_cached_entry(resolver))
        app = create_app(resolver, settings=NO_LIMIT)  # recheck_seconds=1 by default
        status, html = _served(app)
        assert status == "cached"
        assert "LIVE" in html
        # Another process purges the post: this one answers from memory for a second...
        resolver.cache.delete(cache_key("https://x.com/reuters/status/1636212467429621760", {}))
        clock.now += 0.5
        assert _served(app) == (status, html)
        # ...then reads the cache again, and the purge shows.
        clock.now += 0.6
        status, html = _served(app)
    assert status == "fallback"
    assert "LIVE" not in html


def test_recheck_zero_reads_the_cache_for_every_request() -> None:
    with Resolver(cache="memory://", offline=True, clock=_Clock()) as resolver:
        resolver.cache.set(_cached_entry(resolver))
        app = create_app(resolver, settings=ServeSettings(rate_limit=None, recheck_seconds=0))
        assert _served(app)[0] == "cached"
        resolver.cache.delete(cache_key("https://x.com/reuters/status/1636212467429621760", {}))
        assert _served(app)[0] == "fallback"


def test_a_post_is_never_answered_from_memory_past_its_expiry() -> None:
    clock = _Clock()
    with Resolver(cache="memory://", offline=True, clock=clock) as resolver:
        entry = _cached_entry(resolver)
        resolver.cache.set(entry)
        app = create_app(resolver, settings=ServeSettings(rate_limit=None, recheck_seconds=1e9))
        assert _served(app)[0] == "cached"
        clock.now = entry.expires_at + 1  # expired: the cache is read, and says so
        assert _served(app)[0] == "stale"


def test_recheck_seconds_come_from_the_environment_and_are_checked() -> None:
    read = ServeSettings.from_env
    assert read({}).recheck_seconds == 1.0
    assert read({"EMBEDKIT_SERVE_RECHECK_SECONDS": "0"}).recheck_seconds == 0.0
    assert read({"EMBEDKIT_SERVE_RECHECK_SECONDS": "2.5"}).recheck_seconds == 2.5
    for bad in ("-1", "soon", "nan", "inf"):
        with pytest.raises(ConfigError, match="recheck seconds"):
            read({"EMBEDKIT_SERVE_RECHECK_SECONDS": bad})
    with pytest.raises(ConfigError, match="recheck seconds"):
        ServeSettings(recheck_seconds=math.nan)
