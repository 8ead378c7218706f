"""The real-world corpus (tests/fixtures/corpus/) read by the loaders, field by field.

Used by ``tests/syndicate/test_corpus.py`` (one test per page or feed and field) and by
``scripts/corpus_precision.py`` (the precision table). Expected values come only from
the fixtures' ``*.expected.json`` files (see tests/fixtures/corpus/PROVENANCE.md);
embedkit's output is compared with them through the normalisers below, each written
here independently of the code under test:

- **text** (titles, descriptions, authors): Unicode NFKC, case-folded, typographic
  quotes and dashes folded to ASCII, and all whitespace removed (sources differ in
  "review:  A" vs "review: A" and in ``’`` vs ``'``).
- **titles** additionally: a trailing separator plus the site's name, as the
  fixture gives it (``expected.site_name``), is ignored on both sides; embedkit drops
  it on purpose (``… | TechCrunch``), metascraper keeps it and Readability drops it.
  Feed titles are compared as text: character references decoded and tags dropped
  (feeds put escaped HTML in titles).
- **URLs** (page URL, image, entry link): scheme, host case, a leading ``www.``,
  percent-encoding (embedkit encodes non-ASCII and ``[]`` as RFC 3986 wants;
  metascraper decodes a doubly encoded URL once) and a trailing ``/`` are not compared.
- **dates**: instants are compared exactly. A fixture date without a time (a day, as
  trafilatura's gold data gives it) matches an instant that falls on that calendar
  day in some UTC offset between -12:00 and +14:00 (the page's own zone is not known).
  metascraper writes a day without a time as 12:00 UTC of that day
  (``globenewswire-1``: the page's ``4/6/2016`` becomes ``2016-04-06T12:00:00.000Z``),
  so its ``T12:00:00.000Z`` values are days too.
  A fixture date without a zone is UTC (embedkit's rule for naive times). Feed dates
  that stdlib parsers do not read are normalised first: Portuguese day and month
  names to English (``Seg, 24 Set 2018``), and ``2020/1/10 14:33:00``.
- **which date**: metascraper's ``date`` is the modification date when the page has
  one, else the publication date (packages/metascraper-date: ``dateModified`` rules
  first); it is compared with embedkit's ``modified or published``. Readability's
  ``publishedTime`` and trafilatura's ``date`` are compared with ``published``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import html
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
PAGE_FIELDS = ("title", "url", "description", "image", "date", "author")
FEED_FIELDS = ("entries", "title", "link", "published")

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_TAG = re.compile(r"<[^>]*>")
_SEPARATORS = (" | ", " - ", " – ", " — ", " · ", " » ", ": ")
_PORTUGUESE = {
    "Seg": "Mon", "Ter": "Tue", "Qua": "Wed", "Qui": "Thu", "Sex": "Fri", "Sáb": "Sat",
    "Dom": "Sun", "Fev": "Feb", "Abr": "Apr", "Mai": "May", "Ago": "Aug", "Set": "Sep",
    "Out": "Oct", "Dez": "Dec",
}  # fmt: skip


def pages() -> list[str]:
    """The names of the corpus pages (``acast-1``...)."""
    return sorted(p.name.removesuffix(".expected.json") for p in CORPUS.glob("pages/*.json"))


def feeds() -> list[str]:
    """The names of the corpus feeds."""
    return sorted(p.name.removesuffix(".expected.json") for p in CORPUS.glob("feeds/*.json"))


def fixture(kind: str, name: str) -> dict[str, Any]:
    """A page's or feed's ``*.expected.json``."""
    data: dict[str, Any] = json.loads(
        (CORPUS / kind / f"{name}.expected.json").read_text(encoding="utf-8")
    )
    return data


def text_key(value: str) -> str:
    """The text normaliser (see the module doc)."""
    folded = unicodedata.normalize("NFKC", value).casefold().translate(_QUOTES)
    return "".join(folded.split())


def title_key(value: str, site_name: str | None) -> str:
    """The title normaliser: a trailing `` | Site`` (the fixture's site name) is ignored."""
    value = value.strip()
    if site_name:
        for separator in _SEPARATORS:
            suffix = separator + site_name
            if value.lower().endswith(suffix.lower()) and len(value) > len(suffix):
                value = value[: -len(suffix)]
                break
    return text_key(value)


def feed_title_key(value: str) -> str:
    """A feed title as text: references decoded, tags dropped."""
    return text_key(_TAG.sub("", html.unescape(value)))


def _unquoted(text: str) -> str:
    for _ in range(4):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def url_key(value: str) -> tuple[str, str, str]:
    """The URL normaliser (see the module doc)."""
    parts = urlsplit(value.strip())
    host = parts.netloc.lower().removeprefix("www.")
    return host, _unquoted(parts.path).rstrip("/") or "/", _unquoted(parts.query)


def expected_instant(text: str, *, noon_is_a_day: bool = False) -> tuple[dt.datetime, bool]:
    """A fixture date as ``(aware datetime, has a time)``; stdlib parsers only."""
    value = text.strip()
    if noon_is_a_day and value.endswith("T12:00:00.000Z"):
        value = value[:10]
    for english in _PORTUGUESE.items():
        value = re.sub(rf"\b{english[0]}\b", english[1], value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC), False
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            parsed = dt.datetime.strptime(value, "%Y/%m/%d %H:%M:%S")
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)), True


