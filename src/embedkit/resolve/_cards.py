"""Link cards, the fetching side: one read of an author's page, then discovery or a card.

A URL that no provider's endpoint serves is fetched once (:func:`fetch_page`, through
the guarded :class:`~embedkit.net._http.HttpClient`: the network guard on every hop,
one deadline, at most :data:`CARD_MAX_BYTES` read, a longer page cut rather than
refused). :func:`page_answer` then decides, from that one response:

1. the page announces an oEmbed endpoint (oEmbed discovery): its answer is used, unless
   it is WordPress's ``wp-embed`` (:func:`is_wp_embed`: an iframe back to the same
   site, sized by a script embedkit never runs) or the endpoint fails; then
2. a page with an error status raises its typed error (404/410 → ``NotFound``, which
   makes a tombstone; 5xx, 429... → stale-if-error);
3. otherwise the page's own metadata (:func:`embedkit._parse.pagemeta.page_metadata`,
   the syndicator's parser) becomes a link card (:func:`card_fields`), or ``None``
   when the page declares no title at all (then the URL stays a plain link).

The card's fields are stored in the cache like an oEmbed answer (same key, TTL clamp,
stale-if-error, tombstones, single-flight), marked with
:data:`~embedkit.present._card.CARD_FORMAT`; :mod:`embedkit.present._card` renders them.
Its ``cache_age`` is the page's ``Cache-Control: max-age`` (clamped by the cache
policy like any provider's).

Why the whole first MiB and not only up to ``</head>``: many pages declare part of
their metadata after the head (JSON-LD at the end of the body, an ``og:title``
written late, a ``<time itemprop=datePublished>``). In the 160 saved pages of
``tests/fixtures/corpus/`` stopping at ``</head>`` would lose 2 headlines, 16 dates
and 20 authors; heads themselves reach 940 KB there. One mebibyte per page, read once
per TTL, is the bound.

The image is never fetched by embedkit: the reader's browser fetches it. So it is only
checked: an absolute http(s) URL that :func:`embedkit._parse.urls.web_url` accepts,
and, unless the publisher allows private networks, not on a host that names a
loopback, private or link-local address by itself (an IP literal, ``localhost``,
``*.localhost``, a single-label name): a page cannot make every reader's browser
knock on the reader's own router. A public name that resolves to a private address
cannot be seen without resolving it, which embedkit does not do for an image.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from embedkit import _platforms
from embedkit._errors import FetchError
from embedkit._models import Ref
from embedkit._parse.charset import decode_html
from embedkit._parse.pagemeta import PageMeta, page_metadata
from embedkit._parse.urls import web_url
from embedkit._redaction import get_logger
from embedkit._values import positive_int
from embedkit.net._http import HttpClient, HttpResponse, raise_for_status
from embedkit.net._netguard import is_public_address, normalize_host, parse_ip_host
from embedkit.present._card import CARD_FORMAT
from embedkit.resolve._discovery import announced_link, fetch_page
from embedkit.resolve._providers import Match

__all__ = [
    "CARD_MAX_BYTES",
    "card_fields",
    "card_only",
    "is_wp_embed",
    "page_answer",
    "page_cache_age",
    "public_image",
]

log = get_logger("embedkit.resolver")

#: How much of a page is read, for discovery and the card alike.
CARD_MAX_BYTES = 1024 * 1024
_MAX_AGE = re.compile(r"(?:^|[,\s])(s-maxage|max-age)\s*=\s*\"?([0-9]{1,12})\"?", re.IGNORECASE)
_WP_EMBED = re.compile(r"""class\s*=\s*["'][^"']*\bwp-embedded-content\b""", re.IGNORECASE)

Discovered = Callable[[str, dict[str, str]], dict[str, Any]]


def card_only(found: Match | None) -> bool:
    """Whether a match with nothing to ask is a page that gets a link card, no discovery.

    That is a recognised page that its platform's oEmbed does not serve: a YouTube
    channel, ``/c/``, ``/user/`` or ``@handle`` page (``Ref.no_oembed``), or a short
    link that could not be followed beforehand. Twitch has no oEmbed at all (its
    player is built from the URL): no card.
    """
    if found is None or found.endpoint.method != "none":
        return False
    record = _platforms.get(found.provider.platform)
    return record is not None and record.oembed


def is_wp_embed(data: Mapping[str, Any]) -> bool:
    """Whether an oEmbed answer is WordPress's ``wp-embed`` (shown as a card instead).

    WordPress answers ``type: rich`` with ``<blockquote class="wp-embedded-content">``
    and an iframe back to the same site (``…/embed/#?secret=…``) that only a
    WordPress script sizes; embedkit runs no such script, so the page's card is shown.
    """
    markup = data.get("html")
    return data.get("type") == "rich" and isinstance(markup, str) and bool(_WP_EMBED.search(markup))


def public_image(url: str | None, *, allow_private: bool) -> str | None:
    """``url`` when it may be shown as a card's image (see the module docstring)."""
    if not url:
        return None
    try:
        checked = web_url(url)
    except ValueError:
        return None
    if allow_private:
        return checked
    host = normalize_host(urlsplit(checked).hostname or "")
    address = parse_ip_host(host)
    if address is not None:
        return checked if is_public_address(address) else None
    if host == "localhost" or host.endswith(".localhost") or "." not in host:
        return None
    return checked


def page_cache_age(headers: Mapping[str, str]) -> int | None:
    """Seconds from the page's ``Cache-Control`` (``s-maxage`` before ``max-age``), or None."""
    value = headers.get("cache-control")
    if not isinstance(value, str):
        return None
    found = {name.lower(): int(seconds) for name, seconds in _MAX_AGE.findall(value[:1000])}
    return found.get("s-maxage", found.get("max-age"))


def card_fields(
    meta: PageMeta,
    *,
    cache_age: int | None = None,
    allow_private_images: bool = False,
    fallback: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The card's fields from what a page declares; ``None`` when it declares no title.

    Field names follow oEmbed's where they mean the same (``title``, ``author_name``,
    ``provider_name`` for the site's name, ``thumbnail_url``/``_width``/``_height``),
    so integrations that read oEmbed data read a card too. ``fallback`` is an oEmbed
    answer (WordPress's) whose title and thumbnail fill what the page leaves out.
    """
    title = meta.title
    image, width, height = meta.image, meta.image_width, meta.image_height
    if fallback is not None:
        if not title and isinstance(fallback.get("title"), str):
            title = " ".join(html_lib.unescape(fallback["title"]).split())[:500] or None
        if not image and isinstance(fallback.get("thumbnail_url"), str):
            image = fallback["thumbnail_url"]
            width = positive_int(fallback.get("thumbnail_width"))
            height = positive_int(fallback.get("thumbnail_height"))
    if not title:
        return None
    fields: dict[str, Any] = {
        "format": CARD_FORMAT,
        "type": "link",
        "version": "1.0",
        "title": title,
    }
    optional = {
        "description": meta.description,
        "provider_name": meta.site_name,
        "author_name": meta.author,
        "published": meta.published.isoformat() if meta.published else None,
        "lang": meta.lang,
        "cache_age": cache_age,
    }
    fields.update({name: value for name, value in optional.items() if value is not None})
    shown = public_image(image, allow_private=allow_private_images)
    if shown:
        fields["thumbnail_url"] = shown
        if width and height:
            fields["thumbnail_width"], fields["thumbnail_height"] = width, height
    return fields


def page_answer(
    ref: Ref,
    http: HttpClient,
    fetch_discovered: Discovered,
    params: dict[str, str],
    *,
    discover: bool = True,
) -> dict[str, Any] | None:
    """Fetch ``ref``'s page once: its discovered oEmbed answer, else its card, else None.

    See the module docstring for the order. Raises only
    :class:`~embedkit._errors.FetchError` subclasses (the page's own trouble: guard,
    timeout, 404 → ``NotFound``...); a failing oEmbed endpoint the page announced
    falls back to the card.
    """
    response = fetch_page(ref.url, http, max_bytes=CARD_MAX_BYTES)
    text = ""
    if _markup(response.mime_type):  # decoded once, as browsers do, for discovery and card
        content_type = response.headers.get("content-type")
        text = decode_html(response.content, content_type=content_type).text
    announced: dict[str, Any] | None = None
    link = announced_link(response, text) if discover else None
    if link is not None:
        try:
            answer = fetch_discovered(link, params)
        except FetchError as exc:
            log.info(
                "the oEmbed endpoint that %s announces failed (%s); a card instead", ref.url, exc
            )
        else:
            if not is_wp_embed(answer):
                return answer
            announced = answer
    raise_for_status(response)
    return _card(response, text, http, announced)


def _markup(mime_type: str) -> bool:
    """Whether a response may be a page: HTML, XHTML, XML, or undeclared."""
    return "html" in mime_type or "xml" in mime_type or not mime_type


def _card(
    response: HttpResponse,
    text: str,
    http: HttpClient,
    announced: Mapping[str, Any] | None,
) -> dict[str, Any] | None:
    if not _markup(response.mime_type):
        return None  # a PDF, an image, JSON: no page metadata to read
    meta = page_metadata(text, response.url)
    return card_fields(
        meta,
        cache_age=page_cache_age(response.headers),
        allow_private_images=http.allow_private_networks,
        fallback=announced,
    )
