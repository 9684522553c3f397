"""The figures of a report for a window of time, computed from the store and the audit log.

Every figure has a definition a person can check by hand (the README repeats them):

- **Volume** counts mentions by their posting time (`created_at`) in [start, end), in
  buckets of 5, 15 or 60 minutes, 6 hours, a day or a week, chosen by the span from the
  first post in the window to the last (`series`); in all, and per platform and category.
  Deleted posts count (they were seen); the negative share is negatives ÷ volume.
- **First response** is, for each mention posted in the window and not deleted, the time
  from posting to the first reply sent. Its SLA is the mention's own route
  (`respond_within_minutes`): the one in force when it arrived, which a later level change,
  edit or correction does not move; its queue, the one it was routed to then. A breach is a
  reply sent after the deadline, or no reply while the deadline has passed (before the
  report's end). The median is the statistics
  median; p90 is the nearest-rank 90th percentile (the ⌈0.9·n⌉-th smallest). By operator
  means by the author of the first reply sent.
- **Closed** mentions (closed without a reply, `core/work`) are counted apart, by reason:
  out of first response, neither answered nor breached (one answered after all is answered).
  **Tags** count the mentions posted in the window that carry each tag now.
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crisis_console.core.actions import Action
from crisis_console.core.crisis.crisis_state import Alarm
from crisis_console.core.models import StoredMention
from crisis_console.core.replies.reply_model import SENT, Reply
from crisis_console.core.reports.posts import Post, post_of
from crisis_console.core.reports.series import Bucket, Counts, Frame, Series, share_of, slot_of

REPORTED = frozenset(
    {Action.DRAFT, Action.APPROVAL, Action.REJECTION, Action.REFUSED}
)  # audit actions read here
AHEAD = timedelta(hours=1)
"""How far a post's `created_at` may run ahead of the time it was stored (another clock): a
report reads the mentions stored from its start less this (`MentionStore.recent`)."""


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
    bucket: timedelta  # the size of each bucket of the series below (`series`)
    volume: list[Bucket]  # from the bucket of the window's first post to its last post's
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
    closed: list[tuple[str, int]] = field(default_factory=list)  # by reason, the most first
    tags: list[tuple[str, int]] = field(default_factory=list)  # mentions with each tag

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


@dataclass(slots=True)
class _Group:
    """First responses of one group, kept as mentions pass: how many, the minutes of those
    answered (for the median and p90), breaches, and the SLA minutes that applied."""

    count: int = 0
    minutes: list[float] = field(default_factory=list)
    breaches: int = 0
    slas: set[int] = field(default_factory=set)

    def add(self, took: float | None, breach: bool, sla: int) -> None:
        self.count += 1
        self.breaches += breach
        self.slas.add(sla)
        if took is not None:
            self.minutes.append(took)

    def timing(self, name: str) -> Timing:
        return timing(name, self.count, self.minutes, self.breaches, tuple(self.slas))


class _Tally:
    """The figures that come from mentions, in one pass: nothing is kept per mention but the
    minutes to a first response."""

    def __init__(
        self,
        start: datetime,
        end: datetime,
        first: Mapping[str, tuple[datetime, str]],
        closed: Mapping[str, str] = {},
        tags: Mapping[str, Sequence[str]] = {},
    ) -> None:
        self.start, self.end = start, end
        self.first = first  # mention key -> (sent at, author) of its first reply sent
        self.closed, self.tags = closed, tags  # mention key -> closing reason; -> its tags
        self.closed_count: Counter[str] = Counter()
        self.tag_count: Counter[str] = Counter()
        self.volume = Series()
        self.platforms: defaultdict[str, Series] = defaultdict(Series)
        self.categories: defaultdict[str, Series] = defaultdict(Series)
        self.groups: dict[str, defaultdict[str, _Group]] = {
            kind: defaultdict(_Group) for kind in ("urgency", "queue", "operator")
        }
        self.all = _Group()

    def add(self, post: Post) -> None:
        key, at, platform, category, urgency, negative, queue, sla, deleted = post
        if not self.start <= at < self.end:
            return
        i = slot_of(at)
        self.volume.add(i, negative)
        self.platforms[platform].add(i, negative)
        self.categories[category].add(i, negative)
        self.tag_count.update(self.tags.get(key, ()))
        if deleted:
            return
        reply = self.first.get(key)
        if reply is None and key in self.closed:  # closed without a reply: apart
            self.closed_count[self.closed[key]] += 1
            return
        deadline = at + timedelta(minutes=sla)
        if reply is not None:
            took: float | None = minutes_between(at, reply[0])
            breach = reply[0] > deadline
            self.groups["operator"][reply[1]].add(took, breach, sla)
        else:
            took, breach = None, deadline < self.end
        self.all.add(took, breach, sla)
        self.groups["urgency"][urgency].add(took, breach, sla)
        self.groups["queue"][queue].add(took, breach, sla)

    @property
    def frame(self) -> Frame:
        """The buckets every series is drawn in: over the span of the window's posts."""
        return Frame.of_slots(self.volume.totals, self.start, self.end)

    def series(
        self, named: Mapping[str, Series], frame: Frame
    ) -> tuple[dict[str, list[Bucket]], list[Share]]:
        """Each series as buckets, the busiest first, and its totals over the window."""
        total = {n: (s.totals.total(), s.negatives.total()) for n, s in named.items()}
        busiest = sorted(named, key=lambda name: (-total[name][0], name))
        shares = [Share(volume=total[n][0], negative=total[n][1], name=n) for n in busiest]
        return {name: named[name].buckets(frame) for name in busiest}, shares

    def timings(self, kind: str) -> list[Timing]:
        return [group.timing(name) for name, group in sorted(self.groups[kind].items())]


