"""Where a page's scripts go once its embeds are in place, and which are already there.

``render_html`` scans the page once and reads what each inserted embed adds from
the embed's own markup. These tests pin the outcome for markup that changes how
the rest of the page reads (a ``</body>`` of its own, an element left open, a
stray end tag), and compare, over generated markup, with the definition: the
finished page scanned as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.growth import retained_bytes

from embedkit import Embed
from embedkit.page._autoembed import (
    find_standalone_urls,
    has_consent_placeholder,
    placeholder_scripts,
    scan,
)
from embedkit.page._render import embed_urls, render_html, script_tags

TWEET = "https://x.com/reuters/status/1636212467429621760"
OTHER = "https://x.com/reuters/status/1636227126391214081"
WIDGETS = "https://platform.twitter.com/widgets.js"
TAG = f'<script async src="{WIDGETS}" charset="utf-8"></script>\n'


class Source:
    """An ``EmbedSource`` whose embeds all have the given markup and scripts."""

    consent = False

    def __init__(self, markup: str, scripts: tuple[str, ...] = (WIDGETS,)) -> None:
        self.markup = markup
        self.scripts = scripts

    def resolve_many(self, urls: Iterable[str]) -> list[Embed]:
        return [
            Embed(ref=u, url=u, status="cached", provider="Twitter", html=self.markup,
                  scripts=self.scripts)
            for u in urls
        ]  # fmt: skip


def render(page: str, markup: str) -> str:
    return render_html(page, Source(markup), trusted_body=True)


def test_scripts_go_before_the_end_of_the_body() -> None:
    page = f"<html><body><p>{TWEET}</p>\n<p>{OTHER}</p></body></html>"
    assert render(page, "<figure><p>post</p></figure>") == (
        f"<html><body><figure><p>post</p></figure>\n<figure><p>post</p></figure>{TAG}</body></html>"
    )


def test_a_script_an_embed_carries_is_not_added_again() -> None:
    markup = f'<figure><script src="{WIDGETS}"></script></figure>'
    page = f"<html><body><p>{TWEET}</p></body></html>"
    assert render(page, markup) == f"<html><body>{markup}</body></html>"


def test_an_embed_with_a_body_end_of_its_own_takes_the_scripts() -> None:
    page = f"<p>{TWEET}</p><p>after</p>"
    assert render(page, "<figure>e</figure></body>") == (
        f"<figure>e</figure>{TAG}</body><p>after</p>"
    )


def test_an_embed_leaving_raw_text_open_sends_the_scripts_to_the_end() -> None:
    page = f"<html><body><p>{TWEET}</p></body></html>"
    assert render(page, "<figure><textarea>") == (
        f"<html><body><figure><textarea></body></html>\n{TAG}"
    )


def test_an_embed_closing_the_pages_element_is_read_as_the_browser_would() -> None:
    # The embed's stray </div> closes the page's <div>, so the page's own </div> no
    # longer closes its <a>: </body> is then inside a link and not the body's end.
    page = f'<html><body><div><p>{TWEET}</p><a href="#">x</div></body></html>'
    assert render(page, "<figure>e</figure></div>") == (
        f'<html><body><div><figure>e</figure></div><a href="#">x</div></body></html>\n{TAG}'
    )
    # Without the stray end tag the same page ends its body where it says.
    assert render(page, "<figure>e</figure>") == (
        f'<html><body><div><figure>e</figure><a href="#">x</div>{TAG}</body></html>'
    )


# -- against the definition: the finished page, scanned as a whole -----------------

PIECES = [
    "<div>", "</div>", "<a href='#'>", "</a>", "<p>", "</p>", "<figure class='embedkit'>",
    "</figure>", f"<script src='{WIDGETS}'></script>", "<script src='/own.js'></script>",
    "<script>", "</script>", "<textarea>", "</textarea>", "<!--", "-->", "</body>", "<body>",
    "<br>", "<br/>", "<svg>", "</svg>", "<svg/>", "<b", ">", "text", "<", "\n",
    "<span data-embedkit-scripts='[\"https://e.example/x.js\"]'>", "</span>",
]  # fmt: skip
PAGES = [
    "<p>{0}</p>",
    "<p>{0}</p>\n<p>{1}</p>",
    "<html><body><p>{0}</p><p>{1}</p></body></html>",
    "<html><body><div><p>{0}</p><a href='#'>x</div>\n{1}\n</body></html>",
    "<article>\n{0}\n<p>{1}</p><script src='/own.js'></script></article></body>",
    "<html><body><p>{0}</p></body></html>\n<p>{1}</p>",
]


def by_definition(page: str, source: Source) -> str:
    """What render_html must give: the embeds in place, then the whole page scanned.

    Consent mode follows the inserted embeds: any consent placeholder among them
    makes the page load the consent script, allowed the scripts they list.
    """
    new, scripts = embed_urls(page, source)
    finished = scan(new)
    listed: dict[str, None] | None = None
    for embed in source.resolve_many(find_standalone_urls(page)):
        if has_consent_placeholder(embed.html):
            listed = {**(listed or {}), **dict.fromkeys(placeholder_scripts(embed.html))}
    if listed is not None:
        tags = script_tags(listed, consent=True, present=finished.script_srcs)
    else:
        tags = script_tags(scripts, present=finished.script_srcs)
    if not tags:
        return new
    if finished.body_end is None:
        return new + ("" if not new or new.endswith("\n") else "\n") + tags
    return new[: finished.body_end] + tags + new[finished.body_end :]


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(PIECES), max_size=8),
    page=st.sampled_from(PAGES),
    scripts=st.sampled_from([(WIDGETS,), ("/own.js", WIDGETS), ()]),
    wrapped=st.booleans(),
)
def test_the_page_reads_as_if_scanned_whole(
    pieces: list[str], page: str, scripts: tuple[str, ...], wrapped: bool
) -> None:
    markup = "".join(pieces)
    if wrapped:
        markup = f"<figure class='embedkit'>{markup}</figure>"
    source = Source(markup, scripts)
    document = page.format(TWEET, OTHER)
    assert render_html(document, source, trusted_body=True) == by_definition(document, source)


class _NoEmbeds:
    consent = False

    def resolve_many(self, refs: Iterable[str]) -> list[Embed]:
        raise AssertionError("nothing here is a reference")


def test_rendering_pages_with_huge_url_lines_keeps_none_of_them() -> None:
    # A line of an untrusted page that looks like a URL but is longer than any
    # reference is checked and forgotten: a memo of the last 4096 answers must not
    # keep 4096 pages' worth of such lines.
    size, pages = 100_000, 40

    def render(i: int) -> None:
        page = f"<p>https://x.example/{i:06d}{'a' * size}</p>"
        assert render_html(page, _NoEmbeds()) == page

    assert retained_bytes(render, pages) < size * pages // 4
