"""Log lines for scheduled runs: readable text for people, JSON lines for log shippers.

Runs log through the ``embedkit.syndicate`` logger with structured fields in
``extra`` (``event``, ``article_id``, ``channel``, ``state``, ``post_url``,
``error``...). :func:`configure_logging` attaches one stderr handler with the
chosen format. As a last line of defence, every value that equals a secret
environment variable (``*TOKEN``, ``*SECRET``, ``*PASSWORD``, ``*KEY``...) is
replaced by ``***`` before it is written.

Example::

    configure_logging("json")
    logging.getLogger("embedkit.syndicate.run").info(
        "posted", extra={"event": "posted", "channel": "mastodon", "article_id": "a1"})
    # {"ts": "2024-05-01T09:00:00Z", "level": "info", "event": "posted", ...}
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO

from embedkit.net._redaction import RedactingFilter, get_logger, redact

__all__ = ["FIELDS", "JsonFormatter", "TextFormatter", "configure_logging", "redact"]

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
)
#: The fields a text line adds after the message (the message already names the rest).
_TEXT_EXTRAS = ("post_url", "attempt", "delay")


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
        return redact(json.dumps(data, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """``LEVEL message key=value ...`` for a terminal or a cron mail."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        extras = " ".join(
            f"{key}={fields[key]}"
            for key in _TEXT_EXTRAS
            if fields.get(key) is not None and not (key == "attempt" and fields[key] in (0, 1))
        )
        line = f"{record.levelname.lower():7} {record.getMessage()}"
        if extras:
            line += f"  {extras}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


def configure_logging(
    fmt: str = "text", *, stream: IO[str] | None = None, level: int = logging.INFO
) -> logging.Handler:
    """Send ``embedkit.syndicate`` logs to ``stream`` (stderr) as ``text`` or ``json``.

    Replaces a handler installed by an earlier call, so calling it per command is safe.
    """
    logger = get_logger("embedkit.syndicate")
    for handler in list(logger.handlers):
        if getattr(handler, "_embedkit_syndicate", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactingFilter())
    handler._embedkit_syndicate = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return handler
