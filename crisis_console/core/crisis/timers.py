"""The timers: what happens because time passes, not because someone acted.

`Timers.tick()` re-notifies unacknowledged harm alarms, reports SLA breaches once to the
queue's owner, lets claims whose lease ran out go, flags overdue checklist steps, and raises a
spike suggestion once per interval. The console calls it every few seconds; `crisis-console
tick` runs it from cron. Each thing it does is audited and notified.

A tick reads only what has come due (the store's due index), never the whole store: its cost
is the number of things due, however many mentions are stored. A backlog (the console was
closed for an hour of a crisis) is worked off in chunks of about `CHUNK` items, each its own
call holding the service's lock, so a claim or a send waits for one chunk, never for all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from crisis_console.core.actions import Action
from crisis_console.core.archive.audit import AuditEvent
from crisis_console.core.archive.audit_read import MENTIONS
from crisis_console.core.context import synchronized
from crisis_console.core.crisis.crisis import CrisisDesk
from crisis_console.core.crisis.crisis_state import Alarm, CrisisState, Step
from crisis_console.core.models import Role, SentimentLabel, StoredMention
from crisis_console.core.store.due import Due
from crisis_console.core.triage.spikes import Point, Suggestion, judge, suggest

ONE_BY_ONE = 5  # more late alarms than this are re-notified in one message
TIMERS_ACTOR = "system:timers"  # who a timer's audit record names (no login has a colon)
TIMER_ACTIONS = frozenset(
    {
        Action.ALARM_RENOTIFIED,
        Action.ALARMS_REMINDED,
        Action.SLA_BREACHED,
        Action.CHECKLIST_OVERDUE,
        Action.SPIKE_SUGGESTED,
    }
)  # the records only the timers write: the system's, whoever's process ran them
CHUNK = 2_000  # due items a tick handles (and any due at the same moment as the last)
# A batch's alarms commit milliseconds after the batch; a note this old was left by a process
# that stopped between the two (mended twice, by two processes, an alarm is still raised once:
# `file_alarms` is once per mention).
MEND_AFTER = timedelta(seconds=15)
MEND_NOTES = 20  # notes (batches of up to 500 posts) mended a tick
# Mentions one breach record names at most: a record stays tens of kilobytes, however many
# fall due at once (a line of the audit log is written, read and set aside whole).
BREACHES_A_RECORD = 500


class Timers:
    """Runs the clock-driven duties of a `CrisisDesk`."""

    def __init__(self, desk: CrisisDesk) -> None:
        self.desk, self._store, self._audit = desk, desk.ctx.store, desk.ctx.audit
        self.lock = desk.lock
        self.backlog = False  # whether the last tick left items due for the next

    def _event(
        self, action: Action, subject: str, data: Mapping[str, Any], at: datetime | None = None
    ) -> AuditEvent:
        """A timer's record: the system's doing, not the operator whose process ran it
        (named as `ticked_by`), at `at` (default: now)."""
        return AuditEvent(
            action,
            subject,
            TIMERS_ACTOR,
            at or self.desk.clock(),
            {**data, "ticked_by": self.desk.ctx.me},
        )

    def tick_all(self) -> list[str]:
        """Tick until nothing due is left (the lock is released between chunks)."""
        did = self.tick()
        while self.backlog:
            did += self.tick()
        return did

    @synchronized
    def tick(self) -> list[str]:
        """Run every timer once, over at most a chunk of what is due (see `backlog`); return
        a line for each thing it did. Only the leader ticks (`MentionStore.is_leader`): the
        timers run once however many processes are open."""
        if not self._store.is_leader():
            self.backlog = False
            return []
        now = self.desk.clock()
        due = self._store.due.due(now, CHUNK)
        through = due[-1].at if len(due) >= CHUNK else now
        self.backlog = through < now
        by_kind: dict[str, list[str]] = {}
        for entry in due:
            by_kind.setdefault(entry.kind, []).append(entry.key)
        did = self._mend_pending_alarms()
        did += self._renotify_alarms(now, by_kind.get("alarm", []), "alarm-round" in by_kind)
        did += self._breaches(now, by_kind.get("sla", []))
        self._store.state.claims.expire(by_kind.get("claim", []), now)
        did += self._overdue_steps(now)
        suggestion = self.spike_suggestion()
        if suggestion is not None:
            did += self._announce_spike(suggestion)
        # Handled: a crash before this only repeats checks.
        self._store.due.clear_through(through)
        # Everything logged is in the store: a restart need not read back past this tick.
        self._store.save([], applied=self._audit.last_seq)
        return did

    def _mend_pending_alarms(self) -> list[str]:
        """Raise the alarms that a process killed between a batch's commit and its alarms'
        left unraised (`contract.PendingAlarms`): for each note at least `MEND_AFTER` old,
        an alarm for each of its posts that still escalates and never had one (deleted
        since or not: a self-harm post deleted in a hurry is the one that matters), filed
        with the note's clearing, as the batch would have. A line for each alarm raised."""
        pending = self._store.pending_alarms
        did: list[str] = []
        for token, keys in pending.older_than(MEND_AFTER, MEND_NOTES):
            posts = self._store.get_many(keys).values()
            escalated = [s for s in posts if s.triage.classification.escalate]
            with self._store.together():
                raised = self.desk.file_alarms(escalated, self._event)
                pending.clear(token)
            self.desk.ring(raised)
            did += [
                f"alarm raised for {a.key}: the process that stored it stopped first"
                for a in raised
            ]
        return did

    def _renotify_alarms(self, now: datetime, keys: Sequence[str], round_due: bool) -> list[str]:
        """Alarms still open past their acknowledgement time are notified again. While few
        are open, each keeps its own reminder; once more than `ONE_BY_ONE` are, each late
        alarm is reminded of once more (and audited) and then joins a round: one reminder,
        one audit record, every `alarm_ack_minutes` while they stay many, however many they
        are. When they become few again, each gets its own reminder back."""
        alarms, ack = (
            self._store.state.alarms,
            timedelta(minutes=self.desk.playbook.alarm_ack_minutes),
        )
        late = [a for a in alarms.get_many(dict.fromkeys(keys)) if a.open and now >= a.ack_due]
        count = alarms.open_count()  # (a number kept up to date: not a read of the alarms)
        many, scheduled = count > ONE_BY_ONE, alarms.round_due()
        did: list[str] = []
        # A round is due at its time; a round reminder whose record a crash lost still runs.
        if (round_due and scheduled is None) or (scheduled is not None and scheduled <= now):
            _, oldest = alarms.summary() if many else (count, None)
            if oldest is not None:
                did += self._remind_round(now, count, oldest)
            elif count:  # few again: back to one reminder each
                known = {a.key for a in late}
                late += [a for a in alarms.open() if a.key not in known]
            if not many and scheduled is not None:
                alarms.set_round(None)
            scheduled = None
        if many and scheduled is None:
            # The round's reminder first: a crash after it leaves a round about nothing.
            self._store.due.add([Due(now + ack, "alarm-round", "alarms")])
            alarms.set_round(now + ack)
        if not late:
            return did
        again = [
            Alarm(a.key, a.summary, a.raised_at, now + ack, a.notified + 1, "", None) for a in late
        ]
        if not many:
            self._store.due.add(Due(a.ack_due, "alarm", a.key) for a in again)
        self._audit.append(
            [self._event(Action.ALARM_RENOTIFIED, a.key, {"times": a.notified}) for a in again]
        )
        alarms.save(again)
        if len(late) > ONE_BY_ONE:
            # Hundreds of reminders at once help nobody: one message says how many and which
            # has waited longest (each is still in the audit log).
            first = min(late, key=lambda a: a.raised_at)
            minutes = int((now - first.raised_at).total_seconds() // 60)
            self.desk.notify(
                "harm",
                f"{len(late):,} harm alarms UNACKNOWLEDGED, the oldest for {minutes} min",
                first.summary,
                first.key,
            )
            return [*did, f"re-notified {len(late):,} alarms"]
        for a in late:
            minutes = int((now - a.raised_at).total_seconds() // 60)
            self.desk.notify(
                "harm", f"UNACKNOWLEDGED for {minutes} min: risk of harm", a.summary, a.key
            )
        return [*did, *(f"re-notified alarm {a.key}" for a in late)]

    def _remind_round(self, now: datetime, count: int, oldest: Alarm) -> list[str]:
        minutes = int((now - oldest.raised_at).total_seconds() // 60)
        self._audit.append(
            [self._event(Action.ALARMS_REMINDED, "alarms", {"open": count, "oldest": oldest.key})]
        )
        self.desk.notify(
            "harm",
            f"{count:,} harm alarms UNACKNOWLEDGED, the oldest for {minutes} min",
            oldest.summary,
            oldest.key,
        )
        return [f"reminded of {count:,} open alarms"]

    def _breaches(self, now: datetime, keys: Sequence[str]) -> list[str]:
        owners = self.desk.playbook.roles.queue_owners if self.desk.playbook.roles else {}
        breaches = self._store.state.breaches
        # One read of what is overdue, not a mention built for each: a crisis has a thousand
        # fall due a minute. (Those breached already are rare here; `add_new` leaves them out.)
        overdue = self._store.overdue_among(dict.fromkeys(keys), now)
        at = now.isoformat()
        records = {
            key: {"at": at, "queue": queue, "deadline": deadline.isoformat()}
            for key, (queue, deadline) in overdue.items()
        }

        def log(new: Mapping[str, Any]) -> None:
            # One record a queue (up to `BREACHES_A_RECORD` mentions), naming each mention
            # and its deadline, as the owner gets one message a queue: a crisis has a
            # thousand fall due a minute, and a record each was most of a tick (hashed,
            # written and indexed one by one).
            logged, me = self.desk.clock(), self.desk.ctx.me
            by_queue: dict[str, list[str]] = {}
            for k in sorted(new):
                by_queue.setdefault(records[k]["queue"], []).append(k)
            self._audit.append(
                [
                    AuditEvent(Action.SLA_BREACHED, f"queue:{queue}", TIMERS_ACTOR, logged, {
                        "queue": queue, "count": len(part), "ticked_by": me,
                        MENTIONS: {k: records[k]["deadline"] for k in part},
                    })
                    for queue, late in sorted(by_queue.items())
                    for part in _parts(late, BREACHES_A_RECORD)
                ]
            )  # fmt: skip

        # Once per mention, atomically, the audit record first.
        added = breaches.add_new(records, log)
        if not added:
            return []
        by_queue = Counter(Role(overdue[key][0]) for key in added)
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

    @synchronized
    def breached(self) -> set[str]:
        return {key for key, _ in self._store.state.breaches}

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
                [self._event(Action.CHECKLIST_OVERDUE, f"step:{s.id}", {"due": s.due.isoformat()})]
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

    @synchronized
    def spike_suggestion(
        self, mentions: Sequence[StoredMention] | None = None
    ) -> Suggestion | None:
        """The latest interval against its baseline: from `mentions`, or from the store's
        counters (a few small files, however large the store)."""
        playbook, now, level = self.desk.playbook, self.desk.clock(), self.desk.state().level
        rules = playbook.spike
        if rules is None:
            return None
        if mentions is None:
            width = timedelta(minutes=rules.interval_minutes)
            intervals = self._store.volume.intervals(now, width, rules.baseline_intervals + 1)
            return judge(intervals, now.replace(second=0, microsecond=0), playbook, level)
        points = (
            Point(
                m.triage.mention.created_at,
                m.triage.classification.sentiment.label is SentimentLabel.NEGATIVE,
                m.triage.mention.text.lower(),
            )
            for m in mentions
        )
        return suggest(points, now, playbook, level)

    def _announce_spike(self, s: Suggestion) -> list[str]:
        key = f"{s.interval_start.isoformat()}:{s.level}"
        record = {"level": s.level, "evidence": s.evidence(), "reasons": list(s.reasons)}
        event = self._event(
            Action.SPIKE_SUGGESTED,
            f"level:{s.level}",
            {"reasons": list(s.reasons), "evidence": s.evidence()},
        )
        if not self._store.state.spikes.add_new(
            {key: record}, lambda _: self._audit.append([event])
        ):
            return []  # already suggested for this interval
        self.desk.notify(
            "spike",
            f"Spike: consider level {s.level} ({s.level_name})",
            "; ".join(s.reasons) + ". " + s.evidence(),
            f"level:{s.level}",
        )
        return [f"spike suggests level {s.level}"]


def _parts(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """`items` in consecutive parts of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
