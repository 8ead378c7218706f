"""Issue 8 in the syndicator: articles from feeds and pages never name local files (item 2),
XML bombs are refused in any encoding (item 9), nested data fails cleanly (item 6), and
article URLs cannot inject Slack or Discord markup (item 12)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.parse.test_parse_feed import LAUGHS
from tests.syndicate.fakes import FakeBluesky, FakeHttpRecorder, FakeMastodon, Reply, sample_post

from embedkit._errors import ArticleError
from embedkit.net._http import HttpClient
from embedkit.syndicate import format_post
from embedkit.syndicate._article import LIMITS, load_article, load_source
from embedkit.syndicate._images import read_local_image
from embedkit.syndicate._models import Article
from embedkit.syndicate.channels import idempotency_key, make_channel
from embedkit.syndicate.channels._media import ImageUnavailable, load_image, load_local_image

RULES = Path(__file__).parent.parent / "fixtures" / "articles" / "rules"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
KEY = idempotency_key("article-1", "any", "hash-1")
TOKEN = "7000000001:AAHsecretTelegramTokenValue_0123456"


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(timeout=5.0, allow_private_networks=True) as client:
        yield client


# -- item 2: fields from feeds, pages and URLs are never local paths ----------------------


def test_feed_media_never_names_a_local_file(caplog: pytest.LogCaptureFixture) -> None:
    articles = load_source(RULES / "local-media.rss").articles
    assert [a.image_file for a in articles] == [None, None, None, None]
    assert [a.image for a in articles] == [
        "https://news.example.com/etc/passwd",  # a path on the site, as a URL: never a file
        None,  # file:// is not a web URL
        "https://news.example.com/etc/shadow",
        "https://news.example.com/i/4.jpg",
    ]
    assert "field 'image' is not an http(s) URL" in caplog.text


def test_a_fetched_page_or_feed_never_names_a_local_file(
    http_recorder: FakeHttpRecorder, http: HttpClient
) -> None:
    page = (
        b'<meta property="og:title" content="T"><meta property="og:image" '
        b'content="file:///etc/passwd"><link rel="canonical" href="https://news.example.com/t">'
    )
    http_recorder.route("GET", "/page", Reply(200, page, {"Content-Type": "text/html"}))
    http_recorder.route(
        "GET",
        "/feed",
        Reply(200, (RULES / "local-media.rss").read_bytes(), {"Content-Type": "text/xml"}),
    )
    article = load_article(f"{http_recorder.url}/page", http=http)
    assert (article.image, article.image_file) == (None, None)
    assert all(
        a.image_file is None for a in load_source(f"{http_recorder.url}/feed", http=http).articles
    )


@pytest.fixture
def article_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "photo.png").write_bytes(PNG)
    (folder / "notes.png").write_text("not an image")
    (tmp_path / "outside.png").write_bytes(PNG)
    os.symlink(tmp_path / "outside.png", folder / "link-out.png")
    os.symlink(folder / "photo.png", folder / "link-in.png")
    os.symlink("/dev/zero", folder / "zero.png")
    os.mkfifo(folder / "fifo.png")
    return folder


def _article_with_image(folder: Path, image: str) -> Article:
    path = folder / "a.md"
    path.write_text(f"---\ntitle: T\nurl: https://news.example.com/a\nimage: {image}\n---\nBody.\n")
    return load_article(path)


def test_a_local_article_may_name_an_image_in_its_own_folder(article_folder: Path) -> None:
    article = _article_with_image(article_folder, "photo.png")
    assert (article.image, article.image_file) == (None, (article_folder / "photo.png").resolve())
    linked = _article_with_image(article_folder, "link-in.png")  # a link that stays inside
    assert linked.image_file == (article_folder / "photo.png").resolve()


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        ("../outside.png", "goes up out of the article's folder"),
        ("/etc/passwd", "is not inside the article's folder (an absolute path)"),
        ("link-out.png", "is a link to a file outside the article's folder"),
        ("zero.png", "is a link to a file outside the article's folder"),  # /dev/zero
        ("fifo.png", "is not a regular file"),
        ("notes.png", "is not a PNG, JPEG, GIF or WebP image"),
        ("missing.png", "does not exist in the article's folder"),
        ("file:///etc/passwd", "is not inside the article's folder (an absolute path)"),
    ],
)
def test_other_local_images_are_dropped_with_a_warning(
    article_folder: Path, caplog: pytest.LogCaptureFixture, image: str, reason: str
) -> None:
    article = _article_with_image(article_folder, image)
    assert (article.image, article.image_file) == (None, None)
    assert reason in caplog.text
    assert "posting without it" in caplog.text


def test_a_checked_image_swapped_for_a_link_or_device_is_refused_at_upload(
    article_folder: Path, tmp_path: Path
) -> None:
    checked = _article_with_image(article_folder, "photo.png").image_file
    assert checked is not None
    checked.unlink()
    os.symlink("/dev/zero", checked)
    with pytest.raises(ValueError, match="no longer the file that was checked"):
        read_local_image(checked, max_bytes=1024)
    with pytest.raises(ImageUnavailable, match="not a regular file"):
        load_local_image(Path("/dev/zero"), max_bytes=1024)  # st_size 0 passes no size check


def test_channels_refuse_a_local_path_in_the_image_url_field() -> None:
    with pytest.raises(ImageUnavailable, match="not an http"):
        load_image("/etc/passwd", max_bytes=1024)


def test_telegram_never_uploads_a_local_path_from_a_post(
    http_recorder: FakeHttpRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    ok = Reply.json({"ok": True, "result": {"message_id": 1, "chat": {"id": 1}}})
    http_recorder.route("POST", f"/bot{TOKEN}/sendMessage", ok)
    http_recorder.route("POST", f"/bot{TOKEN}/sendPhoto", ok)
    env = {
        "EMBEDKIT_TELEGRAM_BOT_TOKEN": TOKEN,
        "EMBEDKIT_TELEGRAM_CHAT_ID": "@newsroom",
        "EMBEDKIT_TELEGRAM_API_URL": http_recorder.url,
    }
    channel = make_channel("telegram", env=env, timeout=2.0)
    try:
        for image in ("/etc/passwd", "/proc/self/environ"):
            channel.publish(sample_post("telegram", image=image), idempotency_key=KEY)
        channel.publish(sample_post("telegram", image_file=Path("/dev/zero")), idempotency_key=KEY)
    finally:
        channel.close()
    assert [r.path.rsplit("/", 1)[-1] for r in http_recorder.requests] == ["sendMessage"] * 3
    assert all(
        b"root:" not in r.body and TOKEN.encode() not in r.body for r in http_recorder.requests
    )
    assert "posting without the image" in caplog.text


def test_mastodon_and_bluesky_never_upload_a_local_path(
    fake_mastodon: FakeMastodon, fake_bluesky: FakeBluesky, tmp_path: Path
) -> None:
    from tests.syndicate.conftest import BLUESKY_HANDLE, BLUESKY_PASSWORD, MASTODON_TOKEN

    mastodon = make_channel(
        "mastodon",
        env={"EMBEDKIT_MASTODON_URL": fake_mastodon.url, "EMBEDKIT_MASTODON_TOKEN": MASTODON_TOKEN},
        timeout=2.0,
        http=HttpClient(timeout=2.0, allow_private_networks=True),
    )
    bluesky = make_channel(
        "bluesky",
        env={
            "EMBEDKIT_BLUESKY_HANDLE": BLUESKY_HANDLE,
            "EMBEDKIT_BLUESKY_APP_PASSWORD": BLUESKY_PASSWORD,
            "EMBEDKIT_BLUESKY_PDS": fake_bluesky.url,
        },
        timeout=2.0,
        session_path=tmp_path / "session.json",
    )
    try:
        mastodon.publish(sample_post("mastodon", image="/etc/passwd"), idempotency_key=KEY)
        bluesky.publish(sample_post("bluesky", image="/etc/passwd"), idempotency_key=KEY)
    finally:
        mastodon.close()
        bluesky.close()
    assert fake_mastodon.media == []
    assert fake_bluesky.blobs == []
    assert len(fake_mastodon.posts) == 1
    assert len(fake_bluesky.records) == 1


# -- item 9: XML bombs and fields' sizes -------------------------------------------------

BOMB_BODY = (
    '<rss version="2.0"><channel><item><title>&i;</title>'
    "<link>https://e.com/a</link></item></channel></rss>"
)


@pytest.mark.parametrize(
    ("codec", "declared"), [("utf-8", "utf-8"), ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16")]
)
def test_an_entity_bomb_feed_is_refused_from_a_file_and_a_url(
    tmp_path: Path, http_recorder: FakeHttpRecorder, http: HttpClient, codec: str, declared: str
) -> None:
    data = (f'<?xml version="1.0" encoding="{declared}"?>' + LAUGHS + BOMB_BODY).encode(codec)
    path = tmp_path / "bomb.xml"
    path.write_bytes(data)
    with pytest.raises(ArticleError, match=r"bomb\.xml: the feed declares XML entities"):
        load_source(path)
    http_recorder.route("GET", "/bomb", Reply(200, data, {"Content-Type": "application/rss+xml"}))
    with pytest.raises(ArticleError, match="declares XML entities"):
        load_source(f"{http_recorder.url}/bomb", http=http)


def test_a_feed_body_that_is_a_file_name_is_not_read_as_a_file(
    tmp_path: Path, http_recorder: FakeHttpRecorder, http: HttpClient
) -> None:
    local = tmp_path / "private.xml"
    local.write_text(
        '<rss version="2.0"><channel><item><title>PRIVATE</title>'
        "<link>https://e.com/private</link></item></channel></rss>"
    )
    http_recorder.route(
        "GET", "/feed", Reply(200, str(local).encode(), {"Content-Type": "application/rss+xml"})
    )
    with pytest.raises(ArticleError) as info:
        load_source(f"{http_recorder.url}/feed", http=http)
    assert "PRIVATE" not in str(info.value)


def test_every_stored_field_is_capped(tmp_path: Path) -> None:
    tags = "".join(f"<category>t{i}</category>" for i in range(1000))
    feed = (
        '<rss version="2.0"><channel><item>'
        f"<title>{'T' * 100_000}</title><link>https://e.com/a</link>"
        f"<description>{'word ' * 100_000}</description>{tags}"
        f"<author>{'a' * 10_000}</author><guid>{'g' * 100_000}</guid>"
        "</item></channel></rss>"
    )
    path = tmp_path / "big.rss"
    path.write_text(feed)
    (article,) = load_source(path).articles
    assert len(article.title) <= LIMITS["title"]
    assert len(article.summary) <= LIMITS["summary"]
    assert len(article.tags) <= LIMITS["tags"]
    assert len(article.id) <= LIMITS["id"]
    assert article.author is None or len(article.author) <= LIMITS["author"]


# -- item 6: nested data is named and skipped -------------------------------------------


def test_nested_json_yaml_and_json_ld_fail_cleanly_and_the_rest_loads(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("[" * 200_000 + "]" * 200_000)
    (tmp_path / "b.yaml").write_text("x: " + "[" * 50_000 + "]" * 50_000 + "\n")
    (tmp_path / "c.html").write_text(
        '<script type="application/ld+json">' + "[" * 200_000 + "]" * 200_000 + "</script>"
        '<meta property="og:title" content="Page"><link rel="canonical" href="https://e.com/c">'
    )
    (tmp_path / "d.json").write_text(json.dumps({"title": "Good", "url": "https://e.com/d"}))
    loaded = load_source(tmp_path)
    assert sorted(a.title for a in loaded.articles) == ["Good", "Page"]
    assert [(Path(s.where).name, s.reason) for s in loaded.skipped] == [
        ("a.json", "malformed JSON (nested too deeply)"),
        ("b.yaml", "malformed YAML (nested more than 32 levels deep (line 1))"),
    ]


# -- item 12: article URLs cannot inject chat markup -------------------------------------

INJECTED = "https://news.example.com/x><!channel><https://evil.example/login|Log_in"


def test_an_injected_url_is_refused_when_loaded(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"title": "T", "url": INJECTED}))
    with pytest.raises(ArticleError, match=r"field 'url' has a character that is not allowed"):
        load_article(path)


def test_slack_escapes_the_link_and_discord_escapes_markdown(
    http_recorder: FakeHttpRecorder,
) -> None:
    article = Article(
        id="a",
        title="<!channel> [Verify your account](https://evil.example/login) & *more*",
        url="https://news.example.com/a?x=1&y=2",
        summary="@everyone <@123> read this",
    )
    slack = format_post(article, "slack").text
    assert "<!channel>" not in slack
    assert "<https://news.example.com/a?x=1&amp;y=2>" in slack
    assert "&lt;!channel&gt;" in slack
    discord = format_post(article, "discord").text
    assert "\\[Verify your account\\](https://evil.example/login)" in discord
    assert "\\<@123\\>" in discord
    http_recorder.route("POST", "/hook", Reply.json({"id": "1"}))
    channel = make_channel(
        "discord", env={"EMBEDKIT_DISCORD_WEBHOOK_URL": f"{http_recorder.url}/hook"}, timeout=2.0
    )
    try:
        channel.publish(sample_post("discord", text=discord), idempotency_key=KEY)
    finally:
        channel.close()
    sent = http_recorder.requests[0].json()
    assert sent == {"content": discord, "allowed_mentions": {"parse": []}}


def test_telegram_sends_plain_text_without_a_parse_mode(http_recorder: FakeHttpRecorder) -> None:
    ok = Reply.json({"ok": True, "result": {"message_id": 1, "chat": {"id": 1}}})
    http_recorder.route("POST", f"/bot{TOKEN}/sendMessage", ok)
    env = {
        "EMBEDKIT_TELEGRAM_BOT_TOKEN": TOKEN,
        "EMBEDKIT_TELEGRAM_CHAT_ID": "@newsroom",
        "EMBEDKIT_TELEGRAM_API_URL": http_recorder.url,
    }
    text = format_post(
        Article(id="a", title='<a href="https://evil.example">x</a> *b*', url="https://e.com/a"),
        "telegram",
    ).text
    channel = make_channel("telegram", env=env, timeout=2.0)
    try:
        channel.publish(sample_post("telegram", text=text), idempotency_key=KEY)
    finally:
        channel.close()
    sent = http_recorder.requests[0].json()
    assert "parse_mode" not in sent
    assert sent["text"] == text


def test_loading_logs_at_warning_not_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    load_source(RULES / "local-media.rss")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_sources_are_bounded_in_size_and_entries(tmp_path: Path) -> None:
    from embedkit._parse.pagemeta import MAX_DOCUMENT_CHARS
    from embedkit.syndicate._article import MAX_ENTRIES, MAX_FILE_BYTES

    late = tmp_path / "late.html"
    late.write_text(
        '<link rel="canonical" href="https://e.com/late"><title>Head</title>'
        + " " * MAX_DOCUMENT_CHARS
        + '<meta property="og:title" content="Beyond the cap">'
    )
    assert load_article(late).title == "Head"  # what lies past the cap is not read
    items = "".join(
        f"<item><title>{i}</title><link>https://e.com/{i}</link></item>"
        for i in range(MAX_ENTRIES + 5)
    )
    many = tmp_path / "many.rss"
    many.write_text(f'<rss version="2.0"><channel>{items}</channel></rss>')
    loaded = load_source(many)
    assert len(loaded.articles) == MAX_ENTRIES
    assert [s.reason for s in loaded.skipped] == [f"only the first {MAX_ENTRIES} entries were read"]
    big = tmp_path / "big.yaml"
    big.write_bytes(b"title: x\n" + b"#" * MAX_FILE_BYTES)
    with pytest.raises(ArticleError, match=f"larger than {MAX_FILE_BYTES} bytes"):
        load_article(big)
