"""The network guard: which addresses embedkit may connect to.

A post reference, a page found by oEmbed discovery or a Mastodon instance is
steered by whoever wrote the article, so embedkit must not be talked into
fetching ``http://169.254.169.254/`` (cloud metadata), ``http://localhost:6379``
or anything else on the publisher's own network. This module holds the pure
decisions (:func:`parse_ip_host`, :func:`is_public_address`,
:func:`describe_address`) and :func:`check_host`, which resolves a host through
an injectable DNS resolver and refuses it if *any* address is not public.

Example::

    >>> is_public_address(parse_ip_host("0x7f.1"))
    False
    >>> check_host("metadata.test", 80, dns=lambda host, port: ["169.254.169.254"])
    Traceback (most recent call last):
    ...
    embedkit._errors.BlockedAddress: refusing to connect to metadata.test (169.254.169.254, \
link-local address); set allow_private_networks to allow it
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable

from embedkit._errors import BlockedAddress, ConnectionFailed

__all__ = [
    "DnsResolver",
    "IPAddress",
    "check_host",
    "describe_address",
    "is_public_address",
    "normalize_host",
    "parse_ip_host",
    "system_dns",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Resolve ``(host, port)`` to a list of IP address strings.
DnsResolver = Callable[[str, int], list[str]]

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_MAX_IPV4 = 0xFFFFFFFF
_HEX_PART = re.compile(r"0[xX][0-9a-fA-F]*")
_OCT_PART = re.compile(r"0[0-7]+")
_DEC_PART = re.compile(r"[1-9][0-9]*|0")


def system_dns(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the operating system (``socket.getaddrinfo``).

    Returns the distinct addresses in the resolver's order. Raises
    :class:`ConnectionFailed` when the name does not resolve.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConnectionFailed(f"cannot resolve host {host!r}: {reason}") from exc
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in seen:
            seen.append(address)
    return seen


def normalize_host(host: str) -> str:
    """Lower-case ``host``, drop IPv6 brackets and one trailing dot."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host.endswith(".") and not host.endswith(".."):
        host = host[:-1]
    return host


def _ipv4_part(text: str) -> int | None:
    """One dotted part as inet_aton reads it: decimal, 0-prefixed octal, 0x hex."""
    if _HEX_PART.fullmatch(text):
        return int(text[2:] or "0", 16)
    if _OCT_PART.fullmatch(text):
        return int(text, 8)
    if _DEC_PART.fullmatch(text):
        return int(text, 10)
    return None


def _parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_ipv4_part(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    *head, last = values
    if any(n > 0xFF for n in head):
        return None
    # The last part fills every byte the earlier parts did not: "127.1" is 127.0.0.1.
    if last >= 1 << (8 * (4 - len(head))):
        return None
    value = last
    for index, byte in enumerate(head):
        value |= byte << (8 * (3 - index))
    if value > _MAX_IPV4:
        return None
    return ipaddress.IPv4Address(value)


def parse_ip_host(host: str) -> IPAddress | None:
    """Read ``host`` as an IP address literal, or return ``None`` for a name.

    Accepts IPv6 with or without brackets (and a ``%zone``), dotted IPv4 and the
    shorthand forms that browsers and ``inet_aton`` accept: ``2130706433``,
    ``0177.0.0.1``, ``0x7f.0.0.1``, ``127.1``, ``0x7f000001``.

    >>> parse_ip_host("0177.0.0.1")
    IPv4Address('127.0.0.1')
    >>> parse_ip_host("[::1]")
    IPv6Address('::1')
    >>> parse_ip_host("example.com") is None
    True
    """
    host = normalize_host(host)
    if not host:
        return None
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            return None
    return _parse_ipv4(host)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 address stands for."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & _MAX_IPV4)
    if ip.sixtofour is not None:
        return ip.sixtofour
    return None


def describe_address(ip: IPAddress) -> str | None:
    """Say why ``ip`` is not public ("loopback address"...), or ``None`` if it is.

    IPv4-mapped (``::ffff:127.0.0.1``), NAT64 (``64:ff9b::7f00:1``) and 6to4
    (``2002:7f00:1::``) addresses are judged by the IPv4 address inside them.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = describe_address(inner)
            return f"{reason} in IPv6 form" if reason else None
        if ip in _NAT64_LOCAL:
            return "local-use NAT64 address"
        if ip in _UNIQUE_LOCAL:
            return "unique local address"
        if ip.is_site_local:
            return "site-local address"
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "shared address space (carrier-grade NAT)"
    if ip.is_private:
        return "private address"
    if ip.is_reserved:
        return "reserved address"
    if not ip.is_global:
        return "non-global address"
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True if ``ip`` is a globally routable unicast address.

    False for loopback, private (10/8, 172.16/12, 192.168/16, 100.64/10),
    link-local (169.254/16, fe80::/10), multicast, reserved, unspecified,
    fc00::/7, documentation ranges, and IPv4-mapped/NAT64/6to4 forms of those.

    >>> is_public_address(parse_ip_host("8.8.8.8"))
    True
    >>> is_public_address(parse_ip_host("::ffff:10.0.0.1"))
    False
    """
    return describe_address(ip) is None


def check_host(host: str, port: int, *, dns: DnsResolver = system_dns) -> list[str]:
    """Resolve ``host`` and refuse it unless every address is public.

    An IP literal (in any form :func:`parse_ip_host` reads) is checked without
    asking DNS. Returns the addresses, which is what a caller should connect to
    so that a second lookup cannot answer differently (DNS rebinding). Raises
    :class:`BlockedAddress` naming the host, the address and why, and
    :class:`ConnectionFailed` when the name does not resolve.
    """
    name = normalize_host(host)
    literal = parse_ip_host(name)
    addresses = [str(literal)] if literal is not None else list(dns(name, port))
    if not addresses:
        raise ConnectionFailed(f"cannot resolve host {name!r}: no addresses")
    for address in addresses:
        ip = parse_ip_host(address)
        if ip is None:
            raise BlockedAddress(
                f"refusing to connect to {name}: the resolver returned {address!r}, "
                "which is not an IP address"
            )
        reason = describe_address(ip)
        if reason is None:
            continue
        shown = f"{ip} ({reason})" if literal is not None else f"{name} ({ip}, {reason})"
        raise BlockedAddress(
            f"refusing to connect to {shown}; set allow_private_networks to allow it"
        )
    return addresses