def date_matches(got: dt.datetime | None, expected: str, *, noon_is_a_day: bool = False) -> bool:
    """The date normaliser (see the module doc)."""
    if got is None:
        return False
    want, has_time = expected_instant(expected, noon_is_a_day=noon_is_a_day)
    if has_time:
        return got == want
    day = want.date()
    return any(
        (got + dt.timedelta(minutes=offset)).astimezone(dt.UTC).date() == day
        for offset in range(-12 * 60, 14 * 60 + 1, 15)
    )


@dataclass(frozen=True)
class Outcome:
    """One expected field of one fixture: what embedkit gave and whether it matches."""

    kind: str  # "pages" | "feeds"
    name: str
    field: str
    expected: Any
    got: Any
    ok: bool


@functools.cache
def page_outcomes(name: str) -> tuple[Outcome, ...]:
    """Every expected field of page ``name`` compared with :func:`page_metadata` (cached)."""
    return tuple(_page_outcomes(name))


@functools.cache
def feed_outcomes(name: str) -> tuple[Outcome, ...]:
    """The expected entry count and first entry of feed ``name`` (cached)."""
    return tuple(_feed_outcomes(name))


def _page_outcomes(name: str) -> Iterator[Outcome]:
    """Every expected field of page ``name`` compared with :func:`page_metadata`."""
    from embedkit._parse.pagemeta import page_metadata

    data = fixture("pages", name)
    expected = data["expected"]
    meta = page_metadata((CORPUS / "pages" / f"{name}.html").read_bytes(), data.get("page_url"))
    from_metascraper = data["source"]["repo"] == "microlinkhq/metascraper"
    site = expected.get("site_name")
    for field in PAGE_FIELDS:
        if field not in expected:
            continue
        want = expected[field]
        got: Any
        if field == "title":
            got = meta.title
            ok = got is not None and title_key(got, site) == title_key(want, site)
        elif field in ("url", "image"):
            got = getattr(meta, field)
            ok = got is not None and url_key(got) == url_key(want)
        elif field == "date":
            got = (meta.modified or meta.published) if from_metascraper else meta.published
            ok = date_matches(got, want, noon_is_a_day=from_metascraper)
        else:
            got = meta.description if field == "description" else meta.author
            ok = got is not None and text_key(got) == text_key(want)
        yield Outcome("pages", name, field, want, got, ok)


def _feed_outcomes(name: str) -> Iterator[Outcome]:
    """The expected entry count and first entry of feed ``name``, from ``load_source``."""
    from embedkit.syndicate._article import load_source

    data = fixture("feeds", name)
    expected = data["expected"]
    first = expected["first_entry"]
    # A feed whose links are relative gets its address, as a reader that fetched it
    # would: the origin of the link the fixture gives resolved.
    address = urljoin(first["link"], "/") if "link_raw" in first else None
    loaded = load_source(CORPUS / "feeds" / f"{name}.xml", url=address)
    articles = loaded.articles
    yield Outcome(
        "feeds", name, "entries", expected["entries"], len(articles),
        len(articles) == expected["entries"],
    )  # fmt: skip
    article = articles[0] if articles else None
    for field in ("title", "link", "published"):
        want = first.get(field)
        if want is None:
            continue
        got: Any
        if article is None:
            yield Outcome("feeds", name, field, want, None, False)
            continue
        if field == "title":
            got = article.title
            if want == "":  # no title: embedkit takes the summary's first sentence
                ok = bool(got) and article.summary.startswith(got.rstrip("…"))
            else:
                ok = feed_title_key(got) == feed_title_key(want)
        elif field == "link":
            got = article.url
            ok = url_key(got) == url_key(want)
        else:
            got = article.published_at
            ok = date_matches(got, first.get("published_iso") or want)
        yield Outcome("feeds", name, field, want, got, ok)


def precision_table() -> list[tuple[str, str, int, int, int]]:
    """``(kind, field, expected, given, right)`` over the whole corpus."""
    rows: dict[tuple[str, str], list[int]] = {}
    outcomes = [o for n in pages() for o in page_outcomes(n)]
    outcomes += [o for n in feeds() for o in feed_outcomes(n)]
    for outcome in outcomes:
        row = rows.setdefault((outcome.kind, outcome.field), [0, 0, 0])
        row[0] += 1
        row[1] += outcome.got is not None
        row[2] += outcome.ok
    return [
        (kind, field, expected, given, right)
        for (kind, field), (expected, given, right) in rows.items()
    ]
