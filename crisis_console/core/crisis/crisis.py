"""Crisis mode: the level, its checklist, and harm alarms, for one operator.

`CrisisDesk` keeps its state in the store's small tables and writes an audit event for
every change, including refusals. The timers that act on this state live in `timers`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from crisis_console.core.actions import Action, Permission
from crisis_console.core.archive.audit import AuditEvent
from crisis_console.core.context import OperatorContext, synchronized
from crisis_console.core.crisis.crisis_state import (
    Alarm,
    AlarmSummary,
    CrisisState,
    Step,
    parse_time,
    step_from,
    step_record,
)
from crisis_console.core.models import Clock, Role, StoredMention
from crisis_console.core.playbook.playbook import Level, Playbook
from crisis_console.core.roster import Operator
from crisis_console.core.store.due import Due
from crisis_console.core.store.inbox import InboxFilter

EventMaker = Callable[[Action, str, Mapping[str, Any]], AuditEvent]


class CrisisDesk:
    """Crisis level, checklist, alarms and timers for one operator."""

    def __init__(self, ctx: OperatorContext) -> None:
        self.ctx, self.lock = ctx, ctx.lock
        self._store, self._audit, self._triager = ctx.store, ctx.audit, ctx.triager

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    @property
    def operator(self) -> Operator:
        return self.ctx.operator

    @property
    def playbook(self) -> Playbook:
        return self._triager.playbook

    # --- permission and audit (the context's, for the timers) ----------------------------------

    def event(self, action: Action, subject: str, data: Mapping[str, Any]) -> AuditEvent:
        return self.ctx.event(action, subject, data)

    def require(
        self, action: Permission, subject: str, extra: frozenset[Role] = frozenset()
    ) -> None:
        self.ctx.require(action, subject, extra)

    def notify(
        self, kind: str, title: str, body: str, subject: str, roles: frozenset[Role] | None = None
    ) -> None:
        self.ctx.notify(kind, title, body, subject, roles)

    # --- level and checklist -----------------------------------------------------------------

    @synchronized
    def state(self) -> CrisisState:
        record = self._store.state.crisis.get()
        if record is None:
            return CrisisState(0, None, "", "", ())
        return CrisisState(
            record["level"],
            parse_time(record["since"]),
            record["by"],
            record["reason"],
            tuple(step_from(s) for s in record["steps"]),
        )

    @synchronized
    def current_level(self) -> Level:
        return self.playbook.level(self.state().level)

    @synchronized
    def set_level(self, number: int, reason: str) -> CrisisState:
        """Move to level `number`: audited, checklist started, open mentions re-routed."""
        self.require(Permission.CHANGE_LEVEL, f"level:{number}")
        known = [level.number for level in self.playbook.levels] or [0]
        if number not in known:
            raise ValueError(f"no level {number} in playbook '{self.playbook.id}'; levels: {known}")
        if not reason.strip():
            raise ValueError("a level change needs a reason")
        before, now = self.state(), self.clock()
        level = self.playbook.level(number)
        steps = tuple(
            Step(
                s.id,
                s.title,
                s.owner,
                now + timedelta(minutes=s.due_minutes),
                s.every_minutes,
                "",
                None,
                False,
            )
            for s in level.checklist
        )
        after = CrisisState(number, now, self.operator.name, reason.strip(), steps)
        self._audit.append(
            [
                self.event(
                    Action.LEVEL_CHANGED,
                    f"level:{number}",
                    {
                        "from": before.level,
                        "to": number,
                        "reason": after.reason,
                        "name": level.name,
                        "checklist": [s.id for s in steps],
                        "rerouted": self._rerouted(before.level, level),
                    },
                )
            ]
        )
        # Nothing is rewritten: every mention carries its queue at each level (`Route.at`),
        # so the change costs the same at ten mentions or a million.
        self.save_state(after)
        verb = "raised" if number > before.level else "lowered"
        self.notify(
            "level",
            f"Crisis level {verb} to {number} ({level.name})",
            f"By {self.operator.name}: {after.reason}. Mentions now route as at this level.",
            f"level:{number}",
        )
        return after

    def _rerouted(self, was: int, level: Level) -> dict[str, Any]:
        """What a change from level `was` to `level` does to the open mentions (not deleted,
        not answered), for its audit record: how many there are in each queue before and
        after. The inbox's own counts (`InboxPage.queue_counts`), so the record shows what
        every console's status line shows."""
        inbox, now = self._store.inbox, self.clock()
        before = inbox.page(InboxFilter(), 0, 0, was, now).queue_counts
        after = inbox.page(InboxFilter(), 0, 0, level.number, now).queue_counts
        return {
            "open": sum(after.values()),
            "queues_before": dict(sorted(before.items())),
            "queues_after": dict(sorted(after.items())),
            "note": f"open mentions now route to the queues of level {level.number} "
            f"({level.name}); each keeps the SLA in force when it arrived",
        }

    @synchronized
    def save_state(self, state: CrisisState) -> None:
        self._store.state.crisis.set(
            {
                "level": state.level,
                "since": state.since.isoformat() if state.since else None,
                "by": state.by,
                "reason": state.reason,
                "steps": [step_record(s) for s in state.steps],
            }
        )

    @synchronized
    def tick_step(self, step_id: str) -> Step:
        """Mark a checklist step done (its owner role or lead); a repeating step comes due again."""
        state = self.state()
        step = next((s for s in state.steps if s.id == step_id), None)
        if step is None:
            raise ValueError(f"no checklist step '{step_id}' at level {state.level}")
        self.require(Permission.TICK_CHECKLIST, f"step:{step_id}", frozenset({step.owner}))
        return self._tick(state, step, self.operator.name, {})

    @synchronized
    def tick_done_by(self, template_id: str, by: str, data: Mapping[str, Any]) -> list[Step]:
        """Tick, as done by `by`, each step of the level in force that `template_id` does
        (its playbook `template`) and that is not done yet; audited with `data`. Asks no
        permission of this operator: the core calls it once a batch of that template is
        sent to every mention of it (`replies/batch.py`), each reply approved and sent
        under every rule, and `by` is who approved it."""
        state = self.state()
        level = self.playbook.level(state.level)
        doing = {s.id for s in level.checklist if s.template == template_id}
        ticked = []
        for step in state.steps:
            if step.id in doing and step.done_at is None:
                ticked.append(self._tick(self.state(), step, by, data))
        return ticked

    def _tick(self, state: CrisisState, step: Step, by: str, data: Mapping[str, Any]) -> Step:
        now = self.clock()
        if step.every_minutes:
            # An update cadence: the next one is due a full period after this one was done.
            done = Step(
                step.id,
                step.title,
                step.owner,
                now + timedelta(minutes=step.every_minutes),
                step.every_minutes,
                by,
                None,
                False,
            )
        else:
            done = Step(step.id, step.title, step.owner, step.due, 0, by, now, False)
        record = {"level": state.level, "title": step.title, "due": step.due.isoformat(),
                  "late": now > step.due, **data}  # fmt: skip
        self._audit.append(
            [AuditEvent(Action.CHECKLIST_TICKED, f"step:{step.id}", by, now, record)]
        )
        steps = tuple(done if s.id == step.id else s for s in state.steps)
        self.save_state(CrisisState(state.level, state.since, state.by, state.reason, steps))
        return done

    # --- harm alarms -------------------------------------------------------------------------

    @synchronized
    def alarms(self, open_only: bool = False) -> list[Alarm]:
        alarms = self._store.state.alarms
        return alarms.open() if open_only else alarms.all()

    @synchronized
    def alarm_summary(self) -> AlarmSummary:
        """How many alarms wait for acknowledgement, and the oldest (cheap at any size)."""
        return self._store.state.alarms.summary()

    @synchronized
    def alarm(self, key: str) -> Alarm | None:
        return self._store.state.alarms.get(key)

    @synchronized
    def raise_alarms(self, escalated: Sequence[StoredMention]) -> None:
        """A new escalated mention raises an alarm, notifies at once, and starts its timer."""
        self.raise_alarms_for_ingest(escalated)

    def raise_alarms_for_ingest(self, escalated: Sequence[StoredMention]) -> None:
        """`raise_alarms` without taking the lock: only for an ingest that holds it, from
        the thread that writes its batches (which must not take it, or the two would wait
        on each other)."""
        self.ring(self.file_alarms(escalated))

    def file_alarms(
        self, escalated: Sequence[StoredMention], event: EventMaker | None = None
    ) -> list[Alarm]:
        """The alarms of `escalated` written, once per mention (those raised before are left
        out), but not rung: return them, for `ring` once the caller's unit of work
        (`MentionStore.together`) holding them and their mentions is committed. Takes no
        lock (see `raise_alarms_for_ingest`). `event`: makes their audit records (default:
        the operator's; the timers' are the system's)."""
        make = event or self.event
        wanted = self._new_alarms(escalated)
        if not wanted:
            return []
        # Reminders first: a crash after them leaves a reminder about nothing, never an
        # alarm nobody is reminded of. On a database server the two are one transaction.
        with self._store.together():
            self._store.due.add(Due(a.ack_due, "alarm", a.key) for a in wanted)
            return self._store.state.alarms.add_new(  # once per mention, atomically
                wanted,
                lambda raised: self._audit.append(
                    [make(Action.ALARM_RAISED, a.key, {"summary": a.summary}) for a in raised]
                ),
            )

    def ring(self, alarms: Iterable[Alarm]) -> None:
        """Notify of alarms just raised (once they are committed)."""
        for alarm in alarms:
            self._ring(alarm)

    def _new_alarms(self, escalated: Sequence[StoredMention]) -> list[Alarm]:
        now = self.clock()
        ack = timedelta(minutes=self.playbook.alarm_ack_minutes)
        return [Alarm(s.key, _summary(s), now, now + ack, 1, "", None) for s in escalated]

    def _ring(self, alarm: Alarm) -> None:
        self.notify("harm", "Risk of harm: acknowledge now", alarm.summary, alarm.key)

    @synchronized
    def raise_again(self, stored: StoredMention) -> None:
        """A mention judged harm once more (a person's correction): its alarm, raised anew
        if it was acknowledged before (an alarm is once per mention only while it is open)."""
        self.raise_again_for_ingest(stored)

    def raise_again_for_ingest(self, stored: StoredMention) -> None:
        """`raise_again` without taking the lock (see `raise_alarms_for_ingest`): an edit
        that shows harm in a post that did not escalate before."""
        self.ring(self.file_again(stored))

    def file_again(self, stored: StoredMention) -> list[Alarm]:
        """`raise_again`'s alarm written but not rung (see `file_alarms`): [] when its
        alarm is open already."""
        alarms = self._store.state.alarms
        if alarms.get(stored.key) is None:
            return self.file_alarms([stored])
        [again] = self._new_alarms([stored])
        data = {"summary": again.summary, "again": True}
        with self._store.together():
            self._store.due.add([Due(again.ack_due, "alarm", again.key)])  # harmless if not
            raised = alarms.raise_again(
                again,
                lambda _: self._audit.append([self.event(Action.ALARM_RAISED, again.key, data)]),
            )
        return [raised] if raised is not None else []

    @synchronized
    def acknowledge(self, key: str) -> Alarm:
        alarm = self.alarm(key)
        if alarm is None:
            raise ValueError(f"no alarm for {key}")
        self.require(Permission.ACKNOWLEDGE_ALARM, key)
        if not alarm.open:
            return alarm
        done = Alarm(
            alarm.key,
            alarm.summary,
            alarm.raised_at,
            alarm.ack_due,
            alarm.notified,
            self.operator.name,
            self.clock(),
        )
        self._audit.append(
            [
                self.event(
                    Action.ALARM_ACKNOWLEDGED,
                    key,
                    {"raised_at": alarm.raised_at.isoformat(), "notified": alarm.notified},
                )
            ]
        )
        self._store.state.alarms.save([done])
        return done

    # --- replies at this level (used by the reply composer) ----------------------------------

    @synchronized
    def template_allowed(self, template_id: str) -> bool:
        allowed = self.current_level().templates
        return "*" in allowed or template_id in allowed


def _summary(s: StoredMention) -> str:
    m, c = s.triage.mention, s.triage.classification
    text = " ".join(m.text.split())
    who = f"@{m.author}" if m.author else "an unnamed author"
    return f"{c.category.value} from {who} on {m.platform.value}: {text[:140]}"
