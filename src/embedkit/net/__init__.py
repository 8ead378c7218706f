"""The network layer: one hardened HTTP client behind a network guard.

Every request embedkit makes on behalf of an untrusted URL goes through
:class:`HttpClient`: one wall-clock deadline, a cap on decoded bytes, a redirect
limit, and the guard (:func:`check_host`) that refuses loopback, private and
reserved addresses after DNS resolution on every hop, pinning the connection to
the address it checked. :func:`redact`, :func:`redact_url` and
:class:`RedactingFilter` keep secrets out of anything printed or logged.
"""

from __future__ import annotations

from embedkit._redaction import RedactingFilter, is_secret_name, redact, redact_url
from embedkit.net._http import (
    DEFAULT_MAX_BYTES,
    DEFAULT_USER_AGENT,
    HttpClient,
    HttpResponse,
    parse_retry_after,
    raise_for_status,
)
from embedkit.net._netguard import DnsResolver, check_host, is_public_address, system_dns
from embedkit.net._transport import GuardedTransport

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_USER_AGENT",
    "DnsResolver",
    "GuardedTransport",
    "HttpClient",
    "HttpResponse",
    "RedactingFilter",
    "check_host",
    "is_public_address",
    "is_secret_name",
    "parse_retry_after",
    "raise_for_status",
    "redact",
    "redact_url",
    "system_dns",
]
