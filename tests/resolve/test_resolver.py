"""The resolver end to end, through real sockets to the provider simulator.

Each test points embedkit at the simulator with a providers file (the way a user
would point it at a staging provider), never by patching embedkit.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.simulator import REUTERS_STATUS_ID, ProviderSimulator

from embedkit import Embed, InvalidReference, Resolver
from embedkit.net._http import HttpClient
from embedkit.resolve.cache import open_cache

REUTERS_FORMS = [
    f"https://x.com/Reuters/status/{REUTERS_STATUS_ID}",
    f"https://twitter.com/Reuters/status/{REUTERS_STATUS_ID}?s=20&t=abcdef",
    f"https://mobile.twitter.com/Reuters/status/{REUTERS_STATUS_ID}/photo/1",
]
CANONICAL = f"https://x.com/reuters/status/{REUTERS_STATUS_ID}"
OTHER_TWEET = "https://twitter.com/ndaidong/status/1173592062878314497"
TWITTER = "/twitter/oembed"


class Clock:
    """A clock the test moves by hand (the resolver's clock seam)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def providers(simulator: ProviderSimulator, tmp_path: Path) -> Path:
    path = simulator.providers_file(tmp_path)
    simulator.route(TWITTER, fixture="twitter-reuters.json", when_url=CANONICAL)
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make(providers: Path, tmp_path: Path, clock: Clock, **kw: Any) -> Resolver:
    kw.setdefault("timeout", 0.5)
    return Resolver(
        cache=f"sqlite:///{tmp_path}/cache.db", providers=providers, clock=clock, env={}, **kw
    )


def test_reuters_in_every_form_is_one_request_and_one_entry(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock
) -> None:
    with make(providers, tmp_path, clock) as resolver:
        embeds = [resolver.resolve(form) for form in REUTERS_FORMS]
    assert [e.status for e in embeds] == ["fresh", "cached", "cached"]
    assert {e.url for e in embeds} == {CANONICAL}
    assert simulator.count(TWITTER) == 1
    assert simulator.last(TWITTER).url_param == CANONICAL
    for embed in embeds:
        assert embed.provider == "Twitter"
        assert "Reuters (@Reuters)" in embed.html
        assert "March 16, 2023" in embed.html
        assert "<script" not in embed.html
        assert embed.scripts == ("https://platform.twitter.com/widgets.js",)
    cache = open_cache(f"sqlite:///{tmp_path}/cache.db")
    assert cache.stats(clock()).entries == 1
    cache.close()

    # A second run (a new process would do the same) makes no request at all.
    with make(providers, tmp_path, clock) as again:
        assert again.resolve(REUTERS_FORMS[0]).status == "cached"
    assert simulator.count(TWITTER) == 1


def test_resolve_many_keeps_order_and_shares_requests(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock
) -> None:
    refs = [*REUTERS_FORMS, OTHER_TWEET, REUTERS_FORMS[1]]
    with make(providers, tmp_path, clock) as resolver:
        embeds = resolver.resolve_many(refs)
    assert [e.ref for e in embeds] == refs
    assert [e.url for e in embeds] == [CANONICAL] * 3 + [
        "https://x.com/ndaidong/status/1173592062878314497",
        CANONICAL,
    ]
    assert simulator.count(TWITTER) == 2


def test_resolve_many_reuses_its_workers_and_close_stops_them(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock
) -> None:
    def workers() -> set[int]:
        return {t.ident or 0 for t in threading.enumerate() if t.name.startswith("embedkit-")}

    tweets = [f"https://twitter.com/a/status/{n}" for n in range(1, 9)]
    # Each answer takes a while, so all four posts are asked for before any is answered
    # and the pool starts a thread for each (it starts them only when none is idle).
    simulator.fault(TWITTER, "delay", seconds=0.2)
    with make(providers, tmp_path, clock, max_workers=4) as resolver:
        resolver.resolve_many(tweets[:4])
        first = workers()
        resolver.resolve_many(tweets[4:], refresh=True)
        assert workers() == first
        assert len(first) == 4
    assert not workers() & first


def test_on_result_runs_in_the_calling_thread_once_per_post(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock
) -> None:
    tweets = [f"https://twitter.com/a/status/{n}" for n in range(1, 9)]
    seen: list[tuple[int, str]] = []
    with make(providers, tmp_path, clock, max_workers=4) as resolver:
        embeds = resolver.resolve_many(
            tweets, on_result=lambda e: seen.append((threading.get_ident(), e.ref))
        )
    assert {ident for ident, _ in seen} == {threading.get_ident()}
    assert sorted(ref for _, ref in seen) == sorted(tweets)
    assert [e.ref for e in embeds] == tweets
    assert {e.status for e in embeds} == {"fresh"}
    assert simulator.count(TWITTER) == 8


def test_a_callback_that_resolves_again_does_not_wait_for_a_busy_pool(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock
) -> None:
    inner: list[str] = []
    with make(providers, tmp_path, clock, max_workers=2) as resolver:

        def again(embed: Embed) -> None:
            found = resolver.resolve_many([OTHER_TWEET, REUTERS_FORMS[0]])
            inner.append(found[0].status)

        outer = resolver.resolve_many(REUTERS_FORMS[:2], on_result=again)
    assert len(outer) == 2
    assert len(inner) == 2


def test_invalid_reference_raises_before_any_request(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock
) -> None:
    with (
        make(providers, tmp_path, clock) as resolver,
        pytest.raises(InvalidReference, match="javascript"),
    ):
        resolver.resolve_many([REUTERS_FORMS[0], "javascript:alert(1)"])
    assert simulator.count() == 0


def test_parameters_are_sent_and_key_the_cache(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock
) -> None:
    with make(providers, tmp_path, clock) as resolver:
        resolver.resolve(REUTERS_FORMS[0], maxwidth=550, dnt=True, theme="dark")
        resolver.resolve(REUTERS_FORMS[0], theme="dark", dnt=True, maxwidth=550)
        resolver.resolve(REUTERS_FORMS[0], maxwidth=400)
    sent = simulator.requests_for(TWITTER)
    assert len(sent) == 2
    assert sent[0].query["maxwidth"] == "550"
    assert sent[0].query["dnt"] == "true"
    assert sent[0].query["theme"] == "dark"
    assert sent[0].query["format"] == "json"
    assert sent[1].query["maxwidth"] == "400"


@pytest.mark.parametrize(
    ("fault", "opts", "error_word"),
    [
        ("status", {"status": 403}, "403"),
        ("status", {"status": 500}, "500"),
        ("malformed", {}, "JSON"),
        ("oversize", {}, "MiB"),
        ("redirect_loop", {}, "redirect"),
    ],
)
def test_provider_faults_without_cache_give_a_fallback(
    simulator: ProviderSimulator,
    providers: Path,
    tmp_path: Path,
    clock: Clock,
    fault: str,
    opts: dict[str, Any],
    error_word: str,
) -> None:
    simulator.fault(TWITTER, fault, **opts)
    with make(providers, tmp_path, clock) as resolver:
        embed = resolver.resolve(REUTERS_FORMS[0])
    assert embed.status == "fallback"
    assert error_word.lower() in (embed.error or "").lower()
    assert "A post on X" in embed.html  # no data confirms the handle in the URL
    assert "March 16, 2023" in embed.html
    assert CANONICAL in embed.html or REUTERS_FORMS[0] in embed.html


def test_hang_past_the_deadline_falls_back_in_time(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock
) -> None:
    simulator.fault(TWITTER, "hang", seconds=10)
    with make(providers, tmp_path, clock, timeout=0.3) as resolver:
        started = time.monotonic()
        embed = resolver.resolve(REUTERS_FORMS[0])
        elapsed = time.monotonic() - started
    assert embed.status == "fallback"
    assert elapsed < 2.0, elapsed


def test_expired_entry_is_served_stale_when_the_refresh_fails(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock
) -> None:
    with make(providers, tmp_path, clock) as resolver:
        first = resolver.resolve(REUTERS_FORMS[0])
        clock.now += 40 * 86400  # past the longest TTL
        for fault, opts in [
            ("status", {"status": 500}),
            ("malformed", {}),
            ("hang", {"seconds": 5}),
        ]:
            simulator.fault(TWITTER, fault, times=1, **opts)
            stale = resolver.resolve(REUTERS_FORMS[0])
            assert stale.status == "stale", fault
            assert "Reuters (@Reuters)" in stale.html
            assert stale.data["html"] == first.data["html"]
        # Once the provider recovers, the entry is fresh again.
        assert resolver.resolve(REUTERS_FORMS[0]).status == "fresh"
    assert simulator.count(TWITTER) == 5


def test_deleted_post_becomes_a_tombstone_rechecked_after_an_hour(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock
) -> None:
    with make(providers, tmp_path, clock) as resolver:
        resolver.resolve(REUTERS_FORMS[0])
        clock.now += 40 * 86400
        simulator.fault(TWITTER, "status", status=404)
        gone = resolver.resolve(REUTERS_FORMS[0])
        assert gone.status == "gone"
        assert "no longer available" in gone.html
        # The archived text is not shown by default, but the snapshot is kept.
        assert "Kishida" not in gone.html
        clock.now += 30 * 60
        assert resolver.resolve(REUTERS_FORMS[0]).status == "gone"
        assert simulator.count(TWITTER) == 2
        clock.now += 31 * 60
        simulator.clear_faults(TWITTER)
        back = resolver.resolve(REUTERS_FORMS[0])
        assert back.status == "fresh"
        assert simulator.count(TWITTER) == 3
    with make(providers, tmp_path, clock, show_deleted_text=True, offline=True) as archive:
        archive.cache.purge(all=True)
    # show_deleted_text shows the archived text of a gone post.
    with make(providers, tmp_path, clock, show_deleted_text=True) as resolver:
        resolver.resolve(REUTERS_FORMS[0])
        clock.now += 40 * 86400
        simulator.fault(TWITTER, "status", status=410)
        gone = resolver.resolve(REUTERS_FORMS[0])
        assert gone.status == "gone"
        assert "Kishida" in gone.html


def test_rate_limit_pauses_the_provider_until_retry_after(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock
) -> None:
    simulator.fault(TWITTER, "rate_limit", retry_after=120, times=1)
    with make(providers, tmp_path, clock) as resolver:
        limited = resolver.resolve(REUTERS_FORMS[0])
        assert limited.status == "fallback"
        assert "429" in (limited.error or "") or "rate" in (limited.error or "").lower()
        # While the pause runs, no request goes to that provider, for any post.
        assert resolver.resolve(OTHER_TWEET).status == "fallback"
        clock.now += 60
        assert resolver.resolve(REUTERS_FORMS[0]).status == "fallback"
        assert simulator.count(TWITTER) == 1
        clock.now += 61
        assert resolver.resolve(REUTERS_FORMS[0]).status == "fresh"
    assert simulator.count(TWITTER) == 2


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]"])
def test_redirect_to_loopback_is_refused_by_the_guard(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock, host: str
) -> None:
    target = f"http://{host}:{simulator.port}/internal/secret"
    simulator.route(
        "/internal/secret",
        body={"type": "rich", "version": "1.0", "html": "<p>internal</p>", "width": 1, "height": 1},
    )
    simulator.fault(TWITTER, "redirect", location=target)
    with make(providers, tmp_path, clock) as resolver:
        embed = resolver.resolve(REUTERS_FORMS[0])
    assert embed.status == "fallback"
    assert "internal" not in embed.html
    assert simulator.count("/internal/secret") == 0


