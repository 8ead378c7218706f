"""Formatting: every channel's post fits by the platform's own count; cuts at the right place."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import grapheme
import pytest
import twitter_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embedkit._errors import ConfigError, DoesNotFit
from embedkit._templating import make_environment
from embedkit.syndicate import Article, format_post, load_article
from embedkit.syndicate._facets import facets_for
from embedkit.syndicate._format import template_names
from embedkit.syndicate._hashtags import hashtags_for, normalize_hashtag
from embedkit.syndicate._length import PLATFORMS, count_length, fits
from embedkit.syndicate._truncate import shorten

FIXTURES = Path(__file__).parent.parent / "fixtures" / "articles"
SEEDS = {
    "en": load_article(FIXTURES / "seed.md"),
    "ja": load_article(FIXTURES / "seed.ja.md"),
    "ko": load_article(FIXTURES / "seed.ko.md"),
}
ENV = make_environment(env={})


def platform_count(text: str, channel: str, article: Article) -> tuple[int, int]:
    """(length, limit) as each platform documents it, computed without embedkit's counter."""
    if channel == "x":
        return twitter_text.parse_tweet(text).weightedLength, 280
    if channel == "bluesky":
        assert len(text.encode()) <= 3000
        return grapheme.length(text), 300
    if channel == "mastodon":  # graphemes, each http(s) URL as 23 characters
        return grapheme.length(text.replace(article.url, "x" * 23)), 500
    if channel == "telegram":  # UTF-16 code units; a post with an image is a caption
        return len(text.encode("utf-16-le")) // 2, 1024 if article.image else 4096
    limits = {"threads": 500, "linkedin": 3000, "discord": 2000, "slack": 40000}
    return len(text), limits.get(channel, 1_000_000)


@pytest.mark.parametrize("lang", sorted(SEEDS))
@pytest.mark.parametrize("channel", PLATFORMS)
def test_seed_article_fits_every_channel(lang: str, channel: str) -> None:
    article = SEEDS[lang]
    post = format_post(article, channel, env=ENV)
    length, limit = platform_count(post.text, channel, article)
    assert length <= limit
    assert (post.length, post.limit) == (length, limit)
    assert article.title in post.text
    assert article.url in post.text
    assert post.text_hash == hashlib.sha256(post.text.encode()).hexdigest()
    assert (post.channel, post.article_id, post.lang) == (channel, article.id, article.lang)
    assert post.image == article.image


def test_seed_x_post_shortened_at_a_sentence_end() -> None:
    post = format_post(SEEDS["en"], "x", env=ENV)
    assert "over high-tech materials. …" in post.text
    assert "The agreement is seen" not in post.text
    assert post.text.endswith("#Japan #SouthKorea #NorthKorea #trade #security")


def test_japanese_template_override_and_clause_cut() -> None:
    post = format_post(SEEDS["ja"], "x", env=ENV)  # lang ja-JP -> x.ja.txt.j2
    assert post.text.startswith("【日韓、安全保障上の脅威を前に貿易摩擦を解消】\n")
    summary_line = post.text.splitlines()[1]
    assert summary_line.endswith("。…")  # cut after a sentence end, no space before "…"
    assert SEEDS["ja"].summary.startswith(summary_line[:-1])


def test_korean_template_override() -> None:
    assert format_post(SEEDS["ko"], "x", env=ENV).text.startswith("[한일, 안보 위협 속")
    assert format_post(SEEDS["ko"], "mastodon", env=ENV).text.startswith("한일, 안보")


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        (None, ["posts/x.txt.j2"]),
        ("ja", ["posts/x.ja.txt.j2", "posts/x.txt.j2"]),
        ("ja-JP", ["posts/x.ja-jp.txt.j2", "posts/x.ja.txt.j2", "posts/x.txt.j2"]),
        ("ko_KR", ["posts/x.ko-kr.txt.j2", "posts/x.ko.txt.j2", "posts/x.txt.j2"]),
    ],
)
def test_template_names(lang: str | None, names: list[str]) -> None:
    assert template_names("x", lang) == names


