"""The author's body is untrusted by default: clean it with an allowlist fit for articles.

An article body comes from an author, a CMS field or a Markdown file, and Markdown
passes raw HTML through. Unless the publisher says its authors may write HTML
(``trusted_body=True``, ``embedkit render --trusted-body``), the body keeps only
the markup articles use: text structure, links (``http``, ``https``, ``mailto``,
``tel`` or relative), images, tables, quotes and code. Scripts, styles, event
handlers, forms, frames, ``javascript:`` links and ``data-*`` attributes (so no
forged consent placeholder) are removed before any embed is inserted.

>>> sanitize_body('<p onclick="x()">Hi <a href="javascript:alert(1)">there</a></p>')
'<p>Hi <a rel="noopener noreferrer">there</a></p>'
>>> sanitize_body("<script>alert(1)</script><h2>Title</h2>")
'<h2>Title</h2>'
"""

from __future__ import annotations

import functools

import nh3

__all__ = ["ARTICLE_TAGS", "sanitize_body"]

#: The elements an article body may use.
ARTICLE_TAGS = frozenset(
    {
        "a", "abbr", "article", "aside", "b", "bdi", "bdo", "blockquote", "br", "caption",
        "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt",
        "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt",
        "ruby", "s", "samp", "section", "small", "span", "strong", "sub", "summary", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
    }
)  # fmt: skip

_ATTRIBUTES = {
    "*": {"id", "class", "lang", "dir", "title"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "time": {"datetime"},
    "col": {"span"},
    "colgroup": {"span"},
}


@functools.cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ARTICLE_TAGS),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto", "tel"},
        clean_content_tags={"script", "style", "title", "template", "noscript", "xmp"},
        strip_comments=True,
        link_rel="noopener noreferrer",
    )


def sanitize_body(html: str) -> str:
    """Keep only the article markup of ``html`` (see the module docstring)."""
    return _cleaner().clean(html)
