"""embedkit._parse.frontmatter: one bounded YAML loader for `embedkit render` and the syndicator."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from tests.growth import assert_linear

from embedkit import Resolver, render_document
from embedkit._errors import ArticleError, DocumentError
from embedkit._parse.frontmatter import (
    MAX_DEPTH,
    MAX_FRONT_MATTER_CHARS,
    FrontMatterError,
    load_yaml,
    split_front_matter,
)
from embedkit.syndicate._article import load_article, load_source

#: The 386-byte alias bomb of issue 8 (item 10): nine levels of nine references.
ALIAS_BOMB = "\n".join(
    [
        "---",
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "title: Boom",
        "url: https://news.example.com/boom",
        "---",
        "Body.",
    ]
)


def test_an_alias_bomb_is_refused_by_the_loader_itself() -> None:
    with pytest.raises(FrontMatterError, match=r"aliases \(\*name\) are not allowed") as info:
        split_front_matter(ALIAS_BOMB)
    assert info.value.line == 3  # the first "*a": the third line of the file


def test_the_alias_bomb_fails_cleanly_in_render_and_in_the_syndicator(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.md"
    bomb.write_text(ALIAS_BOMB, encoding="utf-8")
    (tmp_path / "good.md").write_text(
        "---\ntitle: Good\nurl: https://news.example.com/good\n---\nBody.\n", encoding="utf-8"
    )
    with Resolver(cache="memory://", offline=True) as resolver, pytest.raises(DocumentError):
        render_document(bomb, resolver)
    with pytest.raises(ArticleError, match=r"bomb\.md: malformed front matter"):
        load_article(bomb)
    loaded = load_source(tmp_path)  # a folder: the bomb is named and the rest loads
    assert [a.title for a in loaded.articles] == ["Good"]
    assert [s.where for s in loaded.invalid] == [str(bomb)]


def test_nesting_and_size_are_bounded() -> None:
    deep = "---\nx: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n---\n"
    with pytest.raises(FrontMatterError, match=f"nested more than {MAX_DEPTH} levels"):
        split_front_matter(deep)
    big = "---\nx: '" + "a" * MAX_FRONT_MATTER_CHARS + "'\n---\n"
    with pytest.raises(FrontMatterError, match="longer than"):
        split_front_matter(big)
    with pytest.raises(FrontMatterError, match="nested more than"):
        load_yaml("- " * 10_000 + "x")


def test_timestamps_resolve_the_same_way_for_both() -> None:
    fields, body = split_front_matter(
        "---\ntitle: T\nday: 2023-03-16\nat: 2023-03-16 09:30:00\n"
        "zoned: 2023-03-16T18:30:00+09:00\nquoted: '2023-03-16'\nwrong: 2023-02-30\n---\nBody"
    )
    assert fields == {
        "title": "T",
        "day": dt.date(2023, 3, 16),
        "at": dt.datetime(2023, 3, 16, 9, 30, tzinfo=dt.UTC),  # naive -> UTC
        "zoned": dt.datetime(2023, 3, 16, 18, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        "quoted": "2023-03-16",  # a quoted string stays text
        "wrong": "2023-02-30",  # not a real day: text, not an exception
    }
    assert body == "Body"


@pytest.mark.parametrize(
    ("published", "shown", "instant"),
    [
        ("2023-03-16 09:30:00", "2023-03-16T09:30:00Z", dt.datetime(2023, 3, 16, 9, 30)),
        ("2023-03-16", "2023-03-16", dt.datetime(2023, 3, 16)),
    ],
)
def test_render_and_syndicate_read_the_same_published(
    tmp_path: Path, published: str, shown: str, instant: dt.datetime
) -> None:
    page = tmp_path / "a.md"
    page.write_text(
        f"---\ntitle: T\nurl: https://news.example.com/a\npublished: {published}\n---\nBody.\n",
        encoding="utf-8",
    )
    with Resolver(cache="memory://", offline=True) as resolver:
        html = render_document(page, resolver)
    assert re.search(rf'<time datetime="{shown}">March 16, 2023</time>', html)
    assert load_article(page).published_at == instant.replace(tzinfo=dt.UTC)


def test_front_matter_that_is_not_a_mapping_is_an_error() -> None:
    with pytest.raises(FrontMatterError, match="must be a mapping"):
        split_front_matter("---\n- a\n- b\n---\nBody")


def test_loading_is_linear() -> None:
    def make(n: int) -> str:
        return "---\n" + "".join(f"k{i}: [a, b, {{c: d}}]\n" for i in range(n)) + "---\nBody"

    assert_linear(split_front_matter, make, 200)
