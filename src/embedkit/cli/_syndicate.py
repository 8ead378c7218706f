"""``embedkit syndicate``: preview, post and schedule social posts, exactly once.

Each command parses its options, makes one library call and prints the result:
``preview`` → :func:`format_post`, ``post`` and ``run`` → :func:`run_job`,
``reconcile`` → :func:`reconcile`, ``status`` and ``history`` → the ledger.
``--format json`` prints the library's own ``to_dict()``. ``preview``, ``post``
and ``run`` take their article source the same way (``SOURCE`` or ``--source``).

Read-only commands (``preview``, ``status``, ``history``, and ``--dry-run`` of
``post`` and ``run``) create, migrate and lock nothing: a ledger is opened
read-only, and a missing one is reported (``status``, ``history``) or read as
empty (a dry run). Every channel's configuration is checked once, before
anything is claimed: a missing credential is one line naming the variables,
exit 2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from embedkit._redaction import get_logger
from embedkit.cli._options import (
    TagsFrom,
    channel_option,
    channel_timeout_option,
    common_options,
    dry_run_option,
    entry_option,
    fetch_timeout_option,
    format_option,
    ledger_option,
    page_url_option,
    private_networks_option,
    quiet_level,
    source_options,
    tags_from_option,
    thread_option,
)
from embedkit.cli._paths import input_problem, is_url, shown
from embedkit.cli._term import echo, echo_json

if TYPE_CHECKING:
    from embedkit.net import HttpClient
    from embedkit.syndicate import Article, Ledger, LedgerRow, Post, RunSummary
    from embedkit.syndicate.channels import Channel

__all__ = ["syndicate"]

log = get_logger("embedkit.syndicate")


class _DateParam(click.ParamType):  # type: ignore[type-arg]
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO date (2024-05-01 or 2024-05-01T09:00:00Z)", param, ctx
            )
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- the library calls, in one place each ----------------------------------------------


@contextmanager
def _http(source: str, allow_private_networks: bool, timeout: float) -> Iterator[HttpClient | None]:
    """The hardened HTTP client for a URL source (None for files)."""
    if not is_url(source):
        yield None
        return
    from embedkit.net import HttpClient

    client = HttpClient(timeout=timeout, allow_private_networks=allow_private_networks)
    try:
        yield client
    finally:
        client.close()


def _load_article(
    source: str,
    entry: int | None,
    *,
    allow_private_networks: bool,
    timeout: float,
    page_url: str | None = None,
    tags_from: TagsFrom | None = None,
) -> Article:
    from embedkit.syndicate import load_article

    with _http(source, allow_private_networks, timeout) as http:
        return load_article(source, entry=entry, http=http, url=page_url, tags_from=tags_from)


def _formatter(thread: bool) -> Callable[..., Post]:
    from embedkit.syndicate import format_post

    return lambda article, channel, **options: format_post(
        article, channel, thread=thread, **options
    )


def _channel_factory(timeout: float) -> Callable[[str], Channel]:
    import os

    from embedkit.syndicate import make_channel

    return lambda name: make_channel(name, env=os.environ, timeout=timeout)


def _check_configuration(channels: Sequence[str], timeout: float) -> None:
    """Every channel's credentials, checked once before the ledger is even opened."""
    from embedkit.syndicate._channelset import ChannelSet

    with ChannelSet(channels, factory=_channel_factory(timeout)) as opened:
        opened.check_configuration()


def _open_ledger(url: str | None, *, read_only: bool) -> Ledger | None:
    """The ledger: created if needed, or read-only (None when it does not exist yet)."""
    from embedkit.syndicate import open_ledger
    from embedkit.syndicate._ledger import ledger_path

    if not read_only:
        ledger = open_ledger(url)
        log.info(f"ledger {shown(ledger.path)}", extra={"event": "ledger"})
        return ledger
    path = ledger_path(url)
    if not _exists(path):
        echo(f"Note: no ledger at {shown(path)} yet; a real run would create it.", err=True)
        return None
    return open_ledger(url, mode="ro")


def _exists(path: Path) -> bool:
    """Whether a database file is there (ConfigError when the path cannot be one)."""
    from embedkit._sqlite import check_path

    return check_path(path, "the ledger")


def _ledger_for_reading(url: str | None) -> Ledger:
    from embedkit.syndicate import open_ledger

    return open_ledger(url, mode="ro")


# -- the group -------------------------------------------------------------------------


@click.group()
@common_options()
def syndicate() -> None:
    """Preview, post and schedule article announcements on social channels.

    Every post goes through a ledger, so an article is posted to a channel at
    most once, whether by hand (post) or from cron (run).
    """


