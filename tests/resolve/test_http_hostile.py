"""The HTTP client against hostile servers: compression bombs, trickling answers, odd bytes.

Every server here is a real listener on 127.0.0.1: the provider simulator's
``trickle`` fault, or a raw socket that writes exactly the bytes a test gives it.
Peak memory is measured in a child process (``ru_maxrss``) and compared with the
decoded-size cap, never with a duration.
"""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import textwrap
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard
from tests.loopback import Loopback, read_head
from tests.simulator import ProviderSimulator

from embedkit._errors import FetchError, InvalidResponse, Timeout
from embedkit.net._http import ACCEPT_ENCODING, HttpClient, HttpResponse, json_depth, text_codec

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


class RawServer(Loopback):
    """Answers every connection with the same raw bytes, and records what was asked."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        super().__init__(self._reply)

    def _reply(self, conn: socket.socket) -> None:
        self.requests.append(read_head(conn))
        conn.sendall(self.answer)

    @property
    def oembed(self) -> str:
        return self.url("/oembed")


@pytest.fixture
def raw_server() -> Iterator[type[RawServer]]:
    opened: list[RawServer] = []

    class Tracked(RawServer):
        def __init__(self, answer: bytes) -> None:
            super().__init__(answer)
            opened.append(self)

    yield Tracked
    for server in opened:
        server.close()


def answer(
    body: bytes, *, encoding: str | None = None, content_type: str = "application/json"
) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    if encoding is not None:
        head += f"Content-Encoding: {encoding}\r\n"
    return head.encode("latin-1") + b"Connection: close\r\n\r\n" + body


# -- what is asked for and what is decoded ------------------------------------------------


def test_only_gzip_and_deflate_are_asked_for(simulator: ProviderSimulator) -> None:
    simulator.route("/oembed", body={"type": "link"})
    with HttpClient(timeout=1) as http:
        http.get(simulator.url("/oembed"), trusted=True, headers={"Accept-Encoding": "zstd, br"})
    assert simulator.last().headers["accept-encoding"] == ACCEPT_ENCODING == "gzip, deflate"


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, no zlib wrapper
        ("identity", lambda data: data),
    ],
)
def test_one_layer_of_gzip_or_deflate_is_decoded(
    raw_server: type[RawServer], encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    body = json.dumps({"type": "rich", "html": "<p>hello</p>" * 100}).encode()
    server = raw_server(answer(encode(body), encoding=encoding))
    with HttpClient(timeout=1) as http:
        assert http.get(server.oembed, trusted=True).content == body


@pytest.mark.parametrize("encoding", ["gzip, gzip", "gzip,deflate", "deflate, gzip, gzip"])
def test_more_than_one_encoding_layer_is_refused(
    raw_server: type[RawServer], encoding: str
) -> None:
    body = gzip.compress(gzip.compress(b'{"type": "link"}'))
    server = raw_server(answer(body, encoding=encoding))
    with HttpClient(timeout=1) as http, pytest.raises(InvalidResponse, match="at most one"):
        http.get(server.oembed, trusted=True)


@pytest.mark.parametrize("encoding", ["zstd", "br", "compress", "x-bomb"])
def test_encodings_we_did_not_ask_for_are_refused(
    raw_server: type[RawServer], encoding: str
) -> None:
    body = zstandard.ZstdCompressor().compress(b'{"type": "link"}')
    server = raw_server(answer(body, encoding=encoding))
    with HttpClient(timeout=1) as http, pytest.raises(InvalidResponse, match="accepts only gzip"):
        http.get(server.oembed, trusted=True)


def test_a_body_that_is_not_gzip_is_an_invalid_response(raw_server: type[RawServer]) -> None:
    server = raw_server(answer(b"this is not gzip at all", encoding="gzip"))
    with HttpClient(timeout=1) as http, pytest.raises(InvalidResponse, match="not valid gzip"):
        http.get(server.oembed, trusted=True)


def test_the_cap_applies_to_decoded_bytes_and_truncation_cuts_them(
    raw_server: type[RawServer],
) -> None:
    body = b"<html>" + b"x" * 300_000
    server = raw_server(answer(gzip.compress(body), encoding="gzip", content_type="text/html"))
    with HttpClient(timeout=1, max_bytes=100_000) as http:
        with pytest.raises(InvalidResponse, match="larger than"):
            http.get(server.oembed, trusted=True)
        cut = http.get(server.oembed, trusted=True, truncate=True)
    assert cut.truncated
    assert cut.content == body[:100_000]


# -- compression bombs: peak memory stays near the cap ---------------------------------------


def _gzip_stream(chunks: Iterator[bytes], *, wbits: int = 16 + zlib.MAX_WBITS) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    out = [compressor.compress(chunk) for chunk in chunks]
    out.append(compressor.flush())
    return b"".join(out)


def _zeros(total: int) -> Iterator[bytes]:
    block = bytes(MIB)
    for _ in range(total // MIB):
        yield block


BOMB_DECODED = 128 * MIB


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Bodies that decode to 128 MiB of zeros, written to files (made in small pieces)."""
    folder = tmp_path_factory.mktemp("bombs")
    one_gzip = _gzip_stream(_zeros(BOMB_DECODED))
    made = {
        "gzip": one_gzip,
        "deflate": _gzip_stream(_zeros(BOMB_DECODED), wbits=zlib.MAX_WBITS),
        "gzip, gzip, gzip": gzip.compress(gzip.compress(one_gzip)),
    }
    zstd = zstandard.ZstdCompressor().compressobj()
    made["zstd"] = b"".join(
        [*(zstd.compress(chunk) for chunk in _zeros(BOMB_DECODED)), zstd.flush()]
    )
    paths = {}
    for name, body in made.items():
        path = folder / (name.replace(", ", "-") + ".bin")
        path.write_bytes(body)
        paths[name] = path
    return paths


