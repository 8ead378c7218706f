"""RSS and Atom feeds through feedparser, after the XML has been checked.

feedparser is the field's feed parser, and it is kept: it knows RSS 0.9x to
2.0, RSS 1.0 (RDF), Atom 0.3 and 1.0, their namespaces and ``xml:base``. What
it is given is prepared here first, because a feed is untrusted:

1. The bytes are decoded by :func:`embedkit._parse.charset.decode_xml` (BOM,
   HTTP charset, XML declaration, detector), so every check below sees the
   same text in any encoding: a UTF-16 feed cannot hide a ``<!DOCTYPE`` from a
   byte search.
2. A document that declares entities (``<!ENTITY`` before its root element)
   is refused: entity expansion is how a few hundred bytes become a
   68-million-character title. Then the document, re-encoded as UTF-8 with a
   matching XML declaration, is parsed once by ``defusedxml`` (expat with
   entity declarations forbidden by the parser itself, and external entities
   and DTDs never loaded); a refusal there refuses the feed.
3. feedparser gets exactly those UTF-8 bytes in a :class:`io.BytesIO`: given
   ``bytes`` it would try them as a *file name* first (a feed whose body is
   ``/etc/passwd`` would read that file). Its HTML sanitizer and relative-URI
   rewriting of entry content are off: they run feedparser's sgmllib-based
   parser, which is quadratic on ``<!--`` repeated; callers turn content into
   plain text with :func:`embedkit._parse.markup.html_to_text` instead.
   A feed that is not well-formed XML still goes to feedparser's tolerant
   parser, which expands no custom entities.

Inputs over :data:`MAX_FEED_BYTES` are refused. Problems raise
:class:`ValueError` with a one-line reason.
"""

from __future__ import annotations

import io
import re
import xml.sax
from typing import Any

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from embedkit._parse.charset import decode_xml

__all__ = ["MAX_FEED_BYTES", "looks_like_feed", "parse_feed"]

#: The largest feed read, in bytes.
MAX_FEED_BYTES = 8 * 1024 * 1024

_ROOT = re.compile(r"<[A-Za-z_]")
_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_FEED_ROOT = re.compile(r"<(?:rss|feed|rdf:RDF|channel)[\s>]")
_HTML_ROOT = re.compile(r"<html[\s>]", re.IGNORECASE)


def looks_like_feed(data: bytes, content_type: str | None = None) -> bool:
    """Whether a body is RSS/Atom: by its root element, in any encoding."""
    head = decode_xml(data[:4096], content_type=content_type).text
    found = _FEED_ROOT.search(head)
    html = _HTML_ROOT.search(head)
    return found is not None and (html is None or html.start() > found.start())


def _prepared(data: bytes, content_type: str | None) -> bytes:
    text = decode_xml(data, content_type=content_type).text.lstrip("\ufeff")
    root = _ROOT.search(text)
    prolog = text[: root.start()] if root else text
    if _ENTITY.search(prolog):
        raise ValueError("the feed declares XML entities (<!ENTITY), which are refused")
    body = _XML_DECLARATION.sub("", text, count=1)
    utf8 = ('<?xml version="1.0" encoding="utf-8"?>' + body).encode("utf-8", "replace")
    # An external DTD (RSS 0.91's Netscape DOCTYPE, XHTML's) is allowed but never
    # fetched: external general and parameter entities are off in the parser.
    parser = DefusedExpatParser(forbid_dtd=False, forbid_entities=True, forbid_external=False)
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    parser.setFeature(xml.sax.handler.feature_external_pes, False)
    parser.setContentHandler(xml.sax.handler.ContentHandler())
    try:
        parser.parse(io.BytesIO(utf8))
    except DefusedXmlException as exc:
        raise ValueError(f"the feed was refused by the XML parser: {type(exc).__name__}") from None
    except (xml.sax.SAXException, ValueError, RecursionError):
        pass  # not well-formed: feedparser's tolerant parser copes, with no custom entities
    return utf8


def parse_feed(data: bytes, *, content_type: str | None = None, url: str | None = None) -> Any:
    """``feedparser``'s result for ``data`` (see the module doc); ``ValueError`` if refused.

    ``url`` is the feed's address: relative links resolve against it (and
    ``xml:base``).
    """
    if len(data) > MAX_FEED_BYTES:
        raise ValueError(f"the feed is larger than {MAX_FEED_BYTES} bytes")
    prepared = _prepared(data, content_type)
    headers = {"content-type": "application/xml; charset=utf-8"}
    if url:
        headers["content-location"] = url
    try:
        parsed = feedparser.parse(
            io.BytesIO(prepared),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except RecursionError:
        raise ValueError("the feed is nested too deeply") from None
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        if problem is not None and not isinstance(problem, feedparser.CharacterEncodingOverride):
            detail = str(problem).strip().splitlines()[0] if str(problem).strip() else ""
            raise ValueError(f"malformed feed ({detail or type(problem).__name__})")
        raise ValueError("not an RSS or Atom feed")
    return parsed
