"""Read a post out of its provider's own markup: the best source of a static fallback.

:func:`from_oembed` turns an oEmbed answer (fresh, or the cached snapshot) into a
:class:`~embedkit.present._snapshot.PostSnapshot`. For social posts (X, Bluesky,
Mastodon, Instagram, Threads, TikTok, Facebook) the text, author and date are parsed
out of the provider's ``<blockquote>``; for video, photo and link embeds the title,
author and thumbnail come from the oEmbed fields. Which parser reads the markup is
decided by the matched platform (or the platform of the URL), never by a name the
answer gives itself.

Everything here is linear in the size of the answer: the markup is read once into a
small tree (:mod:`embedkit.present._dom`), and the bylines ("Name (@handle)",
"A post shared by Name (@handle)", "Posted by ... on <date>") are found with plain
string searches and bounded patterns, never with a regex that backtracks over the
whole text.

>>> from embedkit._models import Ref
>>> html = ('<blockquote class="twitter-tweet"><p>Hello</p>&mdash; Reuters (@Reuters) '
...         '<a href="https://x.com/Reuters/status/1">March 16, 2023</a></blockquote>')
>>> url = "https://x.com/reuters/status/1"
>>> snap = from_oembed({"type": "rich", "html": html}, Ref(raw=url, url=url, kind="x"), "Twitter")
>>> snap.text, snap.author_name, snap.handle, snap.date_text
('Hello', 'Reuters', 'Reuters', 'March 16, 2023')
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from embedkit._models import Ref
from embedkit._values import as_int
from embedkit.present._dom import Node, parse
from embedkit.present._snapshot import PostSnapshot, layout_of

__all__ = ["from_oembed", "from_oembed_tree", "name_and_handle", "parse_date", "shared_by"]

#: Text fields longer than this are cut before any pattern looks at them.
MAX_FIELD = 4096
#: A date written out is short; longer text is not searched for one.
MAX_DATE = 200

_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH_NUMBERS = {name: i + 1 for i, name in enumerate(_MONTHS)}
_MDY = re.compile(r"(?P<m>[A-Za-z]{3,9})\.?\s{1,3}(?P<d>\d{1,2}),?\s{1,3}(?P<y>\d{4})")


#: What :func:`_clean` changes besides the ends: line breaks, tabs, no-break spaces,
#: runs of spaces.
_UNCLEAN = re.compile(r"[\t\u00a0\n\r\v\f\x1c-\x1e\x85\u2028\u2029]|  ")


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    if not _UNCLEAN.search(text):
        return text.strip() or None
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    out = "\n".join(line for line in lines if line)
    return out or None


def parse_date(text: str | None) -> datetime.date | datetime.datetime | None:
    """Parse "March 16, 2023", "Friday, December 5, 2014" or an ISO timestamp.

    >>> parse_date("Friday, December 5, 2014")
    datetime.date(2014, 12, 5)
    """
    if not text or len(text) > MAX_DATE:
        return None
    text = text.strip()
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    parsed = None
    if iso[:1].isdigit():  # an ISO date starts with its year (skips a costly ValueError)
        try:
            parsed = datetime.datetime.fromisoformat(iso)
        except ValueError:
            parsed = None
    if parsed is not None:
        if parsed.tzinfo is not None:
            return parsed.astimezone(datetime.UTC)
        return parsed
    match = _MDY.search(text)
    if match:
        month = _MONTH_NUMBERS.get(match["m"].lower())
        if month is None:
            month = next((n for k, n in _MONTH_NUMBERS.items() if k[:3] == match["m"].lower()), 0)
        try:
            return datetime.date(int(match["y"]), month, int(match["d"]))
        except ValueError:
            return None
    return None


#: An absolute URL that ``urljoin`` would hand back unchanged: lower-case http(s), a
#: host, no empty query or fragment, no path parameters, no brackets, nothing that
#: ``urlsplit`` strips or rewrites.
_PLAIN_URL = re.compile(
    r"https?://[^/?#;\[\]\s\x00-\x1f\x7f][^?#;\[\]\s\x00-\x1f\x7f]*+"
    r"(?:\?[^#;\[\]\s\x00-\x1f\x7f]++)?(?:#[^\[\]\s\x00-\x1f\x7f]++)?"
)


def _http_url(value: Any, base: Any = None) -> str | None:
    """``value`` as an absolute http(s) URL (relative ones joined to ``base``), else None."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_FIELD:
        return None
    value = value.strip()
    joinable = isinstance(base, str) and base.startswith(("http://", "https://"))
    if joinable and len(base) < 2048 and not _PLAIN_URL.fullmatch(value):
        value = urljoin(base, value)
    if value.startswith("//"):
        value = "https:" + value
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return str(value)