def build_report(
    mentions: Iterable[StoredMention | Post],
    replies: Iterable[Reply],
    events: Iterable[Mapping[str, Any]],
    alarms: Iterable[Alarm],
    start: datetime,
    end: datetime,
    closed: Mapping[str, str] = {},
    tags: Mapping[str, Sequence[str]] = {},
) -> Report:
    """Every figure of the report for [start, end), each input read once, in turn (replies
    before mentions) and never held: `mentions` may hold others, skipped by their posting
    time; `events` are audit records as read, oldest first (`incident.read_events`);
    `closed`: mention key -> why it was closed, `tags`: -> its tags (`WorkDesk.for_reports`)."""
    first, templates = _first_replies(replies, start, end)
    tally = _Tally(start, end, first, closed, tags)
    for m in mentions:
        tally.add(post_of(m))
    approvals, rejected, blocks = _decisions(events, start, end)
    escalations = sorted(
        (_escalation(a) for a in alarms if start <= a.raised_at < end), key=lambda e: e.raised_at
    )
    acked = [e.minutes for e in escalations if e.minutes is not None]
    frame = tally.frame
    platform_volume, platforms = tally.series(tally.platforms, frame)
    category_volume, categories = tally.series(tally.categories, frame)
    return Report(
        start=start,
        end=end,
        bucket=frame.size,
        volume=tally.volume.buckets(frame),
        platform_volume=platform_volume,
        category_volume=category_volume,
        platforms=platforms,
        categories=categories,
        response_by_urgency=tally.timings("urgency"),
        response_by_queue=tally.timings("queue"),
        response_by_operator=tally.timings("operator"),
        response_all=tally.all.timing("all"),
        approvals=approvals,
        rejected=rejected,
        escalations=escalations,
        escalation_ack=timing(
            "escalations", len(escalations), acked, sum(e.late for e in escalations)
        ),
        templates=_ranked(templates),
        policy_blocks=_ranked(blocks),
        closed=_ranked(tally.closed_count),
        tags=_ranked(tally.tag_count),
    )


def _first_replies(
    replies: Iterable[Reply], start: datetime, end: datetime
) -> tuple[dict[str, tuple[datetime, str]], Counter[str]]:
    """(mention key -> when and by whom its first reply was sent; of the first two replies
    sent at once, the earlier in `replies`), and the templates of the replies sent in the
    window."""
    first: dict[str, tuple[datetime, str]] = {}
    templates: Counter[str] = Counter()
    for r in replies:
        if r.status != SENT or r.sent_at is None:
            continue
        if start <= r.sent_at < end:
            templates[r.template] += 1
        known = first.get(r.mention)
        if known is None or r.sent_at < known[0]:
            first[r.mention] = (r.sent_at, r.author)
    return first, templates


def _decisions(
    events: Iterable[Mapping[str, Any]], start: datetime, end: datetime
) -> tuple[Timing, int, Counter[str]]:
    """(approval turnaround of the drafts submitted in the window, how many of them were
    rejected, the policy findings that refused something in the window, by kind)."""
    drafted: dict[str, datetime] = {}
    decided: dict[str, tuple[datetime, str]] = {}
    blocks: Counter[str] = Counter()
    for e in events:
        action = e["action"]
        if action not in REPORTED:
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
    return timing("approvals", len(drafted), turnaround), rejected, blocks


def _escalation(alarm: Alarm) -> Escalation:
    minutes = (
        minutes_between(alarm.raised_at, alarm.acknowledged_at) if alarm.acknowledged_at else None
    )
    return Escalation(
        alarm.key, alarm.summary, alarm.raised_at, alarm.ack_due, alarm.acknowledged_by, minutes
    )


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _kind_of(finding: str) -> str:
    """A finding's kind from its message, for events written before codes were recorded:
    the words before any quoted part (`phone number '…'` -> `phone number`)."""
    return finding.split("'", 1)[0].split("(", 1)[0].strip(" :") or "policy"
