"""The hardened HTTP client, against the provider simulator (real sockets, 127.0.0.1).

The simulator lives on a loopback address, so URLs that are "configuration"
(provider endpoints) are fetched with ``trusted=True``; redirect hops and
author URLs meet the network guard.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import trustme
from hypothesis import given
from hypothesis import strategies as st
from tests.loopback import Loopback, read_head
from tests.simulator import ProviderSimulator

import embedkit
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
from embedkit.net._http import (
    DEFAULT_USER_AGENT,
    HttpClient,
    HttpResponse,
    _PlainUrl,
    parse_retry_after,
    raise_for_status,
    redact_url,
)
from embedkit.net._sent import was_sent
from embedkit.net._transport import (
    CURRENT_PERMIT,
    MAX_HEAD_BYTES,
    GuardedTransport,
    Permit,
    PinnedBackend,
)

SECRET = "s3cr3t-T0KEN"


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(timeout=0.3) as client:
        yield client


@pytest.fixture
def open_http() -> Iterator[HttpClient]:
    """A client that may follow redirects between simulator URLs (all on loopback)."""
    with HttpClient(timeout=0.3, allow_private_networks=True) as client:
        yield client


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CountingDns:
    """A DNS resolver that answers from ``table`` and records every host asked about."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return list(self.table[host])


def counting_dns(table: dict[str, list[str]]) -> CountingDns:
    return CountingDns(table)


# -- plain fetching -------------------------------------------------------------------


def test_get_reads_a_trusted_endpoint(simulator: ProviderSimulator, http: HttpClient) -> None:
    simulator.route("/twitter/oembed", fixture="twitter-1.json")
    response = http.get(simulator.url("/twitter/oembed?url=x"), trusted=True)
    assert response.status == 200
    assert response.url == simulator.url("/twitter/oembed?url=x")
    assert response.headers["content-type"] == "application/json"
    assert response.json()["author_name"] == "Dong Nguyen"
    assert response.truncated is False


def test_user_agent_names_embedkit_and_its_version(
    simulator: ProviderSimulator, http: HttpClient
) -> None:
    simulator.route("/a", body={"ok": True})
    http.get(simulator.url("/a"), trusted=True)
    agent = simulator.last("/a").headers["user-agent"]
    assert agent == DEFAULT_USER_AGENT
    assert agent.startswith(f"embedkit/{embedkit.__version__}")


def test_headers_given_to_get_are_sent(simulator: ProviderSimulator, http: HttpClient) -> None:
    simulator.route("/a", body={})
    http.get(simulator.url("/a"), headers={"Accept": "application/json"}, trusted=True)
    assert simulator.last().headers["accept"] == "application/json"


def test_a_header_the_caller_gives_replaces_the_clients_own() -> None:
    heads: list[bytes] = []

    def answer(conn: socket.socket) -> None:
        heads.append(read_head(conn))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

    with Loopback(answer) as server, HttpClient(timeout=2) as http:
        http.get(server.url("/"), trusted=True, headers={"accept": "application/json"})
        http.get(server.url("/"), trusted=True, headers={"User-Agent": "mine/1"})
    first, second = (head.decode().lower().split("\r\n") for head in heads)
    assert [line for line in first if line.startswith("accept:")] == ["accept: application/json"]
    assert sum(line.startswith("user-agent:") for line in first) == 1
    assert [line for line in second if line.startswith("user-agent:")] == ["user-agent: mine/1"]
    assert sum(line.startswith("accept:") for line in second) == 1


def test_the_transport_tells_each_request_without_its_query(simulator: ProviderSimulator) -> None:
    simulator.route("/oembed", body={})
    seen: list[str] = []
    transport = GuardedTransport(guard=False, on_request=seen.append)
    with HttpClient(timeout=2, transport=transport) as http:
        http.get(simulator.url("/oembed?url=a&token=secret"), trusted=True)  # read plainly
        http.get(simulator.url("/oembed?url=b#part"), trusted=True)  # read by httpx
    assert seen == [simulator.url("/oembed")] * 2


def test_one_connection_is_kept_alive_for_several_requests(
    simulator: ProviderSimulator, http: HttpClient
) -> None:
    simulator.route("/a", fixture="youtube-1.json")
    simulator.route("/b", fixture="vimeo-1.json")
    for path in ("/a", "/b", "/a", "/b", "/a"):
        http.get(simulator.url(path), trusted=True)
    ports = {request.client_port for request in simulator.requests}
    assert simulator.count() == 5
    assert len(ports) == 1


def test_cookies_are_never_stored_or_sent(simulator: ProviderSimulator, http: HttpClient) -> None:
    simulator.route("/a", body={}, headers={"Set-Cookie": "session=tracker-123; Path=/"})
    http.get(simulator.url("/a"), trusted=True)
    http.get(simulator.url("/a"), trusted=True)
    assert "cookie" not in simulator.last("/a").headers


