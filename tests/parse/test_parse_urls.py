"""embedkit._parse.urls: article URLs are checked web URLs; one tracking-parameter list."""

from __future__ import annotations

import re

import pytest

from embedkit._parse.urls import (
    MAX_URL_LENGTH,
    TRACKING_PARAMETERS,
    TRACKING_PREFIXES,
    is_tracking_parameter,
    web_url,
)
from embedkit.resolve._refs import canonicalize
from embedkit.syndicate._article import article_id_for


@pytest.mark.parametrize(
    ("value", "base", "expected"),
    [
        ("https://news.example.com/a", None, "https://news.example.com/a"),
        ("HTTPS://News.Example.COM:8443/a?b=1#c", None, "https://news.example.com:8443/a?b=1#c"),
        ("  https://news.example.com/a  ", None, "https://news.example.com/a"),
        ("https://news.example.com", None, "https://news.example.com/"),
        ("/world/a", "https://news.example.com/x/y", "https://news.example.com/world/a"),
        ("b.html", "https://news.example.com/x/y", "https://news.example.com/x/b.html"),
        ("//cdn.example.com/i.png", "https://news.example.com/", "https://cdn.example.com/i.png"),
        ("https://de.example.com/Müller?q=ä", None, "https://de.example.com/M%C3%BCller?q=%C3%A4"),
        ("https://bücher.example/", None, "https://xn--bcher-kva.example/"),
        ("https://e.com/a?x[]=1", None, "https://e.com/a?x%5B%5D=1"),
        ("https://e.com/a%20b", None, "https://e.com/a%20b"),
        ("https://[::1]:8080/a", None, "https://[::1]:8080/a"),
    ],
)
def test_web_urls_are_normalised(value: str, base: str | None, expected: str) -> None:
    assert web_url(value, base) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            "https://news.example.com/x><!channel><https://evil.example/login|…",
            "not allowed in a URL: '>'",
        ),
        ("https://news.example.com/a|b", "not allowed in a URL: '|'"),
        ('https://news.example.com/"a"', "not allowed in a URL: '\"'"),
        ("https://news.example.com/a{b}", "not allowed in a URL: '{'"),
        ("https://news.example.com/a\\b", "not allowed in a URL: '\\\\'"),
        ("https://news.example.com/a b", "a space or a control character"),
        ("https://news.example.com/a\nb", "a space or a control character"),
        ("https://news.example.com/%zz", "does not start a %XX escape"),
        ("https://user:secret@news.example.com/", "credentials"),
        ("javascript:alert(1)", "not an http(s) URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("/etc/passwd", "not an http(s) URL"),
        ("data:image/png;base64,AAAA", "not an http(s) URL"),
        ("https:///nohost", "no host"),
        ("https://exa_mple.com:99999/", "invalid port"),
        ("", "is empty"),
        ("https://e.com/" + "a" * MAX_URL_LENGTH, "longer than"),
    ],
)
def test_web_url_refuses_what_is_not_a_safe_web_url(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        web_url(value)


@pytest.mark.parametrize("name", sorted(TRACKING_PARAMETERS) + [p + "x" for p in TRACKING_PREFIXES])
def test_one_tracking_list_is_used_by_references_and_article_ids(name: str) -> None:
    assert is_tracking_parameter(name)
    assert is_tracking_parameter(name.upper())
    if name.startswith("__cft__"):
        return  # Facebook's own parameter: only its URLs keep such brackets
    url = f"https://www.youtube.com/watch?v=dQw4w9WgXcQ&{name}=1"
    assert name.lower() not in canonicalize(url).lower()
    assert article_id_for(f"https://news.example.com/a?id=7&{name}=1") == (
        "https://news.example.com/a?id=7"
    )
