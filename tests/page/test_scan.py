"""The page scan: standalone URLs only where browsers see markup, in linear time.

The tokenizer itself is tested in ``tests/parse/test_parse_markup.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.growth import assert_linear

from embedkit.page._autoembed import find_standalone_urls

URL = "https://x.com/Reuters/status/1636212467429621760"


def test_a_url_inside_a_foreign_cdata_section_is_not_markup() -> None:
    assert find_standalone_urls(f"<svg><![CDATA[ > </svg><p>{URL}</p> ]]></svg>") == []
    assert find_standalone_urls(f"<svg></svg><p>{URL}</p>") == [URL]


@pytest.mark.parametrize(
    "html",
    [
        f"<xmp><p>{URL}</p></xmp>",
        f"<noscript><p>{URL}</p></noscript>",
        f"<script><!--<script></script><p>{URL}</p>--></script>",
        f'<p title="open><p>{URL}</p>',
        f"<plaintext><p>{URL}</p>",
    ],
)
def test_no_url_where_a_browser_sees_text(html: str) -> None:
    assert find_standalone_urls(html) == []


ADVERSARIAL: list[tuple[str, Callable[[int], str]]] = [
    ("open tags", lambda n: "<a " * n),
    ("attributes", lambda n: "<a " + "b=c " * n + ">"),
    ("comment openers", lambda n: "<!--" * n),
    ("double-escaped scripts", lambda n: "<script>" + "<!--<script>" * n),
    ("script end tags", lambda n: "<script><!--" + "</script x" * n),
    ("unclosed quotes", lambda n: '<p title="' * n),
    ("end-tag starts", lambda n: "</" * n),
    ("raw text false ends", lambda n: "<xmp>" + "</xmpx>" * n),
    ("paragraphs", lambda n: f"<p>{URL}</p>\n" * n),
    ("nested divs", lambda n: "<div>" * n + URL + "</div>" * n),
    ("stray end tags under a deep stack", lambda n: "<div>" * n + "</span>" * n),
    ("paragraph with many inline tags", lambda n: "<p>" + "<b>x</b>" * n + "</p>"),
]


@pytest.mark.parametrize(("name", "make"), ADVERSARIAL, ids=[name for name, _ in ADVERSARIAL])
def test_scanning_is_linear(name: str, make: Callable[[int], str]) -> None:
    assert_linear(find_standalone_urls, make, 2_000)