_HANDLE = re.compile(r"[\w.@-]{1,100}")
_SHARED_HANDLE = re.compile(r"\(@([\w.]{1,100})\)")
_SHARED_MARKER = re.compile(r"(?:A post shared by|Post by|Posted by)\s")


def name_and_handle(text: str) -> tuple[str, str] | None:
    """(name, handle) of a byline such as ``"— Reuters (@Reuters)"``, or ``None``.

    One optional leading dash; the handle is the last ``(@...)``, which must end the
    text. Linear: found with ``rfind``, not a pattern that scans back and forth.

    >>> name_and_handle("— Reuters (@Reuters) ")
    ('Reuters', 'Reuters')
    """
    text = text[:MAX_FIELD].strip()
    if not text.endswith(")"):
        return None
    at = text.rfind("(@")
    if at < 0 or not _HANDLE.fullmatch(text[at + 2 : -1]):
        return None
    name = text[:at].strip()
    if name[:1] in ("—", "–", "-"):
        name = name[1:].strip()
    return name, text[at + 2 : -1]


def shared_by(text: str) -> tuple[str, str] | None:
    """(name, handle) after "A post shared by", "Post by" or "Posted by", on one line.

    The first such phrase on a line that has a later ``(@handle)`` wins; the name is
    what lies between. Each line is searched once, so the work is linear.

    >>> shared_by("A post shared by National Geographic (@natgeo)")
    ('National Geographic', 'natgeo')
    """
    for line in text[:MAX_FIELD].splitlines():
        marker = _SHARED_MARKER.search(line)
        if marker is None:
            continue
        handle = _SHARED_HANDLE.search(line, marker.end())
        if handle is not None:
            return line[marker.end() : handle.start()].strip(), handle.group(1)
    return None


def _posted_on(text: str) -> str | None:
    """The date in "Posted by <name> on <date>" (Facebook's blockquote), or ``None``."""
    start = text.find("Posted by ")
    if start < 0:
        return None
    on = text.find(" on ", start + len("Posted by "))
    return text[on + 4 :].strip() or None if on >= 0 else None


def _blockquote(root: Node, cls: str) -> Node | None:
    quotes = root.find_all("blockquote")
    for quote in quotes:
        if cls in quote.attrs.get("class", "").split():
            return quote
    return quotes[0] if quotes else None


def _first_paragraph(quote: Node) -> dict[str, Any]:
    """The post text most providers put in the blockquote's first ``<p>``."""
    paragraphs = quote.find_all("p")
    return {"text": _clean(paragraphs[0].text())} if paragraphs else {}


def _parse_x(root: Node) -> dict[str, Any]:
    quote = _blockquote(root, "twitter-tweet")
    if quote is None:
        return {}
    found = _first_paragraph(quote)
    direct_links = [c for c in quote.children if isinstance(c, Node) and c.tag == "a"]
    byline = name_and_handle("".join(c for c in quote.children if isinstance(c, str)))
    if byline:
        found["author_name"] = _clean(byline[0])
        found["handle"] = byline[1]
    if direct_links:
        date_text = _clean(direct_links[-1].text()[:MAX_DATE])
        found["date_text"] = date_text
        found["published"] = parse_date(date_text)
    return found


def _parse_bluesky(root: Node) -> dict[str, Any]:
    quote = _blockquote(root, "bluesky-embed")
    if quote is None:
        return {}
    found = _first_paragraph(quote)
    links = [c for c in quote.children if isinstance(c, Node) and c.tag == "a"]
    if links:
        byline = name_and_handle(links[0].text())
        if byline:
            found["author_name"] = _clean(byline[0])
            found["handle"] = byline[1]
    if len(links) > 1:
        found["published"] = parse_date(links[-1].text().strip())
    return found


def _parse_tiktok(root: Node) -> dict[str, Any]:
    quote = _blockquote(root, "tiktok-embed")
    if quote is None:
        return {}
    found = _first_paragraph(quote)
    for link in quote.find_all("a"):
        label = link.text().strip()
        if label.startswith("@") and _HANDLE.fullmatch(label[1:]):
            found["handle"] = label[1:]
            break
    return found


