"""Page rendering: which URLs become embeds, what is left alone, scripts once, idempotence.

Unit tests pass ``render_html`` a small ``EmbedSource`` of their own (the seam
the function takes); the integration tests at the end use the real Resolver
against the provider simulator.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.render.conftest import related_http, route_related
from tests.simulator import ProviderSimulator

from embedkit import Embed, EmbedSource, Resolver
from embedkit._errors import ConfigError, DocumentError
from embedkit.page._render import (
    CONSENT_SCRIPT_NAME,
    STYLESHEET_NAME,
    consent_script_path,
    embed_urls,
    find_standalone_urls,
    has_consent_placeholder,
    render_document,
    render_html,
    script_tags,
    write_assets,
)

WIDGETS = "https://platform.twitter.com/widgets.js"
TWEET = "https://twitter.com/Reuters/status/1636212467429621760"
TWEET2 = "https://x.com/Reuters/status/1636227126391214081"
VIDEO = "https://www.youtube.com/watch?v=qQpb1oCernE"
#: The consent script's list of the only scripts it may load (JSON, attribute-escaped).
ALLOW = ' data-embedkit-allow="[&quot;https://platform.twitter.com/widgets.js&quot;]"'


class FakeResolver:
    """An ``EmbedSource`` that records its calls and returns recognisable embeds."""

    def __init__(self, *, consent: bool = False, unknown: Sequence[str] = ()) -> None:
        self.calls: list[list[str]] = []
        self.consent = consent
        self.unknown = set(unknown)

    def resolve_many(self, urls: Iterable[str]) -> list[Embed]:
        urls = list(urls)
        self.calls.append(urls)
        return [self.embed(url) for url in urls]

    def embed(self, url: str) -> Embed:
        if url in self.unknown:  # no provider, no oEmbed: what the resolver gives
            return Embed(ref=url, url=url, status="fallback", provider=None, html="<p>card</p>")
        scripts = (WIDGETS,) if "twitter" in url or "x.com" in url else ()
        if self.consent and scripts:
            html = (
                f'<figure class="embedkit" data-embedkit-url="{url}" '
                f"data-embedkit-scripts='[\"{WIDGETS}\"]'><button data-embedkit-load>Load"
                "</button><template><p>live</p></template></figure>"
            )
            return Embed(ref=url, url=url, status="fresh", provider="Twitter", html=html)
        html = f'<figure class="embedkit" data-embedkit-url="{url}"><p>{url}</p></figure>'
        return Embed(
            ref=url, url=url, status="fresh", provider="Twitter", html=html, scripts=scripts
        )


def render_trusted(html: str, source: EmbedSource, **options: Any) -> str:
    """``render_html`` on a trusted body: these tests look at the embedding itself."""
    return render_html(html, source, trusted_body=True, **options)


# -- which URLs stand alone --------------------------------------------------------

STANDALONE = [
    pytest.param(f"<p>{TWEET}</p>", [TWEET], id="paragraph"),
    pytest.param(f"<p>\n  {TWEET}  \n</p>", [TWEET], id="paragraph-with-whitespace"),
    pytest.param(f'<p><a href="{TWEET}">{TWEET}</a></p>', [TWEET], id="autolink-paragraph"),
    pytest.param(f'<P CLASS="x"><A HREF="{TWEET}">{TWEET}</A></P>', [TWEET], id="upper-case"),
    pytest.param(f"<p>{TWEET}?s=20&amp;t=abc</p>", [f"{TWEET}?s=20&t=abc"], id="entity"),
    pytest.param(f"intro\n{TWEET}\noutro", [TWEET], id="plain-text-line"),
    pytest.param(TWEET, [TWEET], id="plain-text-alone"),
    pytest.param(f"  {TWEET}\r\n", [TWEET], id="crlf-line"),
    pytest.param(f"<div>\n{TWEET}\n</div>", [TWEET], id="line-in-div"),
    pytest.param(f"<h2>Title</h2>\n{TWEET}\n<p>x</p>", [TWEET], id="line-between-blocks"),
    pytest.param(f"<article><p>{TWEET}</p></article>", [TWEET], id="nested-paragraph"),
    pytest.param(f"<p>one<p>{TWEET}</p>", [TWEET], id="implied-end-of-p"),
    pytest.param(
        f"<p>{TWEET}</p>\n<p>text</p>\n<p>{VIDEO}</p>\n<p>{TWEET}</p>",
        [TWEET, VIDEO, TWEET],
        id="several-in-order",
    ),
    pytest.param(f"<html><body>\n<p>{TWEET}</p>\n</body></html>", [TWEET], id="full-page"),
    # A single-escaped script ends at its first end tag, as in browsers.
    pytest.param(f"<script><!--\n</script>\n<p>{TWEET}</p>", [TWEET], id="escaped-script-ends"),
    pytest.param(f"<script><!--></script><p>{TWEET}</p>", [TWEET], id="empty-escape"),
    pytest.param(f"<xmp>x</xmp><p>{TWEET}</p>", [TWEET], id="after-xmp"),
    pytest.param(f"<div <p>\n{TWEET}\n</p></div>", [TWEET], id="odd-attribute-name"),
    # Controls for the foreign-content cases below: closed or self-closing SVG.
    pytest.param(f"<svg><title>i</title></svg><p>{TWEET}</p>", [TWEET], id="after-svg"),
    pytest.param(f"<svg/><p>{TWEET}</p>", [TWEET], id="after-self-closing-svg"),
    pytest.param(f"<math><svg></svg></math>\n{TWEET}\n", [TWEET], id="after-math"),
    pytest.param(f"<style></\u017ftyle></style><p>{TWEET}</p>", [TWEET], id="after-style"),
    # "<ſcript" does not start a double-escaped script: its first end tag ends it.
    pytest.param(f"<script><!--<\u017fcript></script><p>{TWEET}</p>", [TWEET], id="long-s-escape"),
]

NOT_STANDALONE = [
    pytest.param(f"<p>Watch {TWEET} now</p>", id="inside-text"),
    pytest.param(f"<p>{TWEET} is live</p>", id="text-after"),
    pytest.param(f'<p><a href="{TWEET}">the live stream</a></p>', id="link-with-text"),
    pytest.param(f'<p>See <a href="{TWEET}">{TWEET}</a></p>', id="link-after-text"),
    pytest.param(f'<p><a href="{VIDEO}">{TWEET}</a></p>', id="link-text-differs"),
    pytest.param(f"<pre>{TWEET}</pre>", id="pre"),
    pytest.param(f"<pre>\n{TWEET}\n</pre>", id="pre-line"),
    pytest.param(f"<pre><code>\n{TWEET}\n</code></pre>", id="pre-code"),
    pytest.param(f"<p><code>{TWEET}</code></p>", id="code"),
    pytest.param(f"<script>\n{TWEET}\n</script>", id="script"),
    pytest.param(f'<script>var u = "<p>{TWEET}</p>";</script>', id="script-with-markup"),
    pytest.param(f"<style>\n{TWEET}\n</style>", id="style"),
    pytest.param(f"<textarea>\n{TWEET}\n</textarea>", id="textarea"),
    pytest.param(f"<template><p>{TWEET}</p></template>", id="template"),
    pytest.param(f'<figure class="embedkit x"><p>{TWEET}</p></figure>', id="existing-embed"),
    pytest.param(f"<p>{TWEET}<br>and more</p>", id="paragraph-with-more"),
    pytest.param(f"<p><em>{TWEET}</em></p>", id="emphasised"),
    pytest.param(f"<ul><li>{TWEET}</li></ul>", id="list-item"),
    pytest.param(f"text before {TWEET}", id="plain-text-inside-line"),
    pytest.param(f"<div><b>x</b> {TWEET}\n</div>", id="line-after-inline"),
    pytest.param(f"<!-- {TWEET} -->", id="comment"),
    pytest.param("<p>https://</p>", id="no-host"),
    pytest.param("<p>javascript:alert(1)</p>", id="javascript"),
    pytest.param("<p>ftp://example.com/file</p>", id="not-http"),
    pytest.param("<p>www.example.com/page</p>", id="no-scheme"),
    pytest.param(f"<p>{TWEET} {VIDEO}</p>", id="two-urls"),
    # Regions a browser reads as text, not markup (issue: embeds inserted where
    # browsers do not parse markup).
    pytest.param(f"<xmp><p>{TWEET}</p></xmp>", id="xmp"),
    pytest.param(f"<xmp>\n{TWEET}\n</xmp>", id="xmp-line"),
    pytest.param(f"<noembed><p>{TWEET}</p></noembed>", id="noembed"),
    pytest.param(f"<noframes><p>{TWEET}</p></noframes>", id="noframes"),
    pytest.param(f"<noscript><p>{TWEET}</p></noscript>", id="noscript"),
    pytest.param(f"<iframe><p>{TWEET}</p></iframe>", id="iframe-content"),
    pytest.param(f"<title><p>{TWEET}</p></title>", id="title"),
    pytest.param(f"<textarea><p>{TWEET}</p></textarea>", id="textarea-markup"),
    pytest.param(f"<plaintext><p>{TWEET}</p>", id="plaintext"),
    pytest.param(f"<plaintext></plaintext><p>{TWEET}</p>", id="plaintext-never-ends"),
    pytest.param(
        f"<script><!--<script></script><p>{TWEET}</p>--></script>", id="double-escaped-script"
    ),
    pytest.param(f'<div title="never closed>\n<p>{TWEET}</p>\n', id="unclosed-attribute"),
    pytest.param(f"<div title='never closed>\n{TWEET}\n", id="unclosed-single-quote"),
    pytest.param(f"<div class=a\n{TWEET}\n", id="tag-without-end"),
    pytest.param(f"<!-- <p>{TWEET}</p>", id="comment-never-closed"),
    pytest.param(f"<STYLE><p>{TWEET}</p></style >", id="style-upper-case"),
    pytest.param(f"<xmp><p>{TWEET}</p></xmpx></xmp>", id="xmp-false-end"),
    # An end tag's name matches ASCII letters only: "ſ" (U+017F) and "ı" (U+0131) equal
    # "s" and "i" to Python's IGNORECASE, never to a browser, which reads on as text.
    pytest.param(f"<div><style></\u017ftyle></div><p>{TWEET}</p></style>", id="style-long-s"),
    pytest.param(f"<div><script></\u017fcript></div><p>{TWEET}</p></script>", id="script-long-s"),
    pytest.param(f"<div><title></t\u0131tle></div><p>{TWEET}</p></title>", id="title-dotless-i"),
    pytest.param(
        f"<div><iframe></\u0131frame></div><p>{TWEET}</p></iframe>", id="iframe-dotless-i"
    ),
    pytest.param(
        f"<div><noscript></no\u017fcript></div><p>{TWEET}</p></noscript>", id="noscript-long-s"
    ),
    # Foreign content a browser has left while the tokenizer still counts it open
    # (there <xmp>, <noembed>, <noframes>, <plaintext> are markup to the tokenizer).
    pytest.param(f"<div><svg></div><xmp><p>{TWEET}</p></xmp>", id="svg-left-xmp"),
    pytest.param(f"<div><svg></div><noembed><p>{TWEET}</p></noembed>", id="svg-left-noembed"),
    pytest.param(f"<p><svg></p><noframes><p>{TWEET}</p></noframes>", id="svg-left-noframes"),
    pytest.param(f"<div><math></div><plaintext><p>{TWEET}</p>", id="math-left-plaintext"),
    pytest.param(
        f"<div><svg><foreignObject></math></div><![CDATA[><p>{TWEET}</p>]]>",
        id="stray-math-end-in-svg-cdata",
    ),
]


@pytest.mark.parametrize(("html", "urls"), STANDALONE)
def test_standalone_urls_are_found(html: str, urls: list[str]) -> None:
    assert find_standalone_urls(html) == urls


@pytest.mark.parametrize("html", NOT_STANDALONE)
def test_urls_elsewhere_are_not_standalone(html: str) -> None:
    assert find_standalone_urls(html) == []


@pytest.mark.parametrize("html", NOT_STANDALONE)
def test_urls_elsewhere_are_left_byte_for_byte(html: str) -> None:
    resolve = FakeResolver()
    assert render_trusted(html, resolve) == html
    assert resolve.calls == []


@pytest.mark.parametrize(("html", "urls"), STANDALONE)
def test_standalone_urls_become_embeds(html: str, urls: list[str]) -> None:
    resolve = FakeResolver()
    out, scripts = embed_urls(html, resolve)
    assert find_standalone_urls(out) == []
    for url in urls:
        assert f'data-embedkit-url="{url}"' in out
    assert resolve.calls == [list(dict.fromkeys(urls))]
    assert scripts == ((WIDGETS,) if any("twitter" in u for u in urls) else ())


def test_the_whole_paragraph_is_replaced_and_the_rest_is_unchanged() -> None:
    before = '<!doctype html>\n<h1 class="t">Tëst &amp; co</h1>\n<p>Intro  text.</p>\n'
    after = "\n<p>Outro <b>bold</b></p>\n<!-- note -->\n"
    html = f"{before}<p><a href='{TWEET}'>{TWEET}</a></p>{after}"
    out, _ = embed_urls(html, FakeResolver())
    expected = (
        f'{before}<figure class="embedkit" data-embedkit-url="{TWEET}"><p>{TWEET}</p></figure>'
        f"{after}"
    )
    assert out == expected


def test_a_line_of_plain_text_is_replaced_in_place() -> None:
    html = f"First line.\n   {TWEET}   \nLast line with {VIDEO} inside."
    out, _ = embed_urls(html, FakeResolver())
    assert out == (
        "First line.\n   "
        f'<figure class="embedkit" data-embedkit-url="{TWEET}"><p>{TWEET}</p></figure>'
        f"   \nLast line with {VIDEO} inside."
    )


def test_scripts_go_once_before_the_end_of_the_body_even_with_two_tweets() -> None:
    html = f"<html><body>\n<p>{TWEET}</p>\n<p>{TWEET2}</p>\n<p>{VIDEO}</p>\n</body></html>\n"
    out = render_trusted(html, FakeResolver())
    assert out.count(WIDGETS) == 1
    assert out.endswith(
        f'<script async src="{WIDGETS}" charset="utf-8"></script>\n</body></html>\n'
    )


def test_all_urls_of_a_page_are_resolved_together_and_once() -> None:
    resolve = FakeResolver()
    render_trusted(f"<p>{TWEET}</p><p>{VIDEO}</p><p>{TWEET}</p>", resolve)
    assert resolve.calls == [[TWEET, VIDEO]]


def test_a_fragment_gets_its_scripts_appended() -> None:
    out = render_trusted(f"<p>{TWEET}</p>", FakeResolver())
    assert out.endswith(f'</figure>\n<script async src="{WIDGETS}" charset="utf-8"></script>\n')


def test_the_nonce_is_set_on_every_script_tag() -> None:
    out = render_trusted(f"<p>{TWEET}</p>", FakeResolver(), nonce='r4nd"om')
    assert f'<script async src="{WIDGETS}" charset="utf-8" nonce="r4nd&quot;om"></script>' in out


def test_a_script_already_on_the_page_is_not_added_again() -> None:
    html = f'<body><p>{TWEET}</p><script async src="{WIDGETS}"></script></body>'
    out = render_trusted(html, FakeResolver())
    assert out.count(WIDGETS) == 1


def test_rendering_twice_changes_nothing() -> None:
    html = f"<html><body>\n<p>{TWEET}</p>\ntext {VIDEO}\n<p>{VIDEO}</p>\n</body></html>"
    resolve = FakeResolver()
    once = render_trusted(html, resolve)
    assert render_trusted(once, resolve) == once


def test_invalid_references_are_left_as_text_and_not_resolved() -> None:
    long_url = "https://example.com/" + "a" * 3000
    html = f"<p>https://user:pw@example.com/x</p>\n<p>{long_url}</p>\n<p>{TWEET}</p>"
    resolve = FakeResolver()
    out = render_trusted(html, resolve)
    assert resolve.calls == [[TWEET]]
    assert out.startswith(f"<p>https://user:pw@example.com/x</p>\n<p>{long_url}</p>\n<figure")


def test_urls_nothing_can_embed_are_left_as_written() -> None:
    html = "<p>https://example.com/an-article</p>"
    resolve = FakeResolver(unknown=["https://example.com/an-article"])
    assert render_trusted(html, resolve) == html
    assert resolve.calls == [["https://example.com/an-article"]]


def test_consent_mode_loads_only_the_first_party_consent_script() -> None:
    html = f"<html><body><p>{TWEET}</p><p>{TWEET2}</p></body></html>"
    out = render_trusted(html, FakeResolver(consent=True), nonce="n0nce")
    assert out.endswith(
        f'<script src="{CONSENT_SCRIPT_NAME}" defer nonce="n0nce"{ALLOW}></script>\n</body></html>'
    )
    assert out.count("<script") == 1
    assert render_trusted(out, FakeResolver(consent=True), nonce="n0nce") == out


def test_the_consent_script_url_can_be_chosen() -> None:
    out = render_trusted(
        f"<p>{TWEET}</p>", FakeResolver(consent=True), consent_script_url="/static/ek.js"
    )
    assert f'<script src="/static/ek.js" defer{ALLOW}></script>' in out


def test_consent_mode_without_placeholders_adds_nothing() -> None:
    # Fallbacks need no script at all, not even the consent script.
    html = f"<p>{VIDEO}</p>"
    out = render_trusted(html, FakeResolver(), consent=True)
    assert "<script" not in out


def test_a_resolver_that_returns_the_wrong_count_is_an_error() -> None:
    class Short(FakeResolver):
        def resolve_many(self, urls: Iterable[str]) -> list[Embed]:
            return []

    with pytest.raises(ValueError, match="returned 0 embeds for 1 URLs"):
        render_trusted(f"<p>{TWEET}</p>", Short())


def test_script_tags_escape_and_dedupe() -> None:
    tags = script_tags([WIDGETS, 'https://e.example/a.js?x="1"&y', WIDGETS], nonce="n")
    assert tags == (
        f'<script async src="{WIDGETS}" charset="utf-8" nonce="n"></script>\n'
        '<script async src="https://e.example/a.js?x=&quot;1&quot;&amp;y" charset="utf-8"'
        ' nonce="n"></script>\n'
    )


def test_consent_placeholders_are_recognised_by_their_attribute_not_by_text() -> None:
    assert has_consent_placeholder("<figure data-embedkit-scripts='[]'></figure>")
    assert not has_consent_placeholder("<code>data-embedkit-scripts</code>")


# -- invariants -------------------------------------------------------------------------

FRAGMENTS = [
    f"<p>{TWEET}</p>",
    f"<p>{VIDEO}</p>",
    f"<p>See {TWEET2} here.</p>",
    f'<p><a href="{TWEET2}">{TWEET2}</a></p>',
    f"<pre>{TWEET}</pre>",
    f"<script>x = '{VIDEO}';</script>",
    f"{TWEET2}",
    "plain words & <b>bold</b>",
    "<h2>Heading</h2>",
    "<div>",
    "</div>",
    "<!-- c -->",
    "<p>unclosed",
    "&amp; &lt; &#233;",
    "https://example.com/",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=8), st.sampled_from(["\n", "", " "]))
def test_render_is_idempotent(parts: list[str], sep: str) -> None:
    html = sep.join(parts)
    once = render_trusted(html, FakeResolver())
    assert render_trusted(once, FakeResolver()) == once


NEVER_STANDALONE = [
    f"<p>See {TWEET2} here.</p>",
    f'<p><a href="{TWEET}">the stream</a></p>',
    f"<pre>{TWEET}</pre>",
    f"<pre>\n{TWEET}\n</pre>",
    f"<script>\n'{VIDEO}';\n</script>",
    f"<style>\n/* {VIDEO} */\n</style>",
    f"<p><code>{TWEET}</code></p>",
    f'<figure class="embedkit"><p>{TWEET}</p></figure>',
    f"Read {TWEET} there.",
    "plain words & <b>bold</b>",
    "<h2>Héading</h2>",
    "<div>",
    "</div>",
    "<!-- c -->",
    "&amp; &lt; &#233;",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(NEVER_STANDALONE), max_size=8), st.sampled_from(["\n", "", " "]))
def test_a_page_without_standalone_urls_is_unchanged(parts: list[str], sep: str) -> None:
    html = sep.join(parts)
    resolve = FakeResolver()
    assert render_trusted(html, resolve) == html
    assert resolve.calls == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/p a=\"'&#;\nhtps:/x.com!-[]")), max_size=80))
def test_finding_urls_never_raises_on_tag_soup(html: str) -> None:
    urls = find_standalone_urls(html)
    assert all(url.startswith(("http://", "https://")) for url in urls)


# -- assets --------------------------------------------------------------------------


def test_write_assets_copies_the_consent_script_and_the_stylesheet(tmp_path: Path) -> None:
    written = write_assets(tmp_path)
    assert written == [tmp_path / CONSENT_SCRIPT_NAME, tmp_path / STYLESHEET_NAME]
    assert (tmp_path / CONSENT_SCRIPT_NAME).read_bytes() == consent_script_path().read_bytes()
    assert "figure.embedkit" in (tmp_path / STYLESHEET_NAME).read_text(encoding="utf-8")


def test_write_assets_names_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope"):
        write_assets(tmp_path / "nope")


def test_the_consent_script_is_csp_friendly() -> None:
    source = consent_script_path().read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)  # the comments may say it
    for forbidden in ("eval(", "innerHTML", "outerHTML", "document.write", "new Function"):
        assert forbidden not in code
    assert "importNode(template.content" in code


# -- with the real Resolver and the provider simulator ---------------------------------


def test_the_reuters_tweet_becomes_its_embed_with_widgets_once(sim_resolver: Resolver) -> None:
    html = (
        "<html><body>\n<p>Japan and South Korea agreed...</p>\n"
        f"<p>{TWEET}</p>\n<p>{TWEET.replace('twitter.com', 'x.com')}?s=20</p>\n</body></html>"
    )
    out = render_html(html, sim_resolver)
    assert out.count('<blockquote class="twitter-tweet"') == 2
    assert "LIVE: Japanese Prime Minister Fumio Kishida welcomes" in out
    assert out.count(WIDGETS) == 1
    assert out.index(WIDGETS) > out.rindex("</figure>")
    assert render_trusted(out, sim_resolver) == out


def test_offline_the_reuters_tweet_renders_its_static_fallback(tmp_path: Path) -> None:
    with Resolver(cache="memory://", offline=True) as r:
        out = render_html(f"<p>{TWEET}</p>", r)
    assert "A post on X" in out
    assert "March 16, 2023" in out
    assert "<script" not in out


def test_consent_mode_with_the_real_resolver(sim_providers: Path) -> None:
    with Resolver(
        cache="memory://",
        providers=sim_providers,
        allow_private_networks=True,
        consent=True,
    ) as r:
        out = render_html(f"<body><p>{TWEET}</p></body>", r, nonce="abc", trusted_body=True)
    assert "data-embedkit-scripts" in out
    assert f'<script src="{CONSENT_SCRIPT_NAME}" defer nonce="abc"{ALLOW}></script>\n</body>' in out
    assert f'src="{WIDGETS}"' not in out


# -- documents ------------------------------------------------------------------------

ARTICLE = f"""---
title: Japan & South Korea
summary: Trade <dispute> ends
tags: [japan, south-korea]
published: 2023-03-16
url: https://example.com/news/japan-korea
lang: en-GB
---
Japan and South Korea agreed on [Thursday](https://example.com/thursday) with {VIDEO} in text.

{TWEET}

<{TWEET2}>

    {VIDEO}
"""


def test_markdown_with_front_matter_becomes_a_page(tmp_path: Path) -> None:
    path = tmp_path / "article.md"
    path.write_text(ARTICLE, encoding="utf-8")
    with Resolver(cache="memory://", offline=True) as r:
        page = render_document(path, r)
    assert page.startswith("<!DOCTYPE html>\n")
    assert '<html lang="en-GB">' in page
    assert "<title>Japan &amp; South Korea</title>" in page
    assert '<p class="page__summary">Trade &lt;dispute&gt; ends</p>' in page
    assert '<time datetime="2023-03-16">March 16, 2023</time>' in page
    assert "<li>south-korea</li>" in page
    assert "title: Japan" not in page  # front matter is not in the body
    assert f"with {VIDEO} in text." in page
    assert f"<pre><code>{VIDEO}\n</code></pre>" in page
    assert page.count('<figure class="embedkit') == 2
    assert f'<link rel="stylesheet" href="{STYLESHEET_NAME}">' in page


def test_an_html_fragment_is_wrapped_and_a_trusted_full_page_kept(tmp_path: Path) -> None:
    fragment = tmp_path / "fragment.html"
    fragment.write_text(f"<p>Hello</p>\n<p>{TWEET}</p>\n", encoding="utf-8")
    full = tmp_path / "full.htm"
    full.write_text(
        f"<!doctype html><html><head><title>Mine</title></head><body>\n<p>{TWEET}</p>\n"
        "</body></html>\n",
        encoding="utf-8",
    )
    with Resolver(cache="memory://", offline=True) as r:
        wrapped = render_document(fragment, r)
        kept = render_document(full, r, trusted_body=True)
        untrusted = render_document(full, r)
    assert '<main class="page">' in wrapped
    assert "A post on X" in wrapped
    # An untrusted document brings no layout of its own: its content is wrapped.
    assert '<main class="page">' in untrusted
    assert "<title>Mine</title>" in untrusted
    assert "A post on X" in untrusted
    assert kept.startswith("<!doctype html><html><head><title>Mine</title></head><body>\n")
    assert "A post on X" in kept
    assert '<main class="page">' not in kept


def test_other_file_types_are_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(TWEET, encoding="utf-8")
    with (
        Resolver(cache="memory://", offline=True) as r,
        pytest.raises(DocumentError, match="notes"),
    ):
        render_document(path, r)


# -- the example article ----------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "japan-korea-trade.md"


def test_the_example_renders_offline_with_static_fallbacks() -> None:
    with Resolver(cache="memory://", offline=True) as r:
        page = render_document(EXAMPLE, r)
    assert "<title>Japan, South Korea bury trade hatchet amid security threats</title>" in page
    assert '<time datetime="2023-03-16">March 16, 2023</time>' in page
    assert "A post on X" in page  # offline, nothing confirms the handle
    assert '<time datetime="2023-03-16T03:47:06Z">March 16, 2023</time>' in page
    assert 'href="https://x.com/reuters/status/1636212467429621760"' in page
    assert "Play on YouTube" in page
    # Offline there is no card: the related article's URL stays the link it was written as.
    related = "https://news.example.com/2023/03/15/n-korean-missile-lands-off-s-korea"
    assert f'<p><a href="{related}" rel="noopener noreferrer">{related}</a></p>' in page
    assert "<script" not in page


def test_the_example_renders_from_a_warm_cache_offline(
    sim_providers: Path, simulator: ProviderSimulator, tmp_path: Path
) -> None:
    cache = f"sqlite:///{tmp_path / 'embeds.db'}"
    route_related(simulator)
    http = related_http(simulator)
    with Resolver(cache=cache, providers=sim_providers, http=http) as online:
        first = render_document(EXAMPLE, online)
    http.close()
    with Resolver(cache=cache, providers=sim_providers, offline=True) as offline:
        again = render_document(EXAMPLE, offline)
    assert 'data-embedkit-status="fresh"' in first
    assert 'data-embedkit-status="fresh"' not in again
    assert again.count('data-embedkit-status="cached"') == 3  # the post, the card, the video
    assert again.count('<article class="embedkit-linkcard') == 1
    assert '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">LIVE: Japanese' in again
    assert again.count(WIDGETS) == 1
    assert again == first.replace('data-embedkit-status="fresh"', 'data-embedkit-status="cached"')


def test_a_page_template_is_overridden_by_name(tmp_path: Path) -> None:
    mine = tmp_path / "templates"
    mine.mkdir()
    (mine / "page.html").write_text(
        "<main lang={{ meta.get('lang') }}>{{ meta.title }}|{{ body }}|{{ scripts }}</main>",
        encoding="utf-8",
    )
    with Resolver(cache="memory://", offline=True, template_dirs=[mine]) as r:
        page = render_document(EXAMPLE, r)
    assert page.startswith(
        "<main lang=en>Japan, South Korea bury trade hatchet amid security threats|<p>Japan"
    )
    assert "A post on X" in page


def test_the_render_command_writes_the_page_and_its_assets(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from embedkit.cli._main import cli

    out = tmp_path / "site" / "page.html"
    out.parent.mkdir()
    result = CliRunner().invoke(
        cli, ["render", str(EXAMPLE), "-o", str(out), "--offline", "--cache", "memory://"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.parent.iterdir()) == [
        CONSENT_SCRIPT_NAME,
        STYLESHEET_NAME,
        "page.html",
    ]
    page = out.read_text(encoding="utf-8")
    assert "March 16, 2023" in page
    assert f'href="{STYLESHEET_NAME}"' in page


def test_consent_mode_allows_only_the_scripts_the_placeholders_list() -> None:
    html = "<body><p>" + TWEET + "</p>" + "<p>" + VIDEO + "</p></body>"
    out = render_trusted(html, FakeResolver(consent=True))
    assert out.count("data-embedkit-allow=") == 1
    assert out.endswith(f'<script src="{CONSENT_SCRIPT_NAME}" defer{ALLOW}></script>\n</body>')


def test_script_tags_in_consent_mode_list_the_allowed_scripts_once() -> None:
    tags = script_tags(
        [WIDGETS, "https://www.instagram.com/embed.js", WIDGETS],
        consent=True,
        consent_script_url="/ek.js",
        nonce="n",
    )
    assert tags == (
        '<script src="/ek.js" defer nonce="n" data-embedkit-allow="[&quot;'
        "https://platform.twitter.com/widgets.js&quot;,&quot;https://www.instagram.com/embed.js"
        '&quot;]"></script>\n'
    )
    assert script_tags([WIDGETS], consent=True, present=[CONSENT_SCRIPT_NAME]) == ""


def test_a_placeholder_already_on_the_page_does_not_widen_the_allow_list() -> None:
    injected = (
        '<figure class="embedkit" data-embedkit-consent="pending" '
        "data-embedkit-scripts='[\"https://evil.example/x.js\"]'><button data-embedkit-load>"
        "Load</button><template><p>x</p></template></figure>"
    )
    out = render_trusted(f"<body>{injected}<p>{TWEET}</p></body>", FakeResolver(consent=True))
    assert out.endswith(f'<script src="{CONSENT_SCRIPT_NAME}" defer{ALLOW}></script>\n</body>')
    assert render_trusted(f"<body>{injected}</body>", FakeResolver(consent=True)) == (
        f"<body>{injected}</body>"
    )
