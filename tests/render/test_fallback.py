"""The sources of a static fallback, best first, and the seed case.

The provider's own markup (embedkit.present._blockquotes), the X API
(embedkit.resolve._xapi), the URL alone (embedkit.present._urlfacts), and the snapshot
model that merges them (embedkit.present._snapshot).
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers
from tests.growth import assert_linear
from tests.render.safety import problems, tags

from embedkit._models import Ref
from embedkit._templating import make_environment
from embedkit.present._blockquotes import from_oembed
from embedkit.present._presentation import present
from embedkit.present._snapshot import (
    PostSnapshot,
    merge,
    snapshot_from_dict,
    snapshot_to_dict,
)
from embedkit.present._urlfacts import from_url, snowflake_time
from embedkit.resolve._refs import parse_ref
from embedkit.resolve._xapi import from_x_api

OEMBED = Path(__file__).parents[1] / "fixtures" / "oembed"
UTC = datetime.UTC

#: The seed article's Reuters post. The id is illustrative (see the fixture's
#: PROVENANCE.md): 1636212467429621760 >> 22 = 390103451592 ms after X's epoch
#: 1288834974657 ms, i.e. 1678938426249 ms = 2023-03-16T03:47:06.249Z.
REUTERS_ID = "1636212467429621760"
REUTERS_URL = f"https://x.com/Reuters/status/{REUTERS_ID}"
REUTERS_TEXT = (
    "LIVE: Japanese Prime Minister Fumio Kishida welcomes South Korean President Yoon Suk Yeol"
)


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((OEMBED / name).read_text(encoding="utf-8"))
    return loaded


def _ref(url: str, kind: str | None, post_id: str | None = None, handle: str | None = None) -> Ref:
    return Ref(raw=url, url=url, kind=kind, post_id=post_id, handle=handle)


def _visible_text(html: str) -> str:
    """The text a reader sees with scripts off: tags removed, whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", html)
    text = text.replace("&mdash;", "—").replace("&amp;", "&").replace("&#39;", "'")
    return re.sub(r"\s+", " ", text).strip()


REUTERS = _ref(REUTERS_URL, "x", REUTERS_ID, "Reuters")


# -- the seed article -------------------------------------------------------------


def test_reuters_fallback_with_no_network_and_no_cache() -> None:
    shown = present(
        make_environment(env={}),
        ref=REUTERS,
        provider="Twitter",
        platform="x",
        status="fallback",
        data=None,
        snapshot=None,
    )
    text = _visible_text(shown.html)
    # Nothing confirms who wrote it: anyone can put any name before a real post id.
    assert "@Reuters" not in text
    assert "— A post on X March 16, 2023" in text
    assert "View on X" in text
    hrefs = [a["href"] for t, a in tags(shown.html) if t == "a"]
    assert REUTERS_URL in hrefs
    assert shown.scripts == ()
    assert problems(shown.html) == []


def test_reuters_fallback_with_a_snapshot_shows_the_post_like_the_article() -> None:
    shown = present(
        make_environment(env={}),
        ref=REUTERS,
        provider="Twitter",
        platform="x",
        status="fallback",
        data=None,
        snapshot=_load("twitter-reuters.json"),
    )
    text = _visible_text(shown.html)
    # exactly what the seed article shows where its embed script did not run
    assert f"{REUTERS_TEXT} — Reuters (@Reuters) March 16, 2023" in text
    assert "<script" not in shown.html
    assert "<iframe" not in shown.html


# -- snowflake ids --------------------------------------------------------------------

# Expected dates are independent of the code: hand-built ids from the formula
# id = (unix_ms - 1288834974657) << 22, and ids of real posts whose dates the
# recorded X oEmbed responses print.
SNOWFLAKES = [
    # id 20 (jack, 2006) predates snowflakes: sequential ids carry no date
    ("20", None),
    ("29700859247", None),
    # 2023-03-16T00:00:00Z = 1678924800000 ms; minus the epoch = 390089825343; << 22
    ("1636155314795446272", datetime.datetime(2023, 3, 16, tzinfo=UTC)),
    # one day after the epoch: 86400000 << 22 = 362387865600000 → 2010-11-05T01:42:54.657Z
    ("362387865600000", datetime.datetime(2010, 11, 5, 1, 42, 54, 657000, tzinfo=UTC)),
    # the seed's illustrative id (see REUTERS_ID)
    (REUTERS_ID, datetime.datetime(2023, 3, 16, 3, 47, 6, 249000, tzinfo=UTC)),
]
# real posts: twitter-1.json says September 16, 2019; twitter-3.json February 20, 2014;
# twitter-5.json July 12, 2023
REAL_POSTS = [
    ("1173592062878314497", datetime.date(2019, 9, 16)),
    ("436461658601713664", datetime.date(2014, 2, 20)),
    ("1679189879086018562", datetime.date(2023, 7, 12)),
]