def test_concurrent_requests_share_kept_alive_connections(simulator: ProviderSimulator) -> None:
    simulator.route("/a", fixture="youtube-1.json")
    with HttpClient(timeout=2) as http, ThreadPoolExecutor(8) as pool:
        for _ in range(3):
            statuses = list(
                pool.map(lambda _: http.get(simulator.url("/a"), trusted=True).status, range(8))
            )
            assert statuses == [200] * 8
    ports = {request.client_port for request in simulator.requests}
    assert simulator.count() == 24
    assert len(ports) <= 8  # connections are given back and taken again, not reopened


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    """A server that closes every connection after one answer (without saying so)."""
    body = b'{"type": "link"}'
    ports: list[int] = []

    def answer_once(conn: socket.socket) -> None:
        ports.append(conn.getpeername()[1])
        read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    with Loopback(answer_once) as server, HttpClient(timeout=2) as http:
        for _ in range(3):
            assert http.get(server.url("/"), trusted=True).content == body
            time.sleep(0.05)  # the server's close reaches the idle connection
    assert len(set(ports)) == 3


def test_a_get_on_a_connection_the_server_dropped_meanwhile_is_sent_again_once() -> None:
    """The server takes the second request on a kept-alive connection, then hangs up.

    Nothing was answered, so the GET goes again on a new connection; a server that
    hangs up on a new connection too is an error, not a loop.
    """
    body = b'{"type": "link"}'
    ports: list[int] = []

    def answer_one_then_drop(conn: socket.socket) -> None:
        ports.append(conn.getpeername()[1])
        read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        read_head(conn)  # the next request arrives, and the connection closes unanswered

    with Loopback(answer_one_then_drop) as server, HttpClient(timeout=2) as http:
        assert http.get(server.url("/"), trusted=True).content == body
        assert http.get(server.url("/"), trusted=True).content == body
    assert len(ports) == 2

    def drop(conn: socket.socket) -> None:
        ports.append(conn.getpeername()[1])
        read_head(conn)

    ports.clear()
    with (
        Loopback(drop) as server,
        HttpClient(timeout=2) as http,
        pytest.raises(ConnectionFailed, match="closed the connection without answering"),
    ):
        http.get(server.url("/"), trusted=True)
    assert len(ports) == 1


def test_response_headers_larger_than_the_cap_are_refused() -> None:
    head = b"HTTP/1.1 200 OK\r\n" + b"X-Pad: %s\r\n" % (b"p" * 2000) * 40 + b"\r\n"
    assert len(head) > MAX_HEAD_BYTES
    assert all(len(line) < 65536 for line in head.split(b"\r\n"))  # each line is allowed

    def answer(conn: socket.socket) -> None:
        read_head(conn)
        conn.sendall(head + b"{}")

    with (
        Loopback(answer) as server,
        HttpClient(timeout=2) as http,
        pytest.raises(ConnectionFailed, match=f"headers are larger than {MAX_HEAD_BYTES}"),
    ):
        http.get(server.url("/"), trusted=True)


_LABEL = st.from_regex(r"(xn--)?[a-z0-9]([a-z0-9-]{0,5}[a-z0-9])?", fullmatch=True)


@given(
    st.sampled_from(["http", "https"]),
    st.lists(_LABEL, min_size=1, max_size=4).map(".".join),
    st.one_of(st.none(), st.integers(0, 70_000)),
    st.from_regex(r"(/[A-Za-z0-9._~!$&'()*+,;=:@/?%-]{0,30})?", fullmatch=True),
)
def test_a_url_read_without_httpx_is_what_httpx_reads(
    scheme: str, host: str, port: int | None, target: str
) -> None:
    url = f"{scheme}://{host}" + ("" if port is None else f":{port}") + target
    plain = _PlainUrl.read(url)
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        assert plain is None  # what httpx refuses is left to httpx, which says why
        return
    if plain is None:
        return  # not plain: httpx reads it
    assert str(plain) == str(parsed)
    assert (plain.scheme, plain.port) == (parsed.scheme, parsed.port)
    assert plain.host == parsed.raw_host.decode("ascii")
    assert plain.target == parsed.raw_path.decode("ascii")
    assert plain.authority == parsed.netloc.decode("ascii")


@pytest.mark.parametrize(
    "url",
    [
        "http://a.test:80/",  # httpx drops a default port
        "https://a.test:443/x",
        "https://A.test/",  # and lower-cases the host
        "https://a.test/a/../b",  # and removes dot segments
        "https://a.test/%zz",  # and escapes a bare %
        "https://a.test/a b",
        "https://a.test/#frag",
        "https://user@a.test/",
        "https://[::1]/",
        "https://a.test:99999/",
        "http://01.2.3.4/",  # and refuses dotted quads that are not addresses
        "http://256.1.1.1/",
        "http://127.000.000.001/",
        "http://1a2b3c4/",  # (its pattern's "." is any character)
        "http://xn--a.test/",  # and A-labels that do not decode
        "http://xn--zca.test/",  # even valid ones: IDNA is httpx's to judge
    ],
)
def test_urls_httpx_would_change_are_left_to_httpx(url: str) -> None:
    assert _PlainUrl.read(url) is None


