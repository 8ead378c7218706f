"""The cache's pure rules: TTL clamping, freshness, success/gone/failure transitions, keys."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from embedkit._errors import ConfigError
from embedkit._redaction import redact_url
from embedkit.resolve.cache import Entry, cache_key
from embedkit.resolve.cache._base import entry_from_json, entry_to_json
from embedkit.resolve.cache._policy import CachePolicy, is_fresh, on_failure, on_gone, on_success

NOW = 1_700_000_000.0
URL = "https://x.com/reuters/status/1636212467429621760"
POLICY = CachePolicy()  # min 1 h, max 30 days, default 1 day, gone recheck 1 h
GOOD = {"type": "rich", "html": "<blockquote>LIVE: Kishida welcomes Yoon</blockquote>"}


@pytest.mark.parametrize(
    ("cache_age", "expected"),
    [
        (7200, 7200.0),
        ("7200", 7200.0),
        (" 7200 ", 7200.0),
        (7200.5, 7200.5),
        ("1e4", 10_000.0),
        (3600, 3600.0),
        (2_592_000, 2_592_000.0),
        (2_592_001, 2_592_000.0),
        ("3153600000", 2_592_000.0),  # YouTube-style "100 years" as a string
        (3_153_600_000, 2_592_000.0),
        (float("inf"), 2_592_000.0),
        (60, 3600.0),
        (0, 3600.0),
        (-5, 3600.0),
        ("-5", 3600.0),
        (None, 86_400.0),
        ("", 86_400.0),
        ("soon", 86_400.0),
        ("0x10", 86_400.0),
        ("nan", 86_400.0),
        (float("nan"), 86_400.0),
        (True, 86_400.0),
        ([3600], 86_400.0),
        ({"seconds": 3600}, 86_400.0),
    ],
)
def test_ttl_clamps_cache_age(cache_age: object, expected: float) -> None:
    assert POLICY.ttl(cache_age) == expected


def test_ttl_default_is_itself_clamped() -> None:
    policy = CachePolicy(min_ttl=10, max_ttl=100, default_ttl=1000)
    assert policy.ttl(None) == 100.0
    assert policy.ttl("50") == 50.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_ttl": -1},
        {"max_ttl": float("nan")},
        {"gone_recheck": float("inf")},
        {"default_ttl": "60"},
        {"min_ttl": 100, "max_ttl": 10},
    ],
)
def test_policy_rejects_bad_bounds(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="CachePolicy"):
        CachePolicy(**kwargs)


@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.lists(st.integers(), max_size=2),
    )
)
def test_ttl_always_within_bounds(cache_age: object) -> None:
    ttl = POLICY.ttl(cache_age)
    assert 3600.0 <= ttl <= 2_592_000.0


def entry(*, expires_at: float, state: str = "ok") -> Entry:
    return Entry(
        key="k", url=URL, provider="Twitter", params={}, data=GOOD,
        fetched_at=NOW - 100, expires_at=expires_at, state=state,  # type: ignore[arg-type]
        snapshot=GOOD, snapshot_at=NOW - 100,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("now", "fresh"),
    [
        (NOW - 3600, True),
        (NOW - 0.001, True),
        (NOW, False),  # expires_at itself is already due
        (NOW + 0.001, False),
        (NOW + 86_400, False),
    ],
)
@pytest.mark.parametrize("state", ["ok", "gone"])
def test_is_fresh_boundaries(now: float, fresh: bool, state: str) -> None:
    assert is_fresh(entry(expires_at=NOW, state=state), now) is fresh


def succeed(old: Entry | None, data: dict[str, Any], now: float = NOW) -> Entry:
    return on_success(
        old, key="k", url=URL, provider="Twitter", params={"maxwidth": "550"},
        data=data, now=now, policy=POLICY,
    )  # fmt: skip


def gone(old: Entry | None, now: float = NOW) -> Entry:
    return on_gone(
        old, key="k", url=URL, provider="Twitter", params={"maxwidth": "550"},
        now=now, policy=POLICY, error="404 Not Found",
    )  # fmt: skip


def test_success_makes_data_and_snapshot() -> None:
    e = succeed(None, {**GOOD, "cache_age": "7200"})
    assert e.state == "ok"
    assert e.data == {**GOOD, "cache_age": "7200"}
    assert e.snapshot == {**GOOD, "cache_age": "7200"}
    assert e.snapshot_at == NOW
    assert e.fetched_at == NOW
    assert e.expires_at == NOW + 7200
    assert e.error is None
    assert e.params == {"maxwidth": "550"}


def test_success_without_cache_age_uses_default_ttl() -> None:
    assert succeed(None, GOOD).expires_at == NOW + 86_400


def test_success_replaces_old_snapshot_and_clears_error() -> None:
    old = on_failure(succeed(None, {"html": "old"}), now=NOW + 5, error="timeout")
    new = succeed(old, {"html": "new"}, now=NOW + 10)
    assert (new.data, new.snapshot, new.snapshot_at, new.error) == (
        {"html": "new"}, {"html": "new"}, NOW + 10, None,
    )  # fmt: skip


def test_success_keeps_known_provider_when_none_given() -> None:
    old = succeed(None, GOOD)
    new = on_success(old, key="k", url=URL, provider=None, params={}, data=GOOD,
                     now=NOW, policy=POLICY)  # fmt: skip
    assert new.provider == "Twitter"


def test_success_copies_data() -> None:
    data = {"html": "<p>a</p>"}
    e = succeed(None, data)
    data["html"] = "changed"
    assert e.data == {"html": "<p>a</p>"}
    assert e.snapshot == {"html": "<p>a</p>"}


def test_gone_keeps_snapshot_and_serves_it() -> None:
    old = succeed(None, GOOD, now=NOW - 500)
    tomb = gone(old)
    assert tomb.state == "gone"
    assert tomb.snapshot == GOOD
    assert tomb.snapshot_at == NOW - 500
    assert tomb.data == GOOD
    assert tomb.fetched_at == NOW
    assert tomb.expires_at == NOW + 3600
    assert tomb.error == "404 Not Found"


def test_gone_without_history_is_an_empty_tombstone() -> None:
    tomb = gone(None)
    assert (tomb.state, tomb.data, tomb.snapshot, tomb.snapshot_at) == ("gone", None, None, None)
    assert tomb.expires_at == NOW + 3600


def test_gone_twice_still_keeps_the_first_snapshot() -> None:
    tomb = gone(gone(succeed(None, GOOD, now=NOW - 9000), now=NOW - 4000))
    assert tomb.snapshot == GOOD
    assert tomb.snapshot_at == NOW - 9000


def test_tombstone_is_rechecked_after_gone_recheck() -> None:
    tomb = gone(succeed(None, GOOD, now=NOW - 100))
    assert is_fresh(tomb, NOW + 3599)
    assert not is_fresh(tomb, NOW + 3600)
    revived = succeed(tomb, {"html": "back"}, now=NOW + 3600)
    assert revived.state == "ok"
    assert revived.data == {"html": "back"}


def test_custom_gone_recheck() -> None:
    tomb = on_gone(None, key="k", url=URL, provider=None, params={}, now=NOW,
                   policy=CachePolicy(gone_recheck=60), error="410 Gone")  # fmt: skip
    assert tomb.expires_at == NOW + 60


def test_failure_only_records_the_error() -> None:
    good = succeed(None, GOOD, now=NOW - 90_000)  # expired a while ago
    failed = on_failure(good, now=NOW, error="HTTP 500 from provider")
    assert failed.error == "HTTP 500 from provider"
    for name in ("data", "snapshot", "snapshot_at", "fetched_at", "expires_at", "state"):
        assert getattr(failed, name) == getattr(good, name), name


def test_failure_on_a_tombstone_keeps_it_gone() -> None:
    tomb = gone(succeed(None, GOOD))
    failed = on_failure(tomb, now=NOW + 10, error="timeout")
    assert failed.state == "gone"
    assert failed.snapshot == GOOD
    assert failed.expires_at == tomb.expires_at


EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just("ok"), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)),
        st.tuples(st.just("gone"), st.none()),
        st.tuples(st.just("fail"), st.text(max_size=10)),
    ),
    min_size=1,
    max_size=12,
)


@given(EVENTS)
def test_snapshot_is_always_the_last_good_data(events: list[tuple[str, Any]]) -> None:
    current: Entry | None = None
    last_good: dict[str, Any] | None = None
    now = NOW
    for kind, payload in events:
        now += 10
        if kind == "ok":
            current = succeed(current, payload, now=now)
            last_good = payload
        elif kind == "gone":
            current = gone(current, now=now)
        elif current is not None:
            current = on_failure(current, now=now, error=payload)
        if current is not None:
            assert current.snapshot == last_good
            if current.state == "gone":
                assert current.data == last_good


# -- cache keys -------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, URL),
        ({"maxwidth": 550}, f"{URL} maxwidth=550"),
        ({"theme": "dark", "maxwidth": "550"}, f"{URL} maxwidth=550&theme=dark"),
        ({"dnt": True, "omit_script": False}, f"{URL} dnt=true&omit_script=false"),
        ({"theme": None, "lang": ""}, URL),
        ({"lang": "ja jp&x=1"}, f"{URL} lang=ja%20jp%26x%3D1"),
        ({"align": "center", "hide_thread": "1", "hide_media": 0},
         f"{URL} align=center&hide_media=0&hide_thread=1"),
    ],
)  # fmt: skip
def test_cache_key_shapes(params: dict[str, object], expected: str) -> None:
    assert cache_key(URL, params) == expected


PARAMS = st.dictionaries(
    st.sampled_from(["maxwidth", "maxheight", "theme", "lang", "dnt", "omit_script", "align"]),
    st.one_of(st.none(), st.integers(0, 2000), st.text(max_size=8), st.booleans()),
)


@given(PARAMS, st.randoms(use_true_random=False))
def test_cache_key_ignores_param_order(params: dict[str, object], rnd: Any) -> None:
    items = list(params.items())
    rnd.shuffle(items)
    assert cache_key(URL, dict(items)) == cache_key(URL, params)


@given(PARAMS, PARAMS)
def test_cache_key_separates_different_params(a: dict[str, object], b: dict[str, object]) -> None:
    def meaningful(p: dict[str, object]) -> dict[str, str]:
        shown = {k: ("true" if v is True else "false" if v is False else str(v))
                 for k, v in p.items() if v is not None}  # fmt: skip
        return {k: v for k, v in shown.items() if v}

    assert (cache_key(URL, a) == cache_key(URL, b)) == (meaningful(a) == meaningful(b))


def test_cache_key_separates_urls() -> None:
    assert cache_key(URL, {}) != cache_key(URL + "1", {})
    assert cache_key(URL, {"maxwidth": 5}) != cache_key(URL + " maxwidth=5", {})


# -- the JSON form of an entry ------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)  # fmt: skip


@given(st.dictionaries(st.text(), JSON, max_size=4), st.sampled_from(["ok", "gone"]))
def test_entry_json_roundtrip(data: dict[str, Any], state: str) -> None:
    e = Entry(key="k é", url=URL, provider=None, params={"lang": "日本"}, data=data,
              fetched_at=1.5, expires_at=2.5, state=state, snapshot=data,  # type: ignore[arg-type]
              snapshot_at=1.5, error="boom ⚠")  # fmt: skip
    assert entry_from_json(entry_to_json(e)) == e


@pytest.mark.parametrize(
    "text",
    ["[]", '{"v": 2}', '{"key": "k", "url": "u", "params": {}, "fetched_at": "x"}',
     '{"key": "k", "url": "u", "params": {}, "fetched_at": 1, "expires_at": 2, "state": "odd"}'],
)  # fmt: skip
def test_entry_from_json_rejects_other_shapes(text: str) -> None:
    with pytest.raises(ValueError, match=r"entry|field|state|format"):
        entry_from_json(text)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://:hunter2@h:6379/0", "redis://:***@h:6379/0"),
        ("rediss://app:hunter2@h/1", "rediss://app:***@h/1"),
        ("redis://hunter2@h/1", "redis://***@h/1"),
        ("redis://h/0?password=hunter2&prefix=a", "redis://h/0?password=***&prefix=a"),
        ("redis://h/0?prefix=a", "redis://h/0?prefix=a"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("memory://", "memory://"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected
    assert "hunter2" not in redact_url(url)


def test_ttl_of_huge_numbers_is_finite() -> None:
    assert math.isfinite(POLICY.ttl(10**400))
