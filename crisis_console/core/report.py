"""The figures of a report for a window of time, computed from the store and the audit log.

Every figure has a definition a person can check by hand (the README repeats them):

- **Volume** counts mentions by their posting time (`created_at`) in [start, end), in
  buckets of 15 minutes, an hour, a day or a week, chosen by the window's length; in all,
  and per platform and per category.
  Deleted posts count (they were seen); the negative share is negatives ÷ volume.
- **First response** is, for each mention posted in the window and not deleted, the time
  from posting to the first reply sent. Its SLA is the mention's own route
  (`respond_within_minutes`, as routed now: a level change re-routes). A breach is a reply
  sent after the deadline, or no reply while the deadline has passed (before the report's
  end). The median is the statistics
  median; p90 is the nearest-rank 90th percentile (the ⌈0.9·n⌉-th smallest). By operator
  means by the author of the first reply sent.
- **Approval turnaround** runs from a draft being submitted to its approval or rejection,
  for drafts submitted in the window.
- **Escalations** are harm alarms raised in the window, with the time to acknowledgement.
- **Templates** count replies sent in the window; **policy blocks** count the findings that
  refused a reply, an edit or an approval, by kind (never by the text they found).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crisis_console.core.actions import Action
from crisis_console.core.crisis_state import Alarm
from crisis_console.core.models import SentimentLabel, StoredMention
from crisis_console.core.reply_model import SENT, Reply

BUCKETS = (
    (timedelta(hours=6), timedelta(minutes=15)),
    (timedelta(days=2), timedelta(hours=1)),
    (timedelta(days=31), timedelta(days=1)),
)
WEEK = timedelta(weeks=1)
_REPORTED = frozenset(
    {Action.DRAFT, Action.APPROVAL, Action.REJECTION, Action.REFUSED}
)  # audit actions read here


@dataclass(frozen=True, slots=True)
class Counts:
    """Mentions and how many of them were negative."""

    volume: int
    negative: int

    @property
    def negative_share(self) -> float:
        return share_of(self.negative, self.volume)


@dataclass(frozen=True, slots=True)
class Bucket(Counts):
    """The counts of one interval of a time series."""

    start: datetime


@dataclass(frozen=True, slots=True)
class Share(Counts):
    """The counts of one platform or category over the whole window."""

    name: str


@dataclass(frozen=True, slots=True)
class Timing:
    """Durations in minutes for one group: how many, median, p90, and SLA breaches."""

    name: str
    count: int  # items in the group (mentions, drafts, alarms)
    done: int  # of them answered, decided or acknowledged
    median: float | None
    p90: float | None
    breaches: int = 0
    sla: tuple[int, int] | None = None  # the fewest and most SLA minutes that applied

    @property
    def sla_text(self) -> str:
        if self.sla is None:
            return "—"
        low, high = self.sla
        return str(low) if low == high else f"{low}–{high}"


@dataclass(frozen=True, slots=True)
class Escalation:
    key: str
    summary: str
    raised_at: datetime
    ack_due: datetime
    acknowledged_by: str
    minutes: float | None  # to acknowledgement; None while open

    @property
    def late(self) -> bool:
        return (
            self.minutes is None or self.raised_at + timedelta(minutes=self.minutes) > self.ack_due
        )


@dataclass(frozen=True, slots=True)
class Report:
    start: datetime
    end: datetime
    bucket: timedelta
    volume: list[Bucket]
    platform_volume: dict[str, list[Bucket]]  # the same buckets, one series per platform
    category_volume: dict[str, list[Bucket]]
    platforms: list[Share]
    categories: list[Share]
    response_by_urgency: list[Timing]
    response_by_queue: list[Timing]
    response_by_operator: list[Timing]
    response_all: Timing
    approvals: Timing
    rejected: int
    escalations: list[Escalation]
    escalation_ack: Timing
    templates: list[tuple[str, int]]
    policy_blocks: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(b.volume for b in self.volume)

    @property
    def negative(self) -> int:
        return sum(b.negative for b in self.volume)

    @property
    def negative_share(self) -> float:
        return share_of(self.negative, self.total)


def stamp(at: datetime) -> str:
    """A time as every report shows it: `2026-03-14 09:30 UTC`."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def share_of(part: int, whole: int) -> float:
    """`part` ÷ `whole`, 0 for an empty whole (no mentions: no negative share)."""
    return part / whole if whole else 0.0


def bucket_for(span: timedelta) -> timedelta:
    """The bucket size for a window of `span`: about 24 to 48 points on a chart."""
    return next((size for limit, size in BUCKETS if span <= limit), WEEK)


