"""One home for reading numbers out of untrusted data (provider answers, cached entries).

Providers send sizes, durations and cache ages as JSON numbers, as strings
(``"550"``, X's ``"3153600000"``), as percentages (``"100%"``) or as junk. Python's
own conversions accept more than a number should be: ``"²".isdigit()`` is true but
``int("²")`` raises, ``int("9" * 5000)`` raises, ``float("1_000")`` is 1000.0 and
``float("nan")`` is a float. :func:`as_int` accepts plain ASCII decimal numbers only
and returns ``None`` for everything else; it never raises.

>>> as_int("550"), as_int(" 42.7 "), as_int("100%"), as_int("²"), as_int(True)
(550, 42, None, None, None)
>>> positive_int("0"), positive_int(640), positive_int("-3")
(None, 640, None)
"""

from __future__ import annotations

import math
import re

__all__ = ["MAX_ABS_INT", "as_int", "positive_int"]

#: Larger magnitudes are not sizes, durations or ages: they read as ``None``.
MAX_ABS_INT = 10**15

#: A number as JSON and CSS write it, ASCII only: ``12``, ``-3``, ``4.5``, ``.5``, ``1e3``.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
#: Longer strings are never a plausible number (and cost more than they are worth).
_MAX_TEXT = 32


def as_int(value: object) -> int | None:
    """``value`` as an int (floats truncated), or ``None`` when it is not a sane number.

    Accepts ints, finite floats and strings holding an ASCII decimal number; refuses
    booleans, ``None``, NaN and infinities, non-ASCII digits, percentages, hex, digit
    group separators, strings over 32 characters and magnitudes of 10**15 or more.
    """
    if isinstance(value, bool) or value is None:
        return None
    number: int | float
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            return None
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_TEXT or not _NUMBER.fullmatch(text):
            return None
        if text.lstrip("+-").isdigit():
            number = int(text)
        else:
            number = float(text)
            if not math.isfinite(number):
                return None
    else:
        return None
    if abs(number) >= MAX_ABS_INT:
        return None
    return int(number)


def positive_int(value: object) -> int | None:
    """:func:`as_int` of ``value`` when it is greater than zero, else ``None``."""
    number = as_int(value)
    return number if number is not None and number > 0 else None
