"""The author's body is untrusted by default (issue: raw HTML and javascript: links in Markdown)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from embedkit import Resolver, render_document, render_html
from embedkit.cli._main import cli
from embedkit.page._body import sanitize_body

TWEET = "https://twitter.com/Reuters/status/1636212467429621760"

HOSTILE = [
    pytest.param("<script>alert(1)</script>", "<script", id="script"),
    pytest.param('<img src="x.png" onerror="alert(1)">', "onerror", id="event-handler"),
    pytest.param('<a href="javascript:alert(1)">x</a>', "javascript:", id="javascript-link"),
    pytest.param('<a href=" JaVaScRiPt:alert(1)">x</a>', "alert(1)", id="javascript-mixed-case"),
    pytest.param('<a href="data:text/html,<b>x</b>">x</a>', "data:", id="data-link"),
    pytest.param('<iframe src="https://evil.example/"></iframe>', "<iframe", id="iframe"),
    pytest.param("<style>body{display:none}</style>", "display:none", id="style-element"),
    pytest.param('<p style="position:fixed;inset:0">x</p>', "position", id="style-attribute"),
    pytest.param('<form action="https://evil.example"><input></form>', "<form", id="form"),
    pytest.param('<object data="x.swf"></object>', "<object", id="object"),
    pytest.param('<svg onload="alert(1)"></svg>', "onload", id="svg"),
    pytest.param('<meta http-equiv="refresh" content="0;url=x">', "refresh", id="meta-refresh"),
    pytest.param('<base href="https://evil.example/">', "<base", id="base"),
    pytest.param(
        '<figure class="embedkit" data-embedkit-scripts=\'["https://evil.example/x.js"]\'>',
        "evil.example",
        id="forged-consent-placeholder",
    ),
]


@pytest.mark.parametrize(("html", "gone"), HOSTILE)
def test_the_body_allowlist_removes(html: str, gone: str) -> None:
    assert gone.lower() not in sanitize_body(html).lower()


@pytest.mark.parametrize(
    "html",
    [
        "<h2>Title</h2>",
        "<p>Text with <em>em</em>, <strong>strong</strong> and <code>code</code>.</p>",
        '<p><a href="https://example.com/a" rel="noopener noreferrer">link</a></p>',
        '<p><a href="/relative" rel="noopener noreferrer">relative</a></p>',
        '<img src="https://example.com/a.png" alt="A" width="10" height="20">',
        "<blockquote><p>Quote</p></blockquote>",
        "<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>",
        '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1" rel="noopener noreferrer">1</a>'
        "</sup>",
    ],
)
def test_article_markup_is_kept(html: str) -> None:
    assert sanitize_body(html) == html


def test_render_html_cleans_the_body_by_default_and_keeps_it_when_trusted() -> None:
    body = f"<p>Hi</p><script>alert(1)</script>\n<p>{TWEET}</p>"
    with Resolver(cache="memory://", offline=True) as resolver:
        cleaned = render_html(body, resolver)
        trusted = render_html(body, resolver, trusted_body=True)
    assert "alert(1)" not in cleaned
    assert "A post on X" in cleaned  # the embed is still inserted
    assert "<script>alert(1)</script>" in trusted
    assert "A post on X" in trusted


def test_stored_output_renders_again_unchanged_when_trusted() -> None:
    with Resolver(cache="memory://", offline=True) as resolver:
        once = render_html(f"<p>Hi</p>\n<p>{TWEET}</p>", resolver)
        assert render_html(once, resolver, trusted_body=True) == once


MARKDOWN = f"""---
title: Hostile
---
Hello <script>alert('md')</script> and [a link](javascript:alert('link')).

<div onclick="alert('div')">div</div>

{TWEET}
"""


def test_render_document_cleans_markdown_raw_html(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    with Resolver(cache="memory://", offline=True) as resolver:
        page = render_document(path, resolver)
        trusted = render_document(path, resolver, trusted_body=True)
    assert "alert(" not in page
    assert "A post on X" in page
    assert "<script>alert('md')</script>" in trusted


def test_the_render_command_cleans_unless_told_the_body_is_trusted(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    runner = CliRunner()
    base = ["render", str(path), "--offline", "--cache", "memory://"]
    cleaned = runner.invoke(cli, base)
    trusted = runner.invoke(cli, [*base, "--trusted-body"])
    assert cleaned.exit_code == 0, cleaned.output
    assert trusted.exit_code == 0, trusted.output
    assert "alert(" not in cleaned.stdout
    assert "<script>alert('md')</script>" in trusted.stdout