def test_untrusted_url_on_loopback_is_refused_before_any_request(
    simulator: ProviderSimulator, http: HttpClient
) -> None:
    simulator.route("/page", body="<html></html>", content_type="text/html")
    with pytest.raises(BlockedAddress, match=r"127\.0\.0\.1 \(loopback address\)"):
        http.get(simulator.url("/page"))
    assert simulator.count() == 0


def test_allow_private_networks_lets_untrusted_urls_reach_loopback(
    simulator: ProviderSimulator,
) -> None:
    simulator.route("/page", body="<html></html>", content_type="text/html")
    with HttpClient(timeout=0.5, allow_private_networks=True) as client:
        assert client.get(simulator.url("/page")).status == 200


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "data:,hi"])
def test_only_http_and_https_are_fetched(http: HttpClient, url: str) -> None:
    with pytest.raises(BlockedAddress, match="only http and https"):
        http.get(url, trusted=True)


def test_refused_connection_is_connection_failed(http: HttpClient) -> None:
    url = f"http://127.0.0.1:{closed_port()}/oembed"
    with pytest.raises(ConnectionFailed) as caught:
        http.get(url, trusted=True)
    assert caught.value.url == url


# -- the DNS seam and connection pinning -------------------------------------------------


def test_names_resolve_through_the_dns_seam_once_per_connection(
    simulator: ProviderSimulator,
) -> None:
    simulator.route("/oembed", body={"ok": 1})
    dns = counting_dns({"provider.test": ["127.0.0.1"]})
    with HttpClient(timeout=0.5, dns=dns) as client:
        url = f"http://provider.test:{simulator.port}/oembed"
        for _ in range(3):
            assert client.get(url, trusted=True).json() == {"ok": 1}
    assert dns.asked == ["provider.test"]
    assert simulator.last().headers["host"] == f"provider.test:{simulator.port}"


def test_guard_checks_names_through_the_dns_seam(simulator: ProviderSimulator) -> None:
    dns = counting_dns({"rebind.test": ["127.0.0.1"]})
    with HttpClient(timeout=0.5, dns=dns) as client, pytest.raises(BlockedAddress) as caught:
        client.get(f"http://rebind.test:{simulator.port}/")
    assert "rebind.test (127.0.0.1, loopback address)" in str(caught.value)
    assert simulator.count() == 0


def test_connections_go_to_the_checked_address_without_a_second_lookup(
    simulator: ProviderSimulator,
) -> None:
    def dns(host: str, port: int) -> list[str]:
        raise AssertionError("a permitted connection must not resolve the name again")

    backend = PinnedBackend(dns, guard=True)
    token = CURRENT_PERMIT.set(Permit("rebind.test", simulator.port, ("127.0.0.1",)))
    try:
        sock = backend.connect("rebind.test", simulator.port, timeout=1.0)
    finally:
        CURRENT_PERMIT.reset(token)
    with sock:
        assert sock.getpeername()[:2] == ("127.0.0.1", simulator.port)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_a_connection_without_a_permit_is_checked_by_the_backend() -> None:
    backend = PinnedBackend(lambda host, port: ["10.0.0.7"], guard=True)
    with pytest.raises(BlockedAddress, match=r"evil\.test \(10\.0\.0\.7, private address\)"):
        backend.connect("evil.test", 80, timeout=1.0)


# -- timeouts and the deadline -----------------------------------------------------------


def test_a_hanging_provider_times_out(simulator: ProviderSimulator, http: HttpClient) -> None:
    simulator.fault("/slow", "hang")
    started = time.monotonic()
    with pytest.raises(Timeout) as caught:
        http.get(simulator.url("/slow"), trusted=True)
    elapsed = time.monotonic() - started
    assert 0.25 <= elapsed < 2.0
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.url == simulator.url("/slow")


def test_a_short_delay_is_waited_for(simulator: ProviderSimulator) -> None:
    simulator.route("/slow", body={"ok": True})
    simulator.fault("/slow", "delay", seconds=0.1)
    with HttpClient(timeout=1.0) as client:
        assert client.get(simulator.url("/slow"), trusted=True).json() == {"ok": True}


def test_a_delay_longer_than_the_timeout_times_out(simulator: ProviderSimulator) -> None:
    simulator.route("/slow", body={"ok": True})
    simulator.fault("/slow", "delay", seconds=1.5)
    with HttpClient(timeout=0.3) as client, pytest.raises(Timeout):
        client.get(simulator.url("/slow"), trusted=True)


def test_the_deadline_covers_the_whole_redirect_chain(simulator: ProviderSimulator) -> None:
    # Each hop answers within the 0.3 s timeout, but together they pass the 0.5 s deadline.
    for hop in range(1, 4):
        simulator.route(
            f"/hop{hop}", status=302, headers={"Location": f"/hop{hop + 1}"}, content_type=None
        )
        simulator.fault(f"/hop{hop}", "delay", seconds=0.2)
    simulator.route("/hop4", body={"ok": True})
    started = time.monotonic()
    client = HttpClient(timeout=0.3, deadline=0.5, allow_private_networks=True)
    with client, pytest.raises(Timeout):
        client.get(simulator.url("/hop1"), trusted=True)
    assert time.monotonic() - started < 1.5
    assert simulator.count("/hop4") == 0


