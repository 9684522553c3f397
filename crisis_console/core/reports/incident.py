"""The timeline of one crisis, for leadership and legal, from the audit log and the store.

In order: level changes (who, why), spike evidence, checklist steps done or overdue,
holding statements and replies sent, harm alarms and their acknowledgement. What the timers
did (a spike suggested, a step overdue) is shown as the system's (`SYSTEM`), not as the
operator whose process ran them. Beside each event: the volume and negative share in the
`AROUND` minutes before it and after it. The checklist of every level entered lists each
step's due time (the level change plus the playbook's `due_minutes`) against when it was
first ticked, and by whom.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from crisis_console.core.actions import Action
from crisis_console.core.crisis.timers import TIMER_ACTIONS
from crisis_console.core.models import StoredMention
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.replies.reply_model import Reply
from crisis_console.core.reports.posts import Post, post_of
from crisis_console.core.reports.report import stamp
from crisis_console.core.reports.series import Bucket, Frame, Series, share_of, slot_of

AROUND = timedelta(minutes=30)
SYSTEM = "system"  # who the timers' doing is shown as
HOLDING = "holding-statement"  # templates whose id starts so are holding statements
KINDS = ("level", "spike", "checklist", "overdue", "holding", "reply", "alarm", "ack")
INCIDENT_ACTIONS = frozenset(
    {
        Action.LEVEL_CHANGED,
        Action.SPIKE_SUGGESTED,
        Action.CHECKLIST_TICKED,
        Action.CHECKLIST_OVERDUE,
        Action.SEND,
        Action.ALARM_RAISED,
        Action.ALARM_ACKNOWLEDGED,
    }
)  # the audit actions a timeline shows or reads (`_entry`, `build_incident`)


@dataclass(frozen=True, slots=True)
class Around:
    """Mentions posted in the `AROUND` minutes before and after an event."""

    before: int
    before_negative: int
    after: int
    after_negative: int

    @property
    def before_share(self) -> float:
        return share_of(self.before_negative, self.before)

    @property
    def after_share(self) -> float:
        return share_of(self.after_negative, self.after)


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    kind: str  # one of KINDS
    who: str
    title: str
    detail: str
    around: Around


@dataclass(frozen=True, slots=True)
class StepRow:
    level: int
    step: str
    title: str
    due: datetime
    done_at: datetime | None
    done_by: str
    late: bool  # done after its due time, or not done while its due time has passed

    @property
    def status(self) -> str:
        if self.done_at is not None:
            return "late" if self.late else "on time"
        return "overdue" if self.late else "not yet due"


@dataclass(frozen=True, slots=True)
class Incident:
    start: datetime
    end: datetime
    entries: list[Entry]
    checklist: list[StepRow]
    volume: list[Bucket]
    bucket: timedelta
    peak_level: int


def build_incident(
    mentions: Iterable[StoredMention | Post],
    replies: Iterable[Reply],
    events: Iterable[Mapping[str, Any]],
    playbook: Playbook,
    start: datetime,
    end: datetime,
) -> Incident:
    """The timeline of [start, end); `events` are audit records as read, oldest first.

    Each input is read once, in turn: replies, events, then mentions, of which nothing is
    kept but counts (the window's volume, and the posts around each event). `mentions` may
    hold others: only those posted in the window, give or take `AROUND`, count."""
    by_id = {r.id: r for r in replies}
    found: list[tuple[datetime, str, str, str, str]] = []  # at, kind, who, title, detail
    changes: list[tuple[datetime, int, str]] = []
    ticks: dict[str, list[tuple[datetime, str]]] = {}
    for e in events:
        at = datetime.fromisoformat(e["at"])
        if not start <= at < end:
            continue
        entry = _entry(e, at, by_id)
        if entry is not None:
            found.append((at, entry[0], shown_actor(e), entry[1], entry[2]))
        if e["action"] == Action.LEVEL_CHANGED:
            changes.append((at, int(e["data"]["to"]), e["actor"]))
        elif e["action"] == Action.CHECKLIST_TICKED:
            ticks.setdefault(e["subject"].removeprefix("step:"), []).append((at, e["actor"]))
    frame = Frame.over(start, end)  # the whole window: its events are drawn on it too
    series = Series()
    around = _Arounds(at for at, *_ in found)
    for m in mentions:
        post = post_of(m)
        posted, negative = post.created_at, post.negative
        around.add(posted, negative)
        if start <= posted < end:
            series.add(slot_of(posted), negative)
    near = around.counts()
    return Incident(
        start,
        end,
        [Entry(at, kind, who, title, detail, near(at)) for at, kind, who, title, detail in found],
        _checklist(changes, ticks, playbook, end),
        series.buckets(frame),
        frame.size,
        max((level for _, level, _ in changes), default=0),
    )


def shown_actor(e: Mapping[str, Any]) -> str:
    """Who a record is shown as: `SYSTEM` for the system's doing (an actor `system:…`, such
    as the timers', and a timer's action in a record written before they were named so),
    else its actor."""
    actor = str(e.get("actor", ""))
    return SYSTEM if actor.startswith("system:") or e["action"] in TIMER_ACTIONS else actor


def _entry(
    e: Mapping[str, Any], at: datetime, replies: Mapping[str, Reply]
) -> tuple[str, str, str] | None:
    action, data = e["action"], e.get("data", {})
    if action == Action.LEVEL_CHANGED:
        title = f"Level {data['from']} → {data['to']} ({data.get('name', '')})"
        return "level", title, data.get("reason", "")
    if action == Action.SPIKE_SUGGESTED:
        return (
            "spike",
            f"Spike: {e['subject'].replace('level:', 'level ')} suggested",
            data.get("evidence", ""),
        )
    if action == Action.CHECKLIST_TICKED:
        late = " (late)" if data.get("late") else ""
        return (
            "checklist",
            f"Done: {data.get('title', e['subject'])}{late}",
            _due(data),
        )
    if action == Action.CHECKLIST_OVERDUE:
        return (
            "overdue",
            f"Overdue: {e['subject'].removeprefix('step:')}",
            _due(data),
        )
    if action == Action.SEND:
        reply = replies.get(data.get("reply", ""))
        template = reply.template if reply else ""
        kind = "holding" if template.startswith(HOLDING) else "reply"
        label = "Holding statement" if kind == "holding" else "Reply"
        return kind, f"{label} to {e['subject']} ({template})", data.get("text", "")
    if action == Action.ALARM_RAISED:
        return "alarm", f"Harm alarm: {e['subject']}", data.get("summary", "")
    if action == Action.ALARM_ACKNOWLEDGED:
        return (
            "ack",
            f"Alarm acknowledged: {e['subject']}",
            _minute("raised", data.get("raised_at")),
        )
    return None


def _due(data: Mapping[str, Any]) -> str:
    return _minute("due", data.get("due"))


def _minute(label: str, iso: Any) -> str:
    """`due 10:30 UTC` from an ISO time in an event's data."""
    if not isinstance(iso, str):
        return ""
    return f"{label} {stamp(datetime.fromisoformat(iso))}"


