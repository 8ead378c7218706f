"""The network guard: IP literal forms, private ranges, and the DNS seam.

Everything here is pure or goes through a fake DNS resolver: no packet is sent.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from embedkit._errors import BlockedAddress, ConnectionFailed
from embedkit.net._netguard import (
    check_host,
    describe_address,
    is_public_address,
    normalize_host,
    parse_ip_host,
    system_dns,
)


class FakeDns:
    """A DNS resolver that answers from ``table`` and records every question."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        return list(self.table[host])


def fake_dns(table: dict[str, list[str]]) -> FakeDns:
    return FakeDns(table)


def no_dns(host: str, port: int) -> list[str]:
    raise AssertionError(f"DNS must not be asked about {host}")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0X7F.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("169.254.43518", "169.254.169.254"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("0", "0.0.0.0"),
        ("127.0.0.1.", "127.0.0.1"),
        ("8.8.8.8", "8.8.8.8"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("[0:0:0:0:0:0:0:1]", "::1"),
        ("fe80::1%eth0", "fe80::1%eth0"),
        ("2001:4860:4860::8888", "2001:4860:4860::8888"),
        # names, and things that are neither names nor valid addresses
        ("example.com", None),
        ("localhost", None),
        ("0x7f.example", None),
        ("1.2.3.4.5", None),
        ("256.0.0.1", None),
        ("1.16777216", None),
        ("4294967296", None),
        ("08.0.0.1", None),
        ("1..1", None),
        ("", None),
        ("[not-v6]", None),
        ("1_0.0.0.1", None),
        ("١٢٧.0.0.1", None),
    ],
)
def test_parse_ip_host_reads_every_form_browsers_accept(host: str, expected: str | None) -> None:
    parsed = parse_ip_host(host)
    assert (str(parsed) if parsed is not None else None) == expected


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("93.184.216.34", True),
        ("2001:4860:4860::8888", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::808:808", True),
        ("2002:808:808::1", True),
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("10.0.0.1", False),
        ("10.255.255.255", False),
        ("172.16.0.1", False),
        ("172.31.255.255", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("169.254.169.254", False),
        ("169.254.0.1", False),
        ("224.0.0.1", False),
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("0.0.0.0", False),
        ("0.1.2.3", False),
        ("192.0.2.1", False),
        ("198.18.0.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("febf::1", False),
        ("fec0::1", False),
        ("fc00::1", False),
        ("fd12:3456:789a::1", False),
        ("ff02::1", False),
        ("2001:db8::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("64:ff9b::7f00:1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b:1::1", False),
        ("2002:7f00:1::", False),
        ("2002:c0a8:101::1", False),
        ("2001:0::1", False),
        ("::127.0.0.1", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    ip = parse_ip_host(address)
    assert ip is not None
    assert is_public_address(ip) is public
    assert (describe_address(ip) is None) is public


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback address"),
        ("10.0.0.1", "private address"),
        ("100.64.0.1", "shared address space (carrier-grade NAT)"),
        ("169.254.169.254", "link-local address"),
        ("224.0.0.1", "multicast address"),
        ("0.0.0.0", "unspecified address"),
        ("fd00::1", "unique local address"),
        ("::ffff:127.0.0.1", "loopback address in IPv6 form"),
    ],
)
def test_describe_address_names_the_range(address: str, reason: str) -> None:
    ip = parse_ip_host(address)
    assert ip is not None
    assert describe_address(ip) == reason


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("127.0.0.1", "127.0.0.1 (loopback address)"),
        ("2130706433", "127.0.0.1 (loopback address)"),
        ("0x7f.1", "127.0.0.1 (loopback address)"),
        ("[::1]", "::1 (loopback address)"),
        ("[::ffff:169.254.169.254]", "::ffff:a9fe:a9fe (link-local address in IPv6 form)"),
        ("192.168.0.10", "192.168.0.10 (private address)"),
    ],
)
def test_check_host_refuses_literals_without_asking_dns(host: str, shown: str) -> None:
    with pytest.raises(BlockedAddress) as caught:
        check_host(host, 80, dns=no_dns)
    assert str(caught.value) == (
        f"refusing to connect to {shown}; set allow_private_networks to allow it"
    )


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.0.0.5"],
        ["172.20.1.1"],
        ["192.168.1.20"],
        ["100.100.100.100"],
        ["169.254.169.254"],
        ["127.0.0.53"],
        ["::1"],
        ["fd00:ec2::254"],
        ["::ffff:10.0.0.5"],
        # one bad address among good ones is enough to refuse
        ["93.184.216.34", "10.0.0.5"],
        ["2606:2800:220:1::1", "fe80::1"],
    ],
)
def test_check_host_refuses_names_that_resolve_to_private_addresses(
    addresses: list[str],
) -> None:
    dns = fake_dns({"internal.example": addresses})
    with pytest.raises(BlockedAddress) as caught:
        check_host("internal.example", 443, dns=dns)
    message = str(caught.value)
    assert message.startswith("refusing to connect to internal.example (")
    assert "allow_private_networks" in message
    assert dns.asked == [("internal.example", 443)]