@pytest.mark.parametrize(("post_id", "expected"), SNOWFLAKES)
def test_snowflake_time(post_id: str, expected: datetime.datetime | None) -> None:
    assert snowflake_time(post_id) == expected


@pytest.mark.parametrize(("post_id", "day"), REAL_POSTS)
def test_snowflake_dates_match_what_x_printed(post_id: str, day: datetime.date) -> None:
    decoded = snowflake_time(post_id)
    assert decoded is not None
    assert decoded.date() == day


@pytest.mark.parametrize("junk", ["", "abc", "-5", str(1 << 63), None])
def test_snowflake_time_of_junk_is_none(junk: str | None) -> None:
    assert snowflake_time(junk) is None


# -- the URL alone -------------------------------------------------------------------

# The handle is shown only where the post's address contains its author: on X,
# TikTok, Threads and Instagram any name before a real id opens the real post.
URL_ONLY = [
    ("https://x.com/Reuters/status/1636212467429621760", "x", None),
    ("https://x.com/AnyName/status/1636212467429621760", "x", None),
    ("https://twitter.com/i/web/status/1636212467429621760", "x", None),
    ("https://bsky.app/profile/attakei.dev/post/3kqmooj3ems2w", "bluesky", "attakei.dev"),
    ("https://mastodon.social/@trwnh/99664077509711321", "mastodon", "trwnh@mastodon.social"),
    (
        "https://gts.example/@alice/statuses/01F8MH1H7YV1Z7D2C8K2730QBF",
        "gotosocial",
        "alice@gts.example",
    ),
    ("https://www.tiktok.com/@a3noticias/video/6806030056956251397", "tiktok", None),
    ("https://www.threads.net/@zuck/post/C1a2b3", "threads", None),
    ("https://www.instagram.com/natgeo/p/CARbvuYDm3Q/", "instagram", None),
    ("https://example.org/article", None, None),
]


@pytest.mark.parametrize(("url", "kind", "handle"), URL_ONLY)
def test_handle_from_the_path_only_where_it_names_the_author(
    url: str, kind: str | None, handle: str | None
) -> None:
    snap = from_url(parse_ref(url), None)
    assert parse_ref(url).kind == kind
    assert snap.handle == handle
    assert snap.source == "url"


@pytest.mark.parametrize(
    "pasted",
    [
        "https://twitter.com/Reuters/status/1636212467429621760?s=20&t=abc",
        "https://mobile.twitter.com/AnyName/status/1636212467429621760/photo/1",
    ],
)
def test_an_x_handle_from_the_path_is_never_shown(pasted: str) -> None:
    ref = parse_ref(pasted)
    shown = present(
        make_environment(env={}),
        ref=ref,
        provider="Twitter",
        platform="x",
        status="fallback",
        data=None,
        snapshot=None,
    )
    text = _visible_text(shown.html)
    assert ref.handle is not None
    assert ref.handle not in text
    assert "A post on X" in text
    assert "March 16, 2023" in text  # the date comes from the id, which is the post


def test_a_mastodon_handle_keeps_its_case_through_parse_ref() -> None:
    ref = parse_ref("https://mastodon.social/@Gargron/109248279441541440")
    assert from_url(ref, None).handle == "Gargron@mastodon.social"
    shown = present(
        make_environment(env={}),
        ref=ref,
        provider=None,
        platform=None,
        status="fallback",
        data=None,
        snapshot=None,
    )
    assert "@Gargron@mastodon.social" in _visible_text(shown.html)


