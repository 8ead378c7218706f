"""oEmbed discovery: find a page's oEmbed endpoint from the page itself.

A page announces its oEmbed representation with an HTTP ``Link`` header or a
``<link rel="alternate" type="application/json+oembed" href="...">`` element
(``text/json+oembed`` on SoundCloud, ``text/xml+oembed`` for XML).
:func:`discover` reads at most the first 512 KiB of the page (a larger page is
cut, not refused), prefers JSON over XML, resolves relative links against the
page (and its ``<base href>``) and returns the oEmbed URL.

The page URL comes from an article's author, so it is fetched with the network
guard on (``trusted=False``).

Example::

    with HttpClient() as http:
        oembed_url = discover("https://www.ted.com/talks/...", http)

:func:`find_oembed_links` is the pure part, for a page already in hand;
:func:`fetch_page` and :func:`announced_link` are the two halves of :func:`discover`,
for a caller that also wants the page (the resolver reads it once, up to 1 MiB, for
discovery and a link card: :mod:`embedkit.resolve._cards`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from embedkit._errors import InvalidResponse
from embedkit._parse.markup import attribute_dict, iter_tokens
from embedkit._redaction import redact_url
from embedkit.net._http import HttpClient, HttpResponse, raise_for_status

__all__ = [
    "DISCOVERY_MAX_BYTES",
    "JSON_TYPES",
    "LINK_HEADER_MAX_LENGTH",
    "LINK_HEADER_MAX_VALUES",
    "PAGE_ACCEPT",
    "XML_TYPES",
    "OEmbedLink",
    "announced_link",
    "choose_link",
    "discover",
    "fetch_page",
    "find_oembed_links",
    "parse_link_header",
]

#: How much of a page discovery reads.
DISCOVERY_MAX_BYTES = 512 * 1024
JSON_TYPES = frozenset({"application/json+oembed", "text/json+oembed"})
XML_TYPES = frozenset({"text/xml+oembed", "application/xml+oembed"})
#: The ``Accept`` header a page is asked for with.
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
#: How much of the ``Link`` headers is read: the first values, each cut to a length.
LINK_HEADER_MAX_VALUES = 32
LINK_HEADER_MAX_LENGTH = 16 * 1024


@dataclass(frozen=True)
class OEmbedLink:
    """One announced oEmbed representation: its (absolute) URL and media type."""

    href: str
    type: str

    @property
    def is_json(self) -> bool:
        """True for the JSON flavours (``application/json+oembed``, ``text/json+oembed``)."""
        return self.type in JSON_TYPES


def _is_oembed(rel: str, media_type: str) -> bool:
    tokens = rel.lower().split()
    return "alternate" in tokens and media_type.lower() in JSON_TYPES | XML_TYPES


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """``text`` cut at each ``separator`` outside double quotes and ``<...>`` (one pass)."""
    parts: list[str] = []
    start = 0
    quoted = escaped = bracketed = False
    for index, char in enumerate(text):
        if bracketed:
            bracketed = char != ">"
        elif escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "<":
            bracketed = True
        elif char == separator:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _link_values(value: str) -> list[tuple[str, dict[str, str]]]:
    """The ``<href>; name=value; ...`` links of one header value, in one linear pass."""
    links: list[tuple[str, dict[str, str]]] = []
    for part in _split_outside_quotes(value, ","):
        part = part.strip()
        if not part.startswith("<"):
            continue
        end = part.find(">")
        if end < 0:
            continue
        params: dict[str, str] = {}
        for param in _split_outside_quotes(part[end + 1 :], ";")[1:]:
            name, eq, raw = param.partition("=")
            name = name.strip().lower()
            if not eq or not name or name in params:
                continue
            raw = raw.strip()
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw = raw[1:-1].replace('\\"', '"')
            params[name] = raw
        links.append((part[1:end].strip(), params))
    return links


def parse_link_header(values: Iterable[str], base: str) -> list[OEmbedLink]:
    """oEmbed links in HTTP ``Link`` header values (RFC 8288), hrefs made absolute.

    Parsing is one pass over the text; at most :data:`LINK_HEADER_MAX_VALUES`
    values of at most :data:`LINK_HEADER_MAX_LENGTH` characters each are read.

    >>> parse_link_header(['</oembed?url=x>; rel="alternate"; type="application/json+oembed"'],
    ...                   "https://example.com/post")
    [OEmbedLink(href='https://example.com/oembed?url=x', type='application/json+oembed')]
    """
    found: list[OEmbedLink] = []
    for count, value in enumerate(values):
        if count >= LINK_HEADER_MAX_VALUES:
            break
        for href, params in _link_values(value[:LINK_HEADER_MAX_LENGTH]):
            media_type = params.get("type", "").strip()
            if _is_oembed(params.get("rel", ""), media_type):
                try:
                    found.append(OEmbedLink(urljoin(base, href), media_type.lower()))
                except ValueError:  # an href urljoin cannot read (a bad IPv6 literal)
                    continue
    return found


def _collect_links(html: str) -> tuple[list[tuple[str, str]], str | None]:
    """The ``(href, type)`` of each oEmbed ``<link>`` and the first ``<base href>``.

    One pass of the linear tokenizer: markup inside comments, scripts and other raw
    text is not a link, as in a browser.
    """
    links: list[tuple[str, str]] = []
    base: str | None = None
    for token in iter_tokens(html):
        if token.kind != "start" or token.name not in ("link", "base"):
            continue
        values = attribute_dict(token.attrs)
        href = values.get("href", "").strip()
        if not href:
            continue
        if token.name == "base":
            if base is None:
                base = href
            continue
        media_type = values.get("type", "").strip()
        if _is_oembed(values.get("rel", ""), media_type):
            links.append((href, media_type.lower()))
    return links, base


def find_oembed_links(html: str, page_url: str) -> list[OEmbedLink]:
    """The oEmbed links a page's HTML announces, in document order, made absolute.

    Entities in ``href`` are unescaped (``&amp;`` → ``&``); relative hrefs are
    resolved against ``<base href>`` if present, else ``page_url``. Linear in the
    size of the page, whatever its markup.
    """
    links, base_href = _collect_links(html)
    base = page_url
    if base_href:
        with contextlib.suppress(ValueError):  # an unreadable <base href>: keep the page URL
            base = urljoin(page_url, base_href)
    found: list[OEmbedLink] = []
    for href, media_type in links:
        try:
            found.append(OEmbedLink(urljoin(base, href), media_type))
        except ValueError:
            continue
    return found


def choose_link(links: Sequence[OEmbedLink]) -> OEmbedLink | None:
    """The link to use: the first JSON one, else the first XML one; http(s) only."""
    usable = [link for link in links if urlsplit(link.href).scheme in ("http", "https")]
    for link in usable:
        if link.is_json:
            return link
    return usable[0] if usable else None


def fetch_page(
    page_url: str, http: HttpClient, *, max_bytes: int = DISCOVERY_MAX_BYTES
) -> HttpResponse:
    """GET an author's page for discovery (and a link card): guarded, capped, cut not refused.

    At most ``max_bytes`` of the page are read; a longer page comes back cut
    (``truncated=True``). Only ``FetchError`` subclasses are raised (guard, timeout,
    connection); a status code is not an error here.
    """
    return http.get(
        page_url,
        headers={"Accept": PAGE_ACCEPT},
        trusted=False,
        max_bytes=max_bytes,
        truncate=True,
    )


def announced_link(response: HttpResponse, text: str | None = None) -> str | None:
    """The oEmbed URL a fetched page announces, or ``None``; never looks at the status.

    ``Link`` headers count as much as ``<link>`` elements; JSON is preferred
    over XML. ``text`` is the page already decoded (by default
    :meth:`HttpResponse.text`). A page the parsers cannot read raises
    :class:`InvalidResponse`.
    """
    try:
        links = parse_link_header(response.headers.get_list("link"), response.url)
        if "html" in response.mime_type or "xml" in response.mime_type or not response.mime_type:
            links += find_oembed_links(response.text() if text is None else text, response.url)
        chosen = choose_link(links)
    except Exception as exc:  # a page that breaks the parser is provider trouble, not ours
        shown = redact_url(response.url)
        raise InvalidResponse(
            f"could not read the page {shown} ({type(exc).__name__})",
            url=shown,
            status=response.status,
        ) from None
    return chosen.href if chosen is not None else None


def discover(page_url: str, http: HttpClient) -> str | None:
    """Fetch ``page_url`` and return the oEmbed URL it announces, or ``None``.

    Reads at most :data:`DISCOVERY_MAX_BYTES` of the page; a longer page is
    parsed up to the cut. ``Link`` headers count as much as ``<link>``
    elements; JSON is preferred over XML. A page that announces nothing and
    answered with an error status raises the typed error of
    :func:`~embedkit.net._http.raise_for_status` (404 → ``NotFound``); a page with
    an error status that still announces a link (Spotify answers 403 to
    robots) is used. Guard, timeout and connection errors propagate; a page the
    parsers cannot read raises :class:`InvalidResponse`. Only ``FetchError``
    subclasses are raised. (:func:`fetch_page` and :func:`announced_link` are its
    two halves, for a caller that also wants the page.)
    """
    response = fetch_page(page_url, http)
    chosen = announced_link(response)
    if chosen is None:
        raise_for_status(response)
    return chosen