@syndicate.command("preview")
@source_options(folders=False)
@channel_option(required=True, help="A channel to format the post for")
@format_option(
    "text: each post with length/limit; json: one object per line and channel "
    "(channel, text, length, limit, fits, thread...; error when it cannot fit)."
)
@entry_option
@thread_option
@tags_from_option
@page_url_option
@fetch_timeout_option
@private_networks_option
@common_options()
def preview_command(
    source: str,
    channels: Sequence[str],
    fmt: str,
    entry: int | None,
    thread: bool,
    tags_from: TagsFrom | None,
    page_url: str | None,
    fetch_timeout: float,
    allow_private_networks: bool,
) -> None:
    """Show each channel's post for SOURCE, with its length/limit; post nothing.

    SOURCE is an article file, a feed (file or URL) or an article URL. Needs no
    credentials and writes nothing. Exits 1 when a post does not fit on some
    channel.
    """
    from embedkit._errors import DoesNotFit

    loaded = _load_article(
        source,
        entry,
        allow_private_networks=allow_private_networks,
        timeout=fetch_timeout,
        page_url=page_url,
        tags_from=tags_from,
    )
    formatter = _formatter(thread)
    all_fit = True
    for channel in channels:
        try:
            post = formatter(loaded, channel)
        except DoesNotFit as exc:
            all_fit = False
            _print_unfit(channel, loaded.id, str(exc), fmt)
            continue
        all_fit = all_fit and post.fits
        _print_post(post, fmt)
    if not all_fit:
        raise click.exceptions.Exit(1)


def _print_unfit(channel: str, article_id: str, problem: str, fmt: str) -> None:
    if fmt == "json":
        echo_json(
            {
                "channel": channel,
                "article_id": article_id,
                "text": None,
                "length": None,
                "limit": None,
                "fits": False,
                "error": problem,
            }
        )
    else:
        echo(f"── {channel}: does not fit: {problem}\n")


def _print_post(post: Post, fmt: str) -> None:
    if fmt == "json":
        echo_json(post.to_dict())
        return
    verdict = "fits" if post.fits else "TOO LONG"
    echo(f"── {post.channel}  {post.length}/{post.limit}  {verdict}")
    echo(post.text)
    for number, text in enumerate(post.thread, start=2):
        echo(f"  ── {number}/{len(post.thread) + 1}")
        echo(text)
    echo()


@syndicate.command("post")
@source_options(folders=False)
@channel_option(required=True, help="A channel to post to")
@dry_run_option
@ledger_option
@format_option(
    "text: one line per channel (and the text in a dry run); json: the run as one "
    "object (totals, outcomes)."
)
@entry_option
@thread_option
@tags_from_option
@page_url_option
@channel_timeout_option
@fetch_timeout_option
@private_networks_option
@common_options(narrate=True)
def post_command(
    source: str,
    channels: Sequence[str],
    dry_run: bool,
    ledger_url: str | None,
    fmt: str,
    entry: int | None,
    thread: bool,
    tags_from: TagsFrom | None,
    page_url: str | None,
    channel_timeout: float,
    fetch_timeout: float,
    allow_private_networks: bool,
) -> None:
    """Post SOURCE now to each channel, once: the ledger skips channels that have it.

    A manual post ignores publish_at. Exit status: 0 when every channel has the
    post, 1 when a channel failed or the result is unknown, 2 for usage and
    configuration errors (a missing credential, before anything is claimed).
    """
    from embedkit.syndicate import run_job

    _check_configuration(channels, channel_timeout)  # before anything is fetched or opened
    loaded = _load_article(
        source,
        entry,
        allow_private_networks=allow_private_networks,
        timeout=fetch_timeout,
        page_url=page_url,
        tags_from=tags_from,
    )
    ledger = _open_ledger(ledger_url, read_only=dry_run)
    try:
        summary = run_job(
            [loaded],
            list(channels),
            ledger,
            dry_run=dry_run,
            honour_schedule=False,
            formatter=_formatter(thread),
            channel_factory=_channel_factory(channel_timeout),
        )
    finally:
        if ledger is not None:
            ledger.close()
    if fmt == "json":
        echo_json(summary.to_dict())
    else:
        _print_outcomes(summary)
    raise click.exceptions.Exit(summary.exit_code)


def _print_outcomes(summary: RunSummary) -> None:
    from embedkit._redaction import redact

    for outcome in summary.outcomes:
        where = outcome.post_url or outcome.post_id or redact(outcome.reason)
        echo(f"{outcome.status:10} {outcome.channel:10} {where}")
        if outcome.text:
            echo(outcome.text)


