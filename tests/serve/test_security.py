"""Safe by default, checked on real processes: loopback, guard, CORS, rate limit."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.serve.conftest import Server, serve_env
from tests.simulator import ProviderSimulator

CMS = "https://cms.example.com"
POST = "https://x.com/someone/status/5"


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (from /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_it_listens_on_loopback_only_by_default(
    start_serve: Callable[..., Server], simulator: ProviderSimulator, tmp_path: Path
) -> None:
    server = start_serve(serve_env(simulator, tmp_path))
    assert listening_addresses(server.port) == {"0100007F"}  # 127.0.0.1, nothing else


def test_the_network_guard_stays_on(
    start_serve: Callable[..., Server], simulator: ProviderSimulator, tmp_path: Path
) -> None:
    env = serve_env(simulator, tmp_path)
    del env["EMBEDKIT_ALLOW_PRIVATE_NETWORKS"]  # providers are configuration; pasted URLs are not
    server = start_serve(env)
    simulator.page("/article", html="<html><head><title>Private</title></head></html>")
    with server.client() as http:
        private = http.get("/oembed", params={"url": simulator.url("/article")})
        provider = http.get("/oembed", params={"url": POST})
    assert private.status_code == 200
    assert private.json()["embedkit_status"] == "fallback"
    assert simulator.count("/article") == 0  # no request reached the loopback page
    assert provider.json()["embedkit_status"] == "fresh"  # the configured endpoint still works


def test_cors_only_for_the_given_origins(
    start_serve: Callable[..., Server], simulator: ProviderSimulator, tmp_path: Path
) -> None:
    env = serve_env(simulator, tmp_path)
    closed = start_serve(env)
    open_to_cms = start_serve(env, "--allow-origin", CMS)
    with closed.client() as http:
        reply = http.get("/oembed", params={"url": POST}, headers={"Origin": CMS})
        assert "access-control-allow-origin" not in reply.headers
        preflight = http.options(
            "/oembed", headers={"Origin": CMS, "Access-Control-Request-Method": "GET"}
        )
        assert "access-control-allow-origin" not in preflight.headers
    with open_to_cms.client() as http:
        allowed = http.get("/oembed", params={"url": POST}, headers={"Origin": CMS})
        assert allowed.headers["access-control-allow-origin"] == CMS
        assert "etag" in allowed.headers["access-control-expose-headers"].lower()
        other = http.get(
            "/oembed", params={"url": POST}, headers={"Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers
        preflight = http.options(
            "/render", headers={"Origin": CMS, "Access-Control-Request-Method": "POST"}
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == CMS
        refused = http.options(
            "/render",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in refused.headers


def test_rate_limit_per_client(
    start_serve: Callable[..., Server], simulator: ProviderSimulator, tmp_path: Path
) -> None:
    server = start_serve(serve_env(simulator, tmp_path), "--rate-limit", "3/minute")
    with server.client() as http:
        codes = [http.get("/oembed", params={"url": POST}).status_code for _ in range(3)]
        limited = http.get("/embed", params={"url": POST})
        assert codes == [200, 200, 200]
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert "rate limit of 3 requests per 60 s exceeded" in limited.json()["error"]
        assert http.get("/healthz").status_code == 200  # monitoring is never limited
        metrics = http.get("/metrics").text
    assert re.search(r'^embedkit_refused_total\{reason="rate_limited"\} 1\.0$', metrics, re.M)
    # A client cannot lift its limit with a forwarded address: no proxy is trusted by default.
    with server.client(headers={"X-Forwarded-For": "203.0.113.9"}) as http:
        assert http.get("/oembed", params={"url": POST}).status_code == 429


def test_rate_limit_uses_the_forwarded_address_behind_a_trusted_proxy(
    start_serve: Callable[..., Server], simulator: ProviderSimulator, tmp_path: Path
) -> None:
    server = start_serve(
        serve_env(simulator, tmp_path),
        "--rate-limit", "1/minute", "--forwarded-allow-ips", "127.0.0.1",
    )  # fmt: skip
    with server.client() as http:
        first = [
            http.get("/oembed", params={"url": POST}, headers={"X-Forwarded-For": ip}).status_code
            for ip in ("203.0.113.1", "203.0.113.2", "203.0.113.1")
        ]
    assert first == [200, 200, 429]


def test_another_host_is_said_on_stderr(
    start_serve: Callable[..., Server], simulator: ProviderSimulator, tmp_path: Path
) -> None:
    server = start_serve(serve_env(simulator, tmp_path), "--host", "0.0.0.0")
    log = server.log.read_text()
    assert f"listening on http://0.0.0.0:{server.port}, reachable from other machines" in log
    assert listening_addresses(server.port) == {"00000000"}