def test_user_template_overrides_by_name(tmp_path: Path) -> None:
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "mastodon.txt.j2").write_text("NEWS: {{ title }} {{ url }}")
    env = make_environment([tmp_path], env={})
    post = format_post(SEEDS["en"], "mastodon", env=env)
    assert post.text == f"NEWS: {SEEDS['en'].title} {SEEDS['en'].url}"


def test_template_typo_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "x.txt.j2").write_text("{{ titel }} {{ url }}")
    with pytest.raises(ConfigError, match="titel"):
        format_post(SEEDS["en"], "x", env=make_environment([tmp_path], env={}))


def test_unknown_channel() -> None:
    with pytest.raises(ConfigError, match="myspace"):
        format_post(SEEDS["en"], "myspace", env=ENV)


@pytest.mark.parametrize(
    ("channel", "title_length", "message"),
    [
        ("x", 300, r"x: title and URL alone are \d+ long but the limit is 280"),
        ("bluesky", 400, r"bluesky: title and URL alone are \d+ long .* the limit is 300"),
        ("mastodon", 600, r"mastodon: .* the limit is 500"),
    ],
)
def test_title_and_url_that_cannot_fit(channel: str, title_length: int, message: str) -> None:
    article = replace(SEEDS["en"], title="T" * title_length)
    with pytest.raises(DoesNotFit, match=message):
        format_post(article, channel, env=ENV)


def test_telegram_caption_and_max_characters() -> None:
    long = replace(SEEDS["en"], summary="Word " * 400)
    assert format_post(long, "telegram", env=ENV).limit == 1024  # image: photo caption
    assert format_post(long, "telegram", env=ENV, caption=False).limit == 4096
    assert format_post(long, "mastodon", env=ENV, max_characters=1000).limit == 1000
    assert format_post(long, "mastodon", env=ENV, max_characters=1000).length <= 1000


# --- where the summary is cut -----------------------------------------------------


def _summary_part(post_text: str, article: Article) -> str:
    """The summary as it appears in an x.txt.j2 post: the paragraph after the title."""
    return post_text.split("\n\n")[1]


def test_word_boundary_cut_when_there_is_no_sentence_end() -> None:
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima " * 6
    article = replace(SEEDS["en"], summary=words.strip(), tags=())
    post = format_post(article, "x", env=ENV)
    part = _summary_part(post.text, article)
    assert part.endswith("…")
    kept = part[:-1]
    assert words.startswith(kept)
    assert words[len(kept)] == " "  # ended at a whole word


def test_grapheme_cut_for_japanese_without_punctuation() -> None:
    summary = "日本と韓国は貿易紛争を取り下げることで合意した" * 10  # no 。 anywhere
    article = replace(SEEDS["en"], summary=summary, tags=(), lang=None)
    post = format_post(article, "x", env=ENV)
    part = _summary_part(post.text, article)
    assert part.endswith("…")
    assert summary.startswith(part[:-1])
    assert twitter_text.parse_tweet(post.text).weightedLength <= 280
    # Nearly full: one more character (2) plus the ellipsis would not fit.
    assert twitter_text.parse_tweet(post.text).weightedLength >= 276


@pytest.mark.parametrize(
    "token",
    [
        "https://example.org/a/rather/long/path/that/must/stay/whole/1234567890",
        "example.org/path/without/protocol/that/is/long",
        "@someone@mastodon.example",
        "#AVeryLongHashtagThatMustNotBeCut",
    ],
)
def test_never_cut_inside_url_mention_or_hashtag(token: str) -> None:
    # Slide the token across the cut point: whatever the cut, the token is whole or absent.
    for padding in range(0, 60, 3):
        summary = ("x" * padding + " ") + "lorem ipsum " * 10 + token + " dolor sit amet" * 10
        article = replace(SEEDS["en"], summary=summary, tags=())
        for channel in ("x", "bluesky", "mastodon"):
            text = format_post(article, channel, env=ENV).text
            kept = _summary_part(text, article)
            assert token in kept or token[:12] not in kept, (padding, channel, kept)