def test_check_host_returns_the_public_addresses_it_checked() -> None:
    dns = fake_dns({"publish.twitter.com": ["104.244.42.1", "2606:1f80:f000::1"]})
    assert check_host("Publish.Twitter.com.", 443, dns=dns) == [
        "104.244.42.1",
        "2606:1f80:f000::1",
    ]
    assert dns.asked == [("publish.twitter.com", 443)]


def test_check_host_allows_public_literals() -> None:
    assert check_host("8.8.8.8", 80, dns=no_dns) == ["8.8.8.8"]
    assert check_host("[2001:4860:4860::8888]", 443, dns=no_dns) == ["2001:4860:4860::8888"]


def test_check_host_refuses_a_resolver_answer_that_is_not_an_address() -> None:
    with pytest.raises(BlockedAddress, match="not an IP address"):
        check_host("odd.example", 80, dns=fake_dns({"odd.example": ["localhost"]}))


def test_check_host_fails_to_connect_when_nothing_resolves() -> None:
    with pytest.raises(ConnectionFailed, match=r"cannot resolve host 'empty\.example'"):
        check_host("empty.example", 80, dns=fake_dns({"empty.example": []}))


def test_system_dns_resolves_localhost_from_the_hosts_file() -> None:
    addresses = system_dns("localhost", 80)
    assert addresses
    assert set(addresses) <= {"127.0.0.1", "::1"}


@pytest.mark.parametrize(
    ("host", "expected"),
    [("Example.COM.", "example.com"), ("[::1]", "::1"), (" x.test ", "x.test")],
)
def test_normalize_host(host: str, expected: str) -> None:
    assert normalize_host(host) == expected


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_numeric_ipv4_form_means_the_same_address(value: int) -> None:
    expected = ipaddress.IPv4Address(value)
    dotted = str(expected).split(".")
    forms = [
        str(value),
        hex(value),
        ".".join("0" + oct(int(part))[2:] if part != "0" else "0" for part in dotted),
        ".".join(hex(int(part)) for part in dotted),
        f"{dotted[0]}.{value & 0xFFFFFF}",
        f"{dotted[0]}.{dotted[1]}.{value & 0xFFFF}",
    ]
    for form in forms:
        assert parse_ip_host(form) == expected, form


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_ipv6_forms_of_an_ipv4_address_get_its_verdict(value: int) -> None:
    v4 = ipaddress.IPv4Address(value)
    mapped = ipaddress.IPv6Address(f"::ffff:{v4}")
    nat64 = ipaddress.IPv6Address((0x64FF9B << 96) | value)
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (value << 80) | 1)
    for form in (mapped, nat64, sixtofour):
        assert is_public_address(form) == is_public_address(v4), form
