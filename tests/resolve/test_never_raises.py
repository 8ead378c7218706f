"""The "never raises" boundary: only InvalidReference escapes resolve() and render_html().

Hostile provider answers come from the provider simulator (real sockets); a
stored entry that cannot be presented comes from a real SQLite cache file
shared by several resolvers, as it would be shared by several processes.
"""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.simulator import ProviderSimulator, Reply

from embedkit import Embed, Resolver, render_html

TWEET = "https://twitter.com/someone/status/1173592062878314497"
VIDEO = "https://www.youtube.com/watch?v=eiHXASgRTcA"
TWITTER = "/twitter/oembed"
YOUTUBE = "/youtube/oembed"
STATUSES = {"fresh", "cached", "stale", "gone", "fallback"}


@pytest.fixture
def providers(simulator: ProviderSimulator, tmp_path: Path) -> Path:
    return simulator.providers_file(tmp_path, names=("Twitter", "YouTube"))


def resolver(providers: Path, cache: str = "memory://", **kw: Any) -> Resolver:
    kw.setdefault("timeout", 0.5)
    return Resolver(cache=cache, providers=providers, env={}, **kw)


def _gzip_bomb(decoded: int) -> bytes:
    compressor = zlib_compressobj()
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(decoded // len(block))]
    return b"".join([*parts, compressor.flush()])


def zlib_compressobj() -> Any:
    import zlib

    return zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)


HOSTILE: dict[str, Callable[[ProviderSimulator], None]] = {
    "JSON nested 100,000 deep": lambda sim: sim.route(
        TWITTER, body=b"[" * 100_000 + b"]" * 100_000
    ),
    "JSON nested in a field": lambda sim: sim.route(
        TWITTER, body=b'{"type":"rich","html":"<p>x</p>","x":' + b"[" * 500 + b"]" * 500 + b"}"
    ),
    "a malformed redirect": lambda sim: sim.fault(
        TWITTER, "redirect", location="http:\\\\127.0.0.1:1/"
    ),
    "a gzip bomb": lambda sim: sim.route(
        TWITTER, body=_gzip_bomb(64 * 1024 * 1024), headers={"Content-Encoding": "gzip"}
    ),
    "three gzip layers": lambda sim: sim.route(
        TWITTER,
        body=gzip.compress(gzip.compress(gzip.compress(b'{"type": "link"}'))),
        headers={"Content-Encoding": "gzip, gzip, gzip"},
    ),
    "zstd nobody asked for": lambda sim: sim.route(
        TWITTER, body=b"(\xb5/\xfd", headers={"Content-Encoding": "zstd"}
    ),
    "a 5,000-digit width": lambda sim: sim.route(
        TWITTER, body={"type": "rich", "html": "<p>x</p>", "width": "9" * 5000}
    ),
    "a charset that is not one": lambda sim: sim.route(
        TWITTER,
        body='{"type": "rich", "html": "<p>é</p>"}'.encode(),
        content_type="application/json; charset=undefined",
    ),
}


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_hostile_answers_end_in_an_embed(
    simulator: ProviderSimulator, providers: Path, hostile: str
) -> None:
    HOSTILE[hostile](simulator)
    with resolver(providers) as r:
        embed = r.resolve(TWEET)
        page = render_html(f"<p>{TWEET}</p>", r)
    assert embed.status in STATUSES
    assert isinstance(embed.html, str)
    assert embed.html
    assert "twitter.com/someone" in page or "x.com/someone" in page


@pytest.mark.parametrize("charset", ["idna", "undefined", "punycode", "utf-7"])
def test_a_discovery_page_with_a_bogus_charset_is_read_as_utf8(
    simulator: ProviderSimulator, charset: str
) -> None:
    oembed = simulator.url("/page-oembed")
    simulator.route("/page-oembed", body={"type": "rich", "html": "<p>found it</p>"})
    html = f'<html><head><link rel="alternate" type="application/json+oembed" href="{oembed}">'
    simulator.route(
        "/article",
        body=(html + "<title>café</title></head><body>é</body></html>").encode(),
        content_type=f"text/html; charset={charset}",
    )
    with Resolver(cache="memory://", allow_private_networks=True, timeout=1, env={}) as r:
        embed = r.resolve(simulator.url("/article"))
    assert embed.status == "fresh"
    assert "found it" in embed.html


def test_a_discovery_page_with_a_nul_in_its_charset_is_a_fallback(
    simulator: ProviderSimulator,
) -> None:
    simulator.route("/article", body=b"<html></html>", content_type="text/html; charset=utf-8\x00")
    with Resolver(cache="memory://", allow_private_networks=True, timeout=1, env={}) as r:
        embed = r.resolve(simulator.url("/article"))
    assert embed.status == "fallback"


# -- a stored entry that cannot be presented ----------------------------------------------------


