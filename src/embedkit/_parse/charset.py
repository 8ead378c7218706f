"""Decode fetched or saved pages and feeds the way browsers do.

Order for HTML (:func:`decode_html`), as the WHATWG encoding sniffing algorithm:

1. a byte order mark (UTF-8, UTF-16LE/BE);
2. the ``charset`` of the HTTP ``Content-Type`` header;
3. the meta prescan of the first 1,024 bytes (``<meta charset>`` and
   ``<meta http-equiv="Content-Type" content="...; charset=...">``), then, as
   a browser does when its parser meets a later ``<meta charset>`` while the
   encoding is still tentative, the first such declaration in the rest of the
   document's head;
4. a detector: UTF-8 when the bytes are valid UTF-8, else ``charset-normalizer``
   (windows-1252 when it reads the bytes as cleanly as the detector's first choice).

For XML (:func:`decode_xml`) step 3 reads the XML declaration
(``<?xml ... encoding="..."?>``) instead, and a BOM-less UTF-16 document is
recognized by its first ``<``.

Labels are mapped by the WHATWG Encoding Standard (``webencodings``): ``latin1``
and ``iso-8859-1`` decode as windows-1252, ``utf-16`` in a ``<meta>`` means
UTF-8, and a label the standard does not know (``idna``, ``undefined``,
``utf-8\\x00``, ``utf-7``, ``base64``...) is ignored, so the next step decides.
One deliberate difference from browsers: a declared legacy encoding loses to
UTF-8 when the bytes are valid UTF-8 and contain non-ASCII text, which is
what a page re-saved as UTF-8 with its old ``<meta charset>`` looks like (a
legacy text that is also valid UTF-8 by accident is very rare). Decoding
replaces undecodable bytes with U+FFFD; nothing here raises.

    >>> decode_html("<meta charset=latin1><p>Grüße".encode("latin-1")).encoding
    'cp1252'
    >>> decode_html(b"<p>x</p>", content_type="text/html; charset=idna").encoding
    'utf-8'
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import webencodings

from embedkit._parse.markup import Tag, tokens

__all__ = [
    "Decoded",
    "charset_from_content_type",
    "decode_html",
    "decode_xml",
    "lookup",
]

_PRESCAN_BYTES = 1024
_HEAD_SCAN_BYTES = 256 * 1024
_DETECT_BYTES = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CHARSET_IN_CONTENT = re.compile(r"charset\s*=\s*[\"']?([^\"';\s]+)", re.IGNORECASE)
_XML_DECL = re.compile(rb"<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']")
_UNICODE = frozenset({"utf-8", "utf-16-le", "utf-16-be"})


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded text, the Python codec used, and which step chose it."""

    text: str
    encoding: str
    source: str  # "bom" | "header" | "meta" | "xml" | "detected" | "default"


def lookup(label: str | None) -> str | None:
    """The Python codec for an encoding label, per the WHATWG standard; else ``None``.

    >>> lookup("ISO-8859-1"), lookup("Shift_JIS"), lookup("idna"), lookup("utf-8\\x00")
    ('cp1252', 'cp932', None, None)
    """
    if not label or len(label) > 40 or not label.isascii():
        return None  # labels are ASCII; webencodings raises on a lone surrogate
    found = webencodings.lookup(label)
    if found is None or found.name in ("replacement", "x-user-defined"):
        return None
    name: str = found.codec_info.name
    return {"utf-16-le": "utf-16-le", "utf-16-be": "utf-16-be"}.get(name, name)


def charset_from_content_type(value: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type value, unquoted ("" → None)."""
    if not value:
        return None
    for param in value.split(";")[1:]:
        name, _, found = param.partition("=")
        if name.strip().lower() == "charset":
            return found.strip().strip("\"'") or None
    return None


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    return None


def _meta_charset(attrs: dict[str, str]) -> str | None:
    if "charset" in attrs:
        return attrs["charset"]
    if attrs.get("http-equiv", "").strip().lower() == "content-type":
        match = _CHARSET_IN_CONTENT.search(attrs.get("content", ""))
        if match:
            return match.group(1)
    return None


def _declared_in_markup(head: bytes) -> str | None:
    """The first usable ``<meta>`` charset in ``head`` (read as ASCII-compatible bytes)."""
    for token in tokens(head.decode("latin-1")):
        if not isinstance(token, Tag) or token.end:
            continue
        if token.name in ("body", "p", "div", "article", "main"):
            return None  # the head is over: a browser would not switch any more
        if token.name == "meta":
            codec = lookup(_meta_charset(token.attrs))
            if codec is not None:
                return "utf-8" if codec.startswith("utf-16") else codec
    return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a body cut at a size cap may end inside a character
        return exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
    return True


def _detect(data: bytes) -> tuple[str, str]:
    if _is_utf8(data):
        return "utf-8", "detected"
    from charset_normalizer import from_bytes

    matches = from_bytes(data[:_DETECT_BYTES])
    best = matches.best()
    if best is not None:
        # Among equally clean readings prefer windows-1252, the web's most common legacy
        # encoding (and browsers' default for Western locales): short Western texts
        # otherwise come out as a Baltic or Central European code page.
        tied = [m for m in matches if m.chaos <= best.chaos]
        if any("cp1252" in m.could_be_from_charset for m in tied):
            return "cp1252", "detected"
        codec = lookup(best.encoding) or _python_codec(best.encoding)
        if codec is not None:
            return codec, "detected"
    return "cp1252", "default"


def _python_codec(name: str) -> str | None:
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _decode(data: bytes, codec: str, source: str) -> Decoded:
    if codec not in _UNICODE and not data.isascii() and _is_utf8(data):
        codec, source = "utf-8", "detected"  # a re-saved page whose old declaration was kept
    return Decoded(data.decode(codec, errors="replace"), codec, source)


def decode_html(data: bytes, *, content_type: str | None = None) -> Decoded:
    """Decode an HTML page: BOM, header charset, ``<meta>`` prescan, then a detector."""
    bom = _bom(data)
    if bom is not None:
        return Decoded(data[bom[1] :].decode(bom[0], errors="replace"), bom[0], "bom")
    header = lookup(charset_from_content_type(content_type))
    if header is not None:
        return _decode(data, header, "header")
    declared = _declared_in_markup(data[:_PRESCAN_BYTES]) or _declared_in_markup(
        data[:_HEAD_SCAN_BYTES]
    )
    if declared is not None:
        return _decode(data, declared, "meta")
    codec, source = _detect(data)
    return Decoded(data.decode(codec, errors="replace"), codec, source)


def decode_xml(data: bytes, *, content_type: str | None = None) -> Decoded:
    """Decode an XML document (a feed): BOM, header charset, XML declaration, detector."""
    bom = _bom(data)
    if bom is not None:
        return Decoded(data[bom[1] :].decode(bom[0], errors="replace"), bom[0], "bom")
    if data.startswith(b"<\x00"):
        return Decoded(data.decode("utf-16-le", errors="replace"), "utf-16-le", "detected")
    if data.startswith(b"\x00<"):
        return Decoded(data.decode("utf-16-be", errors="replace"), "utf-16-be", "detected")
    header = lookup(charset_from_content_type(content_type))
    if header is not None:
        return _decode(data, header, "header")
    match = _XML_DECL.match(data.lstrip()[:300])
    if match is not None:
        declared = lookup(match.group(1).decode("ascii"))
        if declared is not None:
            return _decode(data, declared, "xml")
    codec, source = _detect(data)
    return Decoded(data.decode(codec, errors="replace"), codec, source)
