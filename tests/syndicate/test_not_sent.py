"""A failure before anything was sent is a safe retry, on every HTTP stack the channels use.

A proxy that refuses the tunnel (a real listener on 127.0.0.1 answering
``CONNECT`` with 403) is reached through the channels' own client seams: an
``httpx.Client`` for the webhook channels, a ``requests.Session`` for Mastodon.
Nothing reaches the platform, so the error must be retryable and *not*
ambiguous (the ledger records a retry, not ``unknown``).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
import requests
from tests.loopback import Loopback, read_head
from tests.syndicate.fakes import refused_url, sample_post

from embedkit._errors import ChannelError
from embedkit.net._sent import was_sent
from embedkit.syndicate.channels import idempotency_key
from embedkit.syndicate.channels._mastodon import MastodonChannel
from embedkit.syndicate.channels._webhook import SlackWebhook


class RefusingProxy(Loopback):
    """A loopback HTTP proxy that answers every CONNECT with 403 and records it."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        super().__init__(self._refuse)

    def _refuse(self, conn: socket.socket) -> None:
        self.requests.append(read_head(conn))
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def proxy() -> Iterator[RefusingProxy]:
    refusing = RefusingProxy()
    yield refusing
    refusing.close()


def test_a_webhook_refused_by_its_proxy_is_a_safe_retry(proxy: RefusingProxy) -> None:
    client = httpx.Client(proxy=proxy.address, timeout=2)
    channel = SlackWebhook("https://hooks.slack.example/services/T1/B1/secret", client=client)
    key = idempotency_key("a1", "slack", "h")
    with pytest.raises(ChannelError) as caught:
        channel.publish(sample_post("slack"), idempotency_key=key)
    client.close()
    assert proxy.requests[0].startswith(b"CONNECT hooks.slack.example:443")
    assert caught.value.retryable
    assert not caught.value.ambiguous
    assert "could not be sent" in str(caught.value)


def test_mastodon_refused_by_its_proxy_is_a_safe_retry(proxy: RefusingProxy) -> None:
    session = requests.Session()
    session.proxies = {"https": proxy.address}
    channel = MastodonChannel("https://mastodon.example", "token-abcdef", session=session)
    key = idempotency_key("a1", "mastodon", "h")
    with pytest.raises(ChannelError) as caught:
        channel.publish(sample_post("mastodon"), idempotency_key=key)
    session.close()
    assert proxy.requests[0].startswith(b"CONNECT mastodon.example:443")
    assert caught.value.retryable
    assert not caught.value.ambiguous


def _raised(action: object) -> BaseException:
    try:
        action()  # type: ignore[operator]
    except BaseException as exc:
        return exc
    raise AssertionError("nothing was raised")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A listener that accepts and reads but never answers: a read timeout."""
    with Loopback(read_head, keep=True) as server:
        yield server.url("/")


def test_was_sent_reads_real_failures_of_every_stack(
    silent_server: str, proxy: RefusingProxy
) -> None:
    refused = refused_url() + "/"
    with httpx.Client(timeout=0.3) as client:
        assert not was_sent(_raised(lambda: client.post(refused, content=b"x")))
        assert was_sent(_raised(lambda: client.post(silent_server, content=b"x")))
    with httpx.Client(timeout=1, proxy=proxy.address) as client:
        error = _raised(lambda: client.post("https://platform.example/", content=b"x"))
        assert isinstance(error, httpx.ProxyError)
        assert not was_sent(error)
    assert not was_sent(_raised(lambda: requests.post(refused, data=b"x", timeout=0.3)))
    assert was_sent(_raised(lambda: requests.post(silent_server, data=b"x", timeout=0.3)))
    proxies = {"https": proxy.address}
    error = _raised(lambda: requests.post("https://platform.example/", proxies=proxies, timeout=1))
    assert isinstance(error, requests.exceptions.ProxyError)
    assert not was_sent(error)


def test_was_sent_follows_a_wrapper_to_its_cause() -> None:
    class NetworkError(Exception):  # the shape of atproto's and Mastodon.py's wrappers
        pass

    def wrapped(cause: BaseException) -> BaseException:
        try:
            raise NetworkError("request failed") from cause
        except NetworkError as exc:
            return exc

    assert not was_sent(wrapped(httpx.ProxyError("403")))
    assert not was_sent(wrapped(socket.gaierror(-2, "Name or service not known")))
    assert was_sent(wrapped(httpx.ReadTimeout("slow")))
    assert was_sent(NetworkError("no cause: the safe guess is that it was sent"))
    assert was_sent(None)