def test_x_url_gives_the_snowflake_date() -> None:
    snap = from_url(_ref("https://twitter.com/i/web/status/1636212467429621760", "x"), "Twitter")
    assert snap.published == datetime.datetime(2023, 3, 16, 3, 47, 6, 249000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "thumbnail"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg",
        ),
        ("https://youtu.be/eiHXASgRTcA", "https://i.ytimg.com/vi/eiHXASgRTcA/hqdefault.jpg"),
        (
            "https://www.youtube.com/shorts/ciS8aCrX-9s",
            "https://i.ytimg.com/vi/ciS8aCrX-9s/hqdefault.jpg",
        ),
        ("https://www.youtube.com/watch?v=not-an-id", None),
        ("https://www.youtube.com/watch?v=%22%3E%3Cx", None),
    ],
)
def test_youtube_thumbnail_from_the_video_id(url: str, thumbnail: str | None) -> None:
    assert from_url(_ref(url, "youtube"), "YouTube").thumbnail_url == thumbnail


# -- the provider's own blockquote ----------------------------------------------------

OEMBED_CASES = [
    (
        "twitter-3.json",
        "https://twitter.com/pepephone/status/436461658601713664",
        "x",
        "Twitter",
        {
            "text": "RT @PabloHerreros Pepephone rompe la baraja - http://t.co/mFn7mcB1vy",
            "author_name": "Pepephone",
            "handle": "pepephone",
            "published": datetime.date(2014, 2, 20),
            "date_text": "February 20, 2014",
        },
    ),
    (
        "twitter-reuters.json",
        REUTERS_URL,
        "x",
        "Twitter",
        {
            "text": REUTERS_TEXT,
            "author_name": "Reuters",
            "handle": "Reuters",
            "published": datetime.date(2023, 3, 16),
        },
    ),
    (
        "bluesky-1.json",
        "https://bsky.app/profile/attakei.dev/post/3kqmooj3ems2w",
        "bluesky",
        None,
        {
            "author_name": "kAZUYA kAKEI",
            "handle": "attakei.dev",
            "published": datetime.datetime(2024, 4, 21, 6, 9, 12, 368000, tzinfo=UTC),
        },
    ),
    (
        "mastodon-1.json",
        "https://mastodon.social/@trwnh/99664077509711321",
        "mastodon",
        "mastodon.social",
        {
            "author_name": "infinite love ⴳ",
            "handle": "trwnh@mastodon.social",
            "title": "New status by trwnh",
        },
    ),
    (
        "instagram-3.json",
        "https://www.instagram.com/p/CARbvuYDm3Q/",
        "instagram",
        "Instagram",
        {"author_name": "National Geographic", "handle": "natgeo"},
    ),
    (
        "tiktok-1.json",
        "https://www.tiktok.com/@a3noticias/video/6806030056956251397",
        "tiktok",
        "TikTok",
        {
            "text": "Nuestro #AplausoSanitario más sincero. Para todos. Y recuerda, #QuédateEnCasa",
            "author_name": "Antena 3 Noticias",
            "handle": "a3noticias",
        },
    ),
    (
        "facebook-1.json",
        "https://www.facebook.com/facebook/videos/10153231379946729/",
        "facebook",
        "Facebook",
        {
            "text": "How to share with just friends.",
            "author_name": "Facebook",
            "published": datetime.date(2014, 12, 5),
        },
    ),
    (
        "youtube-3.json",
        "https://www.youtube.com/playlist?list=PL4qTakKkQATKOyZPJG_cAMnRtF7fAIdST",
        "youtube",
        "YouTube",
        {
            "title": "De espaldas al patriarcado",
            "author_name": "Scadrei5",
            "author_url": "https://www.youtube.com/user/Scadrei5",
            "thumbnail_url": "https://i.ytimg.com/vi/CdbnVwot6lc/hqdefault.jpg",
            "layout": "video",
        },
    ),
    (
        "vimeo-2.json",
        "https://vimeo.com/235352744",
        "vimeo",
        "Vimeo",
        {"title": "Vimeo Live is here", "duration": 75, "layout": "video"},
    ),
    (
        "flickr-1.json",
        "https://www.flickr.com/photos/bees/2341623661/",
        "flickr",
        "Flickr",
        {
            "title": "ZB8T0193",
            "layout": "photo",
            "thumbnail_url": "https://live.staticflickr.com/3123/2341623661_7c99f48bbf_q.jpg",
        },
    ),
]


