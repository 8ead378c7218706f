"""The loaders' rules (issue 12): independent entries, links, titles, dates, folders,
encodings, metadata quality, tags versus SEO keywords, and saved pages with --url."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.syndicate.fakes import FakeHttpRecorder, Reply

from embedkit._errors import ArticleError
from embedkit.cli._main import cli
from embedkit.net._http import HttpClient
from embedkit.syndicate._article import ARTICLE_SUFFIXES, load_article, load_source

ARTICLES = Path(__file__).parent.parent / "fixtures" / "articles"
RULES = ARTICLES / "rules"
UTC = dt.UTC


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(timeout=5.0, allow_private_networks=True) as client:  # the server is local
        yield client


# -- entries are independent ------------------------------------------------------------


def test_a_bad_entry_is_named_and_skipped_and_the_rest_load() -> None:
    loaded = load_source(RULES / "entries.rss")
    where = str(RULES / "entries.rss")
    assert [a.url for a in loaded.articles] == [
        "https://news.example.com/good",
        "https://news.example.com/no-title",
        "https://news.example.com/bad-date",
        "https://news.example.com/world/relative",  # against the feed's <link>
    ]
    assert [str(s) for s in loaded.skipped] == [
        f"{where} entry 4: field 'url' is not an http(s) URL: 'javascript:alert(1)'",
        f"{where} entry 6: field 'url' has a character that is not allowed in a URL: '>': "
        "'https://news.example.com/x><!channel><https://evil.example/login|Login'",
    ]
    assert all(s.invalid for s in loaded.skipped)


def test_a_missing_title_is_the_summarys_first_sentence() -> None:
    article = load_source(RULES / "entries.rss").articles[1]
    assert article.title == "No title here."
    assert article.summary.startswith("No title here. The summary's first sentence")


def test_dates_in_the_forms_feeds_use_and_an_unreadable_one_left_empty(
    caplog: pytest.LogCaptureFixture,
) -> None:
    good, no_title, bad_date, relative = load_source(RULES / "entries.rss").articles
    assert good.published_at == dt.datetime(2023, 3, 16, 0, 30, tzinfo=UTC)
    assert no_title.published_at == dt.datetime(2019, 3, 5, tzinfo=UTC)  # <language>de
    assert relative.published_at == dt.datetime(2019, 3, 5, tzinfo=UTC)  # March 5, 2019
    assert bad_date.published_at is None
    assert "entry 3: field 'published_at' is not a date ('someday soon')" in caplog.text
    (atom,) = load_source(RULES / "xml-base.atom").articles
    assert atom.published_at == dt.datetime(2019, 3, 5, 10, tzinfo=UTC)  # "... 10:00:00 UTC"


def test_relative_links_resolve_against_xml_base_then_the_feed_address() -> None:
    (entry,) = load_source(RULES / "xml-base.atom").articles
    assert entry.url == "https://news.example.com/blog/2023/first"
    with pytest.raises(ArticleError, match=r"entry 1: field 'url' is relative.*url= / --page-url"):
        load_article(RULES / "relative-no-base.rss")
    given = load_article(RULES / "relative-no-base.rss", url="https://news.example.com/feed.xml")
    assert given.url == "https://news.example.com/blog/relative"


def test_a_fetched_feed_resolves_against_its_own_address(
    http_recorder: FakeHttpRecorder, http: HttpClient
) -> None:
    http_recorder.route(
        "GET",
        "/feeds/news.xml",
        Reply(200, (RULES / "relative-no-base.rss").read_bytes(), {"Content-Type": "text/xml"}),
    )
    article = load_article(f"{http_recorder.url}/feeds/news.xml", http=http)
    assert article.url == f"{http_recorder.url}/blog/relative"


# -- folders ----------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(ARTICLES / "seed.md", tmp_path / "a.md")
    (tmp_path / "b.markdown").write_text("---\ntitle: B\nurl: https://e.com/b\n---\nB.\n")
    shutil.copy(ARTICLES / "seed.json", tmp_path / "c.json")
    shutil.copy(ARTICLES / "list.yaml", tmp_path / "d.yaml")
    (tmp_path / "e.yml").write_text("title: E\nurl: https://e.com/e\n")
    shutil.copy(ARTICLES / "feed.rss", tmp_path / "f.rss")
    shutil.copy(ARTICLES / "feed.atom", tmp_path / "g.atom")
    shutil.copy(ARTICLES / "content-only.atom", tmp_path / "h.xml")
    shutil.copy(ARTICLES / "page.html", tmp_path / "i.html")
    shutil.copy(RULES / "h1-only.html", tmp_path / "j.htm")
    (tmp_path / "broken.json").write_text("{ not json")
    (tmp_path / "notes.txt").write_text("not an article")
    (tmp_path / "README").write_text("no extension")
    (tmp_path / "drafts").mkdir()
    return tmp_path


def test_a_folder_loads_every_kind_and_names_what_it_skipped(folder: Path) -> None:
    loaded = load_source(folder)
    sources = {a.url for a in loaded.articles}
    assert len(loaded.articles) == 12  # 1 + 1 + 1 + 2 + 1 + 2 + 1 + 1 + 1 + 1
    assert "https://news.example.com/h1-only/" in sources  # .htm
    assert {s.suffix for s in folder.iterdir() if s.is_file()} - {".txt", ""} <= set(
        ARTICLE_SUFFIXES
    )
    assert [(Path(s.where).name, s.reason, s.invalid) for s in loaded.skipped] == [
        ("README", "not an article file (files without an extension)", False),
        ("broken.json", "malformed JSON (Expecting property name enclosed in double quotes: "
         "line 1 column 3 (char 2))", True),
        ("drafts", "a folder (folders are not searched)", False),
        ("notes.txt", "not an article file ('.txt' files)", False),
    ]  # fmt: skip


def test_the_cli_prints_what_it_skipped(folder: Path, tmp_path: Path) -> None:
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    result = CliRunner().invoke(
        cli,
        ["syndicate", "run", "--source", str(folder), "--channel", "file", "--dry-run",
         "--ledger", ledger],
        env={"EMBEDKIT_FILE_CHANNEL_PATH": str(tmp_path / "out.jsonl")},
    )  # fmt: skip
    assert f"skipped {folder / 'notes.txt'}: not an article file ('.txt' files)" in result.output
    assert f"skipped {folder / 'broken.json'}: malformed JSON" in result.output
    assert result.exit_code == 1  # a broken file is an error; the others still went out


# -- encodings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("latin1-no-declaration.html", "Grüße aus Köln: Straßenfest am Rhein"),
        ("shift_jis-no-declaration.html", "日韓、安全保障の脅威の中で貿易摩擦を解消"),
        ("shift_jis-meta.html", "日韓、安全保障の脅威の中で貿易摩擦を解消"),
    ],
)
def test_local_pages_in_legacy_encodings(name: str, title: str) -> None:
    assert load_article(RULES / name).title == title


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html", (RULES / "latin1-no-declaration.html").read_bytes()),  # no charset
        ("text/html; charset=Shift_JIS", (RULES / "shift_jis-no-declaration.html").read_bytes()),
        ("text/html", (RULES / "shift_jis-meta.html").read_bytes()),
        ("text/html; charset=idna", (RULES / "latin1-no-declaration.html").read_bytes()),
        ("text/html; charset=undefined", (RULES / "latin1-no-declaration.html").read_bytes()),
    ],
)
def test_fetched_pages_in_legacy_encodings(
    http_recorder: FakeHttpRecorder, http: HttpClient, content_type: str, body: bytes
) -> None:
    http_recorder.route("GET", "/page", Reply(200, body, {"Content-Type": content_type}))
    title = load_article(f"{http_recorder.url}/page", http=http).title
    assert title in (
        "Grüße aus Köln: Straßenfest am Rhein",
        "日韓、安全保障の脅威の中で貿易摩擦を解消",
    )


def test_a_utf16_feed_and_a_shift_jis_feed() -> None:
    text = (ARTICLES / "feed.atom").read_text(encoding="utf-8")
    for codec, declared in (("utf-16", "UTF-16"), ("shift_jis", "Shift_JIS")):
        data = text.replace('encoding="utf-8"', f'encoding="{declared}"').encode(codec)
        path = RULES.parent / f"tmp-{codec}.atom"
        try:
            path.write_bytes(data)
            assert (
                load_article(path).summary
                == "日本と韓国は16日、貿易紛争を取り下げることで合意した。"
            )
        finally:
            path.unlink()


# -- metadata quality -------------------------------------------------------------------


def test_a_yoast_page_gives_the_image_author_and_title_not_ids() -> None:
    article = load_article(RULES / "yoast-graph.html")
    assert article.title == "Japan und Südkorea legen Handelsstreit bei"  # no SVG <title> text
    assert article.image == "https://news.example.com/wp-content/uploads/2023/03/kishida-yoon.jpg"
    assert article.author == "Erika Mustermann"


def test_seo_keywords_are_not_hashtags_by_default() -> None:
    article = load_article(RULES / "yoast-graph.html")
    assert article.tags == ()
    assert "LockedPostSource:LOCKED_POST_SOURCE_NONE" in article.keywords
    from embedkit.syndicate import format_post

    assert "#" not in format_post(article, "mastodon").text


@pytest.mark.parametrize(
    ("source", "tags_from", "expected"),
    [
        ("yoast-graph.html", "keywords", ("Japan", "Südkorea", "Elevated:false")),
        ("yoast-graph.html#tags-from=keywords", None, ("Japan", "Südkorea", "Elevated:false")),
        ("yoast-graph.html#tags-from=keywords", "tags", ()),  # the argument wins
        ("entries.rss", None, ("Japan",)),  # feed categories are tags
        ("entries.rss", "keywords", ("Japan", "seo", "keywords")),  # iTunes keywords
    ],
)
def test_tags_from_keywords_by_argument_or_source_setting(
    source: str, tags_from: str | None, expected: tuple[str, ...]
) -> None:
    article = load_article(f"{RULES}/{source}", tags_from=tags_from)  # type: ignore[arg-type]
    assert article.tags[: len(expected)] == expected
    assert len(article.tags) == len(expected) or tags_from == "keywords" or "#" in source


def test_front_matter_keywords_are_not_tags_unless_asked(tmp_path: Path) -> None:
    page = tmp_path / "a.md"
    page.write_text(
        "---\ntitle: T\nurl: https://e.com/a\ntags: [Japan]\nkeywords: seo, words\n---\nBody.\n"
    )
    assert load_article(page).tags == ("Japan",)
    assert load_article(page).keywords == ("seo", "words")
    assert load_article(page, tags_from="keywords").tags == ("Japan", "seo", "words")


def test_pages_whose_only_title_is_an_h1_load() -> None:
    article = load_article(RULES / "h1-only.html")
    assert (article.title, article.url) == (
        "N. Korean missile lands off S. Korea",
        "https://news.example.com/h1-only/",
    )


def test_a_saved_page_without_its_address_loads_with_url() -> None:
    with pytest.raises(ArticleError, match=r"declares no og:url or canonical link.*--page-url"):
        load_article(RULES / "saved-no-url.html")
    article = load_article(RULES / "saved-no-url.html", url="https://news.example.com/saved/p")
    assert article.url == "https://news.example.com/saved/p"
    assert article.image == "https://news.example.com/saved/images/saved.jpg"


def test_cli_tags_from_and_url() -> None:
    runner = CliRunner()
    keywords = runner.invoke(
        cli,
        ["syndicate", "preview", str(RULES / "yoast-graph.html"), "--channel", "mastodon",
         "--format", "json", "--tags-from", "keywords"],
    )  # fmt: skip
    assert keywords.exit_code == 0, keywords.output
    assert "#Japan #Südkorea" in json.loads(keywords.output)["text"]
    saved = runner.invoke(
        cli,
        ["syndicate", "preview", str(RULES / "saved-no-url.html"), "--channel", "mastodon",
         "--format", "json", "--page-url", "https://news.example.com/saved/p"],
    )  # fmt: skip
    assert saved.exit_code == 0, saved.output
    assert "https://news.example.com/saved/p" in json.loads(saved.output)["text"]


def test_feed_entry_warnings_are_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="embedkit.syndicate")
    from embedkit.syndicate import load_articles

    assert len(load_articles(RULES / "entries.rss")) == 4
    assert "skipped" in caplog.text
    assert "entry 4" in caplog.text