SHIPPED = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def failing_templates(tmp_path: Path) -> Path:
    """A publisher's wrapper template that breaks on a live embed, as a template bug would."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "embed.html").write_text(
        '{% if mode == "embed" %}{{ no_such_field }}{% endif %}'
        + (SHIPPED / "embed.html").read_text()
    )
    return folder


@pytest.fixture
def failing_fallback(tmp_path: Path) -> Path:
    """A publisher's fallback template that breaks on one post (title "boom")."""
    folder = tmp_path / "fallback-templates"
    (folder / "fallback").mkdir(parents=True)
    (folder / "fallback" / "post.html").write_text(
        '{% if snap.title == "boom" %}{{ snap.no_such_field }}{% endif %}'
        + (SHIPPED / "fallback" / "post.html").read_text()
    )
    return folder


def _entries(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM entries").fetchone()[0])


def test_an_entry_that_cannot_be_presented_is_treated_as_absent(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, failing_templates: Path
) -> None:
    simulator.route(
        TWITTER, body={"type": "rich", "title": "boom", "html": "<blockquote>hi</blockquote>"}
    )
    db = tmp_path / "cache.db"
    cache = f"sqlite:///{db}"
    with resolver(providers, cache) as plain:  # stored by a renderer without the template
        assert plain.resolve(TWEET).status == "fresh"
    assert _entries(db) == 1
    with resolver(providers, cache, template_dirs=[failing_templates]) as broken:
        first = broken.resolve(TWEET)  # the entry is dropped, fetched again, still unshowable
        assert first.status == "fallback"
        assert "could not be shown" in (first.error or "")
        assert "twitter.com/someone" in first.html or "x.com/someone" in first.html
        assert _entries(db) == 0  # nothing broken stays in the cache
        assert broken.resolve(TWEET).status == "fallback"
    with resolver(providers, cache, template_dirs=[failing_templates], offline=True) as offline:
        assert offline.resolve(TWEET).status == "fallback"
    requests = simulator.count(TWITTER)
    with resolver(providers, cache) as plain:  # and a healthy renderer is not poisoned
        assert plain.resolve(TWEET).status == "fresh"
    assert simulator.count(TWITTER) == requests + 1


def test_a_fallback_that_cannot_be_rendered_when_read_is_a_plain_link(
    simulator: ProviderSimulator,
    providers: Path,
    failing_fallback: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A live embed's fallback is rendered when it is first read: a template bug
    # found then cannot turn the attribute read into an exception.
    simulator.route(
        TWITTER, body={"type": "rich", "title": "boom", "html": "<blockquote>hi</blockquote>"}
    )
    with resolver(providers, template_dirs=[failing_fallback]) as r:
        embed = r.resolve(TWEET)
        assert embed.status == "fresh"
        assert "<blockquote>hi</blockquote>" in embed.html
        with caplog.at_level(logging.WARNING, logger="embedkit"):
            fallback = embed.fallback_html
        post = "https://x.com/someone/status/1173592062878314497"  # the canonical URL
        assert fallback == (
            f'<figure class="embedkit embedkit-fallback"><a href="{post}" '
            f'rel="noopener nofollow">{post}</a></figure>'
        )
        assert "could not render the fallback of " + post in caplog.text
        assert r.resolve(TWEET).status == "cached"  # the entry stays: the embed is fine


def test_when_every_template_fails_the_embed_is_a_bare_escaped_link(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "embed.html").write_text("{{ 1 // 0 }}")  # the wrapper of every embed
    simulator.route(TWITTER, body={"type": "rich", "html": "<blockquote>hi</blockquote>"})
    url = TWEET + "?q=<b>"
    with resolver(providers, template_dirs=[folder]) as r:
        embed = r.resolve(url)
    assert embed.status == "fallback"
    assert embed.html.startswith('<figure class="embedkit embedkit-fallback"><a href="https://')
    assert "<b>" not in embed.html
    assert embed.scripts == ()


def test_a_batch_whose_embeds_cannot_be_shown_never_raises(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path
) -> None:
    # resolve_many presents fetched answers in the calling thread, after the workers:
    # a template that fails there ends in the same bare link as in resolve().
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "embed.html").write_text("{{ 1 // 0 }}")
    simulator.route(TWITTER, body={"type": "rich", "html": "<blockquote>hi</blockquote>"})
    posts = [f"https://twitter.com/someone/status/{n}" for n in range(1, 7)]
    with resolver(providers, template_dirs=[folder], max_workers=4) as r:
        embeds = r.resolve_many(posts)
    assert [e.status for e in embeds] == ["fallback"] * 6
    assert all(e.html.startswith('<figure class="embedkit embedkit-fallback">') for e in embeds)
    assert simulator.count(TWITTER) == 6


def test_a_duration_that_is_not_a_number_never_raises(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path
) -> None:
    simulator.route(
        YOUTUBE,
        body={"type": "video", "html": "<iframe src='https://www.youtube.com/embed/x'></iframe>",
              "title": "t", "duration": "²"},
    )  # fmt: skip
    cache = f"sqlite:///{tmp_path / 'cache.db'}"
    with resolver(providers, cache) as r:
        r.resolve(VIDEO)
        again = r.resolve(VIDEO)
    with resolver(providers, cache, offline=True) as later:
        offline = later.resolve(VIDEO)
    assert again.status in STATUSES
    assert offline.status in STATUSES


def test_an_entry_another_process_wrote_with_the_wrong_shapes_is_a_miss(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path
) -> None:
    simulator.route(TWITTER, body={"type": "rich", "html": "<blockquote>hi</blockquote>"})
    db = tmp_path / "cache.db"
    with resolver(providers, f"sqlite:///{db}") as r:
        r.resolve(TWEET)
    deep = "[" * 5000 + "]" * 5000
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE entries SET data = ?, snapshot = ?", (f'{{"x": {deep}}}', "[1]"))
    with resolver(providers, f"sqlite:///{db}", offline=True) as r:
        assert r.resolve(TWEET).status == "fallback"
    with resolver(providers, f"sqlite:///{db}") as r:
        assert r.resolve(TWEET).status == "fresh"


# -- one slow URL does not hold a page ----------------------------------------------------------


def test_render_html_with_one_slow_url_embeds_the_others(
    simulator: ProviderSimulator, providers: Path
) -> None:
    # The YouTube endpoint trickles its headers (a byte every 50 ms, for 8 s);
    # the tweets answer at once. The resolver's deadline is twice its 0.5 s timeout.
    simulator.fault(YOUTUBE, "trickle", part="headers", interval=0.05, seconds=8)
    tweets = [f"https://twitter.com/someone/status/{1173592062878314497 + i}" for i in range(4)]
    page = "\n".join(f"<p>{url}</p>" for url in [*tweets[:2], VIDEO, *tweets[2:]])
    with resolver(providers) as r:
        html = render_html(page, r)
        slow = r.resolve(VIDEO)
    assert html.count('data-embedkit-status="fresh"') == len(tweets)
    assert html.count('data-embedkit-status="fallback"') == 1
    assert "youtube.com/watch?v=eiHXASgRTcA" in html
    assert slow.status == "fallback"
    assert "deadline" in (slow.error or "")


# -- generated provider answers: fetch, cache, reload, present -----------------------------------

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40
) | st.sampled_from(
    ["²", "½", "٣", "1e999", "-1", "NaN", "0x10", " 12 ", "<script>", "\x00", "9" * 30]
)
_SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | _TEXT
_JSON = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=12,
)
_FIELDS = [
    "type", "version", "html", "title", "author_name", "author_url", "provider_name",
    "provider_url", "thumbnail_url", "thumbnail_width", "thumbnail_height", "url", "width",
    "height", "cache_age", "duration", "author_unique_id", "published",
]  # fmt: skip
_ANSWER = st.fixed_dictionaries(
    {"type": st.sampled_from(["rich", "video", "photo", "link"]) | _JSON},
    optional=dict.fromkeys(_FIELDS[1:], _JSON | _TEXT),
).map(
    lambda d: {**d, **({"html": "<blockquote><p>hi</p></blockquote>"} if "html" not in d else {})}
)


