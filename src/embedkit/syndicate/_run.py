"""A scheduled syndication run: plan which posts are due, post them exactly once, summarise.

:func:`plan_run` is a pure decision over the articles and what the ledger
already holds: skip what a channel already has, hold back articles whose
``publish_at`` is still ahead (they go out on the first run after it), honour
``since`` and ``max_posts``, order oldest first (``published_at``, then id).

:func:`run_job` executes the plan. For each (article, channel) it formats the
post, *claims* it in the ledger (the claim is the lock between overlapping
runs), publishes, and records the result right away. Channels have their own
queues: spacing between posts and a platform's Retry-After delay one channel,
never the others; a failure of one post never stops the rest. Retries follow
:mod:`embedkit.syndicate._retry` within the run's time ``budget``.

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
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from embedkit._errors import DoesNotFit, EmbedkitError
from embedkit.net._redaction import get_logger
from embedkit.syndicate._ledger import Ledger, LedgerRow
from embedkit.syndicate._logs import redact
from embedkit.syndicate._models import Article, Post
from embedkit.syndicate._reconcile import text_fingerprint
from embedkit.syndicate._retry import RetryPolicy, decide, describe

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

Status = Literal["posted", "skipped", "failed", "unknown", "would-post"]


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


@dataclass(frozen=True, slots=True)
class ChannelTotals:
    """Per-channel counts for the summary table."""

    channel: str
    posted: int = 0
    skipped: int = 0
    failed: int = 0
    unknown: int = 0
    would_post: int = 0


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The result of a run: every outcome, and the exit status they add up to.

    ``exit_code`` is 0 when nothing failed and nothing is unknown, else 1.
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
    def exit_code(self) -> int:
        """0 when nothing failed and nothing is unknown, else 1."""
        return 1 if self.problems else 0


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
    try:
        from embedkit.syndicate.channels._base import idempotency_key
    except ImportError:  # pragma: no cover - channels land separately
        return _hash(f"{article_id}\n{channel}\n{text_hash}")[:32]
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

    def attempt(self, item: _Item, channel: Any) -> float | None:
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
            decision = decide(
                exc,
                idempotent=bool(getattr(channel, "idempotent", False)),
                attempt=item.attempts,
                policy=self.policy,
                remaining=self.remaining(),
                random=self.rng.random,
            )
            decision = replace(decision, reason=redact(decision.reason, self.env))
            retry_after = getattr(exc, "retry_after", None)
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
        self.ledger.record_posted(
            step.article.id,
            step.channel,
            post_id=str(published.id),
            post_url=published.url,
            attempts=item.attempts,
        )
        self.add(item, "posted", post_id=str(published.id), post_url=published.url)
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


def run_job(
    articles: Iterable[Article],
    channels: Sequence[str | Any],
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
    channel_factory: Callable[[str], Any] | None = None,
    formatter: Callable[..., Post] | None = None,
    env: Mapping[str, str] | None = None,
    run_id: str | None = None,
) -> RunSummary:
    """Post every due (article, channel) exactly once and return the summary.

    ``channels`` are names (built with ``channel_factory``, by default
    ``make_channel(name, env=env)``) or Channel objects. ``dry_run`` formats and
    plans without claiming or posting (``ledger`` may then be None).
    ``mark_existing`` records every due article as already posted instead of
    posting it. ``spacing`` is the minimum number of seconds between two posts on
    one channel; ``budget`` bounds the run's time (waits included): posts not
    started by then are left for the next run. ``clock``/``sleep``/``jitter_rng``
    are the seams tests use. ``formatter(article, channel_name, **options)``
    (default :func:`~embedkit.syndicate._format.format_post`) gets
    ``max_characters`` when the channel knows its own limit (a Mastodon
    instance's ``max_characters``).
    """
    run_id = run_id or uuid.uuid4().hex[:12]
    rng = jitter_rng or random.Random()
    policy = policy or RetryPolicy()
    formatter = formatter or _default_formatter
    names = tuple(c if isinstance(c, str) else str(c.name) for c in channels)
    articles = list(articles)
    now = now or datetime.now(UTC)
    if ledger is None and not dry_run:
        raise ValueError("a ledger is required unless dry_run is set")
    rows: dict[tuple[str, str], LedgerRow] = {}
    if ledger is not None:
        ledger.sweep_stale()
        for article in articles:
            for name in names:
                row = ledger.get(article.id, name)
                if row is not None:
                    rows[(article.id, name)] = row
    steps = plan_run(
        articles,
        names,
        rows,
        now=now,
        since=since,
        max_posts=None if mark_existing else max_posts,
        honour_schedule=honour_schedule,
    )
    runner = _Runner(
        ledger,
        run_id,
        budget=budget,
        spacing=spacing,
        clock=clock,
        sleep=sleep,
        rng=rng,
        policy=policy,
        env=env,
    )
    distinct = len({article.id for article in articles})
    repeated = (
        f" ({len(articles) - distinct} repeated ids merged)" if distinct < len(articles) else ""
    )
    log.info(
        f"run {run_id}: {distinct} articles{repeated}, channels {', '.join(names)}",
        extra={"event": "start", "run_id": run_id},
    )

    queues: dict[str, deque[_Item]] = {name: deque() for name in names}
    for step in steps:
        item = _Item(step)
        if step.action == "skip":
            runner.add(item, "skipped", step.reason, level=logging.DEBUG)
        elif step.action == "unknown":
            runner.add(item, "unknown", step.reason, level=logging.WARNING)
        else:
            queues[step.channel].append(item)

    marked: dict[str, int] = {}
    if mark_existing:
        assert ledger is not None or dry_run
        for name, queue in queues.items():
            ids = [item.step.article.id for item in queue]
            marked[name] = 0 if dry_run or ledger is None else ledger.mark_existing(ids, name)
            for item in queue:
                runner.add(
                    item,
                    "skipped",
                    "would be marked as already posted (--mark-existing)"
                    if dry_run
                    else "marked as already posted (--mark-existing)",
                    level=logging.DEBUG,
                )
        return _finish(runner, names, dry_run, marked)

    built: dict[str, Any] = {}
    limits: dict[str, int] = {}
    for channel in () if dry_run else channels:
        name = channel if isinstance(channel, str) else str(channel.name)
        if not queues[name]:
            continue
        try:
            built[name] = (
                channel if not isinstance(channel, str) else _build(name, channel_factory, env)
            )
        except EmbedkitError as exc:
            reason = redact(f"channel unavailable: {exc}", env)
            for item in queues[name]:
                runner.add(item, "failed", reason, level=logging.ERROR)
            queues[name].clear()
            continue
        limit = _instance_limit(built[name])
        if limit is not None:
            limits[name] = limit

    for name, queue in queues.items():
        for item in queue:
            extra = {"max_characters": limits[name]} if name in limits else {}
            try:
                item.post = formatter(item.step.article, name, **extra)
            except DoesNotFit as exc:
                reason = redact(describe(exc), env)
                if dry_run:
                    runner.add(item, "failed", reason, level=logging.ERROR)
                elif ledger is not None and ledger.claim(
                    item.step.article.id, name, text_hash="", idempotency_key="", run_id=run_id
                ):
                    ledger.record_failed(
                        item.step.article.id, name, error=reason, retryable=False, attempts=0
                    )
                    runner.add(item, "failed", reason, level=logging.ERROR)
                else:
                    runner.add(item, "skipped", "taken by another run")
            else:
                if dry_run:
                    runner.add(item, "would-post", f"{item.post.length}/{item.post.limit}")
        queues[name] = deque(i for i in queue if i.post is not None and not dry_run)
    if dry_run:
        return _finish(runner, names, dry_run, marked)

    try:
        _drain(runner, queues, built)
    finally:
        for channel in channels:  # close what this run built; callers own the rest
            if isinstance(channel, str) and channel in built:
                close = getattr(built[channel], "close", None)
                if callable(close):
                    close()
    return _finish(runner, names, dry_run, marked)


def _instance_limit(channel: Any) -> int | None:
    """The channel's own length limit when it can tell (a Mastodon instance's)."""
    probe = getattr(channel, "max_characters", None)
    if not callable(probe):
        return None
    try:
        value = probe()
    except Exception:  # a limit is a refinement; never fail a run over it
        return None
    return value if isinstance(value, int) and value > 0 else None


def _build(name: str, factory: Callable[[str], Any] | None, env: Mapping[str, str] | None) -> Any:
    if factory is not None:
        return factory(name)
    import os

    from embedkit.syndicate.channels import make_channel

    return make_channel(name, env=os.environ if env is None else env)


def _drain(runner: _Runner, queues: dict[str, deque[_Item]], built: dict[str, Any]) -> None:
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
                runner.add(left, "skipped", "run time budget spent: left for the next run")
            queue.clear()
            continue
        if wait > 0:
            runner.sleep(wait)
        if item.attempts == 0 and not runner.claim(item):
            queue.popleft()
            continue
        delay = runner.attempt(item, built[name])
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
            f"{totals.failed} failed, {totals.unknown} unknown",
            extra={
                "event": "summary",
                "run_id": runner.run_id,
                "channel": totals.channel,
                "posted": totals.posted,
                "skipped": totals.skipped,
                "failed": totals.failed,
                "unknown": totals.unknown,
                "would_post": totals.would_post,
            },
        )
    return summary
