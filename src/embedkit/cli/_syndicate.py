"""``embedkit syndicate``: preview, post and schedule social posts, exactly once.

Each command parses its options, makes one library call and prints the result:
``preview`` → :func:`format_post`, ``post`` and ``run`` → :func:`run_job`,
``reconcile`` → :func:`reconcile`, ``status`` and ``history`` → the ledger.
Library errors become ``Error: <message>`` and the error's exit code; usage
errors exit 2.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from embedkit._errors import ArticleError, DoesNotFit
from embedkit.net._redaction import get_logger, redact
from embedkit.syndicate._ledger import LedgerRow, open_ledger
from embedkit.syndicate._logs import configure_logging
from embedkit.syndicate._run import RunSummary, run_job

__all__ = ["syndicate"]

log = get_logger("embedkit.syndicate")

F = TypeVar("F", bound=Callable[..., Any])


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


def _options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


ledger_option = click.option(
    "--ledger",
    "ledger_url",
    metavar="URL",
    envvar="EMBEDKIT_LEDGER",
    help="Ledger URL: sqlite:///relative.db or sqlite:////absolute/path.db (default: "
    "ledger.db in the user data folder). [env: EMBEDKIT_LEDGER]",
)
channels_option = click.option(
    "--channel",
    "channels",
    metavar="NAME",
    multiple=True,
    required=True,
    help="A channel to post to (x, mastodon, bluesky, threads, linkedin, telegram, slack, "
    "discord, file); repeat for several.",
)
log_format_option = click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines on stderr as text or JSON lines (for log shippers); json also prints "
    "the summary as JSON lines.",
)
timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0.01),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds to wait for a channel's API.",
)
entry_option = click.option(
    "--entry",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Which feed entry to use when ARTICLE is a feed (0 is the first).",
)
thread_option = click.option(
    "--thread",
    is_flag=True,
    help="Split a long summary into a numbered thread (x, mastodon, bluesky).",
)


def _format_option(default: str = "text") -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default=default,
        show_default=True,
        help="Output format.",
    )


private_option = click.option(
    "--allow-private-networks",
    is_flag=True,
    envvar="EMBEDKIT_ALLOW_PRIVATE_NETWORKS",
    help="Let a feed or article URL be on a loopback/private address (an intranet CMS). "
    "[env: EMBEDKIT_ALLOW_PRIVATE_NETWORKS=1]",
)


@contextmanager
def _http(source: str, allow_private_networks: bool, timeout: float) -> Iterator[Any]:
    """The hardened HTTP client for a URL source (None for files)."""
    if not source.lower().startswith(("http://", "https://")):
        yield None
        return
    from embedkit.net._http import HttpClient

    client = HttpClient(timeout=timeout, allow_private_networks=allow_private_networks)
    try:
        yield client
    finally:
        client.close()


def _load_article(
    source: str, entry: int | None, *, allow_private_networks: bool = False, timeout: float = 10.0
) -> Any:
    from embedkit.syndicate._article import load_article

    with _http(source, allow_private_networks, timeout) as http:
        return load_article(source, entry=entry, http=http)


def _formatter(thread: bool) -> Callable[[Any, str], Any]:
    from embedkit.syndicate._format import format_post

    return lambda article, channel, **options: format_post(
        article, channel, thread=thread, **options
    )


def _channel_factory(timeout: float) -> Callable[[str], Any]:
    from embedkit.syndicate.channels import make_channel

    return lambda name: make_channel(name, env=os.environ, timeout=timeout)


@click.group()
def syndicate() -> None:
    """Preview, post and schedule article announcements on social channels.

    Every post goes through a ledger, so an article is posted to a channel at
    most once, whether by hand (post) or from cron (run).
    """


@syndicate.command("preview")
@click.argument("article", metavar="ARTICLE")
@channels_option
@_format_option()
@entry_option
@thread_option
@private_option
def preview_command(
    article: str,
    channels: Sequence[str],
    fmt: str,
    entry: int | None,
    thread: bool,
    allow_private_networks: bool,
) -> None:
    """Show each channel's post for ARTICLE (a file, a feed or a URL), with length/limit.

    Exits 1 when the post does not fit on some channel.
    """
    loaded = _load_article(article, entry, allow_private_networks=allow_private_networks)
    formatter = _formatter(thread)
    all_fit = True
    for channel in channels:
        try:
            post = formatter(loaded, channel)
        except DoesNotFit as exc:
            all_fit = False
            if fmt == "json":
                click.echo(
                    json.dumps(
                        {
                            "channel": channel,
                            "text": None,
                            "length": None,
                            "limit": None,
                            "fits": False,
                            "error": str(exc),
                        },
                        ensure_ascii=False,
                    )
                )
            else:
                click.echo(f"── {channel}: does not fit: {exc}\n")
            continue
        all_fit = all_fit and post.fits
        if fmt == "json":
            data: dict[str, Any] = {
                "channel": channel,
                "text": post.text,
                "length": post.length,
                "limit": post.limit,
                "fits": post.fits,
            }
            if post.thread:
                data["thread"] = list(post.thread)
            click.echo(json.dumps(data, ensure_ascii=False))
            continue
        verdict = "fits" if post.fits else "TOO LONG"
        click.echo(f"── {channel}  {post.length}/{post.limit}  {verdict}")
        click.echo(post.text)
        for number, text in enumerate(post.thread, start=2):
            click.echo(f"  ── {number}/{len(post.thread) + 1}")
            click.echo(text)
        click.echo()
    if not all_fit:
        raise click.exceptions.Exit(1)


@syndicate.command("post")
@click.argument("article", metavar="ARTICLE")
@channels_option
@click.option("--dry-run", is_flag=True, help="Format and show, but neither claim nor post.")
@ledger_option
@entry_option
@thread_option
@timeout_option
@log_format_option
@private_option
def post_command(
    article: str,
    channels: Sequence[str],
    dry_run: bool,
    ledger_url: str | None,
    entry: int | None,
    thread: bool,
    timeout: float,
    log_format: str,
    allow_private_networks: bool,
) -> None:
    """Post ARTICLE now to each channel, once: the ledger skips channels that have it.

    A manual post ignores publish_at. Exits 0 when every channel has the post,
    1 when a channel failed or the result is unknown.
    """
    configure_logging(log_format)
    loaded = _load_article(
        article, entry, allow_private_networks=allow_private_networks, timeout=timeout
    )
    ledger = None if dry_run else open_ledger(ledger_url)
    try:
        summary = run_job(
            [loaded],
            list(channels),
            ledger,
            dry_run=dry_run,
            honour_schedule=False,
            formatter=_formatter(thread),
            channel_factory=_channel_factory(timeout),
        )
    finally:
        if ledger is not None:
            ledger.close()
    _print_outcomes(summary, log_format)
    raise click.exceptions.Exit(summary.exit_code)


@syndicate.command("run")
@click.option(
    "--source",
    required=True,
    metavar="FEED_URL|FILE|DIR",
    help="Where the articles come from: an RSS/Atom feed (URL or file), an "
    "article file, or a folder of article files.",
)
@channels_option
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
@click.option("--dry-run", is_flag=True, help="Show what would be posted; claim and post nothing.")
@ledger_option
@click.option(
    "--mark-existing",
    is_flag=True,
    help="Record every due article as already posted instead of posting it "
    "(first run against an existing feed).",
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
    help="Time this run may take, waits and retries included; what is not "
    "started by then is left for the next run.",
)
@timeout_option
@log_format_option
@private_option
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Print nothing when nothing was posted, failed or is unknown, and log only "
    "warnings (so cron mails only when there is news).",
)
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
    timeout: float,
    log_format: str,
    allow_private_networks: bool,
    quiet: bool,
) -> None:
    """Post every due article from --source to each channel, exactly once (for cron).

    Skips what the ledger has, holds back articles whose publish_at is ahead,
    posts oldest first, and prints a summary per channel. Exit status: 0 when
    nothing failed, 1 when a post failed or its result is unknown, 2 for usage
    errors.
    """
    from embedkit.syndicate._article import load_articles

    configure_logging(log_format, level=logging.WARNING if quiet else logging.INFO)
    unreadable: list[ArticleError] = []
    with _http(source, allow_private_networks, timeout) as http:
        articles = load_articles(source, http=http, errors=unreadable)
    for problem in unreadable:  # skipped; the others still go out, and the run exits 1
        log.error("skipped %s", problem, extra={"event": "article_error"})
    ledger = open_ledger(ledger_url)  # read even in a dry run, to skip what it has
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
            channel_factory=_channel_factory(timeout),
        )
    finally:
        ledger.close()
    if not (quiet and all(o.status == "skipped" for o in summary.outcomes)):
        _print_summary(summary, log_format)
    raise click.exceptions.Exit(max(summary.exit_code, 1 if unreadable else 0))


def _print_outcomes(summary: RunSummary, fmt: str) -> None:
    for outcome in summary.outcomes:
        if fmt == "json":
            click.echo(
                json.dumps(
                    {
                        "channel": outcome.channel,
                        "article_id": outcome.article_id,
                        "status": outcome.status,
                        "post_id": outcome.post_id,
                        "post_url": outcome.post_url,
                        "reason": outcome.reason,
                        "text": outcome.text,
                    },
                    ensure_ascii=False,
                )
            )
            continue
        where = outcome.post_url or outcome.post_id or outcome.reason
        click.echo(f"{outcome.status:10} {outcome.channel:10} {where}")
        if outcome.text:
            click.echo(outcome.text)


def _print_summary(summary: RunSummary, fmt: str) -> None:
    totals = summary.totals()
    if fmt == "json":
        for total in totals:
            click.echo(
                json.dumps(
                    {
                        "event": "summary",
                        "run_id": summary.run_id,
                        "channel": total.channel,
                        "posted": total.posted,
                        "skipped": total.skipped,
                        "failed": total.failed,
                        "unknown": total.unknown,
                        "would_post": total.would_post,
                    }
                )
            )
        for outcome in summary.problems:
            click.echo(
                json.dumps(
                    {
                        "event": outcome.status,
                        "run_id": summary.run_id,
                        "channel": outcome.channel,
                        "article_id": outcome.article_id,
                        "reason": redact(outcome.reason),
                    },
                    ensure_ascii=False,
                )
            )
        return
    first = "would post" if summary.dry_run else "posted"
    width = max([len("channel"), *(len(t.channel) for t in totals)])
    click.echo(f"{'channel':{width}}  {first:>10}  {'skipped':>7}  {'failed':>6}  {'unknown':>7}")
    for t in totals:
        done = t.would_post if summary.dry_run else t.posted
        click.echo(
            f"{t.channel:{width}}  {done:>10}  {t.skipped:>7}  {t.failed:>6}  {t.unknown:>7}"
        )
    for outcome in summary.problems:
        click.echo(
            f"{outcome.status}: {outcome.channel} {outcome.article_id}: {redact(outcome.reason)}"
        )
    if summary.dry_run:
        for outcome in summary.outcomes:
            if outcome.status == "would-post":
                click.echo(f"\n── {outcome.channel} {outcome.article_id}\n{outcome.text}")


@syndicate.command("reconcile")
@click.option(
    "--channel",
    "channels",
    metavar="NAME",
    multiple=True,
    help="Only settle rows of this channel (repeatable; default: all).",
)
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
@timeout_option
@_format_option()
def reconcile_command(
    channels: Sequence[str],
    retry_unknown: bool,
    retry_failed: bool,
    ledger_url: str | None,
    timeout: float,
    fmt: str,
) -> None:
    """Settle unknown rows by looking for the posts on their channels.

    Found → posted; certainly absent → pending (the next run posts it); cannot
    tell → stays unknown, unless --retry-unknown. Exits 1 while rows stay unknown.
    """
    from embedkit.syndicate._reconcile import reconcile

    with open_ledger(ledger_url) as ledger:
        results = reconcile(
            ledger,
            list(channels) or None,
            retry_unknown=retry_unknown,
            retry_failed=retry_failed,
            channel_factory=_channel_factory(timeout),
        )
    for result in results:
        if fmt == "json":
            click.echo(
                json.dumps(
                    {
                        "article_id": result.article_id,
                        "channel": result.channel,
                        "state": result.state,
                        "reason": redact(result.reason),
                        "post_id": result.post_id,
                        "post_url": result.post_url,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            click.echo(
                f"{result.state:8} {result.channel:10} {result.article_id}: {redact(result.reason)}"
            )
    if fmt == "text" and not results:
        click.echo("Nothing to reconcile.")
    if any(r.state == "unknown" for r in results):
        raise click.exceptions.Exit(1)


def _row_json(row: LedgerRow) -> str:
    return json.dumps(
        {
            "article_id": row.article_id,
            "channel": row.channel,
            "state": row.state,
            "retryable": row.retryable,
            "post_id": row.post_id,
            "post_url": row.post_url,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "text_hash": row.text_hash,
            "claimed_at": _iso(row.claimed_at),
            "updated_at": _iso(row.updated_at),
            "run_id": row.run_id,
            "idempotency_key": row.idempotency_key,
        },
        ensure_ascii=False,
    )


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")


def _print_rows(rows: list[LedgerRow], fmt: str) -> None:
    for row in rows:
        if fmt == "json":
            click.echo(_row_json(row))
            continue
        state = row.state + (" (will retry)" if row.state == "failed" and row.retryable else "")
        detail = row.post_url or row.post_id or row.last_error or ""
        click.echo(
            f"{_iso(row.updated_at)}  {row.channel:10} {state:20} {row.article_id}  {detail}"
        )


@syndicate.command("status")
@click.option("--channel", metavar="NAME", default=None, help="Only rows of this channel.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    metavar="N",
    help="How many rows to show, most recent first.",
)
@ledger_option
@_format_option()
def status_command(channel: str | None, limit: int, ledger_url: str | None, fmt: str) -> None:
    """Show the most recent ledger rows: what was posted, failed or is unknown."""
    with open_ledger(ledger_url) as ledger:
        ledger.sweep_stale()
        rows = ledger.rows(channel=channel, limit=limit)
    if not rows and fmt == "text":
        click.echo("The ledger is empty." if channel is None else f"No rows for {channel}.")
    _print_rows(rows, fmt)


@syndicate.command("history")
@click.argument("article", metavar="ARTICLE_ID_OR_SOURCE")
@ledger_option
@entry_option
@_format_option()
def history_command(article: str, ledger_url: str | None, entry: int | None, fmt: str) -> None:
    """Show one article across channels: by its id (often its URL) or its source file.

    A URL is also tried in its normalized form (tracking parameters dropped), the
    id an article without an explicit id gets. Nothing is fetched.
    """
    article_id = article
    if Path(article).is_file():
        article_id = _load_article(article, entry).id
    with open_ledger(ledger_url) as ledger:
        ledger.sweep_stale()
        rows = ledger.history(article_id)
        if not rows and article_id.lower().startswith(("http://", "https://")):
            from embedkit.syndicate._article import article_id_for

            article_id = article_id_for(article_id)  # the id a URL-only article gets
            rows = ledger.history(article_id)
    if not rows and fmt == "text":
        click.echo(f"No ledger rows for {article_id}.")
    _print_rows(rows, fmt)