def _body(value: Any) -> Reply:
    if isinstance(value, bytes):
        return Reply(body=value)
    try:
        return Reply(body=json.dumps(value, allow_nan=True).encode())
    except (ValueError, RecursionError):
        return Reply(body=b"{}")


_BODIES = (
    _ANSWER
    | _JSON
    | st.binary(max_size=200)
    | st.sampled_from([30, 1500, 100_000]).map(
        lambda n: b'{"type": "rich", "html": "x", "a": ' + b"[" * n + b"]" * n + b"}"
    )
)


_POST_IDS = itertools.count()  # a new post for every example: nothing is served from cache


def _run_answers(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path
) -> Callable[..., None]:
    db = tmp_path / "hypothesis.db"

    def run(answer: Any, status: int) -> None:
        url = f"https://twitter.com/someone/status/{10**18 + next(_POST_IDS)}"
        reply = _body(answer)
        simulator.route(TWITTER, handler=lambda _req: Reply(status, reply.body))
        with resolver(providers, f"sqlite:///{db}") as first:
            fetched = first.resolve(url)
            second = first.resolve(url)
        with resolver(providers, f"sqlite:///{db}", offline=True) as reloaded:
            shown = reloaded.resolve(url)
        for embed in (fetched, second, shown):
            assert isinstance(embed, Embed)
            assert embed.status in STATUSES
            assert isinstance(embed.html, str)
            assert embed.html

    return run


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answer=_BODIES, status=st.sampled_from([200, 200, 200, 404, 410, 500]))
def test_generated_provider_answers_never_escape_resolve(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, answer: Any, status: int
) -> None:
    _run_answers(simulator, providers, tmp_path)(answer, status)


@pytest.mark.slow
@pytest.mark.timeout(1800)
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answer=_BODIES, status=st.sampled_from([200, 200, 200, 404, 410, 500]))
def test_many_generated_provider_answers_never_escape_resolve(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, answer: Any, status: int
) -> None:
    _run_answers(simulator, providers, tmp_path)(answer, status)
