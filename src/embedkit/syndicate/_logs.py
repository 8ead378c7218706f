"""Log lines for scheduled runs: readable text for people, JSON lines for log shippers.

Runs log through the ``embedkit.syndicate`` logger with structured fields in
``extra`` (``event``, ``article_id``, ``channel``, ``state``, ``post_url``,
``error``...). :func:`configure_logging` attaches one stderr handler with the
chosen format (the formatters live in :mod:`embedkit._logging`, shared with the
command line). As a last line of defence, every value that equals a secret
environment variable (``*TOKEN``, ``*SECRET``, ``*PASSWORD``, ``*KEY``...) is
replaced by ``***`` before it is written.

Example::

    configure_logging("json")
    logging.getLogger("embedkit.syndicate.run").info(
        "posted", extra={"event": "posted", "channel": "mastodon", "article_id": "a1"})
    # {"ts": "2024-05-01T09:00:00Z", "level": "info", "event": "posted", ...}
"""

from __future__ import annotations

import logging
import sys
from typing import IO

from embedkit._logging import FIELDS, JsonFormatter, TextFormatter
from embedkit._redaction import RedactingFilter, get_logger, redact

__all__ = ["FIELDS", "JsonFormatter", "TextFormatter", "configure_logging", "redact"]


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