def test_emoji_clusters_are_never_split() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    article = replace(SEEDS["en"], summary=family * 400, tags=())
    post = format_post(article, "bluesky", env=ENV)
    kept = _summary_part(post.text, article)[:-1]
    assert kept == family * (len(kept) // len(family))
    assert len(post.text.encode()) <= 3000


@pytest.mark.parametrize(
    ("text", "budget", "expected"),
    [
        ("One. Two three four. Five six seven eight.", 24, "One. Two three four. …"),
        ("One two three four five six", 12, "One two…"),
        ("Short, then a clause continues here", 9, "Short…"),
        ("日本と韓国は合意した。詳細は後で。", 13, "日本と韓国は合意した。…"),
        ("日本と韓国は、合意した", 9, "日本と韓国は…"),
        ("ภาษาไทยไม่มีช่องว่าง", 6, "ภาษาไ…"),
        ("fits entirely", 13, "fits entirely"),
        ("Unbreakable", 3, "Un…"),
        ("abc:https://example.org/aaaa/bbbb/cccc", 20, "abc…"),
        ("abc,@someone@mastodon.example", 15, "abc…"),
        ("abc,#LongHashtagHere", 10, "abc…"),
        ("ab👨‍👩‍👧cd", 5, "ab…"),
    ],
)
def test_shorten_table(text: str, budget: int, expected: str) -> None:
    result = shorten(text, lambda s: len(s) <= budget)
    assert result == expected


def test_shorten_gives_empty_when_nothing_fits() -> None:
    assert shorten("anything", lambda s: False) == ""


# --- hashtags -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "hashtag"),
    [
        ("north korea", "#NorthKorea"),
        ("South Korea", "#SouthKorea"),
        ("trade", "#trade"),
        ("#Japan", "#Japan"),
        ("U.S.", "#US"),
        ("AI policy", "#AIPolicy"),
        ("日本", "#日本"),
        ("북한 미사일", "#북한미사일"),
        ("ภาษาไทย", "#ภาษาไทย"),
        ("co-operation", "#CoOperation"),
        ("women's rights", "#WomensRights"),
        ("snake_case", "#snake_case"),
        ("2023", None),
        ("!!!", None),
        ("", None),
    ],
)
def test_normalize_hashtag(tag: str, hashtag: str | None) -> None:
    assert normalize_hashtag(tag) == hashtag


def test_hashtags_deduplicated_and_skipped_when_present() -> None:
    tags = ["Japan", "japan", "north korea", "North-Korea", "Trade", "日本"]
    assert hashtags_for(tags, "Talks on #trade") == ["#Japan", "#NorthKorea", "#日本"]


def test_hashtags_added_only_while_the_post_fits() -> None:
    many = tuple(f"topic{i:02d}" for i in range(40))
    article = replace(SEEDS["en"], tags=many)
    post = format_post(article, "x", env=ENV)
    added = [t for t in post.text.split() if t.startswith("#topic")]
    assert 0 < len(added) < 40
    assert added == [f"#topic{i:02d}" for i in range(len(added))]
    assert twitter_text.parse_tweet(post.text).weightedLength <= 280


def test_hashtag_already_in_summary_is_not_repeated() -> None:
    article = replace(SEEDS["en"], summary="Leaders met. #Japan", tags=("Japan", "trade"))
    text = format_post(article, "mastodon", env=ENV).text
    assert text.count("#Japan") == 1
    assert "#trade" in text


# --- Bluesky facets and card -------------------------------------------------------