def test_offline_makes_no_request(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock
) -> None:
    with make(providers, tmp_path, clock, offline=True) as resolver:
        embed = resolver.resolve(REUTERS_FORMS[0])
    assert embed.status == "fallback"
    assert "A post on X" in embed.html  # no data confirms the handle in the URL
    assert "March 16, 2023" in embed.html
    assert simulator.count() == 0


def test_fallback_with_snapshot_shows_the_text(
    simulator: ProviderSimulator, providers: Path, tmp_path: Path, clock: Clock
) -> None:
    with make(providers, tmp_path, clock) as resolver:
        resolver.resolve(REUTERS_FORMS[0])
    clock.now += 40 * 86400
    with make(providers, tmp_path, clock, offline=True) as offline:
        embed = offline.resolve(REUTERS_FORMS[0])
    assert embed.status == "stale"
    assert "Kishida" in embed.fallback_html
    assert "@Reuters" in embed.fallback_html


def test_match_names_providers(providers: Path, tmp_path: Path, clock: Clock) -> None:
    with make(providers, tmp_path, clock) as resolver:
        assert resolver.match(REUTERS_FORMS[2]) == "Twitter"
        assert resolver.match("https://youtu.be/dQw4w9WgXcQ") == "YouTube"
        assert resolver.match("https://example.org/just/a/page") is None