CHILD = textwrap.dedent(
    """
    import json, resource, socket, sys, threading
    from embedkit.net._http import HttpClient

    body = open(sys.argv[1], "rb").read()
    encoding, cap, truncate = sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def serve():
        while True:
            conn, _ = server.accept()
            with conn:
                conn.recv(65536)
                head = (
                    "HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\n"
                    f"Content-Encoding: {encoding}\\r\\nContent-Length: {len(body)}\\r\\n"
                    "Connection: close\\r\\n\\r\\n"
                )
                try:
                    conn.sendall(head.encode() + body)
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/oembed"
    with HttpClient(timeout=10, max_bytes=cap) as http:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            response = http.get(url, trusted=True, truncate=truncate)
            outcome = f"read {len(response.content)}"
        except Exception as exc:
            outcome = type(exc).__name__
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"outcome": outcome, "growth": (after - before) * 1024}))
    """
)


def _fetch_in_child(
    tmp_path: Path, body: Path, encoding: str, cap: int, truncate: bool
) -> dict[str, Any]:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    done = subprocess.run(
        [sys.executable, str(script), str(body), encoding, str(cap), "1" if truncate else "0"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "gzip, gzip, gzip", "zstd"])
def test_a_compression_bomb_never_grows_memory_past_a_few_times_the_cap(
    tmp_path: Path, bombs: dict[str, Path], encoding: str
) -> None:
    cap = MIB
    result = _fetch_in_child(tmp_path, bombs[encoding], encoding, cap, truncate=False)
    assert result["outcome"] == "InvalidResponse"
    assert result["growth"] < 8 * cap, result


def test_a_bomb_read_with_truncation_stops_at_the_cap(
    tmp_path: Path, bombs: dict[str, Path]
) -> None:
    cap = 512 * 1024
    result = _fetch_in_child(tmp_path, bombs["gzip"], "gzip", cap, truncate=True)
    assert result["outcome"] == f"read {cap}"
    assert result["growth"] < 8 * cap, result


# -- one deadline: connect, headers, body, decoding ------------------------------------------


@pytest.mark.parametrize("part", ["headers", "gzip_name"])
def test_a_trickling_answer_ends_at_the_deadline(simulator: ProviderSimulator, part: str) -> None:
    # One byte every 50 ms: each read is far within the 0.5 s timeout, and the
    # simulator would go on for 8 s (then close) if nothing stopped the client.
    simulator.fault("/slow", "trickle", part=part, interval=0.05, seconds=8)
    with HttpClient(timeout=0.5, deadline=1.0) as http, pytest.raises(Timeout, match="deadline"):
        http.get(simulator.url("/slow"), trusted=True)


def test_a_body_that_stalls_across_the_deadline_ends_at_the_deadline(
    simulator: ProviderSimulator,
) -> None:
    # Bytes trickle for 0.8 s, then nothing for 0.45 s (within the read timeout),
    # then the body ends properly: the deadline passes while the client waits.
    simulator.fault(
        "/slow", "trickle", part="body", interval=0.05, seconds=0.8, pause=0.45, finish=True
    )
    with HttpClient(timeout=0.5, deadline=1.0) as http, pytest.raises(Timeout, match="deadline"):
        http.get(simulator.url("/slow"), trusted=True)


