"""Shared parsers of untrusted documents: one home for each (private).

Feeds, article pages, front matter and the URLs and dates inside them come
from outside (issue 8's trust boundary), so every parser here is pure (text or
bytes in, values out; no I/O), bounded (inputs and every returned field are
capped) and linear in its input. Both sides of embedkit use them: the
syndicator's loaders (:mod:`embedkit.syndicate._article`) and the renderer
(:mod:`embedkit.page._render`), and a link-card feature in ``resolve`` can.

- :mod:`~embedkit._parse.markup`: a linear HTML tokenizer and ``html_to_text``;
- :mod:`~embedkit._parse.charset`: browser-like encoding detection;
- :mod:`~embedkit._parse.dates`: the one timestamp parser;
- :mod:`~embedkit._parse.urls`: the tracking-parameter list and web-URL checking;
- :mod:`~embedkit._parse.frontmatter`: the one front-matter (and YAML) loader;
- :mod:`~embedkit._parse.pagemeta`: page metadata (OpenGraph, Twitter Card, JSON-LD...);
- :mod:`~embedkit._parse.feed`: RSS/Atom through feedparser, after a DTD/entity check.

The package imports nothing from embedkit but :mod:`embedkit._errors`-free
builtins: errors are :class:`ValueError` with a one-line message, which each
caller turns into its own error (``ArticleError``, ``DocumentError``).
"""
