"""embedkit._parse.charset: pages and feeds decoded the way browsers do, hostile labels ignored."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from embedkit._parse.charset import decode_html, decode_xml, lookup

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "pages"
RULES = Path(__file__).resolve().parents[1] / "fixtures" / "articles" / "rules"
GERMAN = "<p>Grüße aus Köln: Straßenfest, schöne Bäckereien und überall Musik.</p>"


def test_a_byte_order_mark_wins_over_everything() -> None:
    data = codecs.BOM_UTF16_LE + '<meta charset="latin1"><p>日本</p>'.encode("utf-16-le")
    decoded = decode_html(data, content_type="text/html; charset=shift_jis")
    assert (decoded.source, decoded.encoding) == ("bom", "utf-16-le")
    assert decoded.text == '<meta charset="latin1"><p>日本</p>'


def test_the_header_charset_comes_before_the_meta_prescan() -> None:
    data = '<meta charset="utf-8"><p>日本と韓国</p>'.encode("shift_jis")
    decoded = decode_html(data, content_type="text/html; charset=Shift_JIS")
    assert decoded.text.endswith("<p>日本と韓国</p>")


@pytest.mark.parametrize(
    "head",
    [
        '<meta charset="iso-8859-1">',
        "<meta charset=latin1>",
        '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">',
        "<META HTTP-EQUIV='content-type' CONTENT='text/html;charset=windows-1252'>",
        "<!-- <meta charset=utf-8> --><meta charset=latin1>",  # a comment is not a declaration
    ],
)
def test_the_meta_prescan(head: str) -> None:
    data = f"<html><head>{head}</head><body>{GERMAN}".encode("latin-1")
    assert decode_html(data).text.endswith(GERMAN)


def test_a_declaration_after_the_first_1024_bytes_still_counts_in_the_head() -> None:
    filler = "<script>var x = 1;</script>\n" * 60
    data = f"<html><head>{filler}<meta charset='windows-1252'></head>{GERMAN}".encode("cp1252")
    assert decode_html(data).source == "meta"
    assert decode_html(data).text.endswith(GERMAN)


def test_utf8_bytes_win_over_a_stale_legacy_declaration() -> None:
    data = f'<meta charset="windows-1251"><p>{"Сейчас в СМИ"}</p>'.encode()
    assert "Сейчас в СМИ" in decode_html(data).text


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("latin1-no-declaration.html", "Grüße aus Köln: Straßenfest am Rhein"),
        ("shift_jis-no-declaration.html", "日韓、安全保障の脅威の中で貿易摩擦を解消"),
        ("shift_jis-meta.html", "日韓、安全保障の脅威の中で貿易摩擦を解消"),
    ],
)
def test_undeclared_latin1_and_shift_jis_are_detected(name: str, words: str) -> None:
    assert words in decode_html((RULES / name).read_bytes()).text


@pytest.mark.parametrize(
    "label",
    ["idna", "undefined", "utf-8\x00", "utf-7", "base64", "rot13", "x" * 200, "", "\udc80", "ü"],
)
def test_hostile_labels_are_ignored_never_raised(label: str) -> None:
    assert lookup(label) is None
    data = f'<meta charset="{label}"><p>Köln</p>'.encode("utf-8", "replace")
    for content_type in (f"text/html; charset={label}", None):
        assert "Köln" in decode_html(data, content_type=content_type).text
        assert decode_xml(b"<rss><title>x</title></rss>", content_type=content_type).text


def test_xml_declarations_and_bomless_utf16() -> None:
    feed = '<?xml version="1.0" encoding="Shift_JIS"?><rss><title>日本</title></rss>'
    assert "日本" in decode_xml(feed.encode("shift_jis")).text
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><rss><title>日本</title></rss>'
    assert "日本" in decode_xml(utf16.encode("utf-16-le")).text
    assert "日本" in decode_xml(utf16.encode("utf-16-be")).text


def _corpus_pages() -> list[str]:
    return sorted(p.name.removesuffix(".expected.json") for p in CORPUS.glob("*.expected.json"))


@pytest.mark.parametrize("name", _corpus_pages())
def test_real_pages_decode_as_their_real_encoding(name: str) -> None:
    fixture = json.loads((CORPUS / f"{name}.expected.json").read_text(encoding="utf-8"))
    real = fixture["encoding"].split()[0]  # "utf-8 with a few invalid bytes (mixed)"
    # A page labelled gb2312 is read as GBK, its superset, as browsers do (WHATWG); the two
    # codecs differ in one mapping (A1AA: U+2015 in gb2312, U+2014 in GBK).
    real = "gbk" if real == "gb2312" else real
    data = (CORPUS / f"{name}.html").read_bytes()
    assert decode_html(data).text == data.decode(real, errors="replace").removeprefix("\ufeff")


@given(st.binary(max_size=2000), st.one_of(st.none(), st.text(max_size=40)))
def test_never_raises(data: bytes, content_type: str | None) -> None:
    assert isinstance(decode_html(data, content_type=content_type).text, str)
    assert isinstance(decode_xml(data, content_type=content_type).text, str)