@pytest.mark.parametrize("lang", sorted(SEEDS))
def test_bluesky_facets_slice_to_url_and_tags(lang: str) -> None:
    article = SEEDS[lang]
    post = format_post(article, "bluesky", env=ENV)
    raw = post.text.encode()
    links = [f for f in post.facets if f.kind == "link"]
    tags = [f for f in post.facets if f.kind == "tag"]
    assert [raw[f.byte_start : f.byte_end].decode() for f in links] == [article.url]
    assert links[0].value == article.url
    assert tags
    for facet in tags:
        assert raw[facet.byte_start : facet.byte_end].decode() == "#" + facet.value


def test_bluesky_card() -> None:
    article = SEEDS["en"]
    card = format_post(article, "bluesky", env=ENV).card
    assert card is not None
    assert (card.url, card.title, card.thumb) == (article.url, article.title, article.image)
    assert grapheme.length(card.description) <= 300
    assert card.description.endswith("…")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("日本 #韓国 https://e.com", [("#韓国", "tag"), ("https://e.com", "link")]),
        ("see example.com/a #tag.", [("example.com/a", "link"), ("#tag", "tag")]),
        ("#123 only digits, #1a ok", [("#1a", "tag")]),
        ("a#notatag and ＃全角", [("＃全角", "tag")]),
        ("🇯🇵 #日本 👨\u200d👩\u200d👧", [("#日本", "tag")]),
    ],
)
def test_facets_for_table(text: str, expected: list[tuple[str, str]]) -> None:
    raw = text.encode()
    found = sorted(
        ((raw[f.byte_start : f.byte_end].decode(), f.kind) for f in facets_for(text)),
        key=lambda pair: text.index(pair[0]),
    )
    assert found == expected


def test_facet_link_without_protocol_gets_https() -> None:
    (facet,) = facets_for("read example.com/a")
    assert facet.value == "https://example.com/a"


# --- threads ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("channel", ["x", "mastodon", "bluesky"])
def test_thread_splits_a_long_summary_into_numbered_fitting_posts(lang: str, channel: str) -> None:
    base = SEEDS[lang]
    article = replace(base, summary=" ".join([base.summary] * 6))
    post = format_post(article, channel, env=ENV, thread=True)
    posts = [post.text, *post.thread]
    total = len(posts)
    assert total > 1
    assert base.title in post.text
    assert base.url in post.text
    for number, text in enumerate(posts, 1):
        length, limit = platform_count(text, channel, article)
        assert length <= limit
        assert f"{number}/{total}" in text
    assert all(base.url not in text for text in post.thread)


def test_thread_not_used_when_the_summary_fits() -> None:
    post = format_post(SEEDS["en"], "linkedin", env=ENV, thread=True)
    assert post.thread == ()
    assert format_post(SEEDS["en"], "x", env=ENV, thread=False).thread == ()


# --- the invariant ---------------------------------------------------------------------