def test_a_rate_limit_pauses_only_that_endpoint(
    simulator: ProviderSimulator, tmp_path: Path, clock: Clock
) -> None:
    # Two providers served from two simulators: a 429 from one leaves the other alone.
    twitter = simulator.providers_file(tmp_path, names=("Twitter",), filename="x.json")
    with ProviderSimulator() as other:
        youtube = other.providers_file(tmp_path, names=("YouTube",), filename="yt.json")
        merged = tmp_path / "both.json"
        entries = json.loads(twitter.read_text()) + json.loads(youtube.read_text())
        merged.write_text(json.dumps(entries))
        simulator.fault(TWITTER, "rate_limit", retry_after=300)
        with make(merged, tmp_path, clock) as resolver:
            assert resolver.resolve(REUTERS_FORMS[0]).status == "fallback"
            assert resolver.resolve("https://youtu.be/dQw4w9WgXcQ").status == "fresh"
        assert other.count("/youtube/oembed") == 1


def test_short_links_are_expanded_through_their_redirect(tmp_path: Path, clock: Clock) -> None:
    """A vm.tiktok.com link is followed to the post it names (unit level: MockTransport)."""
    post = "https://www.tiktok.com/@scout2015/video/6718335390845095173"
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.host == "vm.tiktok.com":
            return httpx.Response(301, headers={"Location": post})
        return httpx.Response(200, text="<html></html>")

    http = HttpClient(transport=httpx.MockTransport(handler), allow_private_networks=True)
    with Resolver(cache="memory://", http=http, clock=clock, env={}, discovery=False) as r:
        short = "https://vm.tiktok.com/ZMabcdef/"
        assert r.match(post) == "TikTok"
        embed = r.resolve(short, refresh=False)
    assert embed.ref == short
    assert embed.url == post
    assert embed.provider == "TikTok"
    assert seen[:2] == [short, post]