def test_an_endless_gzip_file_name_sent_fast_hits_the_size_cap(
    simulator: ProviderSimulator,
) -> None:
    # Decodes to nothing at all: only a cap on the compressed bytes can end it.
    simulator.fault("/slow", "trickle", part="gzip_name", fast=True, size=16 * MIB, seconds=30)
    with HttpClient(timeout=5, deadline=30) as http, pytest.raises(InvalidResponse, match="larger"):
        http.get(simulator.url("/slow"), trusted=True)


def test_a_budget_shares_one_deadline_among_requests(simulator: ProviderSimulator) -> None:
    simulator.fault("/slow", "trickle", part="body", interval=0.05, seconds=8)
    simulator.route("/fast", body={"type": "link"})
    with HttpClient(timeout=0.5, deadline=1.0) as http, http.budget():
        with pytest.raises(Timeout):
            http.get(simulator.url("/slow"), trusted=True)
        # The first request used the whole budget: the next one may not start.
        with pytest.raises(Timeout, match="deadline"):
            http.get(simulator.url("/fast"), trusted=True)
    assert simulator.count("/fast") == 0


@pytest.mark.timeout(60)
def test_a_name_server_that_never_answers_ends_at_the_deadline(
    simulator: ProviderSimulator,
) -> None:
    # The DNS seam blocks until the test lets it go: only a bounded wait returns.
    released = threading.Event()

    def stuck_dns(host: str, port: int) -> list[str]:
        released.wait()
        return ["93.184.216.34"]

    try:
        with (
            HttpClient(timeout=0.5, deadline=1.0, dns=stuck_dns) as http,
            pytest.raises(Timeout, match="deadline") as caught,
        ):
            http.get(f"http://slow-dns.example:{simulator.port}/oembed")  # guarded: untrusted
    finally:
        released.set()
    assert caught.value.url == f"http://slow-dns.example:{simulator.port}/oembed"
    assert simulator.count() == 0


# -- hostile answers become typed errors --------------------------------------------------------


def test_a_malformed_redirect_target_is_an_invalid_response(simulator: ProviderSimulator) -> None:
    simulator.fault("/r", "redirect", location="http:\\\\127.0.0.1:1/")
    with HttpClient(timeout=1, allow_private_networks=True) as http, pytest.raises(InvalidResponse):
        http.get(simulator.url("/r"), trusted=True)


@pytest.mark.parametrize("depth", [50, 100_000])
def test_deeply_nested_json_is_an_invalid_response(raw_server: type[RawServer], depth: int) -> None:
    server = raw_server(answer(b"[" * depth + b"]" * depth))
    with HttpClient(timeout=1) as http:
        response = http.get(server.oembed, trusted=True)
    with pytest.raises(InvalidResponse, match="nest"):
        response.json()


def test_json_depth_counts_without_recursion() -> None:
    deep: list[object] = []
    for _ in range(50_000):
        deep = [deep]
    assert json_depth(deep) == 50_001
    assert json_depth({"a": 1, "b": {"c": []}}) == 3
    assert json_depth("text") == 0


@pytest.mark.parametrize(
    "charset", ["idna", "undefined", "utf-8\x00", "punycode", "rot13", "hex", "utf-7", "x" * 200]
)
def test_charsets_that_are_not_text_encodings_fall_back_to_utf8(charset: str) -> None:
    import httpx

    headers = httpx.Headers({"content-type": f"text/html; charset={charset}"})
    response = HttpResponse("https://a.test/", 200, headers, "café €".encode())
    assert text_codec(charset) is None
    assert response.text() == "café €"
    assert HttpResponse("https://a.test/", 200, headers, b'{"a": 1}').json() == {"a": 1}


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Encoding: gzip\r\n\r\n\x1f\x8b\x08\x00",
        b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n{}",
        b"HTTP/1.1 999 \r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",
        b"\x00\x01\x02 not http at all\r\n\r\n",
        b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 302 Found\r\nLocation: \xff\xfe://x\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(200)) + b"\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nab",
        b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n",
    ],
)
def test_malformed_http_raises_only_fetch_errors(raw_server: type[RawServer], raw: bytes) -> None:
    server = raw_server(raw)
    with HttpClient(timeout=1, allow_private_networks=True) as http:
        try:
            response = http.get(server.oembed, trusted=True)
        except FetchError:
            return
        response.text()  # whatever was read can be decoded without raising
