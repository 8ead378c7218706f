"""Settle ``unknown`` ledger rows by looking for the post on the channel.

A row is ``unknown`` when a run may have published it but never learned the
result (a timeout after the request was sent, or a run killed between the
claim and the record). :func:`reconcile` reads the channel's recent posts and:

- finds the post (by the Idempotency-Key when the platform echoes it, else by
  a fingerprint of the normalised text, since Mastodon returns HTML) → ``posted``
  with its id and URL;
- is certain it is absent (the recent posts reach back past the claim) →
  ``pending``, so the next run posts it;
- cannot tell (the channel cannot list recent posts, the claim is older than
  the posts it returns, or reading failed) → stays ``unknown``, with the reason.
  ``retry_unknown=True`` turns those into ``pending`` anyway.

Example::

    results = reconcile(open_ledger(), channels=["mastodon"])
    for r in results:
        print(r.article_id, r.channel, r.state, r.reason)
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from embedkit._errors import EmbedkitError
from embedkit._redaction import redact
from embedkit.syndicate._channelset import ChannelFactory, ChannelSet, channel_name
from embedkit.syndicate._ledger import Ledger, LedgerRow
from embedkit.syndicate._models import RemotePost
from embedkit.syndicate.channels._base import Channel

__all__ = ["ReconcileResult", "find_post", "normalise_text", "reconcile", "text_fingerprint"]

_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\b[^>]*>", re.IGNORECASE)
#: Allow this much disagreement between our clock and the platform's.
CLOCK_SKEW = 300.0


def normalise_text(text: str) -> str:
    """Reduce a post's text or a platform's HTML rendering of it to comparable text.

    Tags are removed (their text kept: Mastodon splits long URLs into spans),
    entities unescaped, whitespace runs collapsed to one space, NFC applied.

    >>> normalise_text('<p>Hello <a href="https://e.x/a">#<span>tag</span></a><br />https://e.x</p>')
    'Hello #tag https://e.x'
    """
    if "<" in text and ">" in text:
        text = _BREAK.sub(" ", text)
        text = _TAG.sub("", text)
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def text_fingerprint(text: str) -> str:
    """SHA-256 (hex) of :func:`normalise_text`: what the ledger stores as ``match_hash``."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def find_post(row: LedgerRow, recent: Sequence[RemotePost]) -> RemotePost | None:
    """The recent post that is this row's post, by idempotency key, else by text."""
    for post in recent:
        if row.idempotency_key and post.idempotency_key == row.idempotency_key:
            return post
    if row.match_hash:
        for post in recent:
            if text_fingerprint(post.text) == row.match_hash:
                return post
    return None


def certainly_absent(row: LedgerRow, recent: Sequence[RemotePost], limit: int) -> bool:
    """Whether ``recent`` reaches back far enough that a missing post was never made.

    True when the channel returned fewer posts than asked (that is all there
    is), or when its oldest post predates the claim by more than the clock skew.
    """
    if len(recent) < limit:
        return True
    if row.claimed_at is None:
        return False
    dates = [p.created_at for p in recent if p.created_at is not None]
    if len(dates) < len(recent):
        return False
    oldest = min(_as_utc(d) for d in dates).timestamp()
    return oldest < row.claimed_at - CLOCK_SKEW


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    """What reconcile concluded for one row: ``posted``, ``pending`` or ``unknown``."""

    article_id: str
    channel: str
    state: str
    reason: str
    post_id: str | None = None
    post_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (what ``syndicate reconcile --format json`` prints)."""
        return {**asdict(self), "reason": redact(self.reason)}


def reconcile(
    ledger: Ledger,
    channels: Sequence[str | Channel] | None = None,
    *,
    retry_unknown: bool = False,
    retry_failed: bool = False,
    limit: int = 40,
    channel_factory: ChannelFactory | None = None,
    env: Mapping[str, str] | None = None,
) -> list[ReconcileResult]:
    """Settle the ledger's ``unknown`` rows (see the module docs); return one result each.

    ``channels`` restricts the work to those channels (names, case-insensitive, or
    Channel objects to use as they are); by default every channel with unknown
    rows is checked, built with ``channel_factory`` (``make_channel``). The
    configuration of every channel to check is verified first: a missing
    credential raises :class:`~embedkit._errors.MissingCredential` naming the
    variables before any row changes. ``retry_failed`` also makes non-retryable
    ``failed`` rows claimable again (after fixing a token, say).
    """
    ledger.sweep_stale()
    wanted = {channel_name(c) for c in channels or ()}
    results: list[ReconcileResult] = []
    by_channel: dict[str, list[LedgerRow]] = {}
    for row in ledger.rows(limit=None, state="unknown"):
        if not wanted or row.channel in wanted:
            by_channel.setdefault(row.channel, []).append(row)
    given = [c for c in channels or () if not isinstance(c, str)]
    with ChannelSet(given, factory=channel_factory, env=env) as opened:
        for name in sorted(by_channel):
            opened.add(name)
        opened.check_configuration(sorted(by_channel))
        for name, rows in sorted(by_channel.items()):
            results.extend(
                _reconcile_channel(
                    ledger, name, rows, opened, retry_unknown=retry_unknown, limit=limit
                )
            )
    if retry_failed:
        for row in ledger.rows(limit=None, state="failed"):
            if (wanted and row.channel not in wanted) or row.retryable:
                continue
            if not ledger.reopen(row.article_id, row.channel, reason="reopened by --retry-failed"):
                continue  # changed meanwhile
            results.append(
                ReconcileResult(
                    row.article_id,
                    row.channel,
                    "pending",
                    "failed earlier; will be retried (--retry-failed)",
                )
            )
    return results


def _recent(opened: ChannelSet, name: str, limit: int) -> tuple[list[RemotePost] | None, str]:
    """The channel's recent posts, or None and why they could not be read."""
    try:
        return list(opened.get(name).recent(limit=limit)), ""
    except NotImplementedError:
        return None, f"{name} cannot list recent posts, so this cannot be checked"
    except EmbedkitError as exc:
        return None, f"could not read recent posts from {name}: {exc}"


def _reconcile_channel(
    ledger: Ledger,
    name: str,
    rows: list[LedgerRow],
    opened: ChannelSet,
    *,
    retry_unknown: bool,
    limit: int,
) -> list[ReconcileResult]:
    recent, why = _recent(opened, name, limit)

    results = []
    for row in rows:
        if recent is not None:
            found = find_post(row, recent)
            if found is not None:
                note = f"found on {name} by reconcile"
                if ledger.settle_posted(
                    row.article_id, name, post_id=found.id, post_url=found.url, note=note
                ):
                    results.append(
                        ReconcileResult(row.article_id, name, "posted", note, found.id, found.url)
                    )
                continue
            if certainly_absent(row, recent, limit):
                reason = f"not on {name}: will be posted by the next run"
                if ledger.reopen(row.article_id, name, reason=reason):
                    results.append(ReconcileResult(row.article_id, name, "pending", reason))
                continue
            why = (
                f"not among the {len(recent)} most recent posts on {name}, which do not "
                "reach back to the claim"
            )
        if retry_unknown:
            reason = f"{why}; will be retried (--retry-unknown)"
            if ledger.reopen(row.article_id, name, reason=reason):
                results.append(ReconcileResult(row.article_id, name, "pending", reason))
        else:
            results.append(
                ReconcileResult(
                    row.article_id, name, "unknown", f"{why}; check by hand, or use --retry-unknown"
                )
            )
    return results