def test_the_deadline_is_measured_with_the_injected_clock(simulator: ProviderSimulator) -> None:
    simulator.route("/a", body={})
    ticks = iter([0.0, 100.0, 200.0])
    client = HttpClient(timeout=1.0, deadline=5.0, clock=lambda: next(ticks))
    with client, pytest.raises(Timeout, match="5 s deadline"):
        client.get(simulator.url("/a"), trusted=True)
    assert simulator.count() == 0


def test_default_deadline_is_twice_the_timeout() -> None:
    with HttpClient(timeout=1.5) as client:
        assert client.deadline == 3.0


# -- the size cap ---------------------------------------------------------------------------


@pytest.mark.parametrize("declare_length", [False, True])
def test_bodies_over_one_mebibyte_are_refused(
    simulator: ProviderSimulator, http: HttpClient, declare_length: bool
) -> None:
    simulator.fault("/big", "oversize", declare_length=declare_length)
    with pytest.raises(InvalidResponse, match="larger than the 1 MiB limit"):
        http.get(simulator.url("/big"), trusted=True)


def test_a_body_of_exactly_the_cap_is_read(simulator: ProviderSimulator, http: HttpClient) -> None:
    simulator.route("/full", body=b"x" * 1_048_576, content_type="text/plain")
    assert len(http.get(simulator.url("/full"), trusted=True).content) == 1_048_576


def test_max_bytes_per_request(simulator: ProviderSimulator, http: HttpClient) -> None:
    simulator.route("/page", body=b"y" * 2000, content_type="text/plain")
    with pytest.raises(InvalidResponse, match="the 1000 bytes limit"):
        http.get(simulator.url("/page"), trusted=True, max_bytes=1000)


def test_truncate_returns_the_prefix_instead_of_failing(
    simulator: ProviderSimulator, http: HttpClient
) -> None:
    simulator.fault("/big", "oversize", size=3 * 1024 * 1024)
    response = http.get(simulator.url("/big"), trusted=True, max_bytes=4096, truncate=True)
    assert response.truncated is True
    assert len(response.content) == 4096
    assert response.content.startswith(b'{"pad": "xxx')


# -- redirects ----------------------------------------------------------------------------------


def chain(simulator: ProviderSimulator, length: int) -> str:
    """Routes /r1 → /r2 → ... → /r{length} → /end; returns the first URL."""
    for hop in range(1, length + 1):
        target = f"/r{hop + 1}" if hop < length else "/end"
        simulator.route(f"/r{hop}", status=301, headers={"Location": target}, content_type=None)
    simulator.route("/end", body={"arrived": True})
    return simulator.url("/r1")


def test_redirects_are_followed_up_to_the_limit(
    simulator: ProviderSimulator, open_http: HttpClient
) -> None:
    response = open_http.get(chain(simulator, 3))
    assert response.json() == {"arrived": True}
    assert response.url == simulator.url("/end")


def test_one_redirect_too_many_is_refused(
    simulator: ProviderSimulator, open_http: HttpClient
) -> None:
    with pytest.raises(InvalidResponse, match=r"too many redirects \(more than 3\)"):
        open_http.get(chain(simulator, 4))
    assert simulator.count("/end") == 0


def test_a_redirect_to_itself_is_a_loop(simulator: ProviderSimulator, http: HttpClient) -> None:
    simulator.fault("/loop", "redirect_loop")
    with pytest.raises(InvalidResponse, match="redirect loop"):
        http.get(simulator.url("/loop"), trusted=True)
    assert simulator.count("/loop") == 1


def test_a_two_step_redirect_loop_is_detected(
    simulator: ProviderSimulator,
) -> None:
    simulator.fault("/a", "redirect", location="/b")
    simulator.fault("/b", "redirect", location="/a")
    client = HttpClient(timeout=0.3, max_redirects=10, allow_private_networks=True)
    with client, pytest.raises(InvalidResponse, match="redirect loop"):
        client.get(simulator.url("/a"), trusted=True)
    assert simulator.count() == 2


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/private",
        "http://[::1]:{port}/private",
        "http://2130706433:{port}/private",
        "http://0x7f.1:{port}/private",
        "http://[::ffff:127.0.0.1]:{port}/private",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
    ],
)
def test_redirects_to_private_addresses_are_refused(
    simulator: ProviderSimulator, http: HttpClient, location: str
) -> None:
    simulator.route("/private", body={"secret": True})
    simulator.fault("/oembed", "redirect", location=location.format(port=simulator.port))
    with pytest.raises(BlockedAddress, match=r"redirect to .* refused: refusing to connect"):
        http.get(simulator.url("/oembed"), trusted=True)
    assert simulator.count("/private") == 0


