"""URLs found in untrusted documents: the tracking-parameter list and web-URL checks.

:data:`TRACKING_PARAMETERS` and :data:`TRACKING_PREFIXES` are the one list of
query parameters that only say where a link was shared (``utm_*``, ``fbclid``...);
reference canonicalization (:mod:`embedkit.resolve._refs`) and article ids
(:func:`embedkit.syndicate._article.article_id_for`) both drop them.

:func:`web_url` checks a URL that a feed, a page or an article file names
before anything stores it: absolute ``http``/``https`` only (a relative one is
resolved against a base first), a host, no credentials, at most
:data:`MAX_URL_LENGTH` characters, and only the characters RFC 3986 allows.
Non-ASCII characters (an IRI) are percent-encoded as UTF-8 and a non-ASCII host
becomes IDNA, as browsers do; ``[`` and ``]`` outside the host are
percent-encoded; any other character RFC 3986 does not allow (space, ``<``,
``>``, ``"``, ``|``, ``\\``, ``^``, backtick, ``{``, ``}``, controls) makes the
URL invalid, which keeps a URL from breaking out of a chat message's link
syntax (Slack's ``<url|label>``, Markdown's ``[label](url)``).

    >>> web_url("/a?b=1", "https://news.example.com/x/y")
    'https://news.example.com/a?b=1'
    >>> web_url("https://de.example.com/Müller")
    'https://de.example.com/M%C3%BCller'
    >>> web_url("https://news.example.com/x><!channel>")
    Traceback (most recent call last):
    ...
    ValueError: has a character that is not allowed in a URL: '>'
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

__all__ = [
    "MAX_URL_LENGTH",
    "TRACKING_PARAMETERS",
    "TRACKING_PREFIXES",
    "is_tracking_parameter",
    "is_web_url",
    "web_url",
]

#: The longest URL kept (what browsers and most servers accept comfortably).
MAX_URL_LENGTH = 2048

#: Query parameters that only track where a link was shared; dropped everywhere.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl", "ref_src", "ref_url",
        "mibextid", "rdid", "share_url", "__cft__[0]", "__tn__", "_hsenc", "_hsmi",
        "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "wt_mc", "ocid",
    }
)  # fmt: skip
#: Parameter-name prefixes that mark tracking parameters (``utm_source``...).
TRACKING_PREFIXES = ("utm_", "__cft__")

_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# RFC 3986: unreserved, sub-delims, ":" "@" "/" "?" (path, query and fragment characters).
_COMPONENT_SAFE = frozenset(_ALPHANUMERIC + "-._~!$&'()*+,;=:@/?")
_HEX = frozenset("0123456789ABCDEFabcdef")
_HOST_SAFE = frozenset(_ALPHANUMERIC + "-._")


def is_tracking_parameter(name: str) -> bool:
    """Whether a query parameter only tracks sharing (case-insensitive).

    >>> is_tracking_parameter("UTM_Source"), is_tracking_parameter("id")
    (True, False)
    """
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def _encode_component(text: str) -> str:
    out: list[str] = []
    length = len(text)
    i = 0
    while i < length:
        char = text[i]
        if char == "%":
            if i + 2 < length and text[i + 1] in _HEX and text[i + 2] in _HEX:
                out.append(text[i : i + 3])
                i += 3
                continue
            raise ValueError("has a '%' that does not start a %XX escape")
        if char in _COMPONENT_SAFE:
            out.append(char)
        elif char in "[]#" or ord(char) > 0x7F:
            out.extend(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass"))
        else:
            raise ValueError(f"has a character that is not allowed in a URL: {char!r}")
        i += 1
    return "".join(out)


def _host(netloc: str) -> str:
    if "@" in netloc:
        raise ValueError("carries credentials (user@host)")
    if netloc.startswith("["):  # an IPv6 literal, checked by urlsplit
        end = netloc.find("]")
        literal, rest = netloc[: end + 1], netloc[end + 1 :]
        if end < 0 or not all(c in _HEX or c in ":." for c in literal[1:-1]):
            raise ValueError("has a malformed IPv6 host")
        host, port = literal.lower(), rest
    else:
        name, sep, port_text = netloc.partition(":")
        port = sep + port_text
        try:
            host = name.encode("idna").decode("ascii").lower() if not name.isascii() else name
        except UnicodeError:
            raise ValueError("has a host name that is not valid IDNA") from None
        host = host.lower().rstrip(".")
        if not host or not all(c in _HOST_SAFE for c in host):
            raise ValueError("has no valid host name")
    if port and not (port[1:].isdigit() and 0 < int(port[1:]) < 65536 and port[1:].isascii()):
        raise ValueError("has an invalid port")
    return host + port


def web_url(value: str, base: str | None = None) -> str:
    """``value`` as a checked absolute http(s) URL; :class:`ValueError` says what is wrong.

    ``base`` resolves a relative ``value`` (a feed's or page's address). The
    scheme and host are lower-cased; everything else is kept, except that
    non-ASCII characters, ``[`` and ``]`` are percent-encoded.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValueError("is empty")
    if len(text) > MAX_URL_LENGTH:
        raise ValueError(f"is longer than {MAX_URL_LENGTH} characters")
    if any(ord(c) < 0x21 or c == "\x7f" for c in text):
        raise ValueError("has a space or a control character")
    if base and not _has_scheme(text):
        try:
            text = urljoin(base, text)
        except ValueError:
            raise ValueError("cannot be resolved against its base URL") from None
    try:
        parts = urlsplit(text)
    except ValueError:
        raise ValueError("is not a URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError("is not an http(s) URL")
    if not parts.netloc:
        raise ValueError("has no host")
    host = _host(parts.netloc)
    path = _encode_component(parts.path) or "/"
    url = f"{scheme}://{host}{path}"
    if parts.query:
        url += "?" + _encode_component(parts.query)
    if parts.fragment:
        url += "#" + _encode_component(parts.fragment)
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"is longer than {MAX_URL_LENGTH} characters")
    return url


def is_web_url(value: object) -> bool:
    """Whether ``value`` is an absolute http(s) URL that :func:`web_url` accepts."""
    if not isinstance(value, str):
        return False
    try:
        web_url(value)
    except ValueError:
        return False
    return True


def _has_scheme(text: str) -> bool:
    head, sep, _rest = text.partition(":")
    return bool(sep) and head[:1].isalpha() and all(c.isalnum() or c in "+-." for c in head)