# The emoji-building characters are left out for the same reason as in
# test_length.py: twitter-text-parser only knows Unicode 12.0's sequences.
_EMOJI_PARTS = "".join(
    map(chr, [0x200D, 0xFE0F, 0x20E3, *range(0x1F3FB, 0x1F400), *range(0x1F1E6, 0x1F200)])
)
_words = st.text(
    alphabet=st.characters(
        exclude_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp"),
        exclude_characters=_EMOJI_PARTS + "".join(map(chr, range(0xE0000, 0xE0080))),
    ),
    min_size=1,
    max_size=12,
)
_texts = st.lists(
    st.one_of(
        _words,
        st.sampled_from(
            [
                "日本と韓国。",
                "한국어 ",
                "ไทย",
                "👨\u200d👩\u200d👧",
                "🇯🇵",
                "https://e.com/x ",
                "@a@b.org ",
                "#tag ",
                ". ",
                "、",
                "example.com/path ",
            ]
        ),
    ),
    max_size=40,
).map(" ".join)
_articles = st.builds(
    Article,
    id=st.just("a"),
    title=_texts.filter(lambda t: t.strip() != ""),
    url=st.sampled_from(
        ["https://e.com/a", "https://news.example.com/" + "long-path/" * 12, "http://例え.jp/記事"]
    ),
    summary=_texts,
    tags=st.lists(_words, max_size=6).map(tuple),
    image=st.sampled_from([None, "https://e.com/i.jpg"]),
    lang=st.sampled_from([None, "en", "ja", "ko-KR"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_articles, st.sampled_from(PLATFORMS), st.booleans())
def test_a_formatted_post_always_fits_or_does_not_fit_is_raised(
    article: Article, channel: str, thread: bool
) -> None:
    try:
        post = format_post(article, channel, env=ENV, thread=thread)
    except DoesNotFit:
        return
    title, url = " ".join(article.title.split()), article.url
    if channel == "slack":  # mrkdwn: & < > are escaped in Slack text, the link too
        title = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        url = url.replace("&", "&amp;")
    if channel == "discord":  # Markdown that formats or links is backslash-escaped
        title = "".join("\\" + c if c in "\\*_~`|<>[]" else c for c in title)
        title = "\\" + title if title[:1] in ("#", ">", "-") else title
    assert title in post.text
    assert url in post.text
    assert post.length <= post.limit
    for text in (post.text, *post.thread):
        assert fits(text, channel, caption=bool(article.image))
        if channel == "x":
            assert twitter_text.parse_tweet(text).weightedLength <= 280


def test_package_root_exports_are_sorted_and_importable() -> None:
    import embedkit.syndicate as package

    assert package.__all__ == sorted(package.__all__)
    assert set(package.__all__) >= {
        "Article",
        "Facet",
        "LinkCard",
        "Post",
        "Published",
        "RemotePost",
        "count_length",
        "format_post",
        "limit",
        "load_article",
        "load_articles",
    }
    for name in package.__all__:
        assert getattr(package, name) is not None
    assert package.count_length("日本と韓国", "x") == 10


# --- emoji X does not know ---------------------------------------------------------------

_EMOJI_PIECES = [
    "\U0001f468",
    "\U0001f469",
    "\U0001f467",
    "\u200d",
    "\ufe0f",
    "\U0001f3fd",
    "\U0001f1ef",
    "\U0001f1f5",
    "\U0001f1e6",
    "\U0001f637",
    "\u00a9",
    "\u20e3",
    "1",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "日本",
    "한국어",
    "word",
    " ",
    ". ",
    "https://e.com/x ",
]
_emoji_summaries = st.lists(st.sampled_from(_EMOJI_PIECES), min_size=1, max_size=200).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_emoji_summaries, st.booleans())
def test_x_posts_fit_by_twitter_text_whatever_the_emoji(summary: str, thread: bool) -> None:
    article = replace(SEEDS["en"], summary=summary)
    post = format_post(article, "x", env=ENV, thread=thread)
    for text in (post.text, *post.thread):
        assert twitter_text.parse_tweet(text).weightedLength <= 280


def test_a_long_zwj_chain_is_not_taken_for_one_emoji() -> None:
    # 30,000 men joined by ZWJ count 89,999 on X (not 2), and are one grapheme
    # cluster, which is never cut: the summary is left out.
    chain = "\u200d".join(["\U0001f468"] * 30000)
    post = format_post(replace(SEEDS["en"], summary=chain, tags=()), "x", env=ENV)
    assert "\U0001f468" not in post.text
    assert twitter_text.parse_tweet(post.text).weightedLength <= 280


# --- the quick way and the exact way --------------------------------------------------


# Summaries long enough to be cut, and split into threads, in every script.
_SENTENCES = [
    *(s + "." for s in SEEDS["en"].summary.split(". ")),
    *(s + "。" for s in SEEDS["ja"].summary.split("。") if s),
    *(s + "." for s in SEEDS["ko"].summary.split(". ")),
    "See https://example.com/a/long/path?q=1 for more,",
    "or example.org/report",
    "@editor@mastodon.social",
    "#Japan",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001f1ef\U0001f1f5",
    "ไทยไม่มีช่องว่าง",
    "unbreakablewordwithoutanyspacesatall" * 3,
]
_long_articles = st.builds(
    replace,
    st.sampled_from(list(SEEDS.values())),
    summary=st.lists(st.one_of(st.sampled_from(_SENTENCES), _words), min_size=12, max_size=60).map(
        " ".join
    ),
    tags=st.lists(
        st.sampled_from(["Japan", "north korea", "日本", "무역", "trade"]), max_size=4
    ).map(tuple),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_articles, _long_articles), st.sampled_from(PLATFORMS), st.booleans())
