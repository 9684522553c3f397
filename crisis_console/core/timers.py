"""The timers: what happens because time passes, not because someone acted.

`Timers.tick()` re-notifies unacknowledged harm alarms, reports SLA breaches once to the
queue's owner, flags overdue checklist steps, and raises a spike suggestion once per
interval. The console calls it every few seconds; `crisis-console tick` runs it from cron.
Each thing it does is audited and notified.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from crisis_console.core.audit import AuditLog
from crisis_console.core.crisis import CrisisDesk
from crisis_console.core.crisis_state import (
    ALARMS,
    BREACHES,
    SPIKES,
    Alarm,
    CrisisState,
    Step,
    alarm_record,
)
from crisis_console.core.models import Role, SentimentLabel, StoredMention
from crisis_console.core.spikes import Point, Suggestion, suggest
from crisis_console.core.store import MentionStore


class Timers:
    """Runs the clock-driven duties of a `CrisisDesk`."""

    def __init__(self, desk: CrisisDesk, store: MentionStore, audit: AuditLog) -> None:
        self.desk, self._store, self._audit = desk, store, audit

    def tick(self) -> list[str]:
        """Run every timer once; return a line for each thing it did."""
        now = self.desk.clock()
        mentions = self._store.all()
        did: list[str] = []
        did += self._renotify_alarms(now)
        did += self._breaches(now, mentions)
        did += self._overdue_steps(now)
        suggestion = self.spike_suggestion(mentions)
        if suggestion is not None:
            did += self._announce_spike(suggestion)
        return did

    def _renotify_alarms(self, now: datetime) -> list[str]:
        ack = timedelta(minutes=self.desk.playbook.alarm_ack_minutes)
        late = [a for a in self.desk.alarms(open_only=True) if now >= a.ack_due]
        for a in late:
            again = Alarm(a.key, a.summary, a.raised_at, now + ack, a.notified + 1, "", None)
            self._store.put(ALARMS, {a.key: alarm_record(again)})
            self._audit.append(
                [self.desk.event("alarm.renotified", a.key, {"times": again.notified})]
            )
            minutes = int((now - a.raised_at).total_seconds() // 60)
            self.desk.notify(
                "harm", f"UNACKNOWLEDGED for {minutes} min: risk of harm", a.summary, a.key
            )
        return [f"re-notified alarm {a.key}" for a in late]

    def _breaches(self, now: datetime, mentions: Sequence[StoredMention]) -> list[str]:
        known = self._store.records(BREACHES)
        owners = self.desk.playbook.roles.queue_owners if self.desk.playbook.roles else {}
        answered = {
            r["mention"]
            for r in self._store.records("replies").values()
            if r["status"] in ("sending", "sent")
        }
        fresh = {
            m.key: m
            for m in mentions
            if m.triage.deadline <= now
            and m.key not in known
            and m.key not in answered
            and m.deleted_at is None
        }
        if not fresh:
            return []
        self._store.put(
            BREACHES,
            {
                k: {
                    "at": now.isoformat(),
                    "queue": m.triage.route.queue.value,
                    "deadline": m.triage.deadline.isoformat(),
                }
                for k, m in fresh.items()
            },
        )
        self._audit.append(
            [
                self.desk.event(
                    "sla.breached",
                    k,
                    {
                        "queue": m.triage.route.queue.value,
                        "deadline": m.triage.deadline.isoformat(),
                    },
                )
                for k, m in fresh.items()
            ]
        )
        by_queue = Counter(m.triage.route.queue for m in fresh.values())
        for queue, count in by_queue.items():
            owner = owners.get(queue, Role.LEAD)
            self.desk.notify(
                "sla_breach",
                f"{count} mention(s) past their SLA in the {queue.value} queue",
                "Escalated to the queue's owner.",
                f"queue:{queue.value}",
                frozenset({owner}),
            )
        return [f"{n} SLA breach(es) in {q.value}" for q, n in by_queue.items()]

    def breached(self) -> set[str]:
        return set(self._store.records(BREACHES))

    def _overdue_steps(self, now: datetime) -> list[str]:
        state = self.desk.state()
        late = [s for s in state.steps if s.overdue(now) and not s.overdue_notified]
        if not late:
            return []
        flagged = {s.id for s in late}
        steps = tuple(
            Step(
                s.id,
                s.title,
                s.owner,
                s.due,
                s.every_minutes,
                s.done_by,
                s.done_at,
                s.overdue_notified or s.id in flagged,
            )
            for s in state.steps
        )
        self.desk.save_state(CrisisState(state.level, state.since, state.by, state.reason, steps))
        for s in late:
            self._audit.append(
                [self.desk.event("checklist.overdue", f"step:{s.id}", {"due": s.due.isoformat()})]
            )
            self.desk.notify(
                "checklist",
                f"Checklist step overdue: {s.title}",
                f"Owner: {s.owner.value}; was due {s.due:%H:%M}.",
                f"step:{s.id}",
                frozenset({s.owner}) | self.desk.playbook.notified("checklist"),
            )
        return [f"checklist step {s.id} overdue" for s in late]

    # --- spikes ------------------------------------------------------------------------------

    def spike_suggestion(
        self, mentions: Sequence[StoredMention] | None = None
    ) -> Suggestion | None:
        mentions = self._store.all() if mentions is None else mentions
        points = (
            Point(
                m.triage.mention.created_at,
                m.triage.classification.sentiment.label is SentimentLabel.NEGATIVE,
                m.triage.mention.text.lower(),
            )
            for m in mentions
        )
        return suggest(points, self.desk.clock(), self.desk.playbook, self.desk.state().level)

    def _announce_spike(self, s: Suggestion) -> list[str]:
        key = f"{s.interval_start.isoformat()}:{s.level}"
        if key in self._store.records(SPIKES):
            return []
        self._store.put(
            SPIKES, {key: {"level": s.level, "evidence": s.evidence(), "reasons": list(s.reasons)}}
        )
        self._audit.append(
            [
                self.desk.event(
                    "spike.suggested",
                    f"level:{s.level}",
                    {"reasons": list(s.reasons), "evidence": s.evidence()},
                )
            ]
        )
        self.desk.notify(
            "spike",
            f"Spike: consider level {s.level} ({s.level_name})",
            "; ".join(s.reasons) + ". " + s.evidence(),
            f"level:{s.level}",
        )
        return [f"spike suggests level {s.level}"]
