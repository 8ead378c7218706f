"""Matching and parsing are linear in their input (issue 8, item 5).

Each check times nothing absolute: it runs the same work on an input of size n and
of size 4n and compares the two (CPU time of this process, best of several runs, so
other processes on the machine matter little). Linear work grows about 4x; the
quadratic patterns these tests were written against grow 16x, and the exponential ones
never finish (each test has a timeout, so a regression fails instead of hanging).

- provider schemes: each ``*`` used to become ``.*``; the bundled Backtracks scheme
  ``https://backtracks.fm/*/*/*/*/e/*/*`` took 19 s on an 823-character URL, and a
  providers file with many wildcards did the same;
- fallback parsing: ``"Posted by " * n`` inside a blockquote was quadratic, and so
  were author names built from U+2000 spaces against the "Name (@handle)" pattern.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from embedkit._models import Ref
from embedkit.present._blockquotes import from_oembed, name_and_handle, shared_by
from embedkit.resolve._providers import ProviderRegistry, scheme_to_regex
from embedkit.resolve._refs import MAX_REF_LENGTH

#: Quadrupling the input may at most multiply the work by this (linear: about 4,
#: quadratic: 16).
GROWTH = 4
MAX_GROWTH = 8.0


#: Each measurement repeats the work until it takes about this long (seconds), so
#: that timer noise does not decide the ratio.
_SAMPLE = 0.03


def _cost(func: Callable[[], object], repeat: int, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            func()
        best = min(best, time.process_time() - started)
    return best


def assert_linear(work: Callable[[int], object], n: int) -> None:
    """``work(4n)`` costs at most MAX_GROWTH times ``work(n)`` (same repeat count)."""
    started = time.perf_counter()
    work(n)  # also warms caches (compiled patterns) before measuring
    once = max(time.perf_counter() - started, 1e-6)
    repeat = max(1, min(10_000, round(_SAMPLE / once)))
    small = _cost(lambda: work(n), repeat)
    large = _cost(lambda: work(GROWTH * n), repeat)
    assert large / small < MAX_GROWTH, f"n={n} x{repeat}: {small:.4f}s, {GROWTH}n: {large:.4f}s"


# -- provider schemes ---------------------------------------------------------------

#: (scheme, a URL prefix that matches it, the text repeated after it, whether it matches)
SCHEMES = [
    ("https://backtracks.fm/*/*/*/*/e/*/*", "https://backtracks.fm/", "a/", False),
    ("https://backtracks.fm/*/*/*/*/e/*/*", "https://backtracks.fm/a/b/c/d/e/f/", "g/", True),
    ("https://user.example/*a*a*a*a*a*a*a*a*b", "https://user.example/", "a", False),
    ("https://user.example/*/*/*/*/*/*/*/*/*/x", "https://user.example/", "//", False),
    ("https://*.*.*.flickr.com/*/*", "https://a.b.c.flickr.com/", "x/", True),
    ("*a*a*a*a*a*b", "", "a", False),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("scheme", "prefix", "unit", "matches"), SCHEMES)
def test_scheme_matching_is_linear(scheme: str, prefix: str, unit: str, matches: bool) -> None:
    pattern = re.compile(scheme_to_regex(scheme))
    assert (pattern.match(prefix + unit * 10) is not None) is matches
    assert_linear(lambda n: pattern.match(prefix + unit * n), 2_000)


@pytest.mark.timeout(30)
def test_a_providers_file_with_many_wildcards_cannot_hang_matching() -> None:
    registry = ProviderRegistry.from_entries(
        [
            {
                "provider_name": "Greedy",
                "endpoints": [
                    {
                        "url": "https://user.example/oembed",
                        "schemes": ["https://user.example/" + "*a" * 30 + "*b"],
                    }
                ],
            }
        ]
    )
    longest = "https://user.example/" + "a" * (MAX_REF_LENGTH - len("https://user.example/"))
    assert registry.match(longest) is None
    assert registry.match(longest[:-1] + "b") is not None


@pytest.mark.timeout(60)
def test_the_bundled_registry_matches_the_longest_urls_linearly() -> None:
    registry = ProviderRegistry.default(env={})
    base = "https://backtracks.fm/"
    room = MAX_REF_LENGTH - len(base)
    # The bundled Backtracks schemes are tried in order: the seven-wildcard one first.
    found = registry.match(base + "a/" * (room // 2))
    assert found is not None
    assert found.provider.name == "Backtracks"
    assert_linear(lambda n: registry.match(base + "a/" * n), room // 8)


# -- fallback parsing ------------------------------------------------------------------

FACEBOOK = Ref(raw="https://www.facebook.com/a/posts/1", url="https://www.facebook.com/a/posts/1",
               kind="facebook")  # fmt: skip
X = Ref(raw="https://x.com/a/status/1", url="https://x.com/a/status/1", kind="x")


@pytest.mark.timeout(60)
def test_posted_by_repeated_in_a_blockquote_is_linear() -> None:
    def work(n: int) -> None:
        html = f'<blockquote class="fb-xfbml-parse-ignore"><p>{"Posted by " * n}</p></blockquote>'
        from_oembed({"type": "rich", "html": html}, FACEBOOK, "Facebook")

    assert_linear(work, 10_000)


@pytest.mark.timeout(60)
def test_an_author_name_of_wide_spaces_is_linear() -> None:
    def work(n: int) -> None:
        spaces = "\u2000" * n
        html = (
            '<blockquote class="twitter-tweet"><p>t</p>&mdash; A'
            f'{spaces} (@{spaces}<a href="https://x.com/a/status/1">March 16, 2023</a>'
            "</blockquote>"
        )
        from_oembed({"type": "rich", "html": html, "author_name": f"A{spaces}(@"}, X, "Twitter")

    assert_linear(work, 20_000)


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "text",
    [
        "Posted by " * 50_000,
        "A post shared by " * 20_000 + "(@",
        "—" + "\u2000" * 100_000 + "(@x",
        "(@" * 50_000 + ")",
    ],
    ids=["posted-by", "shared-by", "wide-spaces", "open-parens"],
)
def test_the_byline_readers_take_bounded_time_on_huge_text(text: str) -> None:
    assert_linear(lambda n: (shared_by(text[:n]), name_and_handle(text[:n])), len(text) // 4)
