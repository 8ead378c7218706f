"""Pure decisions of scheduled runs: retry policy, planning, reconcile matching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from embedkit._errors import ChannelError, DoesNotFit
from embedkit.syndicate._ledger import LedgerRow, State
from embedkit.syndicate._models import Article, RemotePost
from embedkit.syndicate._reconcile import (
    certainly_absent,
    find_post,
    normalise_text,
    text_fingerprint,
)
from embedkit.syndicate._retry import RetryPolicy, backoff_delay, decide
from embedkit.syndicate._run import order_articles, plan_run

NO_JITTER = RetryPolicy(base=1.0, factor=2.0, max_delay=60.0, jitter=0.0, max_attempts=5)


def half() -> float:
    return 0.5


@pytest.mark.parametrize(
    ("error", "idempotent", "action", "retryable"),
    [
        (ChannelError("bad", status=400), False, "fail", False),
        (ChannelError("token", status=401), True, "fail", False),
        (ChannelError("forbidden", status=403), True, "fail", False),
        (ChannelError("too long", status=422), True, "fail", False),
        (DoesNotFit("title and URL exceed 280"), False, "fail", False),
        (ChannelError("down", status=503, retryable=True), False, "retry", False),
        (
            ChannelError("slow down", status=429, retryable=True, retry_after=7),
            False,
            "retry",
            False,
        ),
        (ChannelError("refused", retryable=True), False, "retry", False),
        (ChannelError("read timeout", retryable=True, ambiguous=True), False, "unknown", False),
        (ChannelError("read timeout", retryable=True, ambiguous=True), True, "retry", False),
        (KeyError("surprise"), True, "unknown", False),
    ],
    ids=[
        "400",
        "401",
        "403",
        "422",
        "too-long",
        "503",
        "429",
        "connect",
        "ambiguous",
        "ambiguous-idempotent",
        "unexpected",
    ],
)
def test_what_follows_a_failed_attempt(
    error: BaseException, idempotent: bool, action: str, retryable: bool
) -> None:
    decision = decide(
        error, idempotent=idempotent, attempt=1, policy=NO_JITTER, remaining=100.0, random=half
    )
    assert (decision.action, decision.retryable) == (action, retryable)


def test_retry_after_is_a_floor_for_the_delay() -> None:
    error = ChannelError("slow down", status=429, retryable=True, retry_after=7)
    assert (
        decide(
            error, idempotent=False, attempt=1, policy=NO_JITTER, remaining=100.0, random=half
        ).delay
        == 7.0
    )


def test_retryable_errors_fail_retryably_once_the_budget_is_spent() -> None:
    error = ChannelError("slow down", status=429, retryable=True, retry_after=30)
    decision = decide(
        error, idempotent=False, attempt=1, policy=NO_JITTER, remaining=10.0, random=half
    )
    assert (decision.action, decision.retryable) == ("fail", True)
    assert "budget" in decision.reason


def test_retryable_errors_fail_retryably_after_max_attempts() -> None:
    error = ChannelError("down", status=500, retryable=True)
    decision = decide(
        error, idempotent=False, attempt=5, policy=NO_JITTER, remaining=1e9, random=half
    )
    assert (decision.action, decision.retryable) == ("fail", True)


def test_ambiguous_errors_on_idempotent_channels_end_unknown_when_out_of_budget() -> None:
    error = ChannelError("timeout", retryable=True, ambiguous=True)
    decision = decide(
        error, idempotent=True, attempt=5, policy=NO_JITTER, remaining=1e9, random=half
    )
    assert decision.action == "unknown"


@pytest.mark.parametrize(("attempt", "delay"), [(1, 1.0), (2, 2.0), (3, 4.0), (7, 60.0)])
def test_backoff_doubles_up_to_the_cap(attempt: int, delay: float) -> None:
    assert backoff_delay(attempt, NO_JITTER, random=half) == delay


@given(
    attempt=st.integers(1, 30),
    r=st.floats(0, 1, exclude_max=True),
    retry_after=st.none() | st.floats(0, 3600),
)
def test_jittered_backoff_stays_in_bounds(
    attempt: int, r: float, retry_after: float | None
) -> None:
    policy = RetryPolicy(base=1.0, factor=2.0, max_delay=60.0, jitter=0.25)
    delay = backoff_delay(attempt, policy, random=lambda: r, retry_after=retry_after)
    nominal = min(2.0 ** (attempt - 1), 60.0)
    assert delay >= nominal * 0.75 - 1e-9
    assert delay <= max(nominal * 1.25, retry_after or 0) + 1e-9
    if retry_after is not None:
        assert delay >= retry_after


# -- planning ------------------------------------------------------------------

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def art(ident: str, day: int | None, publish_at: datetime | None = None) -> Article:
    return Article(
        ident,
        f"Title {ident}",
        f"https://news.example/{ident}",
        published_at=None if day is None else datetime(2024, 4, day, tzinfo=UTC),
        publish_at=publish_at,
    )


def row(article: str, channel: str, state: State, retryable: bool = False) -> LedgerRow:
    return LedgerRow(
        article, channel, state, None, None, 1, "why", "h", 1.0, 1.0, "r0", "k", retryable=retryable
    )


def test_articles_go_oldest_first_then_by_id_undated_last() -> None:
    articles = [art("c", 3), art("z", None), art("b", 1), art("a", 3), art("b", 1)]
    assert [a.id for a in order_articles(articles)] == ["b", "a", "c", "z"]


def test_naive_and_aware_dates_order_together() -> None:
    naive = Article("n", "T", "https://e.x/n", published_at=datetime(2024, 4, 2))
    assert [a.id for a in order_articles([art("x", 3), naive, art("y", 1)])] == ["y", "n", "x"]


def test_plan_skips_what_the_ledger_has_and_what_is_scheduled() -> None:
    articles = [
        art("a", 1),
        art("b", 2),
        art("c", 3, publish_at=NOW + timedelta(minutes=5)),
        art("d", 4, publish_at=NOW - timedelta(minutes=5)),
        art("e", 5),
        art("f", 6),
        art("g", 7),
    ]
    rows = {
        ("a", "m"): row("a", "m", "posted"),
        ("b", "m"): row("b", "m", "unknown"),
        ("e", "m"): row("e", "m", "failed", retryable=True),
        ("f", "m"): row("f", "m", "failed"),
        ("g", "m"): row("g", "m", "claimed"),
    }
    steps = plan_run(articles, ["m", "x"], rows, now=NOW)
    got = {(s.article.id, s.channel): s.action for s in steps}
    assert got == {
        ("a", "m"): "skip",
        ("a", "x"): "post",
        ("b", "m"): "unknown",
        ("b", "x"): "post",
        ("c", "m"): "skip",
        ("c", "x"): "skip",
        ("d", "m"): "post",
        ("d", "x"): "post",
        ("e", "m"): "post",
        ("e", "x"): "post",
        ("f", "m"): "skip",
        ("f", "x"): "post",
        ("g", "m"): "skip",
        ("g", "x"): "post",
    }
    reasons = {(s.article.id, s.channel): s.reason for s in steps}
    assert "scheduled" in reasons[("c", "m")]
    assert "reconcile" in reasons[("b", "m")]
    assert "--retry-failed" in reasons[("f", "m")]


def test_a_scheduled_article_goes_out_on_the_first_run_after_its_time() -> None:
    article = art("c", 3, publish_at=NOW)
    assert plan_run([article], ["m"], {}, now=NOW - timedelta(seconds=1))[0].action == "skip"
    assert plan_run([article], ["m"], {}, now=NOW)[0].action == "post"


def test_manual_posts_ignore_the_schedule() -> None:
    article = art("c", 3, publish_at=NOW + timedelta(days=1))
    assert plan_run([article], ["m"], {}, now=NOW, honour_schedule=False)[0].action == "post"


def test_since_and_max_posts() -> None:
    articles = [art(i, n) for n, i in enumerate("abcdef", start=1)]
    steps = plan_run(
        articles,
        ["m"],
        {("c", "m"): row("c", "m", "posted")},
        now=NOW,
        since=datetime(2024, 4, 2, tzinfo=UTC),
        max_posts=2,
    )
    assert [(s.article.id, s.action) for s in steps] == [
        ("a", "skip"),
        ("b", "post"),
        ("c", "skip"),
        ("d", "post"),
        ("e", "skip"),
        ("f", "skip"),
    ]
    assert "--max-posts" in steps[-1].reason


# -- reconcile matching ----------------------------------------------------------------

MASTODON_HTML = (
    "<p>Japan, South Korea bury trade hatchet amid security threats</p><p>Kishida and Yoon "
    'agree to &quot;open a new chapter&quot; <a href="https://www.reuters.com/world/asia-pacific/'
    'japan-south-korea-2023-03-16/" rel="nofollow noopener" target="_blank"><span class='
    '"invisible">https://www.</span><span class="ellipsis">reuters.com/world/asia-pacific/</span>'
    '<span class="invisible">japan-south-korea-2023-03-16/</span></a></p><p><a href="https://'
    'm.example/tags/Japan" class="mention hashtag" rel="tag">#<span>Japan</span></a> <a href='
    '"https://m.example/tags/SouthKorea" class="mention hashtag" rel="tag">#<span>SouthKorea'
    "</span></a></p>"
)
SOURCE_TEXT = (
    "Japan, South Korea bury trade hatchet amid security threats\n\nKishida and Yoon agree to "
    '"open a new chapter" https://www.reuters.com/world/asia-pacific/japan-south-korea-2023-03-16/'
    "\n\n#Japan #SouthKorea"
)


def test_mastodon_html_and_the_source_text_have_the_same_fingerprint() -> None:
    assert text_fingerprint(MASTODON_HTML) == text_fingerprint(SOURCE_TEXT)


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("<p>a<br>b</p><p>c</p>", "a b c"),
        ("<p>日本と韓国 &amp; 한국</p>", "日本と韓国 & 한국"),
        ("cafe\u0301  au\n\nlait", "café au lait"),
        ("plain <3 text", "plain <3 text"),
    ],
)
def test_normalise_text(text: str, normal: str) -> None:
    assert normalise_text(text) == normal


def unknown_row(claimed_at: float, key: str | None = "key-1") -> LedgerRow:
    return LedgerRow(
        "a1",
        "mastodon",
        "unknown",
        None,
        None,
        1,
        "x",
        "h",
        claimed_at,
        claimed_at,
        "r1",
        key,
        match_hash=text_fingerprint(SOURCE_TEXT),
    )


def remote(ident: str, text: str, at: float, key: str | None = None) -> RemotePost:
    return RemotePost(
        ident, text, f"https://m.example/@n/{ident}", datetime.fromtimestamp(at, UTC), key
    )


def test_find_post_by_key_then_by_text() -> None:
    posts = [remote("1", "other", 10), remote("2", MASTODON_HTML, 10)]
    by_text = find_post(unknown_row(5), posts)
    assert by_text is not None
    assert by_text.id == "2"
    by_key = find_post(unknown_row(5), [*posts, remote("3", "x", 9, key="key-1")])
    assert by_key is not None
    assert by_key.id == "3"
    assert find_post(unknown_row(5), [remote("1", "other", 10)]) is None


def test_absent_only_when_the_recent_posts_reach_back_past_the_claim() -> None:
    claimed = 100_000.0
    few = [remote("1", "x", claimed + 10)]
    assert certainly_absent(unknown_row(claimed), few, limit=40)
    full_recent = [remote(str(i), "x", claimed + 10) for i in range(40)]
    assert not certainly_absent(unknown_row(claimed), full_recent, limit=40)
    full_old = [*full_recent[:-1], remote("old", "x", claimed - 3600)]
    assert certainly_absent(unknown_row(claimed), full_old, limit=40)


# (state, retryable): a failed row is either final or may be retried.
STATE_CHOICES: list[tuple[State, bool]] = [
    ("posted", False),
    ("unknown", False),
    ("claimed", False),
    ("failed", False),
    ("failed", True),
    ("pending", False),
]
STATES = st.sampled_from(STATE_CHOICES)


@given(
    days=st.lists(st.none() | st.integers(1, 28), min_size=0, max_size=12),
    states=st.dictionaries(st.tuples(st.integers(0, 11), st.sampled_from(["m", "x"])), STATES),
    max_posts=st.none() | st.integers(1, 5),
)
def test_plan_covers_each_pair_once_in_order_within_max_posts(
    days: list[int | None],
    states: dict[tuple[int, str], tuple[State, bool]],
    max_posts: int | None,
) -> None:
    articles = [art(f"a{i:02d}", day) for i, day in enumerate(days)]
    rows = {
        (f"a{i:02d}", ch): row(f"a{i:02d}", ch, state, retryable=retryable)
        for (i, ch), (state, retryable) in states.items()
        if i < len(articles)
    }
    steps = plan_run(articles, ["m", "x"], rows, now=NOW, max_posts=max_posts)
    assert sorted((s.article.id, s.channel) for s in steps) == sorted(
        (a.id, ch) for a in articles for ch in ("m", "x")
    )
    for channel in ("m", "x"):
        posts = [s.article for s in steps if s.channel == channel and s.action == "post"]
        assert max_posts is None or len(posts) <= max_posts
        assert posts == list(order_articles(posts))
        for s in steps:
            r = rows.get((s.article.id, s.channel))
            if s.action == "post":
                assert r is None or r.claimable  # never a posted, unknown or claimed row
            if r is not None and r.state == "unknown":
                assert s.action == "unknown"
