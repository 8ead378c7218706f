"""The endpoints of one real ``embedkit serve`` process, checked against openapi.json."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.serve.conftest import Server, _wait_until_up, launch, serve_env
from tests.serve.openapi_check import check, documented
from tests.simulator import REUTERS_STATUS_ID, ProviderSimulator

REUTERS = f"https://twitter.com/Reuters/status/{REUTERS_STATUS_ID}?s=20"
REUTERS_CANONICAL = f"https://x.com/reuters/status/{REUTERS_STATUS_ID}"
VIDEO = "https://youtu.be/dQw4w9WgXcQ"
HOSTILE = "https://x.com/attacker/status/666"
WIDGETS = '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
HOSTILE_ANSWER = {
    "type": "rich",
    "version": "1.0",
    "provider_name": "Twitter",
    "author_name": "attacker",
    "author_url": "javascript:alert(1)",
    "thumbnail_url": "javascript:alert(2)",
    "title": "<script>alert(3)</script>",
    "html": (
        '<blockquote class="twitter-tweet" onmouseover="alert(4)"><p>hi</p>'
        '<a href="javascript:alert(5)">x</a><img src=x onerror="alert(6)"></blockquote>'
        "<script>alert(7)</script>"
        '<script src="https://evil.example/x.js"></script>'
        '<iframe src="https://evil.example/frame"></iframe>'
        "<style>body{display:none}</style>"
    ),
}


@pytest.fixture(scope="module")
def sim() -> Iterator[ProviderSimulator]:
    simulator = ProviderSimulator().start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture(scope="module")
def server(sim: ProviderSimulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve")
    env = serve_env(sim, folder)
    sim.route("/twitter/oembed", body=HOSTILE_ANSWER, when_url=HOSTILE)
    running = launch(env, "--rate-limit", "off", log_dir=folder)
    try:
        _wait_until_up(running)
        yield running
    finally:
        running.stop()


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def test_oembed_is_oembed_1_0_with_embedkit_fields(http: httpx.Client) -> None:
    first = check(http.get("/oembed", params={"url": REUTERS, "maxwidth": 400}))
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/json"
    data = first.json()
    assert data["version"] == "1.0"
    assert data["type"] == "rich"
    assert data["url"] == REUTERS_CANONICAL
    assert data["provider_name"] == "Twitter"
    assert data["author_name"] == "Reuters"
    assert data["width"] == 400  # the provider said 550; maxwidth bounds it
    assert data["embedkit_status"] in ("fresh", "cached")
    assert "LIVE: Japanese Prime Minister Fumio Kishida" in data["html"]
    assert data["html"].endswith(WIDGETS + "\n")  # the allowlisted script, once
    assert data["html"].count("<script") == 1
    assert data["embedkit_scripts"] == ["https://platform.twitter.com/widgets.js"]
    assert data["cache_age"] > 3600
    second = check(http.get("/oembed", params={"url": REUTERS, "maxwidth": 400}))
    assert second.json()["embedkit_status"] == "cached"
    assert second.headers["x-embedkit-status"] == "cached"


def test_oembed_omit_script_leaves_the_tag_out_but_lists_it(http: httpx.Client) -> None:
    data = check(http.get("/oembed", params={"url": REUTERS, "omit_script": "1"})).json()
    assert "<script" not in data["html"]
    assert data["embedkit_scripts"] == ["https://platform.twitter.com/widgets.js"]


def test_embed_is_the_same_html_as_a_fragment(http: httpx.Client) -> None:
    http.get("/embed", params={"url": REUTERS})  # cached from now on
    page = check(http.get("/embed", params={"url": REUTERS}))
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    oembed = http.get("/oembed", params={"url": REUTERS}).json()
    assert page.text == oembed["html"]


def test_etag_and_304(http: httpx.Client) -> None:
    first = check(http.get("/embed", params={"url": REUTERS}))
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{24}"', etag)
    again = check(http.get("/embed", params={"url": REUTERS}, headers={"If-None-Match": etag}))
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == first.headers["cache-control"]
    other = http.get("/embed", params={"url": REUTERS}, headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200
    narrower = http.get("/oembed", params={"url": REUTERS, "maxwidth": 300})
    assert narrower.headers["etag"] != http.get("/oembed", params={"url": REUTERS}).headers["etag"]


def test_cache_control_follows_freshness(http: httpx.Client, sim: ProviderSimulator) -> None:
    fresh = http.get("/oembed", params={"url": REUTERS})
    max_age = int(fresh.headers["cache-control"].removeprefix("public, max-age="))
    assert max_age == fresh.json()["cache_age"]
    assert max_age > 3600
    sim.fault("/twitter/oembed", "status", status=503, times=1)
    down = check(http.get("/oembed", params={"url": "https://x.com/someone/status/77"}))
    assert down.status_code == 200  # provider trouble is a fallback, never an error
    assert down.json()["embedkit_status"] == "fallback"
    assert "A post on X" in down.json()["html"]
    assert down.headers["cache-control"] == "public, max-age=60"


def test_a_hostile_provider_answer_comes_back_sanitized(http: httpx.Client) -> None:
    for path in ("/oembed", "/embed"):
        reply = check(http.get(path, params={"url": HOSTILE}))
        text = reply.json()["html"] if path == "/oembed" else reply.text
        assert reply.headers["x-embedkit-status"] in ("fresh", "cached")  # sanitized, shown
        assert "<p>hi</p>" in text
        assert "<script" not in text  # the answer named no allowlisted script
        for bad in ("alert(", "onmouseover", "onerror", "javascript:", "evil.example", "<style"):
            assert bad not in text, bad
    data = http.get("/oembed", params={"url": HOSTILE}).json()
    assert "author_url" not in data  # not an http(s) URL: dropped
    assert "thumbnail_url" not in data
    assert data["title"] == "<script>alert(3)</script>"  # a JSON string, never markup


def test_render_html_and_markdown_emit_each_script_once(http: httpx.Client) -> None:
    html = f"<p>{REUTERS}</p>\n<p>Between.</p>\n<p>https://x.com/someone/status/9</p>\n"
    page = check(http.post("/render", content=html, headers={"content-type": "text/html"}))
    assert page.status_code == 200
    assert page.text.count("platform.twitter.com/widgets.js") == 1
    assert "LIVE: Japanese Prime Minister" in page.text
    assert "<p>Between.</p>" in page.text
    markdown = f"# Trade\n\nSeoul and Tokyo.\n\n{REUTERS}\n"
    md = check(http.post("/render", content=markdown, headers={"content-type": "text/markdown"}))
    assert "<h1>Trade</h1>" in md.text
    assert "<p>Seoul and Tokyo.</p>" in md.text
    assert md.text.count("platform.twitter.com/widgets.js") == 1
    nonce = check(http.post("/render", params={"nonce": "abc123"}, content=html))
    assert 'nonce="abc123"' in nonce.text


def test_providers_match(http: httpx.Client) -> None:
    found = check(http.get("/providers/match", params={"url": REUTERS})).json()
    assert found == {"url": REUTERS_CANONICAL, "provider": "Twitter", "matched": True}
    none = check(http.get("/providers/match", params={"url": "https://example.org/a"})).json()
    assert none == {"url": "https://example.org/a", "provider": None, "matched": False}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "the url parameter is missing"),
        ({"url": "javascript:alert(1)"}, "javascript: scheme is not allowed"),
        ({"url": "file:///etc/passwd"}, "file: scheme is not allowed"),
        ({"url": "not a url"}, "not a"),
        ({"url": "https://x.com/" + "a" * 2100}, "longer than 2,048 characters"),
        ({"url": REUTERS, "maxwidth": "0"}, "maxwidth must be a whole number"),
        ({"url": REUTERS, "maxheight": "9e9"}, "maxheight must be a whole number"),
        ({"url": REUTERS, "theme": "blue"}, "theme must be one of light, dark"),
        ({"url": REUTERS, "lang": "<b>"}, "lang must be a language code"),
    ],
)
def test_bad_input_is_a_400_json_error(
    http: httpx.Client, params: dict[str, str], message: str
) -> None:
    for path in ("/oembed", "/embed"):
        reply = check(http.get(path, params=params))
        assert reply.status_code == 400
        assert reply.json()["status"] == 400
        assert message in reply.json()["error"], reply.json()


def test_xml_is_not_implemented(http: httpx.Client) -> None:
    reply = check(http.get("/oembed", params={"url": REUTERS, "format": "xml"}))
    assert reply.status_code == 501
    assert "json" in reply.json()["error"]


def test_size_limits(http: httpx.Client) -> None:
    long_query = check(http.get("/oembed", params={"url": REUTERS, "pad": "x" * 5000}))
    assert long_query.status_code == 414
    assert "longer than 4096 bytes" in long_query.json()["error"]
    big = check(http.post("/render", content=b"<p>x</p>" * 140_000))
    assert big.status_code == 413
    assert "larger than 1048576 bytes" in big.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit still holds
        for _ in range(200):
            yield b"x" * 8192

    streamed = http.post("/render", content=chunks())
    assert streamed.status_code == 413
    bad_utf8 = check(http.post("/render", content=b"<p>\xff</p>"))
    assert bad_utf8.status_code == 400
    assert "not UTF-8" in bad_utf8.json()["error"]


def test_too_many_embeds_in_one_page(http: httpx.Client) -> None:
    body = "".join(f"<p>https://x.com/a/status/{n}</p>\n" for n in range(1, 102))
    reply = check(http.post("/render", content=body))
    assert reply.status_code == 400
    assert "101 URLs to embed; at most 100" in reply.json()["error"]


def test_healthz_and_metrics(http: httpx.Client) -> None:
    health = check(http.get("/healthz")).json()
    assert health["status"] == "ok"
    assert health["cache"]["reachable"] is True
    http.get("/oembed", params={"url": REUTERS})
    http.get("/oembed", params={"url": REUTERS})
    text = check(http.get("/metrics")).text
    assert re.search(
        r'^embedkit_http_requests_total\{endpoint="/oembed",status="200"\} \d', text, re.M
    )
    assert re.search(r'^embedkit_upstream_requests_total\{provider="Twitter"\} [1-9]', text, re.M)
    assert re.search(r'^embedkit_cache_lookups_total\{result="hit"\} [1-9]', text, re.M)
    assert re.search(r"^embedkit_http_request_seconds_bucket\{", text, re.M)
    ratio = float(re.search(r"^embedkit_cache_hit_ratio (\S+)$", text, re.M).group(1))  # type: ignore[union-attr]
    assert 0 < ratio < 1


def test_the_openapi_document_is_served(http: httpx.Client) -> None:
    served = check(http.get("/openapi.json")).json()
    assert served["openapi"] == "3.1.0"
    assert set(served["paths"]) == {
        "/oembed", "/embed", "/render", "/providers/match", "/healthz", "/metrics", "/openapi.json"
    }  # fmt: skip


def test_every_documented_response_is_produced_and_valid(
    http: httpx.Client, server: Server, sim: ProviderSimulator, tmp_path: Path
) -> None:
    """Each (method, path, status) in openapi.json, produced for real and validated."""
    produced: set[tuple[str, str, int]] = set()

    def record(reply: httpx.Response) -> None:
        check(reply)
        produced.add((reply.request.method, reply.request.url.path, reply.status_code))

    for path in ("/oembed", "/embed"):
        ok = http.get(path, params={"url": REUTERS})
        record(ok)
        record(
            http.get(path, params={"url": REUTERS}, headers={"If-None-Match": ok.headers["etag"]})
        )
        record(http.get(path, params={"url": "ftp://x"}))
        record(http.get(path, params={"url": REUTERS, "q": "x" * 5000}))
    record(http.get("/oembed", params={"url": REUTERS, "format": "xml"}))
    record(http.post("/render", content=f"<p>{REUTERS}</p>"))
    record(http.post("/render", params={"format": "pdf"}, content="x"))
    record(http.post("/render", content=b"x" * 1_100_000))
    record(http.get("/providers/match", params={"url": VIDEO}))
    record(http.get("/providers/match"))
    record(http.get("/providers/match", params={"url": "x" * 5000}))
    for path in ("/healthz", "/metrics", "/openapi.json"):
        record(http.get(path))
    # 429s come from a server with a tight rate limit.
    limited = launch(serve_env(sim, tmp_path), "--rate-limit", "1/hour", log_dir=tmp_path)
    try:
        _wait_until_up(limited)
        with limited.client() as tight:
            for method, path in [("GET", "/oembed"), ("GET", "/embed"), ("POST", "/render"),
                                 ("GET", "/providers/match")]:  # fmt: skip
                for _ in range(2):
                    reply = tight.request(method, path, params={"url": REUTERS}, content="x")
                record(reply)
    finally:
        limited.stop()
    assert produced == documented()


def test_logs_hold_no_traceback(server: Server, http: httpx.Client) -> None:
    http.get("/oembed", params={"url": "javascript:x"})
    http.post("/render", content=b"\xff")
    assert "Traceback" not in server.log.read_text()
    assert json.loads(http.get("/healthz").text)["status"] == "ok"


def test_metrics_add_up_every_worker(sim: ProviderSimulator, tmp_path: Path) -> None:
    server = launch(serve_env(sim, tmp_path), "--workers", "2", "--rate-limit", "off",
                    log_dir=tmp_path)  # fmt: skip
    try:
        _wait_until_up(server)
        for _ in range(3):  # new connections, so both workers answer some
            with server.client() as client:
                for n in range(10):
                    client.get("/providers/match", params={"url": f"https://x.com/a/status/{n}"})
        pattern = (
            r'^embedkit_http_requests_total\{endpoint="/providers/match",status="200"\} (\S+)$'
        )
        for _ in range(4):
            with server.client() as client:
                text = client.get("/metrics").text
            assert float(re.search(pattern, text, re.M).group(1)) == 30  # type: ignore[union-attr]
    finally:
        server.stop()
