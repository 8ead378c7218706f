"""embedkit._parse.feed: DTD and entity bombs refused in any encoding, before feedparser."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from tests.growth import assert_linear

from embedkit._parse.feed import MAX_FEED_BYTES, looks_like_feed, parse_feed

LAUGHS = (
    '<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa">'
    + "".join(
        f'<!ENTITY {n} "{"".join(f"&{p};" for _ in range(10))}">'
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "]>"
)
BODY = '<rss version="2.0"><channel><item><title>&i;</title><link>https://e.com/a</link></item></channel></rss>'


def _feed(encoding: str, *, declaration: bool = True) -> bytes:
    head = f'<?xml version="1.0" encoding="{encoding}"?>' if declaration else ""
    codec = {"utf-16": "utf-16", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be"}.get(
        encoding, encoding
    )
    return (head + LAUGHS + BODY).encode(codec)


@pytest.mark.parametrize(
    ("encoding", "declaration"),
    [
        ("utf-8", True),
        ("utf-8", False),
        ("utf-16", True),  # with a BOM: a byte search for "<!DOCTYPE" misses this
        ("utf-16le", True),  # no BOM
        ("utf-16be", True),
        ("iso-8859-1", True),
        ("shift_jis", True),
    ],
)
def test_a_billion_laughs_is_refused_in_any_encoding(encoding: str, declaration: bool) -> None:
    data = _feed(encoding, declaration=declaration)
    with pytest.raises(ValueError, match="declares XML entities"):
        parse_feed(data)


def test_a_declaration_hidden_from_the_text_check_is_refused_by_the_parser() -> None:
    # "<x" inside a processing instruction makes the prolog look over before the DTD;
    # defusedxml (expat, entity declarations forbidden) still refuses the document.
    data = ('<?xml version="1.0"?><?pi <x ?>' + LAUGHS + BODY).encode()
    with pytest.raises(ValueError, match="refused by the XML parser: EntitiesForbidden"):
        parse_feed(data)


def test_an_external_entity_is_refused() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><item><title>&x;</title></item></channel></rss>'
    )
    with pytest.raises(ValueError, match="declares XML entities"):
        parse_feed(data)


def test_an_external_dtd_is_allowed_but_never_loaded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.dtd"
    secret.write_text('<!ENTITY leak "SECRET">')
    data = (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{secret.as_uri()}">'
        '<rss version="0.91"><channel><item><title>Hello</title>'
        "<link>https://e.com/a</link></item></channel></rss>"
    ).encode()
    parsed = parse_feed(data)
    assert [e.title for e in parsed.entries] == ["Hello"]


def test_bytes_are_never_taken_for_a_file_name(tmp_path: Path) -> None:
    local = tmp_path / "local.xml"
    local.write_text(
        '<rss version="2.0"><channel><item><title>LOCAL FILE</title>'
        "<link>https://e.com/local</link></item></channel></rss>"
    )
    with pytest.raises(ValueError, match=r"not an RSS or Atom feed|malformed feed"):
        parse_feed(str(local).encode())


def test_size_is_capped() -> None:
    with pytest.raises(ValueError, match="larger than"):
        parse_feed(b" " * (MAX_FEED_BYTES + 1))


def test_feeds_are_recognised_in_any_encoding() -> None:
    atom = '<?xml version="1.0" encoding="utf-16"?><feed xmlns="http://www.w3.org/2005/Atom">'
    assert looks_like_feed(atom.encode("utf-16"))
    assert looks_like_feed(b"<rss><channel></channel></rss>")
    assert not looks_like_feed(b"<!doctype html><html><body><feed></feed></body></html>")


@pytest.mark.parametrize("piece", ["<!--", "<a ", "<a b='"])
def test_entry_content_costs_linear_time(piece: str) -> None:
    def make(n: int) -> bytes:
        content = html.escape(piece * n)
        return (
            '<rss version="2.0"><channel><item><title>t</title><link>https://e.com/a</link>'
            f"<description>{content}</description></item></channel></rss>"
        ).encode()

    assert_linear(parse_feed, make, 1000)