@pytest.mark.parametrize(
    ("name", "url", "kind", "provider", "expected"), OEMBED_CASES, ids=[c[0] for c in OEMBED_CASES]
)
def test_from_oembed_reads_the_providers_markup(
    name: str, url: str, kind: str, provider: str | None, expected: dict[str, Any]
) -> None:
    snap = from_oembed(_load(name), _ref(url, kind), provider)
    assert snap.source == "snapshot"
    for field, value in expected.items():
        assert getattr(snap, field) == value, field


def test_instagram_caption_becomes_the_text() -> None:
    snap = from_oembed(
        _load("instagram-3.json"),
        _ref("https://www.instagram.com/p/CARbvuYDm3Q/", "instagram"),
        "Instagram",
    )
    assert snap.text is not None
    assert snap.text.startswith("Photo by Pete McBride @pedromcbride")


def test_bluesky_text_keeps_its_line_breaks() -> None:
    snap = from_oembed(
        _load("bluesky-1.json"),
        _ref("https://bsky.app/profile/attakei.dev/post/3kqmooj3ems2w", "bluesky"),
        None,
    )
    assert snap.text is not None
    assert snap.text.startswith("今日の #sphinxjp 1個目。")
    assert "\n- Embed contents" in snap.text


def test_from_oembed_ignores_unsafe_urls() -> None:
    data = {
        "type": "video",
        "title": "t",
        "thumbnail_url": "javascript:alert(1)",
        "author_url": "data:text/html,x",
    }
    snap = from_oembed(data, _ref("https://vimeo.com/1", "vimeo"), "Vimeo")
    assert snap.thumbnail_url is None
    assert snap.author_url is None


def test_merge_fills_gaps_from_weaker_sources_in_order() -> None:
    best = PostSnapshot(url="u", provider="Twitter", layout="post", text="hello", source="snapshot")
    api = PostSnapshot(
        url="u",
        provider="Twitter",
        layout="post",
        text="other",
        author_name="Reuters",
        source="x_api",
    )
    url = PostSnapshot(
        url="u", provider=None, layout="post", handle="Reuters", author_name="ignored", source="url"
    )
    merged = merge(best, api, url)
    assert (merged.text, merged.author_name, merged.handle, merged.source) == (
        "hello",
        "Reuters",
        "Reuters",
        "snapshot",
    )


@pytest.mark.parametrize(
    "published",
    [None, datetime.date(2023, 3, 16), datetime.datetime(2023, 3, 16, 3, 47, 6, tzinfo=UTC)],
)
def test_snapshot_dict_round_trip_is_json_ready(published: datetime.date | None) -> None:
    snap = PostSnapshot(
        url=REUTERS_URL,
        provider="Twitter",
        layout="post",
        text=REUTERS_TEXT,
        author_name="Reuters",
        handle="Reuters",
        published=published,
        duration=None,
        source="x_api",
    )
    as_dict = json.loads(json.dumps(snapshot_to_dict(snap)))
    assert snapshot_from_dict(as_dict) == snap


# -- the X API (tweepy, at the HTTP layer) ---------------------------------------------

TOKEN = "AAAAsecret-bearer-token-0123456789"
API_URL = f"https://api.twitter.com/2/tweets/{REUTERS_ID}"