def test_redirect_hops_resolve_through_the_guard(simulator: ProviderSimulator) -> None:
    dns = counting_dns({"intranet.test": ["192.168.10.10"]})
    simulator.fault("/oembed", "redirect", location="http://intranet.test/")
    with HttpClient(timeout=0.3, dns=dns) as client, pytest.raises(BlockedAddress):
        client.get(simulator.url("/oembed"), trusted=True)
    assert dns.asked == ["intranet.test"]


def test_redirect_to_loopback_is_allowed_with_allow_private_networks(
    simulator: ProviderSimulator,
) -> None:
    simulator.route("/private", body={"reached": True})
    simulator.fault("/oembed", "redirect", location=f"http://127.0.0.1:{simulator.port}/private")
    with HttpClient(timeout=0.5, allow_private_networks=True) as client:
        assert client.get(simulator.url("/oembed")).json() == {"reached": True}


def test_redirect_to_ipv6_loopback_is_attempted_with_allow_private_networks(
    simulator: ProviderSimulator,
) -> None:
    # Nothing listens on [::1] here: the hop is tried (and fails), not refused.
    simulator.fault("/oembed", "redirect", location=f"http://[::1]:{closed_port()}/private")
    client = HttpClient(timeout=0.5, allow_private_networks=True)
    with client, pytest.raises(ConnectionFailed):
        client.get(simulator.url("/oembed"))


def test_redirect_to_another_scheme_is_refused(
    simulator: ProviderSimulator, http: HttpClient
) -> None:
    simulator.fault("/oembed", "redirect", location="file:///etc/passwd")
    with pytest.raises(BlockedAddress, match="only http and https"):
        http.get(simulator.url("/oembed"), trusted=True)


def test_credentials_are_not_carried_to_another_origin(simulator: ProviderSimulator) -> None:
    dns = counting_dns({"other.test": ["127.0.0.1"]})
    simulator.route("/end", body={})
    simulator.fault("/start", "redirect", location=f"http://other.test:{simulator.port}/end")
    with HttpClient(timeout=0.5, allow_private_networks=True, dns=dns) as client:
        client.get(
            simulator.url("/start"),
            headers={"Authorization": f"Bearer {SECRET}", "X-Kept": "yes"},
        )
    assert simulator.last("/start").headers["authorization"] == f"Bearer {SECRET}"
    assert "authorization" not in simulator.last("/end").headers
    assert simulator.last("/end").headers["x-kept"] == "yes"


# -- status codes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, NotFound),
        (410, NotFound),
        (401, Forbidden),
        (403, Forbidden),
        (429, RateLimited),
        (500, ProviderError),
        (502, ProviderError),
        (503, ProviderError),
        (400, InvalidResponse),
        (418, InvalidResponse),
    ],
)
def test_status_codes_become_typed_errors(
    simulator: ProviderSimulator, http: HttpClient, status: int, error: type[FetchError]
) -> None:
    simulator.fault("/oembed", "status", status=status)
    response = http.get(simulator.url("/oembed"), trusted=True)
    assert response.status == status
    with pytest.raises(error) as caught:
        raise_for_status(response)
    assert type(caught.value) is error
    assert caught.value.status == status
    assert caught.value.url == simulator.url("/oembed")
    assert f"HTTP {status}" in str(caught.value)


@pytest.mark.parametrize("status", [200, 204, 304])
def test_success_statuses_do_not_raise(status: int) -> None:
    raise_for_status(HttpResponse("https://a.test/", status, httpx.Headers(), b""))


def test_rate_limit_with_seconds(simulator: ProviderSimulator, http: HttpClient) -> None:
    simulator.fault("/oembed", "rate_limit", retry_after=120)
    with pytest.raises(RateLimited) as caught:
        raise_for_status(http.get(simulator.url("/oembed"), trusted=True))
    assert caught.value.retry_after == 120.0


def test_rate_limit_with_an_http_date(simulator: ProviderSimulator, http: HttpClient) -> None:
    # 1678939200 is Thu, 16 Mar 2023 04:00:00 GMT.
    simulator.fault("/oembed", "rate_limit", retry_after="Thu, 16 Mar 2023 04:01:30 GMT")
    response = http.get(simulator.url("/oembed"), trusted=True)
    with pytest.raises(RateLimited) as caught:
        raise_for_status(response, now=lambda: 1678939200.0)
    assert caught.value.retry_after == 90.0