def _parse_generic(root: Node, cls: str) -> dict[str, Any]:
    """Instagram, Threads, Facebook, Mastodon: "shared by Name (@handle)", a <time>, a <p>."""
    quote = _blockquote(root, cls)
    if quote is None:
        return {}
    found: dict[str, Any] = {}
    whole = quote.text()
    byline = shared_by(whole)
    if byline:
        found["author_name"] = _clean(byline[0])
        found["handle"] = byline[1]
    times = quote.find_all("time")
    if times:
        found["published"] = parse_date(times[0].attrs.get("datetime"))
    for paragraph in quote.find_all("p"):
        text = paragraph.text()
        if shared_by(text) is None:
            found["text"] = _clean(text)
            break
    date_text = _posted_on(whole)
    if date_text and "published" not in found:
        found["date_text"] = _clean(date_text[:MAX_DATE])
        found["published"] = parse_date(date_text)
    return found


_PARSERS: dict[str, Callable[[Node], dict[str, Any]]] = {
    "x": _parse_x,
    "bluesky": _parse_bluesky,
    "tiktok": _parse_tiktok,
    "instagram": lambda root: _parse_generic(root, "instagram-media"),
    "threads": lambda root: _parse_generic(root, "text-post-media"),
    "facebook": lambda root: _parse_generic(root, "fb-xfbml-parse-ignore"),
    "mastodon": lambda root: _parse_generic(root, "mastodon-embed"),
}


def _mastodon_handle(author_url: str | None) -> str | None:
    if not author_url:
        return None
    parts = urlsplit(author_url)
    match = re.fullmatch(r"/@(?P<user>[\w.]{1,64})/?", parts.path)
    if match and parts.hostname:
        return f"{match['user']}@{parts.hostname}"
    return None


def _text_field(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return _clean(value[:MAX_FIELD]) if isinstance(value, str) else None


def from_oembed(
    data: Mapping[str, Any], ref: Ref, provider: str | None, *, platform: str | None = None
) -> PostSnapshot:
    """Read a post out of an oEmbed response (a fresh one or the cached snapshot).

    ``platform`` is the matched provider's platform; without it the platform the
    URL belongs to (``ref.kind``) chooses the markup parser.
    """
    return from_oembed_tree(data, ref, provider, platform=platform)


def from_oembed_tree(
    data: Mapping[str, Any],
    ref: Ref,
    provider: str | None,
    *,
    platform: str | None = None,
    tree: Node | None = None,
) -> PostSnapshot:
    """:func:`from_oembed` with ``data["html"]`` already read (``tree``: its root).

    Presentation reads an answer's markup once, for the sanitizer and for this.
    """
    oembed_type = data.get("type") if isinstance(data.get("type"), str) else None
    kind = platform or ref.kind
    fields: dict[str, Any] = {
        "title": _text_field(data, "title"),
        "author_name": _text_field(data, "author_name"),
        "author_url": _http_url(data.get("author_url"), data.get("provider_url")),
        "thumbnail_url": _http_url(data.get("thumbnail_url")),
        "duration": as_int(data.get("duration")),
    }
    if oembed_type == "photo" and fields["thumbnail_url"] is None:
        fields["thumbnail_url"] = _http_url(data.get("url"))
    html = data.get("html")
    parser = _PARSERS.get(kind or "")
    if isinstance(html, str) and parser is not None:
        for name, value in parser(tree if tree is not None else parse(html)).items():
            if value is not None:
                fields[name] = value
    named = name_and_handle(fields["author_name"] or "")
    if named:  # Bluesky's author_name is "Name (@handle)"
        fields["author_name"] = _clean(named[0])
        fields.setdefault("handle", named[1])
    if kind == "instagram" and fields.get("text") is None and fields["title"]:
        fields["text"] = fields["title"]
    if kind == "mastodon" and not fields.get("handle"):
        fields["handle"] = _mastodon_handle(fields["author_url"])
    unique_id = data.get("author_unique_id")
    if kind == "tiktok" and not fields.get("handle") and isinstance(unique_id, str):
        fields["handle"] = unique_id[:100]
    layout = layout_of(kind, oembed_type)
    return PostSnapshot(url=ref.url, provider=provider, layout=layout, source="snapshot", **fields)