def nearest_rank(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile: the ⌈share·n⌉-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def timing(
    name: str,
    count: int,
    minutes: Sequence[float],
    breaches: int = 0,
    slas: Sequence[int] = (),
) -> Timing:
    median = statistics.median(minutes) if minutes else None
    sla = (min(slas), max(slas)) if slas else None
    return Timing(name, count, len(minutes), median, nearest_rank(minutes, 0.9), breaches, sla)


def minutes_between(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


def volume(
    mentions: Iterable[StoredMention], start: datetime, end: datetime, size: timedelta
) -> list[Bucket]:
    """Mentions and negatives per bucket of `size` from `start` (the last may be shorter)."""
    count = max(math.ceil((end - start) / size), 1)
    totals, negatives = [0] * count, [0] * count
    for m in mentions:
        at = m.triage.mention.created_at
        if start <= at < end:
            i = int((at - start) / size)
            totals[i] += 1
            negatives[i] += m.triage.classification.sentiment.label is SentimentLabel.NEGATIVE
    return [
        Bucket(volume=totals[i], negative=negatives[i], start=start + i * size)
        for i in range(count)
    ]


def _series(
    inside: Sequence[StoredMention],
    start: datetime,
    end: datetime,
    size: timedelta,
    key: Callable[[StoredMention], str],
) -> dict[str, list[Bucket]]:
    """Volume and negatives per bucket for each value of `key`, the busiest first."""
    grouped: dict[str, list[StoredMention]] = defaultdict(list)
    for m in inside:
        grouped[key(m)].append(m)
    busiest = sorted(grouped, key=lambda name: (-len(grouped[name]), name))
    return {name: volume(grouped[name], start, end, size) for name in busiest}


def build_report(
    mentions: Sequence[StoredMention],
    replies: Sequence[Reply],
    events: Iterable[Mapping[str, Any]],
    alarms: Sequence[Alarm],
    start: datetime,
    end: datetime,
) -> Report:
    """Every figure of the report for [start, end); `events` are audit records as read."""
    size = bucket_for(end - start)
    inside = [m for m in mentions if start <= m.triage.mention.created_at < end]
    platform_volume = _series(inside, start, end, size, lambda m: m.triage.mention.platform.value)
    category_volume = _series(
        inside, start, end, size, lambda m: m.triage.classification.category.value
    )
    drafted: dict[str, datetime] = {}
    decided: dict[str, tuple[datetime, str]] = {}
    blocks: Counter[str] = Counter()
    for e in events:
        action = e["action"]
        if action not in _REPORTED:
            continue  # most records are ingests: their time is not even parsed
        at, data = datetime.fromisoformat(e["at"]), e.get("data", {})
        if action == Action.DRAFT and start <= at < end:
            drafted[data.get("reply", "")] = at
        elif action in ("approval", "rejection"):
            decided.setdefault(data.get("reply", ""), (at, action))
        elif action == Action.REFUSED and data.get("reason") == "policy" and start <= at < end:
            blocks.update(data.get("codes") or [_kind_of(f) for f in data.get("findings", [])])
    turnaround = [minutes_between(at, decided[r][0]) for r, at in drafted.items() if r in decided]
    rejected = sum(1 for r in drafted if r in decided and decided[r][1] == "rejection")
    sent = [r for r in replies if r.status == SENT and r.sent_at is not None]
    escalations = [_escalation(a) for a in alarms if start <= a.raised_at < end]
    acked = [e.minutes for e in escalations if e.minutes is not None]
    responses = _responses(inside, sent, end)
    return Report(
        start=start,
        end=end,
        bucket=size,
        volume=volume(inside, start, end, size),
        platform_volume=platform_volume,
        category_volume=category_volume,
        platforms=_totals(platform_volume),
        categories=_totals(category_volume),
        response_by_urgency=responses["urgency"],
        response_by_queue=responses["queue"],
        response_by_operator=responses["operator"],
        response_all=responses["all"][0],
        approvals=timing("approvals", len(drafted), turnaround),
        rejected=rejected,
        escalations=sorted(escalations, key=lambda e: e.raised_at),
        escalation_ack=timing(
            "escalations", len(escalations), acked, sum(e.late for e in escalations)
        ),
        templates=_ranked(
            Counter(r.template for r in sent if r.sent_at and start <= r.sent_at < end)
        ),
        policy_blocks=_ranked(blocks),
    )


def _responses(
    inside: Sequence[StoredMention], sent: Sequence[Reply], end: datetime
) -> dict[str, list[Timing]]:
    first: dict[str, Reply] = {}
    for r in sorted(sent, key=lambda r: r.sent_at or end):
        first.setdefault(r.mention, r)
    groups: dict[str, dict[str, list[tuple[float | None, bool, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for m in inside:
        if m.deleted_at is not None:
            continue
        reply = first.get(m.key)
        deadline = m.triage.deadline
        if reply is not None and reply.sent_at is not None:
            took: float | None = minutes_between(m.triage.mention.created_at, reply.sent_at)
            breach = reply.sent_at > deadline
        else:
            took, breach = None, deadline < end
        outcome = (took, breach, m.triage.route.respond_within_minutes)
        groups["urgency"][m.triage.classification.urgency.value].append(outcome)
        groups["queue"][m.triage.route.queue.value].append(outcome)
        groups["all"]["all"].append(outcome)
        if reply is not None:
            groups["operator"][reply.author].append(outcome)
    out: dict[str, list[Timing]] = {
        "urgency": [],
        "queue": [],
        "operator": [],
        "all": [timing("all", 0, [])],
    }
    for kind, named in groups.items():
        out[kind] = [
            timing(
                name,
                len(items),
                [t for t, _, _ in items if t is not None],
                sum(b for _, b, _ in items),
                [sla for _, _, sla in items],
            )
            for name, items in sorted(named.items())
        ]
    return out


def _escalation(alarm: Alarm) -> Escalation:
    minutes = (
        minutes_between(alarm.raised_at, alarm.acknowledged_at) if alarm.acknowledged_at else None
    )
    return Escalation(
        alarm.key, alarm.summary, alarm.raised_at, alarm.ack_due, alarm.acknowledged_by, minutes
    )


def _totals(series: Mapping[str, list[Bucket]]) -> list[Share]:
    """Each series summed over the window, in the series' order (the busiest first)."""
    return [
        Share(
            volume=sum(b.volume for b in buckets),
            negative=sum(b.negative for b in buckets),
            name=name,
        )
        for name, buckets in series.items()
    ]


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _kind_of(finding: str) -> str:
    """A finding's kind from its message, for events written before codes were recorded:
    the words before any quoted part (`phone number '…'` -> `phone number`)."""
    return finding.split("'", 1)[0].split("(", 1)[0].strip(" :") or "policy"