def test_rate_limit_without_retry_after(simulator: ProviderSimulator, http: HttpClient) -> None:
    simulator.fault("/oembed", "rate_limit", retry_after=None)
    with pytest.raises(RateLimited) as caught:
        raise_for_status(http.get(simulator.url("/oembed"), trusted=True))
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        ("0", 0.0, 0.0),
        ("30", 0.0, 30.0),
        (" 7 ", 0.0, 7.0),
        ("Thu, 16 Mar 2023 04:00:10 GMT", 1678939200.0, 10.0),
        ("Thursday, 16-Mar-23 04:00:10 GMT", 1678939200.0, 10.0),
        ("Thu, 16 Mar 2023 03:00:00 GMT", 1678939200.0, 0.0),
        ("soon", 0.0, None),
        ("-5", 0.0, None),
        ("", 0.0, None),
        (None, 0.0, None),
    ],
)
def test_parse_retry_after(value: str | None, now: float, expected: float | None) -> None:
    assert parse_retry_after(value, now=now) == expected


def test_times_limits_a_fault_to_the_next_requests(
    simulator: ProviderSimulator, http: HttpClient
) -> None:
    simulator.route("/oembed", fixture="youtube-1.json")
    simulator.fault("/oembed", "status", status=503, times=2)
    statuses = [http.get(simulator.url("/oembed"), trusted=True).status for _ in range(3)]
    assert statuses == [503, 503, 200]


# -- secrets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://graph.facebook.com/v16.0/instagram_oembed?url=u&access_token=1|abc",
            "https://graph.facebook.com/v16.0/instagram_oembed?url=u&access_token=***",
        ),
        (
            "https://a.test/?token=t&key=k&api_key=a",
            "https://a.test/?token=***&key=***&api_key=***",
        ),
        (
            "https://a.test/?Secret=s&password=p#frag",
            "https://a.test/?Secret=***&password=***#frag",
        ),
        ("https://a.test/?keyword=kept&url=x", "https://a.test/?keyword=kept&url=x"),
        ("https://user:pw@a.test/path", "https://user:***@a.test/path"),
        ("https://tokenonly@a.test/path", "https://***@a.test/path"),
        ("https://a.test/plain", "https://a.test/plain"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize("fault", ["status", "hang", "oversize"])
def test_secrets_never_appear_in_error_messages(
    simulator: ProviderSimulator, http: HttpClient, fault: str
) -> None:
    simulator.fault("/oembed", fault, status=500)
    url = simulator.url(f"/oembed?url=x&access_token={SECRET}")
    with pytest.raises(FetchError) as caught:
        raise_for_status(http.get(url, trusted=True))
    assert SECRET not in str(caught.value)
    assert SECRET not in (caught.value.url or "")
    assert "access_token=***" in str(caught.value)


def test_secrets_are_redacted_in_the_response_repr(
    simulator: ProviderSimulator, http: HttpClient
) -> None:
    simulator.route("/oembed", body={})
    response = http.get(simulator.url(f"/oembed?access_token={SECRET}"), trusted=True)
    assert SECRET not in repr(response)
    assert SECRET in response.url  # the caller still has the real URL


# -- the response value -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        ("text/html; charset=utf-8", "café".encode(), "café"),
        ("text/html; charset=ISO-8859-1", "café".encode("latin-1"), "café"),
        ("text/html", "日本".encode(), "日本"),
        ("text/html; charset=unknown-charset", "café".encode(), "café"),
        ("text/html", b"caf\xe9", "caf\ufffd"),
    ],
)
def test_text_decodes_by_charset(content_type: str, body: bytes, text: str) -> None:
    headers = httpx.Headers({"content-type": content_type})
    assert HttpResponse("https://a.test/", 200, headers, body).text() == text


def test_json_in_another_charset() -> None:
    headers = httpx.Headers({"content-type": "application/json; charset=iso-8859-1"})
    body = '{"title": "café"}'.encode("latin-1")
    assert HttpResponse("https://a.test/", 200, headers, body).json() == {"title": "café"}


def test_malformed_json_is_an_invalid_response(
    simulator: ProviderSimulator, http: HttpClient
) -> None:
    simulator.fault("/oembed", "malformed")
    response = http.get(simulator.url("/oembed"), trusted=True)
    with pytest.raises(InvalidResponse, match="is not valid JSON"):
        response.json()


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="timeout must be greater than 0"):
        HttpClient(timeout=0)


def test_a_custom_transport_is_used_and_still_guarded() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"via": "mock"})

    dns = counting_dns({"provider.test": ["93.184.216.34"], "private.test": ["10.9.8.7"]})
    with HttpClient(transport=httpx.MockTransport(handler), dns=dns) as client:
        assert client.get("https://provider.test/oembed").json() == {"via": "mock"}
        with pytest.raises(BlockedAddress):
            client.get("https://private.test/oembed")
    assert seen == ["https://provider.test/oembed"]


def test_a_name_that_does_not_resolve_is_connection_failed(simulator: ProviderSimulator) -> None:
    def dns(host: str, port: int) -> list[str]:
        raise ConnectionFailed(f"cannot resolve host {host!r}")

    with HttpClient(timeout=0.5, dns=dns) as client, pytest.raises(ConnectionFailed) as caught:
        client.get(f"http://nowhere.test:{simulator.port}/oembed", trusted=True)
    assert caught.value.url == f"http://nowhere.test:{simulator.port}/oembed"
    assert simulator.count() == 0