def test_format_post_chooses_what_the_exact_fitting_chooses(
    article: Article, channel: str, thread: bool
) -> None:
    """format_post predicts lengths from the frame and prefix sums, then checks the post;
    the exact fitting (rendering and counting every candidate) is the reference."""
    from embedkit.syndicate import _format as formatting

    try:
        post = format_post(article, channel, env=ENV, thread=thread)
    except DoesNotFit:
        post = None
    template = ENV.select_template(template_names(channel, article.lang))
    renderer = formatting._Renderer(
        template, article, channel, caption=bool(article.image), max_characters=None
    )
    summary = " ".join(article.summary.split())

    def candidates(kept: str) -> list[str]:
        return hashtags_for(article.tags, f"{renderer.title} {kept}")

    try:
        formatting._check_bare(renderer)
        exact = formatting._fit_exactly(renderer, summary, candidates, thread)
    except DoesNotFit:
        assert post is None
        return
    assert post is not None
    assert (post.text, post.thread, post.length) == (exact.text, exact.follow_ups, exact.length)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # The summary is transformed: the frame cannot predict it.
        ("{{ title }}\n\n{{ summary | upper }}\n\n{{ url }} {{ hashtags }}", "JAPAN AND"),
        # Summary and hashtags glued together: lengths need not add up.
        ("{{ title }}\n{{ summary }}{{ hashtags }}\n{{ url }}", "Japan and"),
        # The hashtags as a loop: each marker is rendered once per tag.
        (
            "{{ title }}\n{{ summary }}\n{% for h in hashtag_list %}{{ h }},{% endfor %} {{ url }}",
            "Japan",
        ),
    ],
)
def test_templates_the_frame_cannot_predict_still_fit(
    tmp_path: Path, template: str, expected: str
) -> None:
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "x.txt.j2").write_text(template)
    post = format_post(SEEDS["en"], "x", env=make_environment([tmp_path], env={}))
    assert expected in post.text
    assert post.length == twitter_text.parse_tweet(post.text).weightedLength <= 280
    assert SEEDS["en"].url in post.text


def test_the_default_environment_follows_embedkit_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "x.txt.j2").write_text("OVERRIDE {{ title }} {{ url }}")
    monkeypatch.setenv("EMBEDKIT_TEMPLATES", str(tmp_path))
    assert format_post(SEEDS["en"], "x").text.startswith("OVERRIDE ")
    monkeypatch.delenv("EMBEDKIT_TEMPLATES")
    assert not format_post(SEEDS["en"], "x").text.startswith("OVERRIDE ")


def test_a_thread_whose_first_post_has_no_room_for_its_marker_still_fits() -> None:
    """Found by Hypothesis: title and URL leave 4 units on X, the " 1/2" marker needs 5."""
    title = "Trade " * 41 + "talks"  # 251 weighted units
    article = Article(
        id="a", title=title, url="https://news.example.com/a", summary="More to say here."
    )
    assert count_length(f"{title}\n\nhttps://news.example.com/a", "x") == 276
    post = format_post(article, "x", thread=True)
    assert post.length <= 280
    assert "1/2" not in post.text
    assert post.thread == ("More to say here. 2/2",)