@responses.activate
def test_from_x_api_reads_text_author_and_date() -> None:
    responses.get(
        API_URL,
        json={
            "data": {
                "id": REUTERS_ID,
                "text": REUTERS_TEXT,
                "author_id": "1652541",
                "created_at": "2023-03-16T03:47:06.000Z",
                "edit_history_tweet_ids": [REUTERS_ID],
            },
            "includes": {"users": [{"id": "1652541", "name": "Reuters", "username": "Reuters"}]},
        },
        match=[
            matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"}),
            matchers.query_param_matcher(
                {
                    "expansions": "author_id",
                    "tweet.fields": "created_at",
                    "user.fields": "username,name",
                }
            ),
        ],
    )
    snap = from_x_api(REUTERS, TOKEN, timeout=2.5)
    assert responses.calls[0].request.req_kwargs["timeout"] == 2.5  # type: ignore[attr-defined]
    assert snap is not None
    assert snap.text == REUTERS_TEXT
    assert (snap.author_name, snap.handle, snap.source) == ("Reuters", "Reuters", "x_api")
    assert snap.published == datetime.datetime(2023, 3, 16, 3, 47, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, {"title": "Not Found Error", "detail": "Could not find tweet"}),
        (500, {"title": "Internal Error"}),
        (401, {"title": "Unauthorized"}),
        (429, {"title": "Too Many Requests"}),
        (200, {"errors": [{"title": "Not Found Error", "detail": "deleted"}]}),
    ],
)
@responses.activate
def test_from_x_api_failures_return_none_and_never_log_the_token(
    status: int, body: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    responses.get(API_URL, json=body, status=status)
    with caplog.at_level(logging.DEBUG):
        assert from_x_api(REUTERS, TOKEN) is None
    assert len(responses.calls) == 1
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage()


@responses.activate
def test_from_x_api_connection_error_returns_none(caplog: pytest.LogCaptureFixture) -> None:
    responses.get(API_URL, body=ConnectionError(f"refused, token {TOKEN}"))
    with caplog.at_level(logging.DEBUG):
        assert from_x_api(REUTERS, TOKEN) is None
    assert TOKEN not in caplog.text


def test_from_x_api_without_a_numeric_id_makes_no_request() -> None:
    with responses.RequestsMock() as mock:  # any request would raise ConnectionError
        assert from_x_api(_ref("https://x.com/Reuters", "x"), TOKEN) is None
        assert len(mock.calls) == 0


@pytest.mark.timeout(20)
def test_deeply_nested_snapshot_markup_does_not_blow_the_stack() -> None:
    html = (
        '<blockquote class="twitter-tweet"><p>'
        + "<span>" * 50_000
        + "deep text"
        + "</span>" * 50_000
        + '</p>&mdash; A (@a) <a href="https://x.com/a/status/1">'
        "March 16, 2023</a></blockquote>"
    )
    snap = from_oembed({"type": "rich", "html": html}, REUTERS, "Twitter")
    assert snap.text == "deep text"


# -- linear in the markup, whatever it holds -------------------------------------------

_BLOCKQUOTES = {
    "x": '<blockquote class="twitter-tweet"><p>{}</p>&mdash; A (@a) <a>May 1</a></blockquote>',
    "instagram": '<blockquote class="instagram-media"><p>{}</p></blockquote>',
    "facebook": '<blockquote class="fb-xfbml-parse-ignore"><p>{}</p></blockquote>',
    "bluesky": '<blockquote class="bluesky-embed"><p>{}</p><a>A (@a)</a><a>x</a></blockquote>',
    "tiktok": '<blockquote class="tiktok-embed"><p>{}</p></blockquote>',
}

HOSTILE_CONTENT: list[tuple[str, Callable[[int], str]]] = [
    ("open tags", lambda n: "<a " * n),
    ("bogus comment openers", lambda n: "<![" * n),
    ("nested divs", lambda n: "<div>" * n + "deep"),
    ("stray end tags under a deep stack", lambda n: "<div>" * n + "</x>" * n),
    ("nested paragraphs with bylines", lambda n: "<p>A post shared by A (@a)" * n),
    ("long attribute list", lambda n: "<p " + 'a="b" ' * n + ">x</p>"),
    ("posted by", lambda n: "Posted by " * n),
    ("unclosed comment", lambda n: "<!--" + "<p>x</p>" * n),
    ("unclosed quote", lambda n: '<p title="' + "x " * n),
    ("unclosed script", lambda n: "<script>" + "<p>x</p>" * n),
    ("blockquotes", lambda n: '<blockquote class="x">' * n),
    ("links", lambda n: "<a>@a</a>" * n),
    ("times", lambda n: '<time datetime="2023-05-01">' * n),
]


@pytest.mark.parametrize("platform", sorted(_BLOCKQUOTES))
@pytest.mark.parametrize(("name", "make"), HOSTILE_CONTENT, ids=[n for n, _ in HOSTILE_CONTENT])
def test_reading_a_hostile_blockquote_is_linear(
    name: str, make: Callable[[int], str], platform: str
) -> None:
    url = "https://example.com/p/1"
    ref = _ref(url, platform)

    def work(content: str) -> None:
        html = _BLOCKQUOTES[platform].format(content)
        from_oembed({"type": "rich", "html": html}, ref, "P", platform=platform)

    assert_linear(work, make, 1_000)