@given(
    name=st.sampled_from(
        ["access_token", "token", "key", "api_key", "apikey", "secret", "client_secret", "password"]
    ).map(lambda n: n if len(n) % 2 else n.upper()),
    secret=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789|-_.~%"),
    before=st.sampled_from(["", "url=https%3A%2F%2Fx.com%2Fa&", "a=1;"]),
    after=st.sampled_from(["", "&maxwidth=550", "#frag"]),
)
def test_redacted_urls_never_hold_the_secret(
    name: str, secret: str, before: str, after: str
) -> None:
    secret = "S3CR3T" + secret
    url = f"https://graph.example/oembed?{before}{name}={secret}{after}"
    redacted = redact_url(url)
    assert secret not in redacted
    assert f"{name}=***" in redacted


# -- TLS ---------------------------------------------------------------------------------


class TlsServer:
    """An HTTPS server on 127.0.0.1 with a certificate from a test CA; it keeps connections."""

    def __init__(self, ca: trustme.CA, name: str) -> None:
        self.names: list[str | None] = []  # the SNI of each handshake
        self.heads: list[bytes] = []
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(name).configure_cert(self.context)
        self.context.sni_callback = lambda sock, server_name, ctx: self.names.append(server_name)
        self.loopback = Loopback(self._serve)

    def _serve(self, conn: socket.socket) -> None:
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client refused the certificate
        with tls:
            while head := read_head(tls):
                self.heads.append(head)
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    def __enter__(self) -> TlsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.loopback.close()


def _tls_client(ca: trustme.CA, asked: list[str] | None = None) -> HttpClient:
    context = ssl.create_default_context()
    ca.configure_trust(context)

    def dns(host: str, port: int) -> list[str]:
        if asked is not None:
            asked.append(host)
        return ["127.0.0.1"]

    # Loopback is a private address: the guard is off, so the names reach the DNS seam.
    return HttpClient(
        timeout=2,
        dns=dns,
        allow_private_networks=True,
        transport=GuardedTransport(dns=dns, guard=False, ssl_context=context),
    )


def test_an_international_host_is_one_name_for_dns_tls_and_the_host_header() -> None:
    # httpx decodes "straße.test" to Unicode; handed on as such, Python's resolver and
    # TLS encode it by IDNA 2003 (strasse.test, another domain) while the Host header
    # carries IDNA 2008. Every step must use the one ASCII name.
    ca = trustme.CA()
    asked: list[str] = []
    with TlsServer(ca, "xn--strae-oqa.test") as server, _tls_client(ca, asked) as http:
        port = server.loopback.port
        assert http.get(f"https://straße.test:{port}/").content == b"{}"
    assert asked == ["xn--strae-oqa.test"]
    assert server.names == ["xn--strae-oqa.test"]
    assert f"Host: xn--strae-oqa.test:{port}".encode() in server.heads[0]
    with (
        TlsServer(ca, "strasse.test") as other,
        _tls_client(ca) as http,
        pytest.raises(ConnectionFailed, match="certificate"),
    ):
        http.get(f"https://straße.test:{other.loopback.port}/")


def test_https_sends_the_host_name_and_verifies_the_certificate_for_it() -> None:
    ca = trustme.CA()
    with TlsServer(ca, "provider.test") as server, _tls_client(ca) as http:
        url = f"https://provider.test:{server.loopback.port}/oembed"
        assert http.get(url, trusted=True).content == b"{}"
        assert http.get(url, trusted=True).content == b"{}"
    assert server.names == ["provider.test"]  # one handshake: the connection was kept


def test_a_certificate_for_another_name_is_refused_before_anything_is_sent() -> None:
    ca = trustme.CA()
    with (
        TlsServer(ca, "other.test") as server,
        _tls_client(ca) as http,
        pytest.raises(ConnectionFailed, match="certificate") as caught,
    ):
        http.get(f"https://provider.test:{server.loopback.port}/", trusted=True)
    assert not was_sent(caught.value)


def test_a_tls_context_that_does_not_check_host_names_is_refused() -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    with pytest.raises(ValueError, match="host names"):
        GuardedTransport(ssl_context=context)


def test_a_get_is_sent_again_at_most_once_however_many_connections_are_idle() -> None:
    """Eight kept-alive connections sit idle; then the server drops every request unanswered."""
    dropping = threading.Event()
    paths: list[bytes] = []
    together = threading.Barrier(8)

    def handle(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # a client that hangs up is no failure
            serve(conn)

    def serve(conn: socket.socket) -> None:
        while head := read_head(conn):
            paths.append(head.split(b" ")[1])
            if dropping.is_set():
                return  # the request was read; the connection closes unanswered
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            with contextlib.suppress(threading.BrokenBarrierError):
                together.wait(2)  # eight connections busy at once, then idle in the pool

    def in_a_thread(conn: socket.socket) -> None:
        threading.Thread(target=handle, args=(conn,), daemon=True).start()

    with Loopback(in_a_thread, keep=True) as server, HttpClient(timeout=2) as http:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: http.get(server.url(f"/warm{n}"), trusted=True), range(8)))
        dropping.set()
        with pytest.raises(ConnectionFailed):
            http.get(server.url("/once"), trusted=True)
    assert paths.count(b"/once") == 2  # the first try and one retry, on a new connection


