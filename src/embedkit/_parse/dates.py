"""The one timestamp parser: feeds, front matter, JSON-LD and page metadata use it.

Real documents write dates many ways; :func:`parse_datetime` reads the forms
they use and returns a timezone-aware :class:`~datetime.datetime` (a time
without an offset is taken as UTC), or ``None`` when the text is not a date:

- ISO 8601 / RFC 3339: ``2019-03-05``, ``2019-03-05T10:00:00Z``,
  ``2019-03-05 10:00:00 UTC``, ``20190305T100000+0100``;
- RFC 822 / RFC 2822 and their variants (two-digit years, no weekday, named US
  zones, a trailing comment): ``Tue, 05 Mar 2019 10:00:00 EST``;
- numeric days: ``05.03.2019``, ``05/03/2019``, ``2019/03/05``, read day first
  unless the document's language is American English (``en-US``, or a bare
  ``en``; :func:`month_first`), or when the numbers leave no choice
  (``13/03/2019``, ``03/13/2019``); a date with dots is always day first;
- written forms: ``March 5, 2019``, ``5 March 2019 10:00 GMT``,
  ``Mar 5th, 2019 at 10:00 PM`` (python-dateutil, asked twice with different
  defaults so that a missing day, month or year is never filled in from today);
  and the month and weekday names of German, French, Spanish, Portuguese,
  Italian and Dutch (those of the document's language when it is one of them;
  all of them, minus ambiguous words, when the language is not given):
  ``Seg, 24 Set 2018 19:42:40 -0300``, ``5. März 2019``.

Input longer than :data:`MAX_DATE_LENGTH` characters is not a date. Nothing
here raises.

    >>> parse_datetime("Tue, 05 Mar 2019 10:00:00 +0100").isoformat()
    '2019-03-05T10:00:00+01:00'
    >>> parse_datetime("05.03.2019", lang="de").date(), parse_datetime("03/05/2019", "en-US").date()
    (datetime.date(2019, 3, 5), datetime.date(2019, 3, 5))
    >>> parse_datetime("yesterday") is None
    True
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import re
import warnings
from typing import Any, ClassVar

__all__ = ["MAX_DATE_LENGTH", "month_first", "parse_date_value", "parse_datetime"]

#: Longer text is not a date (the longest real form is well under this).
MAX_DATE_LENGTH = 100

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UTC_SUFFIX = re.compile(r"\s*(?:UTC|GMT|Z)$", re.IGNORECASE)
_NUMERIC = re.compile(
    r"(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})\.?"
    r"(?:(?:\s+|T|,\s*)(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([ap])\.?m\.?)?"
    r"(?:\s*(?:UTC|GMT|Z))?)?",
    re.IGNORECASE,
)
_ORDINAL_DOT = re.compile(r"\b(\d{1,2})\.(?=\s*[^\W\d_])")
_HAS_LETTERS = re.compile(r"[^\W\d_]{3}")
_HAS_TIME = re.compile(r"\d:\d\d|\d\s*[ap]\.?m\b", re.IGNORECASE)
# Zone abbreviations RFC 822 names, for dateutil (which warns on unknown ones).
_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
    "EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
    "MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
    "CET": 3600, "CEST": 7200, "BST": 3600, "IST": 19800, "JST": 9 * 3600, "KST": 9 * 3600,
}  # fmt: skip
# Month and weekday names (Monday first) that English-only parsers miss in real feeds.
_NAMES: dict[str, tuple[list[tuple[str, ...]], list[tuple[str, ...]]]] = {
    "de": (
        [("januar", "jänner", "jän"), ("februar",), ("märz", "mär", "mrz"), ("april",),
         ("mai",), ("juni",), ("juli",), ("august",), ("september", "sept"),
         ("oktober", "okt"), ("november",), ("dezember", "dez")],
        [("montag", "mo"), ("dienstag", "di"), ("mittwoch", "mi"), ("donnerstag", "do"),
         ("freitag", "fr"), ("samstag", "sonnabend", "sa"), ("sonntag", "so")],
    ),
    "fr": (
        [("janvier", "janv"), ("février", "fevrier", "févr", "fevr"), ("mars",),
         ("avril", "avr"), ("mai",), ("juin",), ("juillet", "juil"), ("août", "aout"),
         ("septembre", "sept"), ("octobre",), ("novembre",), ("décembre", "decembre", "déc")],
        [("lundi", "lun"), ("mardi",), ("mercredi", "mer"), ("jeudi", "jeu"),
         ("vendredi", "ven"), ("samedi", "sam"), ("dimanche", "dim")],
    ),
    "es": (
        [("enero", "ene"), ("febrero",), ("marzo",), ("abril", "abr"), ("mayo",), ("junio",),
         ("julio",), ("agosto", "ago"), ("septiembre", "setiembre", "sept", "set"),
         ("octubre",), ("noviembre",), ("diciembre", "dic")],
        [("lunes", "lun"), ("martes",), ("miércoles", "miercoles", "mié", "mie"),
         ("jueves", "jue"), ("viernes", "vie"), ("sábado", "sabado", "sáb", "sab"),
         ("domingo", "dom")],
    ),
    "pt": (
        [("janeiro",), ("fevereiro", "fev"), ("março", "marco"), ("abril", "abr"),
         ("maio",), ("junho",), ("julho",), ("agosto", "ago"), ("setembro", "set"),
         ("outubro", "out"), ("novembro",), ("dezembro", "dez")],
        [("segunda", "segunda-feira", "seg"), ("terça", "terca", "terça-feira", "ter"),
         ("quarta", "quarta-feira", "qua"), ("quinta", "quinta-feira", "qui"),
         ("sexta", "sexta-feira", "sex"), ("sábado", "sabado", "sáb", "sab"),
         ("domingo", "dom")],
    ),
    "it": (
        [("gennaio", "gen"), ("febbraio",), ("marzo",), ("aprile",), ("maggio", "mag"),
         ("giugno", "giu"), ("luglio", "lug"), ("agosto", "ago"), ("settembre", "set"),
         ("ottobre", "ott"), ("novembre",), ("dicembre", "dic")],
        [("lunedì", "lunedi", "lun"), ("martedì", "martedi"), ("mercoledì", "mercoledi"),
         ("giovedì", "giovedi", "gio"), ("venerdì", "venerdi", "ven"), ("sabato", "sab"),
         ("domenica", "dom")],
    ),
    "nl": (
        [("januari",), ("februari",), ("maart", "mrt"), ("april",), ("mei",), ("juni",),
         ("juli",), ("augustus",), ("september",), ("oktober", "okt"), ("november",),
         ("december",)],
        [("maandag", "ma"), ("dinsdag", "di"), ("woensdag", "wo"), ("donderdag", "do"),
         ("vrijdag", "vr"), ("zaterdag", "za"), ("zondag", "zo")],
    ),
}  # fmt: skip
_FIRST_DEFAULT = dt.datetime(1904, 1, 1)
_SECOND_DEFAULT = dt.datetime(1908, 2, 2)
_MIN_YEAR, _MAX_YEAR = 1000, 9999


def month_first(lang: str | None) -> bool:
    """Whether ``lang`` writes numeric dates month first: American English.

    A bare ``en`` counts as American (sites in British, Australian or Indian
    English say so: ``en-GB``...); any other language, or none, is day first.

    >>> month_first("en-US"), month_first("en"), month_first("en-GB"), month_first("de")
    (True, True, False, False)
    """
    if not lang:
        return False
    tag = lang.strip().lower().replace("_", "-")
    return tag in ("en", "en-us", "en-um", "en-as", "en-gu", "en-mp", "en-pr", "en-vi")


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _in_range(value: dt.date) -> bool:
    return _MIN_YEAR <= value.year <= _MAX_YEAR


def _iso(text: str) -> tuple[dt.datetime, bool] | None:
    if _ISO_DATE.fullmatch(text):
        try:
            return dt.datetime.fromisoformat(text), False
        except ValueError:
            return None
    candidate = _UTC_SUFFIX.sub("+00:00", text) if text[:4].isdigit() else text
    try:
        parsed = dt.datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return parsed, True


def _rfc822(text: str) -> tuple[dt.datetime, bool] | None:
    if not _HAS_LETTERS.search(text):
        return None
    try:
        parts = email.utils.parsedate_tz(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parts is None or not parts[0]:
        return None
    year, month, day, hour, minute, second, *_rest, offset = parts
    try:
        zone = dt.timezone(dt.timedelta(seconds=offset)) if offset is not None else dt.UTC
        parsed = dt.datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except (ValueError, OverflowError):
        return None
    return parsed, bool(_HAS_TIME.search(text))


def _numeric(text: str, lang: str | None) -> tuple[dt.datetime, bool] | None:
    match = _NUMERIC.fullmatch(text)
    if match is None:
        return None
    first, sep, second, third, hour, minute, second_s, meridiem = match.groups()
    a, b, c = int(first), int(second), int(third)
    if len(first) == 4:
        year, month, day = a, b, c
    elif len(third) in (2, 4):
        year = c + (2000 if c < 70 else 1900) if len(third) == 2 else c
        day_first = sep == "." or not month_first(lang)
        if a > 12 >= b:
            day_first = True
        elif b > 12 >= a:
            day_first = False
        day, month = (a, b) if day_first else (b, a)
    else:
        return None
    hours = int(hour or 0)
    if meridiem and 1 <= hours <= 12:
        hours = hours % 12 + (12 if meridiem.lower() == "p" else 0)
    try:
        parsed = dt.datetime(year, month, day, hours, int(minute or 0), int(second_s or 0))
    except ValueError:
        return None
    return parsed, hour is not None


def _merged(tables: list[list[tuple[str, ...]]], banned: set[str]) -> list[tuple[str, ...]]:
    """Merge name tables position by position, dropping words that mean two things."""
    positions: dict[str, set[int]] = {}
    for table in tables:
        for index, words in enumerate(table):
            for word in words:
                positions.setdefault(word, set()).add(index)
    merged: list[tuple[str, ...]] = []
    for index in range(len(tables[0])):
        found = [w for table in tables for w in table[index]]
        keep = [w for w in found if len(positions[w]) == 1 and w not in banned]
        merged.append(tuple(dict.fromkeys(keep)))
    return merged


@functools.cache
def _parserinfo(language: str | None, dayfirst: bool) -> Any:
    """dateutil's English names, plus ``language``'s month and weekday names.

    Without a language (or with one not in :data:`_NAMES` but English), every
    table's names are added, except words that would mean two different things.
    """
    from dateutil import parser as dateutil_parser

    base = dateutil_parser.parserinfo
    if language == "en":
        return base(dayfirst=dayfirst)
    chosen = [_NAMES[language]] if language in _NAMES else list(_NAMES.values())
    months = _merged([list(base.MONTHS), *(names[0] for names in chosen)], set())
    month_words = {word for month in months for word in month}
    weekdays = _merged([list(base.WEEKDAYS), *(names[1] for names in chosen)], month_words)

    class _Named(base):  # type: ignore[misc,valid-type]
        MONTHS: ClassVar[list[tuple[str, ...]]] = months
        WEEKDAYS: ClassVar[list[tuple[str, ...]]] = weekdays
        JUMP: ClassVar[list[str]] = [*base.JUMP, "de", "del", "um", "à", "a"]

    return _Named(dayfirst=dayfirst)


def _written(text: str, lang: str | None) -> tuple[dt.datetime, bool] | None:
    if not _HAS_LETTERS.search(text):
        return None
    from dateutil import parser as dateutil_parser

    language = (lang or "").strip().lower().replace("_", "-").split("-")[0] or None
    info = _parserinfo(language, not month_first(lang))
    text = _ORDINAL_DOT.sub(r"\1", text)  # German "5. März"
    results = []
    for default in (_FIRST_DEFAULT, _SECOND_DEFAULT):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results.append(
                    dateutil_parser.parser(info).parse(text, default=default, tzinfos=_ZONES)
                )
        except (ValueError, OverflowError, TypeError, LookupError):
            return None
    first, second = results
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None  # a part of the date was filled in from the default, not read
    return first, bool(_HAS_TIME.search(text))


def _parse(value: object, lang: str | None) -> tuple[dt.datetime, bool] | None:
    if isinstance(value, dt.datetime):
        return value, True
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day), False
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    if not text or len(text) > MAX_DATE_LENGTH:
        return None
    for reader in (_iso, _rfc822):
        found = reader(text)
        if found is not None:
            return found
    return _numeric(text, lang) or _written(text, lang)


def parse_datetime(value: object, lang: str | None = None) -> dt.datetime | None:
    """A timezone-aware datetime from ``value`` (text, date or datetime), else ``None``.

    ``lang`` is the document's language (``de``, ``en-US``...): it decides how
    an ambiguous numeric date such as ``05/03/2019`` is read.
    """
    found = _parse(value, lang)
    if found is None or not _in_range(found[0]):
        return None
    return _aware(found[0])


def parse_date_value(value: object, lang: str | None = None) -> dt.date | dt.datetime | None:
    """Like :func:`parse_datetime`, but a text that names only a day gives a ``date``.

    Front matter uses this, so ``published: 2023-03-16`` stays a day (pages show
    it as one) while ``2023-03-16 09:30`` becomes an aware datetime.

    >>> parse_date_value("2023-03-16"), parse_date_value("2023-03-16 09:30").tzinfo
    (datetime.date(2023, 3, 16), datetime.timezone.utc)
    """
    found = _parse(value, lang)
    if found is None or not _in_range(found[0]):
        return None
    parsed, has_time = found
    if not has_time and not isinstance(value, dt.datetime):
        return parsed.date()
    return _aware(parsed)