@syndicate.command("run")
@source_options(folders=True)
@channel_option(required=True, help="A channel to post to")
@click.option(
    "--since",
    type=_DateParam(),
    default=None,
    help="Ignore articles published before this date (ISO 8601; UTC if no offset).",
)
@click.option(
    "--max-posts",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Post at most N articles per channel in this run; the rest wait.",
)
@dry_run_option
@ledger_option
@click.option(
    "--mark-existing",
    is_flag=True,
    help="Record every due article as already posted instead of posting it "
    "(first run against an existing feed; needs no credentials).",
)
@click.option(
    "--spacing",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    metavar="SECONDS",
    help="Minimum seconds between two posts on one channel.",
)
@click.option(
    "--budget",
    type=click.FloatRange(min=1),
    default=240.0,
    show_default=True,
    metavar="SECONDS",
    help="Time this run may take, waits and retries included; posts not "
    "started by then are deferred to the next run (exit 3).",
)
@format_option(
    "text: a table per channel, then one line per problem; json: the run as one "
    "object (totals, outcomes)."
)
@tags_from_option
@page_url_option
@channel_timeout_option
@fetch_timeout_option
@private_networks_option
@common_options(narrate=True)
def run_command(
    source: str,
    channels: Sequence[str],
    since: datetime | None,
    max_posts: int | None,
    dry_run: bool,
    ledger_url: str | None,
    mark_existing: bool,
    spacing: float,
    budget: float,
    fmt: str,
    tags_from: TagsFrom | None,
    page_url: str | None,
    channel_timeout: float,
    fetch_timeout: float,
    allow_private_networks: bool,
) -> None:
    """Post every due article from SOURCE to each channel, exactly once (for cron).

    SOURCE is a feed (URL or file), an article file or a folder of them (every
    kind the loaders know; other files are named and skipped). Skips
    what the ledger has, holds back articles whose publish_at is ahead, posts
    oldest first, and prints a summary per channel. With -q, prints nothing
    unless something was posted, failed, is unknown or was deferred.

    \b
    Exit status:
      0  nothing failed (including "nothing to do")
      1  a post failed or its result is unknown, or a source file was unreadable
      2  usage or configuration error: a bad option, a missing or unreadable
         source, a missing credential (checked before anything is claimed)
      3  nothing failed, but --budget ran out: posts were deferred to the next run
    """
    from embedkit._errors import ArticleError
    from embedkit.syndicate import load_articles, run_job

    if not mark_existing:
        _check_configuration(channels, channel_timeout)  # before anything is fetched or opened
    unreadable: list[ArticleError] = []
    with _http(source, allow_private_networks, fetch_timeout) as http:
        articles = load_articles(
            source, http=http, errors=unreadable, url=page_url, tags_from=tags_from
        )
    for problem in unreadable:  # skipped; the others still go out, and the run exits 1
        log.error("skipped %s", problem, extra={"event": "article_error"})
    ledger = _open_ledger(ledger_url, read_only=dry_run)
    try:
        summary = run_job(
            articles,
            list(channels),
            ledger,
            since=since,
            max_posts=max_posts,
            dry_run=dry_run,
            spacing=spacing,
            budget=budget,
            mark_existing=mark_existing,
            channel_factory=_channel_factory(channel_timeout),
        )
    finally:
        if ledger is not None:
            ledger.close()
    news = unreadable or any(o.status != "skipped" for o in summary.outcomes)
    if fmt == "json":
        echo_json(summary.to_dict())
    elif news or not quiet_level():
        _print_summary(summary, budget)
    raise click.exceptions.Exit(1 if unreadable and summary.exit_code != 1 else summary.exit_code)


def _print_summary(summary: RunSummary, budget: float) -> None:
    from embedkit._redaction import redact

    totals = summary.totals()
    first = "would post" if summary.dry_run else "posted"
    width = max([len("channel"), *(len(t.channel) for t in totals)])
    echo(
        f"{'channel':{width}}  {first:>10}  {'skipped':>7}  {'failed':>6}  {'unknown':>7}  "
        f"{'deferred':>8}"
    )
    for t in totals:
        done = t.would_post if summary.dry_run else t.posted
        echo(
            f"{t.channel:{width}}  {done:>10}  {t.skipped:>7}  {t.failed:>6}  {t.unknown:>7}  "
            f"{t.deferred:>8}"
        )
    for outcome in summary.problems:
        echo(f"{outcome.status}: {outcome.channel} {outcome.article_id}: {redact(outcome.reason)}")
    if summary.deferred:
        count = len(summary.deferred)
        echo(
            f"deferred: {count} post{'s' if count != 1 else ''} left for the next run: the "
            f"time budget (--budget {budget:g} s) was spent"
        )
    if summary.dry_run:
        for outcome in summary.outcomes:
            if outcome.status == "would-post":
                echo(f"\n── {outcome.channel} {outcome.article_id}\n{outcome.text}")