def test_a_body_cannot_stretch_its_framing_past_the_cap() -> None:
    """Endless trailers or chunk extensions add nothing to the body: only the deadline
    stopped them. The bytes an answer may take on the wire are capped too."""
    endless = {
        "trailers": b"1\r\nx\r\n0\r\n" + b"X-Trailer: " + b"a" * 8000 + b"\r\n",
        "extensions": b"1;e=" + b"a" * 60_000 + b"\r\nx\r\n",
    }

    def serve(first: bytes, again: bytes) -> Callable[[socket.socket], None]:
        def handle(conn: socket.socket) -> None:
            read_head(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + first)
            while True:
                conn.sendall(again)

        return handle

    for name, first in endless.items():
        again = first if name == "extensions" else b"X-Trailer: " + b"a" * 8000 + b"\r\n"
        with (
            Loopback(serve(first, again)) as server,
            HttpClient(timeout=30, max_bytes=1000) as http,
            pytest.raises(InvalidResponse, match=r"too large: .* on the wire with its framing"),
        ):
            http.get(server.url("/"), trusted=True)


def test_a_body_sent_one_byte_per_chunk_is_read_when_it_is_under_the_cap() -> None:
    body = b"x" * 200_000

    def answer(conn: socket.socket) -> None:
        read_head(conn)
        framed = b"".join(b"1\r\n%c\r\n" % byte for byte in body) + b"0\r\n\r\n"
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + framed)

    with Loopback(answer) as server, HttpClient(timeout=10, max_bytes=256 * 1024) as http:
        assert http.get(server.url("/"), trusted=True).content == body


def test_interim_answers_are_skipped_and_never_taken_for_the_answer() -> None:
    """A 103 Early Hints, then the answer a little later, on a kept-alive connection."""

    def answer(conn: socket.socket) -> None:
        while head := read_head(conn):
            path = head.split(b" ")[1]
            conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
            time.sleep(0.05)
            body = b'{"for": "%s"}' % path
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    with Loopback(answer) as server, HttpClient(timeout=2) as http:
        for path in ("/a", "/b", "/c"):
            response = http.get(server.url(path), trusted=True)
            assert (response.status, response.json()) == (200, {"for": path})


def test_a_switch_of_protocols_nobody_asked_for_is_refused() -> None:
    def answer(conn: socket.socket) -> None:
        read_head(conn)
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")

    with (
        Loopback(answer) as server,
        HttpClient(timeout=2) as http,
        pytest.raises(ConnectionFailed, match="switched protocols"),
    ):
        http.get(server.url("/"), trusted=True)


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
    ],
    ids=["204-with-length", "length-and-chunked", "two-lengths"],
)
def test_an_answer_whose_end_is_in_doubt_does_not_keep_its_connection(head: bytes) -> None:
    """What such a server writes a little later must not become the next answer."""
    ports: list[int] = []

    def answer(conn: socket.socket) -> None:
        ports.append(conn.getpeername()[1])
        with contextlib.suppress(OSError):  # the client hangs up, the test closes the socket
            while read_head(conn):
                conn.sendall(head)
                time.sleep(0.05)  # after the client looked for leftovers
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged")

    # One connection at a time: the second is accepted once the client left the first.
    with Loopback(answer) as server, HttpClient(timeout=2) as http:
        http.get(server.url("/a"), trusted=True)
        assert http.get(server.url("/b"), trusted=True).content != b"forged"
    assert len(set(ports)) == 2


def test_the_host_header_is_always_the_urls() -> None:
    heads: list[bytes] = []

    def answer(conn: socket.socket) -> None:
        heads.append(read_head(conn))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

    with Loopback(answer) as server, HttpClient(timeout=2) as http:
        http.get(server.url("/plain"), trusted=True, headers={"Host": "other.test"})
        http.get(server.url("/httpx#part"), trusted=True, headers={"host": "other.test"})
        port = server.port
    assert len(heads) == 2
    for head in heads:
        hosts = [line for line in head.decode().split("\r\n") if line.lower().startswith("host:")]
        assert hosts == [f"Host: 127.0.0.1:{port}"]


def test_bytes_sent_past_an_answer_keep_its_connection_out_of_the_pool() -> None:
    """A second, unasked answer in the same segment must not be taken for the next one."""
    ports: list[int] = []

    def answer_twice(conn: socket.socket) -> None:
        ports.append(conn.getpeername()[1])
        while read_head(conn):
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged"
            )

    with Loopback(answer_twice) as server, HttpClient(timeout=2) as http:
        assert http.get(server.url("/a"), trusted=True).content == b"ok"
        assert http.get(server.url("/b"), trusted=True).content == b"ok"
    assert len(set(ports)) == 2
