"""Article loaders: every source format, the URL path over a local server, and errors."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest
from tests.loopback import LocalHTTPServer

from embedkit._errors import ArticleError, BlockedAddress, NotFound
from embedkit._parse.markup import html_to_text
from embedkit._parse.pagemeta import PageMeta, page_metadata
from embedkit.net._http import HttpClient
from embedkit.syndicate._article import article_id_for, load_article, load_articles

FIXTURES = Path(__file__).parent.parent / "fixtures" / "articles"
TITLE = "Japan, South Korea bury trade hatchet amid security threats"
URL = "https://news.example.com/world/asia/japan-south-korea-bury-trade-hatchet/"
UTC = dt.UTC


def test_markdown_front_matter_with_body_summary() -> None:
    article = load_article(FIXTURES / "seed.md")
    assert article.title == TITLE
    assert article.url == URL
    assert article.id == URL  # no explicit id: the canonical URL
    assert article.summary.startswith("Japan and South Korea agreed on Thursday to drop")
    assert "The announcement came" not in article.summary  # only the first paragraph
    assert article.tags == ("Japan", "South Korea", "north korea", "trade", "security")
    assert article.image == "https://news.example.com/images/kishida-yoon.jpg"
    assert article.published_at == dt.datetime(2023, 3, 16, 9, 30, tzinfo=UTC)
    assert article.author == "Newsroom staff"
    assert article.lang == "en"


def test_japanese_and_korean_front_matter() -> None:
    ja = load_article(FIXTURES / "seed.ja.md")
    assert ja.id == "seed-2023-03-16-ja"
    assert ja.lang == "ja-JP"
    assert ja.tags == ("日本", "韓国", "北朝鮮", "貿易")
    assert ja.published_at == dt.datetime(2023, 3, 16, 9, 30, tzinfo=UTC)
    ko = load_article(FIXTURES / "seed.ko.md")
    assert ko.title == "한일, 안보 위협 속 무역 갈등 봉합"
    assert ko.published_at == dt.datetime(2023, 3, 16, tzinfo=UTC)  # a date: midnight UTC


def test_json_with_comma_tags_and_naive_publish_at() -> None:
    article = load_article(FIXTURES / "seed.json")
    assert article.id == "seed-2023-03-16"
    assert article.tags == ("Japan", "South Korea", "trade")
    assert article.publish_at == dt.datetime(2023, 3, 16, 10, 0, tzinfo=UTC)  # naive -> UTC
    assert article.published_at is not None
    assert article.published_at.tzinfo is not None


def test_yaml_with_date_field() -> None:
    article = load_article(FIXTURES / "seed.yaml")
    assert article.title == TITLE
    assert article.summary == (
        "Japan and South Korea agreed to drop an almost four-year-old trade dispute "
        "on high-tech materials."
    )
    assert article.published_at == dt.datetime(2023, 3, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "titles"),
    [("list.json", ["First", "Second"]), ("list.yaml", ["One", "Two"])],
)
def test_lists_give_several_articles(name: str, titles: list[str]) -> None:
    assert [a.title for a in load_articles(FIXTURES / name)] == titles


def test_list_entries_rfc2822_date_and_fragment_dropped_from_id() -> None:
    first, second = load_articles(FIXTURES / "list.json")
    assert first.published_at == dt.datetime(2023, 3, 16, 9, 30, tzinfo=UTC)
    assert second.id == "https://news.example.com/b"
    assert second.url == "https://news.example.com/b#comments"


def test_rss_feed_entries() -> None:
    first, second = load_articles(FIXTURES / "feed.rss")
    assert first.id == "example-news-2023-0316-001"  # the guid
    assert first.title == TITLE
    assert first.summary == (
        "Japan and South Korea agreed to drop an almost four-year-old trade dispute "
        "on high-tech materials."
    )  # HTML stripped
    assert first.tags == ("Japan", "South Korea")
    assert first.image == "https://news.example.com/images/kishida-yoon.jpg"  # media:content
    assert first.published_at == dt.datetime(2023, 3, 16, 9, 30, tzinfo=UTC)  # +0900 -> UTC
    assert first.lang == "en"
    assert second.id == "https://news.example.com/world/asia/n-korean-missile/"  # no guid: link
    assert second.image == "https://news.example.com/images/missile.png"  # enclosure


def test_atom_feed_entry() -> None:
    (entry,) = load_articles(FIXTURES / "feed.atom")
    assert entry.id == "tag:news.example.com,2023:ja-0316-001"
    assert (
        entry.url == "https://news.example.com/ja/world/asia/japan-south-korea-bury-trade-hatchet/"
    )
    assert entry.summary == "日本と韓国は16日、貿易紛争を取り下げることで合意した。"
    assert entry.tags == ("日本", "韓国")
    assert entry.published_at == dt.datetime(2023, 3, 16, 9, 30, tzinfo=UTC)  # from <updated>
    assert entry.lang == "ja"


@pytest.mark.parametrize(
    ("entry", "title"),
    [
        (None, TITLE),
        (1, "N. Korean missile lands off S. Korea"),
        (-1, "N. Korean missile lands off S. Korea"),
        ("example-news-2023-0316-001", TITLE),
        (
            "https://news.example.com/world/asia/n-korean-missile/",
            "N. Korean missile lands off S. Korea",
        ),
    ],
)
def test_load_article_selects_a_feed_entry(entry: int | str | None, title: str) -> None:
    assert load_article(FIXTURES / "feed.rss", entry=entry).title == title


@pytest.mark.parametrize("entry", [2, "no-such-id"])
def test_missing_feed_entry_is_an_error(entry: int | str) -> None:
    with pytest.raises(ArticleError, match=r"feed\.rss: no entry"):
        load_article(FIXTURES / "feed.rss", entry=entry)


def test_directory_loads_md_json_yaml_in_name_order() -> None:
    articles = load_articles(FIXTURES / "dir")
    # a.md (1), b.yaml (a list of 2), c.json (1); notes.txt ignored
    assert [a.title for a in articles] == [TITLE, "One", "Two", TITLE]
    with pytest.raises(ArticleError, match="is a directory"):
        load_article(FIXTURES / "dir")


def test_saved_html_page_opengraph_first() -> None:
    article = load_article(FIXTURES / "page.html")
    assert article.title == TITLE  # og:title beats JSON-LD headline and twitter:title
    assert article.url == URL
    assert article.summary.startswith("Japan and South Korea agreed")
    assert article.image == "https://news.example.com/images/kishida-yoon.jpg"  # made absolute
    assert article.tags == ("Japan", "South Korea")  # article:tag; keywords are kept apart
    assert article.keywords == ("Japan", "South Korea", "trade")
    assert article.author == "Newsroom staff"  # JSON-LD author list
    assert article.lang == "en"  # <html lang> is the document's language


def test_json_ld_graph_with_a_broken_block_before_it() -> None:
    article = load_article(FIXTURES / "page-jsonld.html")
    assert article.title == "한일, 안보 위협 속 무역 갈등 봉합"
    assert (
        article.url
        == "https://news.example.com/ko/world/asia/japan-south-korea-bury-trade-hatchet/"
    )
    assert article.image == "https://news.example.com/images/ko.jpg"
    assert article.tags == ()  # JSON-LD keywords are SEO keywords, not tags
    assert article.keywords == ("한국", "일본")
    assert article.author == "편집국"
    assert article.lang == "ko"
    assert article.published_at == dt.datetime(2023, 3, 16, 9, 30, tzinfo=UTC)


def test_twitter_card_fallback() -> None:
    markup = (
        '<meta name="twitter:title" content="Card title">'
        '<meta name="twitter:description" content="Card &amp; text">'
        '<meta name="twitter:image" content="img.jpg">'
    )
    assert page_metadata(markup, "https://news.example.com/a/b") == PageMeta(
        title="Card title",
        url="https://news.example.com/a/b",
        description="Card & text",
        image="https://news.example.com/a/img.jpg",
    )


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>Japan &amp; <b>Korea</b></p>", "Japan & Korea"),
        ("one<br>two", "one two"),
        ("<script>alert(1)</script>kept", "kept"),
        ("plain", "plain"),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.COM/a", "https://news.example.com/a"),
        ("https://news.example.com:443/a", "https://news.example.com/a"),
        ("http://news.example.com:8080/a", "http://news.example.com:8080/a"),
        (
            "https://news.example.com/a?utm_source=x&utm_medium=y&id=7",
            "https://news.example.com/a?id=7",
        ),
        ("https://news.example.com/a?fbclid=abc#frag", "https://news.example.com/a"),
        ("https://news.example.com", "https://news.example.com/"),
        ("https://news.example.com/A/Case", "https://news.example.com/A/Case"),
    ],
)
def test_article_id_for(url: str, expected: str) -> None:
    assert article_id_for(url) == expected


BAD = FIXTURES / "bad"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no-url.md", "no-url.md: missing required field 'url'"),
        ("no-title.json", "no-title.json: missing required field 'title'"),
        ("no-frontmatter.md", "no-frontmatter.md: no YAML front matter"),
        ("bad-frontmatter.md", "bad-frontmatter.md: malformed front matter"),
        ("bad.json", "bad.json: malformed JSON"),
        ("bad.yaml", "bad.yaml: malformed YAML"),
        ("bad-tags.yaml", "bad-tags.yaml: field 'tags' must be a list"),
        ("not-http.yaml", "not-http.yaml: field 'url' is not an http\\(s\\) URL"),
        ("broken.rss", "broken.rss: malformed feed"),
        ("no-link.rss", "no-link.rss entry 1: missing required field 'url'"),
        ("unknown.txt", "unknown.txt: unknown article file type '.txt'"),
        ("missing.md", "missing.md: no such file"),
    ],
)
def test_errors_name_file_and_field(name: str, message: str) -> None:
    with pytest.raises(ArticleError, match=message):
        load_articles(BAD / name)


def test_a_bad_list_item_is_named_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "items.json"
    path.write_text('[{"title": "a", "url": "https://e.com/a"}, {"title": "b"}]')
    errors: list[ArticleError] = []
    assert [a.title for a in load_articles(path, errors=errors)] == ["a"]
    assert [str(e) for e in errors] == [f"{path}[1]: missing required field 'url'"]


def test_an_unreadable_published_date_leaves_it_empty(caplog: pytest.LogCaptureFixture) -> None:
    article = load_article(BAD / "bad-date.yaml")
    assert article.published_at is None
    assert "bad-date.yaml: field 'published_at' is not a date" in caplog.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("publish_at", "2023-13-45", "field 'publish_at' is not a date"),
        ("publish_at", "yesterday", "field 'publish_at' is not a date"),
        ("title", "[1, 2]", "field 'title' must be text"),
        ("tags", "[[1]]", "field 'tags' holds a list"),
    ],
)
def test_bad_field_values(tmp_path: Path, field: str, value: str, message: str) -> None:
    path = tmp_path / "a.yaml"
    body = {"title": "t", "url": "https://e.com/a", field: value}
    path.write_text("".join(f"{k}: {v}\n" for k, v in body.items()))
    with pytest.raises(ArticleError, match=message):
        load_article(path)


# --- the URL path, through the real hardened client, against a local server --------


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, str, bytes]]] = {}

    def do_GET(self) -> None:
        status, content_type, body = self.routes.get(self.path, (404, "text/plain", b"gone"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    _Handler.routes = {
        "/article": (200, "text/html; charset=utf-8", (FIXTURES / "page.html").read_bytes()),
        "/feed": (200, "application/rss+xml", (FIXTURES / "feed.rss").read_bytes()),
        "/feed-as-text": (200, "text/plain", (FIXTURES / "feed.atom").read_bytes()),
        "/bare": (
            200,
            "text/html",
            b'<html lang="ja"><title>Only a title</title><meta name="description" content="d">',
        ),
        "/empty": (200, "text/html", b"<html><body>nothing</body></html>"),
    }
    server = LocalHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(timeout=5.0, allow_private_networks=True) as client:
        yield client


def test_article_url_metadata(site: str, http: HttpClient) -> None:
    article = load_article(f"{site}/article", http=http)
    assert article.title == TITLE
    assert article.url == URL  # og:url, not the address it was fetched from
    assert article.tags == ("Japan", "South Korea")


def test_page_without_og_uses_title_and_fetched_url(site: str, http: HttpClient) -> None:
    article = load_article(f"{site}/bare", http=http)
    assert (article.title, article.summary, article.lang) == ("Only a title", "d", "ja")
    assert article.url == f"{site}/bare"


def test_feed_url_by_content_type_and_by_sniffing(site: str, http: HttpClient) -> None:
    assert len(load_articles(f"{site}/feed", http=http)) == 2
    assert load_article(f"{site}/feed", entry=1, http=http).title.startswith("N. Korean")
    assert load_article(f"{site}/feed-as-text", http=http).lang == "ja"


def test_page_without_title_is_an_error_naming_the_url(site: str, http: HttpClient) -> None:
    with pytest.raises(ArticleError, match=rf"{site}/empty: missing required field 'title'"):
        load_article(f"{site}/empty", http=http)


def test_http_errors_propagate_typed(site: str, http: HttpClient) -> None:
    with pytest.raises(NotFound):
        load_article(f"{site}/nope", http=http)


def test_network_guard_applies_to_article_urls(site: str) -> None:
    with HttpClient(timeout=5.0) as guarded, pytest.raises(BlockedAddress):
        load_article(f"{site}/article", http=guarded)


def test_atom_entry_with_content_only_and_entry_language() -> None:
    (entry,) = load_articles(FIXTURES / "content-only.atom")
    assert entry.summary == "한국과 일본은 합의했다."  # from <content>, HTML stripped
    assert entry.lang == "ko"  # the entry's xml:lang
