"""The network layer: one hardened HTTP client behind a network guard.

Every request embedkit makes on behalf of an untrusted URL goes through
:class:`HttpClient`: one wall-clock deadline, a cap on decoded bytes, a redirect
limit, and the guard (:func:`check_host`) that refuses loopback, private and
reserved addresses after DNS resolution on every hop, pinning the connection to
the address it checked. :func:`redact` keeps secrets out of anything printed.
"""

from __future__ import annotations

from embedkit.net._http import (
    DEFAULT_MAX_BYTES,
    DEFAULT_USER_AGENT,
    HttpClient,
    HttpResponse,
    parse_retry_after,
    raise_for_status,
    redact_url,
)
from embedkit.net._netguard import DnsResolver, check_host, is_public_address, system_dns
from embedkit.net._redaction import redact
from embedkit.net._transport import GuardedTransport

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_USER_AGENT",
    "DnsResolver",
    "GuardedTransport",
    "HttpClient",
    "HttpResponse",
    "check_host",
    "is_public_address",
    "parse_retry_after",
    "raise_for_status",
    "redact",
    "redact_url",
    "system_dns",
]