class _Arounds:
    """The posts in the `AROUND` before and after each of some times, counted as posts pass.
    A post is before the times in (posted, posted + AROUND] and after those in
    (posted - AROUND, posted]: a run of the sorted times, marked where it starts and ends."""

    def __init__(self, times: Iterable[datetime]) -> None:
        self.times = sorted(times)
        # Marks for: before, before and negative, after, after and negative.
        self.marks = [[0] * (len(self.times) + 1) for _ in range(4)]

    def add(self, posted: datetime, negative: bool) -> None:
        times = self.times
        if not times or posted < times[0] - AROUND or posted >= times[-1] + AROUND:
            return
        edges = [bisect.bisect_right(times, t) for t in (posted - AROUND, posted, posted + AROUND)]
        for kind, lo, hi in ((0, edges[1], edges[2]), (2, edges[0], edges[1])):
            for marks in self.marks[kind : kind + 1 + negative] if lo < hi else ():
                marks[lo] += 1
                marks[hi] -= 1

    def counts(self) -> Callable[[datetime], Around]:
        """The counts around a time that is one of `times`."""
        rows = [Around(*row) for row in zip(*(accumulate(m) for m in self.marks), strict=True)]
        return lambda at: rows[bisect.bisect_left(self.times, at)]


def _checklist(
    changes: Sequence[tuple[datetime, int, str]],
    ticks: Mapping[str, Sequence[tuple[datetime, str]]],
    playbook: Playbook,
    end: datetime,
) -> list[StepRow]:
    levels = {level.number: level for level in playbook.levels}
    rows: list[StepRow] = []
    for i, (at, number, _) in enumerate(changes):
        until = changes[i + 1][0] if i + 1 < len(changes) else end
        level = levels.get(number)
        for step in level.checklist if level else ():
            done = next(((t, who) for t, who in ticks.get(step.id, ()) if at <= t < until), None)
            rows.append(
                StepRow(
                    number,
                    step.id,
                    step.title,
                    at + timedelta(minutes=step.due_minutes),
                    done[0] if done else None,
                    done[1] if done else "",
                    (done[0] if done else until) > at + timedelta(minutes=step.due_minutes),
                )
            )
    return rows


def crisis_window(events: Iterable[Mapping[str, Any]], now: datetime) -> tuple[datetime, datetime]:
    """The latest crisis: from the last change up from level 0 to the next change back to 0
    (or now), with `AROUND` either side so its run-up shows. The last 24 hours if there was
    never a crisis."""
    start: datetime | None = None
    end: datetime | None = None
    for e in events:
        if e["action"] != Action.LEVEL_CHANGED:
            continue
        at, data = datetime.fromisoformat(e["at"]), e["data"]
        if data["from"] == 0 and data["to"] > 0:
            start, end = at, None
        elif data["to"] == 0 and start is not None:
            end = at
    if start is None:
        return now - timedelta(hours=24), now
    return start - AROUND, min((end or now) + AROUND, now + timedelta(seconds=1))
