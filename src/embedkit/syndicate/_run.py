"""A scheduled syndication run: plan which posts are due, post them exactly once, summarise.

:func:`plan_run` is a pure decision over the articles and what the ledger
already holds: skip what a channel already has, hold back articles whose
``publish_at`` is still ahead (they go out on the first run after it), honour
``since`` and ``max_posts``, order oldest first (``published_at``, then id).

:func:`run_job` executes the plan in named phases:

1. open the channels and check every channel's configuration once
   (:class:`~embedkit.syndicate._channelset.ChannelSet`): a missing credential
   raises before anything is claimed;
2. read what the ledger holds for these articles and plan (:func:`plan_run`);
3. queue the posts per channel (skips and old unknowns are recorded as outcomes);
4. format each post, to the channel's own limit when it can tell;
5. drain the queues: for each (article, channel) *claim* it in the ledger (the
   claim is the lock between overlapping runs), publish, and record the result
   right away. Channels have their own queues: spacing between posts and a
   platform's Retry-After delay one channel, never the others; a failure of one
   post never stops the rest. Retries follow :mod:`embedkit.syndicate._retry`
   within the run's time ``budget``; what the budget leaves is ``deferred`` to
   the next run.

Every result type has ``to_dict()``: the JSON the command line prints.

Example::

    summary = run_job(load_articles("https://example.com/feed.xml"), ["mastodon"],
                      open_ledger(), spacing=30)
    print(summary.exit_code, summary.totals())
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from embedkit._errors import ChannelError, DoesNotFit, EmbedkitError, RateLimited
from embedkit._redaction import get_logger
from embedkit.syndicate._channelset import ChannelFactory, ChannelSet, instance_limit
from embedkit.syndicate._ledger import Ledger, LedgerRow
from embedkit.syndicate._logs import redact
from embedkit.syndicate._models import Article, Post
from embedkit.syndicate._reconcile import text_fingerprint
from embedkit.syndicate._retry import RetryPolicy, decide, describe
from embedkit.syndicate.channels._base import Channel

__all__ = [
    "ChannelTotals",
    "Outcome",
    "RunSummary",
    "Step",
    "order_articles",
    "plan_run",
    "run_job",
]

log = get_logger("embedkit.syndicate.run")

Status = Literal["posted", "skipped", "failed", "unknown", "would-post", "deferred"]

#: Why a post is ``deferred``: the run's time budget ran out before it started.
BUDGET_SPENT = "run time budget spent: left for the next run"


@dataclass(frozen=True, slots=True)
class Step:
    """One planned (article, channel) decision: ``post``, ``skip`` or ``unknown``."""

    article: Article
    channel: str
    action: Literal["post", "skip", "unknown"]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one (article, channel) in a run."""

    article_id: str
    channel: str
    status: Status
    reason: str = ""
    post_id: str | None = None
    post_url: str | None = None
    attempts: int = 0
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The outcome as JSON-ready data (what ``syndicate post --format json`` prints)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ChannelTotals:
    """Per-channel counts for the summary table.

    ``deferred`` counts posts the run's time budget left for the next run.
    """

    channel: str
    posted: int = 0
    skipped: int = 0
    failed: int = 0
    unknown: int = 0
    would_post: int = 0
    deferred: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The counts as JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The result of a run: every outcome, and the exit status they add up to.

    ``exit_code``: 1 when a post failed or is unknown; else 3 when the time
    budget left posts for the next run (``deferred``); else 0.
    """

    run_id: str
    outcomes: tuple[Outcome, ...]
    channels: tuple[str, ...]
    dry_run: bool = False
    marked: Mapping[str, int] = field(default_factory=dict)

    def totals(self) -> list[ChannelTotals]:
        """Counts per channel, in the order the channels were given."""
        counts: dict[str, dict[str, int]] = {c: {} for c in self.channels}
        for outcome in self.outcomes:
            key = outcome.status.replace("-", "_")
            bucket = counts.setdefault(outcome.channel, {})
            bucket[key] = bucket.get(key, 0) + 1
        return [ChannelTotals(channel, **bucket) for channel, bucket in counts.items()]

    @property
    def problems(self) -> list[Outcome]:
        """The failed and unknown outcomes."""
        return [o for o in self.outcomes if o.status in ("failed", "unknown")]

    @property
    def deferred(self) -> list[Outcome]:
        """The posts the time budget left for the next run."""
        return [o for o in self.outcomes if o.status == "deferred"]

    @property
    def exit_code(self) -> int:
        """1 when a post failed or is unknown, else 3 when posts were deferred, else 0."""
        if self.problems:
            return 1
        return 3 if self.deferred else 0

    def to_dict(self) -> dict[str, Any]:
        """The run as JSON-ready data (what ``syndicate run --format json`` prints).

        ``totals`` per channel, then every ``outcome``; reasons are redacted.
        """
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "exit_code": self.exit_code,
            "totals": [t.to_dict() for t in self.totals()],
            "outcomes": [{**o.to_dict(), "reason": redact(o.reason)} for o in self.outcomes],
            "marked": dict(self.marked),
        }


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def order_articles(articles: Iterable[Article]) -> list[Article]:
    """Oldest first by ``published_at`` (undated last), then by id; duplicates dropped."""
    unique = {a.id: a for a in articles}
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(
        unique.values(),
        key=lambda a: (a.published_at is None, _utc(a.published_at) or floor, a.id),
    )


def plan_run(
    articles: Iterable[Article],
    channels: Sequence[str],
    rows: Mapping[tuple[str, str], LedgerRow],
    *,
    now: datetime,
    since: datetime | None = None,
    max_posts: int | None = None,
    honour_schedule: bool = True,
) -> list[Step]:
    """Decide, without I/O, what a run should do for each (article, channel).

    ``rows`` maps (article id, channel) to the ledger row, if any. ``max_posts``
    limits the posts per channel in this run; the rest wait for the next run.
    """
    now = _utc(now) or datetime.now(UTC)
    since = _utc(since)
    steps: list[Step] = []
    planned = dict.fromkeys(channels, 0)
    for article in order_articles(articles):
        publish_at = _utc(article.publish_at)
        published_at = _utc(article.published_at)
        for channel in channels:
            row = rows.get((article.id, channel))
            if row is not None and not row.claimable:
                steps.append(_skip_for_row(article, channel, row))
            elif honour_schedule and publish_at is not None and publish_at > now:
                steps.append(
                    Step(article, channel, "skip", f"scheduled for {publish_at.isoformat()}")
                )
            elif since is not None and published_at is not None and published_at < since:
                steps.append(
                    Step(article, channel, "skip", f"published before --since {since.isoformat()}")
                )
            elif max_posts is not None and planned[channel] >= max_posts:
                steps.append(
                    Step(
                        article,
                        channel,
                        "skip",
                        f"over --max-posts {max_posts}: left for the next run",
                    )
                )
            else:
                planned[channel] += 1
                steps.append(Step(article, channel, "post"))
    return steps


def _skip_for_row(article: Article, channel: str, row: LedgerRow) -> Step:
    if row.state == "posted":
        where = f" as {row.post_url or row.post_id}" if (row.post_url or row.post_id) else ""
        return Step(article, channel, "skip", f"already posted{where}")
    if row.state == "unknown":
        return Step(
            article,
            channel,
            "unknown",
            f"unknown since an earlier run: {row.last_error or 'no result recorded'} "
            "(run `embedkit syndicate reconcile`)",
        )
    if row.state == "claimed":
        return Step(article, channel, "skip", f"being posted by run {row.run_id}")
    return Step(
        article,
        channel,
        "skip",
        f"failed earlier, not retryable: {row.last_error} "
        "(`embedkit syndicate reconcile --retry-failed` to try again)",
    )


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _default_formatter(article: Article, channel: str, **options: Any) -> Post:
    from embedkit.syndicate._format import format_post

    return format_post(article, channel, **options)


def _default_key(article_id: str, channel: str, text_hash: str) -> str:
    from embedkit.syndicate.channels._base import idempotency_key

    return idempotency_key(article_id, channel, text_hash)


@dataclass
class _Item:
    step: Step
    post: Post | None = None
    key: str = ""
    attempts: int = 0


class _Runner:
    """The mutable state of one run (kept out of the public API)."""

    def __init__(
        self,
        ledger: Ledger | None,
        run_id: str,
        *,
        budget: float,
        spacing: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        rng: random.Random,
        policy: RetryPolicy,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.env = env
        self.ledger = ledger
        self.run_id = run_id
        self.budget = budget
        self.spacing = spacing
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        self.policy = policy
        self.start = clock()
        self.outcomes: list[Outcome] = []
        #: Per channel, the clock time before which nothing more should be sent (429).
        self.hold_until: dict[str, float] = {}

    def remaining(self) -> float:
        return self.budget - (self.clock() - self.start)

    def add(
        self,
        item: _Item,
        status: Status,
        reason: str = "",
        *,
        level: int = logging.INFO,
        post_id: str | None = None,
        post_url: str | None = None,
    ) -> None:
        step = item.step
        text = item.post.text if item.post is not None and status == "would-post" else None
        self.outcomes.append(
            Outcome(
                step.article.id,
                step.channel,
                status,
                reason,
                post_id,
                post_url,
                item.attempts,
                text,
            )
        )
        log.log(
            level,
            f"{status} {step.channel} {step.article.id}" + (f": {reason}" if reason else ""),
            extra={
                "event": status,
                "run_id": self.run_id,
                "channel": step.channel,
                "article_id": step.article.id,
                "post_id": post_id,
                "post_url": post_url,
                "attempt": item.attempts,
                "reason": reason or None,
            },
        )

    def attempt(self, item: _Item, channel: Channel) -> float | None:
        """Publish once; return a delay when the item should be retried later."""
        assert self.ledger is not None
        assert item.post is not None
        step = item.step
        item.attempts += 1
        try:
            published = channel.publish(item.post, idempotency_key=item.key)
        except BaseException as exc:
            if not isinstance(exc, Exception):
                self.ledger.record_unknown(
                    step.article.id,
                    step.channel,
                    attempts=item.attempts,
                    error=f"run interrupted while posting ({exc!r})",
                )
                raise
            return self._failed_attempt(item, channel, exc)
        self.ledger.record_posted(
            step.article.id,
            step.channel,
            post_id=str(published.id),
            post_url=published.url,
            attempts=item.attempts,
        )
        self.add(item, "posted", post_id=str(published.id), post_url=published.url)
        return None

    def _failed_attempt(self, item: _Item, channel: Channel, exc: Exception) -> float | None:
        assert self.ledger is not None
        step = item.step
        decision = decide(
            exc,
            idempotent=bool(channel.idempotent),
            attempt=item.attempts,
            policy=self.policy,
            remaining=self.remaining(),
            random=self.rng.random,
        )
        decision = replace(decision, reason=redact(decision.reason, self.env))
        retry_after = exc.retry_after if isinstance(exc, (ChannelError, RateLimited)) else None
        if decision.action != "retry" and retry_after:
            self.hold_until[step.channel] = self.clock() + float(retry_after)
        if decision.action == "retry":
            log.warning(
                f"retry {step.channel} {step.article.id} in {decision.delay:.1f}s: "
                f"{decision.reason}",
                extra={
                    "event": "retry",
                    "run_id": self.run_id,
                    "channel": step.channel,
                    "article_id": step.article.id,
                    "attempt": item.attempts,
                    "delay": round(decision.delay, 3),
                    "error": decision.reason,
                },
            )
            return decision.delay
        if decision.action == "unknown":
            self.ledger.record_unknown(
                step.article.id, step.channel, error=decision.reason, attempts=item.attempts
            )
            self.add(item, "unknown", decision.reason, level=logging.ERROR)
        else:
            self.ledger.record_failed(
                step.article.id,
                step.channel,
                error=decision.reason,
                retryable=decision.retryable,
                attempts=item.attempts,
            )
            self.add(item, "failed", decision.reason, level=logging.ERROR)
        return None

    def claim(self, item: _Item) -> bool:
        """Format and claim; False when the item is settled (skipped or failed) already."""
        assert self.ledger is not None
        step = item.step
        if item.post is None:
            return False
        text_hash = item.post.text_hash or _hash(item.post.text)
        item.key = _default_key(step.article.id, step.channel, text_hash)
        if not self.ledger.claim(
            step.article.id,
            step.channel,
            text_hash=text_hash,
            idempotency_key=item.key,
            run_id=self.run_id,
            match_hash=text_fingerprint(item.post.text),
        ):
            row = self.ledger.get(step.article.id, step.channel)
            if row is not None and row.state == "unknown":
                self.add(item, "unknown", row.last_error or "", level=logging.ERROR)
            else:
                state = row.state if row else "gone"
                self.add(item, "skipped", f"taken by another run ({state})")
            return False
        return True


Queues = dict[str, deque[_Item]]


def run_job(
    articles: Iterable[Article],
    channels: Sequence[str | Channel],
    ledger: Ledger | None,
    *,
    now: datetime | None = None,
    since: datetime | None = None,
    max_posts: int | None = None,
    dry_run: bool = False,
    spacing: float = 0.0,
    budget: float = 300.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    jitter_rng: random.Random | None = None,
    mark_existing: bool = False,
    honour_schedule: bool = True,
    policy: RetryPolicy | None = None,
    channel_factory: ChannelFactory | None = None,
    formatter: Callable[..., Post] | None = None,
    env: Mapping[str, str] | None = None,
    run_id: str | None = None,
) -> RunSummary:
    """Post every due (article, channel) exactly once and return the summary.

    ``channels`` are names (case-insensitive; built with ``channel_factory``, by
    default ``make_channel(name, env=env)``) or Channel objects (used as they
    are; the caller closes them). Before anything is claimed, every channel's
    configuration is checked once: a missing credential raises
    :class:`~embedkit._errors.MissingCredential` naming every variable (a bad
    setting, :class:`~embedkit._errors.ConfigError`), also in a dry run, which
    shows what the real run would do. ``dry_run`` formats and plans without
    claiming or posting (``ledger`` may then be None, or a read-only ledger to
    skip what it holds). ``mark_existing`` records every due article as already
    posted instead of posting it (no credentials needed). ``spacing`` is the
    minimum number of seconds between two posts on one channel; ``budget``
    bounds the run's time (waits included): posts not started by then are
    ``deferred`` to the next run. ``clock``/``sleep``/``jitter_rng`` are the
    seams tests use. ``formatter(article, channel_name, **options)`` (default
    :func:`~embedkit.syndicate._format.format_post`) gets ``max_characters``
    when the channel knows its own limit (a Mastodon instance's).
    """
    run_id = run_id or uuid.uuid4().hex[:12]
    articles = list(articles)
    if ledger is None and not dry_run:
        raise ValueError("a ledger is required unless dry_run is set")
    runner = _Runner(
        ledger,
        run_id,
        budget=budget,
        spacing=spacing,
        clock=clock,
        sleep=sleep,
        rng=jitter_rng or random.Random(),
        policy=policy or RetryPolicy(),
        env=env,
    )
    with ChannelSet(channels, factory=channel_factory, env=env) as opened:
        names = opened.names
        if not mark_existing:
            opened.check_configuration()  # phase 1: before anything is claimed
        steps = plan_run(  # phase 2
            articles,
            names,
            _ledger_rows(ledger, articles, names, sweep=not dry_run),
            now=now or datetime.now(UTC),
            since=since,
            max_posts=None if mark_existing else max_posts,
            honour_schedule=honour_schedule,
        )
        _log_start(run_id, articles, names)
        queues = _queue(runner, steps, names)  # phase 3
        if mark_existing:
            marked = _mark_existing(runner, queues, dry_run)
            return _finish(runner, names, dry_run, marked)
        limits = {} if dry_run else _limits(runner, queues, opened)
        _format(runner, queues, formatter or _default_formatter, limits, dry_run)  # phase 4
        if not dry_run:
            _drain(runner, queues, opened)  # phase 5
    return _finish(runner, names, dry_run, {})


def _ledger_rows(
    ledger: Ledger | None, articles: list[Article], names: Sequence[str], *, sweep: bool
) -> dict[tuple[str, str], LedgerRow]:
    """What the ledger holds for these (article, channel) pairs; stale claims swept first."""
    rows: dict[tuple[str, str], LedgerRow] = {}
    if ledger is None:
        return rows
    if sweep:
        ledger.sweep_stale()
    for article in articles:
        for name in names:
            row = ledger.get(article.id, name)
            if row is not None:
                rows[(article.id, name)] = row
    return rows


def _log_start(run_id: str, articles: list[Article], names: Sequence[str]) -> None:
    distinct = len({article.id for article in articles})
    repeated = (
        f" ({len(articles) - distinct} repeated ids merged)" if distinct < len(articles) else ""
    )
    log.info(
        f"run {run_id}: {distinct} articles{repeated}, channels {', '.join(names)}",
        extra={"event": "start", "run_id": run_id},
    )


def _queue(runner: _Runner, steps: list[Step], names: Sequence[str]) -> Queues:
    """One queue per channel of the posts to make; skips and old unknowns are outcomes."""
    queues: Queues = {name: deque() for name in names}
    for step in steps:
        item = _Item(step)
        if step.action == "skip":
            runner.add(item, "skipped", step.reason, level=logging.DEBUG)
        elif step.action == "unknown":
            runner.add(item, "unknown", step.reason, level=logging.WARNING)
        else:
            queues[step.channel].append(item)
    return queues


def _mark_existing(runner: _Runner, queues: Queues, dry_run: bool) -> dict[str, int]:
    """Record every due article as already posted (--mark-existing), or say it would."""
    marked: dict[str, int] = {}
    for name, queue in queues.items():
        ids = [item.step.article.id for item in queue]
        ledger = runner.ledger
        marked[name] = 0 if dry_run or ledger is None else ledger.mark_existing(ids, name)
        reason = (
            "would be marked as already posted (--mark-existing)"
            if dry_run
            else "marked as already posted (--mark-existing)"
        )
        for item in queue:
            runner.add(item, "skipped", reason, level=logging.DEBUG)
        queue.clear()
    return marked


def _limits(runner: _Runner, queues: Queues, opened: ChannelSet) -> dict[str, int]:
    """Each channel's own length limit, asked once; a channel that cannot be built fails here."""
    limits: dict[str, int] = {}
    for name, queue in queues.items():
        if not queue:
            continue
        try:
            channel = opened.get(name)
        except EmbedkitError as exc:
            reason = redact(f"channel unavailable: {exc}", runner.env)
            for item in queue:
                runner.add(item, "failed", reason, level=logging.ERROR)
            queue.clear()
            continue
        limit = instance_limit(channel)
        if limit is not None:
            limits[name] = limit
    return limits


def _format(
    runner: _Runner,
    queues: Queues,
    formatter: Callable[..., Post],
    limits: Mapping[str, int],
    dry_run: bool,
) -> None:
    """Format every queued post; a post that cannot fit fails once and is never retried."""
    for name, queue in queues.items():
        for item in queue:
            extra = {"max_characters": limits[name]} if name in limits else {}
            try:
                item.post = formatter(item.step.article, name, **extra)
            except DoesNotFit as exc:
                _does_not_fit(runner, item, redact(describe(exc), runner.env), dry_run)
            else:
                if dry_run:
                    runner.add(item, "would-post", f"{item.post.length}/{item.post.limit}")
        queues[name] = deque(i for i in queue if i.post is not None and not dry_run)


def _does_not_fit(runner: _Runner, item: _Item, reason: str, dry_run: bool) -> None:
    ledger = runner.ledger
    article_id, name = item.step.article.id, item.step.channel
    if dry_run or ledger is None:
        runner.add(item, "failed", reason, level=logging.ERROR)
    elif ledger.claim(article_id, name, text_hash="", idempotency_key="", run_id=runner.run_id):
        ledger.record_failed(article_id, name, error=reason, retryable=False, attempts=0)
        runner.add(item, "failed", reason, level=logging.ERROR)
    else:
        runner.add(item, "skipped", "taken by another run")


def _drain(runner: _Runner, queues: Queues, opened: ChannelSet) -> None:
    """Work through the channel queues, each at its own pace."""
    order = {name: i for i, name in enumerate(queues)}
    ready_at = dict.fromkeys(queues, runner.start)
    while any(queues.values()):
        name = min((n for n, q in queues.items() if q), key=lambda n: (ready_at[n], order[n]))
        queue = queues[name]
        item = queue[0]
        wait = max(ready_at[name] - runner.clock(), 0.0)
        if item.attempts == 0 and wait > runner.remaining():
            for left in queue:
                runner.add(left, "deferred", BUDGET_SPENT, level=logging.WARNING)
            queue.clear()
            continue
        if wait > 0:
            runner.sleep(wait)
        if item.attempts == 0 and not runner.claim(item):
            queue.popleft()
            continue
        delay = runner.attempt(item, opened.get(name))
        if delay is None:
            queue.popleft()
            ready_at[name] = max(runner.clock() + runner.spacing, runner.hold_until.get(name, 0.0))
        else:
            ready_at[name] = runner.clock() + delay


def _finish(
    runner: _Runner, names: tuple[str, ...], dry_run: bool, marked: Mapping[str, int]
) -> RunSummary:
    summary = RunSummary(runner.run_id, tuple(runner.outcomes), names, dry_run, dict(marked))
    for totals in summary.totals():
        log.info(
            f"summary {totals.channel}: {totals.posted} posted, {totals.skipped} skipped, "
            f"{totals.failed} failed, {totals.unknown} unknown"
            + (f", {totals.deferred} deferred" if totals.deferred else ""),
            extra={
                "event": "summary",
                "run_id": runner.run_id,
                "channel": totals.channel,
                "posted": totals.posted,
                "skipped": totals.skipped,
                "failed": totals.failed,
                "unknown": totals.unknown,
                "would_post": totals.would_post,
                "deferred": totals.deferred,
            },
        )
    return summary
