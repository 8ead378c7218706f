"""The syndicator: articles in, exact-length posts for each outgoing channel out.

Load an article (:func:`load_article`, :func:`load_articles`, :func:`load_source`
with what was skipped: Markdown with front matter, JSON, YAML, RSS/Atom, an article
page's metadata), format it for a channel
(:func:`format_post`) within that platform's own counting rule
(:func:`count_length`, :func:`limit`), then publish it through a channel client
(:func:`make_channel`). Scheduled jobs record every post in a :class:`Ledger`
(:func:`open_ledger`) so :func:`run_job` posts each article to each channel once,
and :func:`reconcile` settles the posts a crash left ``unknown``.

Example::

    >>> from embedkit.syndicate import count_length
    >>> count_length("日本と韓国", "x")
    10
"""

from __future__ import annotations

from embedkit.syndicate._article import Loaded, Skipped, load_article, load_articles, load_source
from embedkit.syndicate._format import format_post
from embedkit.syndicate._ledger import Ledger, LedgerRow, open_ledger
from embedkit.syndicate._length import count_length, limit
from embedkit.syndicate._models import Article, Facet, LinkCard, Post, Published, RemotePost
from embedkit.syndicate._reconcile import reconcile
from embedkit.syndicate._run import RunSummary, run_job
from embedkit.syndicate.channels import make_channel

__all__ = [
    "Article",
    "Facet",
    "Ledger",
    "LedgerRow",
    "LinkCard",
    "Loaded",
    "Post",
    "Published",
    "RemotePost",
    "RunSummary",
    "Skipped",
    "count_length",
    "format_post",
    "limit",
    "load_article",
    "load_articles",
    "load_source",
    "make_channel",
    "open_ledger",
    "reconcile",
    "run_job",
]
