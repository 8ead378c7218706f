"""Keeping secrets out of output: mask the values of secret environment variables.

Credentials reach embedkit only through environment variables (``..._TOKEN``,
``..._SECRET``, ``..._PASSWORD``, ``..._KEY``, ``..._WEBHOOK_URL``). Anything that
prints text a platform or library produced — error messages, log lines — passes it
through :func:`redact` first, so an API that echoes a token back cannot leak it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["redact"]

_SECRET_SUFFIXES = ("TOKEN", "SECRET", "PASSWORD", "APP_PASSWORD", "KEY", "WEBHOOK_URL")
_MIN_SECRET = 6


def _secrets(env: Mapping[str, str]) -> list[str]:
    values = {
        value
        for name, value in env.items()
        if name.upper().endswith(_SECRET_SUFFIXES) and len(value) >= _MIN_SECRET
    }
    return sorted(values, key=len, reverse=True)


def redact(text: str, env: Mapping[str, str] | None = None) -> str:
    """Replace the value of every secret-looking environment variable in ``text``."""
    for secret in _secrets(os.environ if env is None else env):
        text = text.replace(secret, "[redacted]")
    return text