@syndicate.command("reconcile")
@channel_option(required=False, help="Only settle rows of this channel (default: all)")
@click.option(
    "--retry-unknown",
    is_flag=True,
    help="Make unknown rows that cannot be confirmed on the channel claimable "
    "again, so the next run posts them (risk: a duplicate).",
)
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Make non-retryable failed rows (401, 422, too long) claimable again.",
)
@ledger_option
@channel_timeout_option
@format_option("text: one line per settled row; json: one object per line and row.")
@common_options()
def reconcile_command(
    channels: Sequence[str],
    retry_unknown: bool,
    retry_failed: bool,
    ledger_url: str | None,
    channel_timeout: float,
    fmt: str,
) -> None:
    """Settle unknown rows by looking for the posts on their channels.

    Found → posted; certainly absent → pending (the next run posts it); cannot
    tell → stays unknown, unless --retry-unknown. Exits 1 while rows stay
    unknown. A ledger that does not exist yet has nothing to settle: it is
    reported, not created (exit 0).
    """
    from embedkit._redaction import redact
    from embedkit.syndicate import open_ledger, reconcile
    from embedkit.syndicate._ledger import ledger_path

    path = ledger_path(ledger_url)
    if not _exists(path):
        echo(f"Nothing to reconcile: no ledger at {shown(path)}.", err=True)
        return
    with open_ledger(ledger_url, mode="rw") as ledger:
        results = reconcile(
            ledger,
            list(channels) or None,
            retry_unknown=retry_unknown,
            retry_failed=retry_failed,
            channel_factory=_channel_factory(channel_timeout),
        )
    for result in results:
        if fmt == "json":
            echo_json(result.to_dict())
        else:
            echo(
                f"{result.state:8} {result.channel:10} {result.article_id}: {redact(result.reason)}"
            )
    if fmt == "text" and not results:
        echo("Nothing to reconcile.")
    if any(r.state == "unknown" for r in results):
        raise click.exceptions.Exit(1)


def _print_rows(ledger: Ledger, rows: list[LedgerRow], fmt: str) -> None:
    for row in rows:
        if fmt == "json":
            echo_json(row.to_dict())
            continue
        state = row.state + (" (will retry)" if row.state == "failed" and row.retryable else "")
        if ledger.is_stale(row):
            state += " (run gone)"
        detail = row.post_url or row.post_id or row.last_error or ""
        echo(
            f"{row.to_dict()['updated_at']}  {row.channel:10} {state:20} {row.article_id}  {detail}"
        )


@syndicate.command("status")
@channel_option(required=False, help="Only rows of this channel")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    metavar="N",
    help="How many rows to show, most recent first.",
)
@ledger_option
@format_option("text: one line per row; json: one object per line and row.")
@common_options()
def status_command(channels: Sequence[str], limit: int, ledger_url: str | None, fmt: str) -> None:
    """Show the most recent ledger rows: what was posted, failed or is unknown.

    Read-only: a ledger that does not exist is reported (exit 2), never created.
    A claim whose run has died is shown as "claimed (run gone)"; the next run or
    reconcile turns it into unknown.
    """
    with _ledger_for_reading(ledger_url) as ledger:
        if len(channels) == 1:
            rows = ledger.rows(channel=channels[0], limit=limit)
        else:
            wanted = set(channels)
            rows = [r for r in ledger.rows(limit=None) if not wanted or r.channel in wanted]
            rows = rows[:limit]
        if not rows and fmt == "text":
            echo("The ledger is empty." if not channels else f"No rows for {', '.join(channels)}.")
        _print_rows(ledger, rows, fmt)


@syndicate.command("history")
@click.argument("article", metavar="ARTICLE_ID_OR_SOURCE")
@ledger_option
@entry_option
@format_option("text: one line per channel; json: one object per line and channel.")
@common_options()
def history_command(article: str, ledger_url: str | None, entry: int | None, fmt: str) -> None:
    """Show one article across channels: by its id (often its URL) or its source file.

    A URL is also tried in its normalized form (tracking parameters dropped), the
    id an article without an explicit id gets. Nothing is fetched, and the
    ledger is only read.
    """
    import os

    article_id = article
    if not is_url(article) and os.path.lexists(article):
        problem = input_problem(article)
        if problem is not None:
            raise click.BadParameter(
                f"{shown(article)} {problem}", param_hint="'ARTICLE_ID_OR_SOURCE'"
            )
        from embedkit.syndicate import load_article

        article_id = load_article(article, entry=entry).id
    with _ledger_for_reading(ledger_url) as ledger:
        rows = ledger.history(article_id)
        if not rows and is_url(article_id):
            from embedkit.syndicate._article import article_id_for

            article_id = article_id_for(article_id)  # the id a URL-only article gets
            rows = ledger.history(article_id)
        if not rows and fmt == "text":
            echo(f"No ledger rows for {article_id}.")
        _print_rows(ledger, rows, fmt)
