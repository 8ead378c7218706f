"""Log formatting shared by the library and the command line: text for people, JSON lines.

Records carry structured fields in ``extra`` (``event``, ``article_id``,
``channel``, ``post_url``...; see :data:`FIELDS`). :class:`TextFormatter` writes
``level message key=value``; :class:`JsonFormatter` one JSON object per line.
Both mask the value of every secret environment variable before writing, as a
last line of defence (:func:`embedkit._redaction.redact`). This module is
light on purpose: the command line sets logging up before it knows which
subsystem a command needs.

:func:`to_json` is the JSON the command line prints: UTF-8 text, with every
control character escaped (``json`` escapes C0 itself; C1 characters such as
U+009B, which some terminals read as an escape sequence, and U+2028/U+2029 are
escaped here), so JSON output never drives a terminal.

>>> to_json({"title": "a\\u009bb"})
'{"title": "a\\\\u009bb"}'
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

__all__ = ["FIELDS", "JsonFormatter", "TextFormatter", "to_json"]

#: Structured fields a log record may carry (anything else in ``extra`` is ignored).
FIELDS = (
    "event",
    "run_id",
    "channel",
    "article_id",
    "state",
    "post_id",
    "post_url",
    "attempt",
    "delay",
    "error",
    "reason",
    "posted",
    "skipped",
    "failed",
    "unknown",
    "would_post",
    "deferred",
)
#: The fields a text line adds after the message (the message already names the rest).
_TEXT_EXTRAS = ("post_url", "attempt", "delay")
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029]")


def to_json(data: Any) -> str:
    """``data`` as one line of JSON, every control character escaped."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _redact(text: str) -> str:
    from embedkit._redaction import redact

    return redact(text)


def _fields(record: logging.LogRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in FIELDS if hasattr(record, name)}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``message`` and the fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return _redact(to_json(data))


class TextFormatter(logging.Formatter):
    """``level   message key=value ...`` for a terminal or a cron mail.

    Lines from other libraries' loggers (shown with -vvv) name their logger:
    ``info    httpx: HTTP Request: POST ...``.
    """

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        extras = " ".join(
            f"{key}={fields[key]}"
            for key in _TEXT_EXTRAS
            if fields.get(key) is not None and not (key == "attempt" and fields[key] in (0, 1))
        )
        source = "" if record.name.startswith("embedkit") else f"{record.name}: "
        line = f"{record.levelname.lower():7} {source}{record.getMessage()}"
        if extras:
            line += f"  {extras}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return _redact(line)
