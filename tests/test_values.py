"""embedkit._values: the one number coercion for untrusted data; never raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit._values import MAX_ABS_INT, as_int, positive_int

# (value, as_int) — expected values written by hand
CASES = [
    (550, 550),
    (-3, -3),
    (42.9, 42),
    ("550", 550),
    (" 42 ", 42),
    ("3153600000", 3153600000),  # X's cache_age, as a string
    ("12.5", 12),
    ("1e3", 1000),
    ("+7", 7),
    ("-7", -7),
    ("100%", None),
    ("²", None),  # str.isdigit() says yes, int() raises
    ("١٢٣", None),  # Arabic-Indic digits
    ("１２", None),  # full-width digits
    ("9" * 5000, None),  # int() raises past 4,300 digits
    ("9" * 20, None),  # too large to be a size, a duration or an age
    (10**20, None),
    (float("nan"), None),
    (float("inf"), None),
    ("nan", None),
    ("inf", None),
    ("1e999", None),
    ("1_000", None),
    ("0x10", None),
    ("", None),
    (" ", None),
    (True, None),
    (None, None),
    ([1], None),
    ({"a": 1}, None),
]


@pytest.mark.parametrize(("value", "expected"), CASES)
def test_as_int(value: object, expected: int | None) -> None:
    assert as_int(value) == expected


@pytest.mark.parametrize(("value", "expected"), [(5, 5), ("7", 7), (0, None), ("-1", None)])
def test_positive_int(value: object, expected: int | None) -> None:
    assert positive_int(value) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.integers(),
        st.floats(),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
    )
)
def test_as_int_never_raises_and_stays_bounded(value: object) -> None:
    result = as_int(value)
    assert result is None or (isinstance(result, int) and abs(result) < MAX_ABS_INT)
