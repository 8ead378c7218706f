"""The one place where embedkit builds Jinja2 environments.

Templates are searched in order: folders the caller passes explicitly, then the
folders listed in ``EMBEDKIT_TEMPLATES`` (separated by :data:`os.pathsep`), then
the packaged defaults. The first folder holding a template name wins, so a
publisher overrides ``fallback/post.html`` by putting a file of that name in
their own folder.

``.html`` and ``.xml`` templates are autoescaped; text templates (``.txt``,
``.j2``, such as the syndicator's ``posts/*.txt.j2``) are not. Undefined
variables raise (:class:`jinja2.StrictUndefined`), so a typo in a template
fails loudly instead of rendering an empty string.

Example::

    >>> env = make_environment()
    >>> env.from_string("{{ d | longdate }}").render(d=datetime.date(2023, 3, 16))
    'March 16, 2023'
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape

from embedkit._errors import ConfigError

__all__ = [
    "ENV_VAR",
    "duration",
    "httpurl",
    "isodate",
    "longdate",
    "make_environment",
    "nl2br",
    "packaged_template_dir",
    "template_dirs",
    "tojson_attr",
]

#: The environment variable listing user template folders.
ENV_VAR = "EMBEDKIT_TEMPLATES"

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def packaged_template_dir() -> Path:
    """The default templates: inside the installed wheel, else the source checkout's.

    The wheel carries the top-level ``templates/`` folder as ``embedkit/templates``;
    an editable install or a plain checkout reads ``<repo>/templates`` directly.
    """
    inside = Path(__file__).resolve().parent / "templates"
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parents[2] / "templates"


def template_dirs(
    extra: Sequence[str | os.PathLike[str]] = (),
    *,
    env: Mapping[str, str] = os.environ,
) -> list[Path]:
    """The template search path: user folders first, then the packaged defaults.

    ``extra`` comes first, then every folder in ``EMBEDKIT_TEMPLATES``. A user folder
    that does not exist is a :class:`~embedkit._errors.ConfigError` naming it (a
    silently ignored override is worse than an error).
    """
    user: list[tuple[Path, str]] = [(Path(p), "template_dirs") for p in extra]
    raw = env.get(ENV_VAR, "")
    user.extend((Path(part), ENV_VAR) for part in raw.split(os.pathsep) if part.strip())
    for folder, source in user:
        if not folder.is_dir():
            raise ConfigError(f"template folder {str(folder)!r} (from {source}) does not exist")
    found: list[Path] = []
    for folder in [*(f for f, _ in user), packaged_template_dir()]:
        if folder not in found:
            found.append(folder)
    return found


def longdate(value: datetime.date | datetime.datetime | str | None) -> str:
    """Format a date the way X prints it under a post: ``March 16, 2023``.

    Locale-independent (English month names). Datetimes are shown in their own
    timezone (UTC for everything embedkit parses). Strings pass through unchanged.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"


def isodate(value: datetime.date | datetime.datetime | None) -> str:
    """Format a date or datetime for a ``<time datetime=...>`` attribute."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
            return value.strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    return value.isoformat()


def duration(seconds: int | float | None) -> str:
    """Format a duration in seconds as ``m:ss`` or ``h:mm:ss``."""
    if seconds is None:
        return ""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def tojson_attr(value: object) -> str:
    """Serialise a value as compact JSON for an HTML attribute (autoescape escapes it)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def nl2br(value: str | None) -> Markup:
    """Escape text and turn its line breaks into ``<br>`` (for post text)."""
    if not value:
        return Markup("")
    return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())


def httpurl(value: object) -> str:
    """``value`` if it is an absolute http(s) URL, else an empty string.

    Templates pass every URL that came from a provider or a cache through this
    filter before putting it in ``href`` or ``src``: autoescaping stops markup
    injection, this stops ``javascript:`` and ``data:`` URLs.
    """
    if not isinstance(value, str):
        return ""
    candidate = value.strip()
    # No whitespace and nothing unprintable (the only printable space is " ").
    if not candidate.isprintable() or " " in candidate:
        return ""
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return candidate


def make_environment(
    extra_dirs: Sequence[str | os.PathLike[str]] = (),
    *,
    env: Mapping[str, str] = os.environ,
) -> jinja2.Environment:
    """Build the Jinja2 environment every embedkit template is rendered with.

    ``extra_dirs`` and ``EMBEDKIT_TEMPLATES`` come before the packaged templates.
    Filters added: ``longdate`` ("March 16, 2023"), ``isodate``, ``duration``
    ("1:15"), ``tojson_attr`` (compact JSON, to be autoescaped into an attribute),
    ``nl2br`` (escaped text with ``<br>`` line breaks) and ``httpurl`` (empty
    unless the value is an absolute http(s) URL).
    """
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in template_dirs(extra_dirs, env=env)]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # templates are read once per process, not stat()ed per render
    )
    environment.filters["longdate"] = longdate
    environment.filters["isodate"] = isodate
    environment.filters["duration"] = duration
    environment.filters["tojson_attr"] = tojson_attr
    environment.filters["nl2br"] = nl2br
    environment.filters["httpurl"] = httpurl
    return environment
