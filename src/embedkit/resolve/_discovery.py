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

:func:`find_oembed_links` is the pure part, for a page already in hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from embedkit.net._http import HttpClient, raise_for_status

__all__ = [
    "DISCOVERY_MAX_BYTES",
    "JSON_TYPES",
    "XML_TYPES",
    "OEmbedLink",
    "choose_link",
    "discover",
    "find_oembed_links",
    "parse_link_header",
]

#: How much of a page discovery reads.
DISCOVERY_MAX_BYTES = 512 * 1024
JSON_TYPES = frozenset({"application/json+oembed", "text/json+oembed"})
XML_TYPES = frozenset({"text/xml+oembed", "application/xml+oembed"})
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
_LINK_VALUE = re.compile(r"<(?P<href>[^>]*)>(?P<params>[^,<]*(?:\"[^\"]*\"[^,<]*)*)")
_LINK_PARAM = re.compile(
    r";\s*(?P<name>[a-zA-Z*-]+)\s*=\s*(?:\"(?P<quoted>[^\"]*)\"|(?P<bare>[^;\s,]+))"
)


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


def parse_link_header(values: Iterable[str], base: str) -> list[OEmbedLink]:
    """oEmbed links in HTTP ``Link`` header values (RFC 8288), hrefs made absolute.

    >>> parse_link_header(['</oembed?url=x>; rel="alternate"; type="application/json+oembed"'],
    ...                   "https://example.com/post")
    [OEmbedLink(href='https://example.com/oembed?url=x', type='application/json+oembed')]
    """
    found: list[OEmbedLink] = []
    for value in values:
        for match in _LINK_VALUE.finditer(value):
            params = {
                m.group("name").lower(): m.group("quoted")
                if m.group("quoted") is not None
                else m.group("bare")
                for m in _LINK_PARAM.finditer(match.group("params"))
            }
            media_type = (params.get("type") or "").strip()
            if _is_oembed(params.get("rel") or "", media_type):
                href = urljoin(base, match.group("href").strip())
                found.append(OEmbedLink(href, media_type.lower()))
    return found


class _LinkCollector(HTMLParser):
    """Collects ``<link rel=alternate type=...+oembed>`` elements and ``<base href>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("link", "base"):
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        href = values.get("href", "").strip()
        if not href:
            return
        if tag == "base":
            if self.base is None:
                self.base = href
            return
        media_type = values.get("type", "").strip()
        if _is_oembed(values.get("rel", ""), media_type):
            self.links.append((href, media_type.lower()))

    handle_startendtag = handle_starttag


def find_oembed_links(html: str, page_url: str) -> list[OEmbedLink]:
    """The oEmbed links a page's HTML announces, in document order, made absolute.

    Entities in ``href`` are unescaped (``&amp;`` → ``&``); relative hrefs are
    resolved against ``<base href>`` if present, else ``page_url``.
    """
    collector = _LinkCollector()
    collector.feed(html)
    base = urljoin(page_url, collector.base) if collector.base else page_url
    return [OEmbedLink(urljoin(base, href), media_type) for href, media_type in collector.links]


def choose_link(links: Sequence[OEmbedLink]) -> OEmbedLink | None:
    """The link to use: the first JSON one, else the first XML one; http(s) only."""
    usable = [link for link in links if urlsplit(link.href).scheme in ("http", "https")]
    for link in usable:
        if link.is_json:
            return link
    return usable[0] if usable else None


def discover(page_url: str, http: HttpClient) -> str | None:
    """Fetch ``page_url`` and return the oEmbed URL it announces, or ``None``.

    Reads at most :data:`DISCOVERY_MAX_BYTES` of the page; a longer page is
    parsed up to the cut. ``Link`` headers count as much as ``<link>``
    elements; JSON is preferred over XML. A page that announces nothing and
    answered with an error status raises the typed error of
    :func:`~embedkit.net._http.raise_for_status` (404 → ``NotFound``); a page with
    an error status that still announces a link (Spotify answers 403 to
    robots) is used. Guard, timeout and connection errors propagate.
    """
    response = http.get(
        page_url,
        headers={"Accept": _ACCEPT},
        trusted=False,
        max_bytes=DISCOVERY_MAX_BYTES,
        truncate=True,
    )
    links = parse_link_header(response.headers.get_list("link"), response.url)
    if "html" in response.mime_type or "xml" in response.mime_type or not response.mime_type:
        links += find_oembed_links(response.text(), response.url)
    chosen = choose_link(links)
    if chosen is None:
        raise_for_status(response)
        return None
    return chosen.href
