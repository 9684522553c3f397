"""The work desk: assign, note, tag, close and reopen mentions, one or a selection at once.

A call over a selection is one service call. Its checks and its write are one step under
the store's state lock (`WorkTable.lock`: one transaction in team mode), and each key is
checked on its own: a key refused (no such mention, closed already, answered, a harm post
closed by other than a lead) is reported in the `Outcome`, audited, and never stops the
others. The audit records of what was done and of what was refused are one append, made
before the write (in team mode in the same transaction). A call costs its keys: each table
it reads, it reads for those keys alone, in one read.

Who may (`permissions.BASE`, lead always): assign or unassign, social; note and tag,
everyone who answers (social, support, pr, legal); close for any reason, social; close as
spam or a duplicate, and reopen, everyone who answers. A refusal by role refuses the whole
call (`PermissionDenied`), audited for each key. Claiming and acknowledging alarms take a
selection too, with the rules they have one at a time (`selection`).

Assigned to a team member, a mention shows in their "my queue" and in the Who column, and a
notice is kept for them (`notices`): their console, open or next opened, tells them. Moved
to a queue, it is in that queue at every crisis level, and nobody's in particular. Closed,
it leaves the open inbox and the queues' counts, its SLA clock stops, and reports count it
apart; reopened, it is back, and its SLA is checked again at the next tick.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from crisis_console.core.actions import Action, Permission
from crisis_console.core.archive.audit import AuditEvent
from crisis_console.core.context import OperatorContext, synchronized
from crisis_console.core.models import Role
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.replies.claims import ClaimDesk
from crisis_console.core.roster import Roster
from crisis_console.core.store.due import Due
from crisis_console.core.work.model import (
    COMMENT_CHARS,
    JUNK,
    NOTE_CHARS,
    NOTES_KEPT,
    TAGS_KEPT,
    Assignment,
    Closure,
    MentionWork,
    Note,
    Notice,
    Outcome,
    WorkError,
    check_reason,
    check_text,
    normalise_tag,
    noticed,
    work_of,
    work_record,
)
from crisis_console.core.work.selection import (
    acknowledge_all,
    claim_all,
    refusal,
    require_all,
    selection,
)

QUEUE_PREFIX = "queue:"  # `assign(keys, "queue:legal")`: the queue, where a person has its name
# What `decide` returns for one key: the work it is to have and the audit record's data;
# None: nothing to change; a string: why it is refused.
Decision = tuple[MentionWork, dict[str, Any]] | str | None


def playbook_queues(playbook: Playbook) -> tuple[str, ...]:
    """The queues a mention can be in under `playbook`: its default queue and its rules',
    the lead's (harm goes there), pr's where a level is a crisis (negatives go there), and
    the queues it names owners for."""
    found = {playbook.default_queue, Role.LEAD, *(r.queue for r in playbook.routing_rules)}
    if any(level.crisis for level in playbook.levels):
        found.add(Role.PR)
    if playbook.roles is not None:
        found |= set(playbook.roles.queue_owners)
    return tuple(sorted(q.value for q in found))


class WorkDesk:
    """Work on mentions for one operator (see the module docstring). `team()`: the team as
    it is now, to check who a mention is assigned to."""

    def __init__(self, ctx: OperatorContext, team: Callable[[], Roster], claims: ClaimDesk) -> None:
        self.ctx, self.lock, self._team, self._claims = ctx, ctx.lock, team, claims
        self._store, self._work = ctx.store, ctx.store.state.work

    # --- reading ------------------------------------------------------------------------

    @synchronized
    def detail(self, key: str) -> MentionWork:
        """Everything worked on `key` (for its detail pane): its assignment, tags, closure
        and notes, in two keyed reads; a mention never worked on has none of them."""
        return work_of(key, self._work.get(key), self._work.notes(key))

    def queues(self) -> tuple[str, ...]:
        """The queues a mention can be assigned to (`playbook_queues`)."""
        return playbook_queues(self.ctx.playbook)

    def offered_tags(self) -> tuple[str, ...]:
        """The playbook's own tags, to offer first; any other tag may be given too."""
        return self.ctx.playbook.tags

    @synchronized
    def for_reports(self) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
        """Every mention closed (key -> reason) and every one tagged (key -> its tags), for
        the reports: one pass over the work records (as many as mentions worked on)."""
        closed: dict[str, str] = {}
        tags: dict[str, tuple[str, ...]] = {}
        for key, record in self._work:
            work = work_of(key, record, None)
            if work.closure is not None:
                closed[key] = work.closure.reason
            if work.tags:
                tags[key] = work.tags
        return closed, tags

    @synchronized
    def notices(self, unseen: bool = True) -> list[Notice]:
        """What was assigned to this operator, oldest first: the notices not yet marked
        seen (`unseen`), or every one kept. One keyed read."""
        record = self._work.notices(self.ctx.me) or {"seen": 0, "items": []}
        after = int(record["seen"]) if unseen else 0
        return [Notice.from_record(i) for i in record["items"] if i["n"] > after]

    @synchronized
    def tell(self, name: str, keys: Sequence[str], what: str, text: str) -> None:
        """Leave team member `name` a notice (`what`, e.g. REJECTED, with `text`) about
        `keys`, for their console to show, told once. Not audited here: what it tells of
        is (the rejection's own record). Nobody is told of what they did themselves."""
        if name == self.ctx.me or not keys:
            return
        with self._work.lock:
            now = self.ctx.clock()
            record = noticed(self._work.notices(name), self.ctx.me, now, keys, what, text)
            self._work.write({}, notices={name: record})

    @synchronized
    def seen_notices(self, upto: int) -> None:
        """Mark this operator's notices up to number `upto` seen (the console has shown
        them). Not audited: it changes nothing about a mention."""
        with self._work.lock:
            record = self._work.notices(self.ctx.me)
            if record is None or int(record["seen"]) >= upto:
                return
            self._work.write({}, notices={self.ctx.me: {**record, "seen": upto}})

    # --- assigning ------------------------------------------------------------------------

    @synchronized
    def assign(self, keys: Sequence[str], to: str) -> Outcome:
        """Assign each mention to `to`: a team member's name (who must be on the team and
        not only an auditor), or a queue of the playbook (`queues`; `queue:NAME` where a
        team member has the queue's name). To a person, the queue it is in is kept; to a
        queue, it leaves whoever had it. A closed mention is refused: reopen it first."""
        require_all(self.ctx, Permission.ASSIGN, selection(keys))  # a refusal first, then the name
        person, queue = self._target(to)
        now, me = self.ctx.clock(), self.ctx.me

        def decide(key: str, work: MentionWork) -> Decision:
            if work.closure is not None:
                return f"closed ({work.closure.reason}): reopen it first"
            was = work.assignment
            keep = was.queue if was is not None and person is not None else queue
            if was is not None and (was.person, was.queue) == (person, keep):
                return None
            changed = _replace(work, assignment=Assignment(person, keep, me, now))
            return changed, {"to": to, "person": person, "queue": keep,
                             "before": _assigned(was)}  # fmt: skip

        told = person if person != me else None  # a notice for them, not for oneself
        return self._apply(keys, Permission.ASSIGN, Action.MENTION_ASSIGNED, decide, told=told)

    @synchronized
    def unassign(self, keys: Sequence[str]) -> Outcome:
        """Take each mention's assignment back: it is nobody's, in the queue it was routed
        to."""

        def decide(key: str, work: MentionWork) -> Decision:
            if work.assignment is None:
                return None
            return _replace(work, assignment=None), {"before": _assigned(work.assignment)}

        return self._apply(keys, Permission.ASSIGN, Action.MENTION_UNASSIGNED, decide)

    def _target(self, to: str) -> tuple[str | None, str | None]:
        """(person, queue) that `to` names; `WorkError` naming who and what it could be."""
        queues, team = self.queues(), self._team()
        name = to.strip()
        if name.startswith(QUEUE_PREFIX) or (name in queues and name not in team.operators):
            queue = name.removeprefix(QUEUE_PREFIX)
            if queue not in queues:
                raise WorkError(f"no queue {queue!r}; the queues are {', '.join(queues)}")
            return None, queue
        roles = team.operators.get(name)
        if not roles:
            known = ", ".join(sorted(team.operators)) or "nobody yet"
            raise WorkError(
                f"{name!r} is neither on the team ({known}) nor a queue ({', '.join(queues)})"
            )
        if roles <= {Role.AUDITOR}:
            raise WorkError(f"{name} is an auditor, who reads but works no mention")
        return name, None

    # --- notes and tags ---------------------------------------------------------------------

    @synchronized
    def note(self, key: str, text: str) -> Note:
        """Add an internal note to a mention (at most `NOTE_CHARS`; `NOTES_KEPT` a mention):
        kept with it and in the audit log, never sent anywhere. `WorkError` if it cannot be."""
        require_all(self.ctx, Permission.NOTE, [key])
        text = check_text(text, NOTE_CHARS, "a note")
        if not text:
            raise WorkError("a note needs some text")
        note = Note(self.ctx.me, self.ctx.clock(), text)
        if key not in self._store.fingerprints([key]):
            raise WorkError(f"no mention {key}")
        with self._work.lock:
            record = self._work.notes(key) or {"notes": []}
            if len(record["notes"]) >= NOTES_KEPT:
                raise WorkError(f"{key} has {NOTES_KEPT} notes, the most one mention keeps")
            event = self.ctx.event(Action.MENTION_NOTED, key, {"text": text})
            notes = {key: {"notes": [*record["notes"], note.record()]}}
            self._work.write({}, notes=notes, log=lambda: self.ctx.audit.append([event]))
        return note

    @synchronized
    def tag(self, keys: Sequence[str], tag: str) -> Outcome:
        """Tag each mention (`normalise_tag`: `#Refund Request` is `refund-request`); a free
        tag or one of the playbook's (`offered_tags`). At most `TAGS_KEPT` a mention."""
        tag = normalise_tag(tag)

        def decide(key: str, work: MentionWork) -> Decision:
            if tag in work.tags:
                return None
            if len(work.tags) >= TAGS_KEPT:
                return f"has {TAGS_KEPT} tags already, the most one mention keeps"
            return _replace(work, tags=(*work.tags, tag)), {"tag": tag}

        return self._apply(keys, Permission.TAG, Action.MENTION_TAGGED, decide)

    @synchronized
    def untag(self, keys: Sequence[str], tag: str) -> Outcome:
        """Take `tag` (normalised as `tag` does) off each mention that has it."""
        tag = normalise_tag(tag)

        def decide(key: str, work: MentionWork) -> Decision:
            if tag not in work.tags:
                return None
            return _replace(work, tags=tuple(t for t in work.tags if t != tag)), {"tag": tag}

        return self._apply(keys, Permission.TAG, Action.MENTION_UNTAGGED, decide)

    # --- closing ------------------------------------------------------------------------------

    @synchronized
    def close(self, keys: Sequence[str], reason: str, comment: str = "") -> Outcome:
        """Close each mention without a reply, for `reason` (`CLOSE_REASONS`), with an
        optional comment. Refused for a key closed already, answered already, or (but by a
        lead) one that raised a harm alarm."""
        reason = check_reason(reason)
        comment = check_text(comment, COMMENT_CHARS, "a closing comment")
        permission = Permission.CLOSE_JUNK if reason in JUNK else Permission.CLOSE
        now, me = self.ctx.clock(), self.ctx.me
        lead = self.ctx.may(Permission.DE_ESCALATE, self.ctx.level_number())
        blocked: dict[str, str] = {}

        def check(found: Sequence[str]) -> None:
            """What the mentions' other records say: one read of each table."""
            for key in self._store.state.replies.answered_among(found):
                blocked[key] = "answered already: a reply went out"
            if not lead:
                for alarm in self._store.state.alarms.get_many(found):
                    blocked[alarm.key] = "raised a risk-of-harm alarm: a lead closes it"

        def decide(key: str, work: MentionWork) -> Decision:
            if work.closure is not None:
                return f"closed already ({work.closure.reason}, by {work.closure.by})"
            if key in blocked:
                return blocked[key]
            closure = Closure(reason, comment, me, now)
            return _replace(work, closure=closure), {"reason": reason, "comment": comment}

        return self._apply(keys, permission, Action.MENTION_CLOSED, decide, check=check)

    @synchronized
    def reopen(self, keys: Sequence[str]) -> Outcome:
        """Open each closed mention again: back in the inbox and its queue, and its response
        deadline checked at the next tick (a deadline passed while it was closed is a
        breach now)."""

        def decide(key: str, work: MentionWork) -> Decision:
            if work.closure is None:
                return "not closed"
            return _replace(work, closure=None), {"was": work.closure.reason}

        outcome = self._apply(keys, Permission.REOPEN, Action.MENTION_REOPENED, decide)
        # A reminder to look, never the truth (`store/due.py`): the tick checks the deadline.
        now = self.ctx.clock()
        self._store.due.add([Due(now, "sla", key) for key in outcome.done])
        return outcome

    # --- claims and alarms, a selection at once ------------------------------------------------

    @synchronized
    def claim(self, keys: Sequence[str]) -> Outcome:
        """Claim (or renew) each mention; one another holds is refused, naming them
        (`selection.claim_all`: each claim its own conditional write, as ever)."""
        return claim_all(self.ctx, self._claims, keys)

    @synchronized
    def acknowledge(self, keys: Sequence[str]) -> Outcome:
        """Acknowledge each mention's open harm alarm, in one batch and one append of audit
        records (`selection.acknowledge_all`)."""
        return acknowledge_all(self.ctx, keys)

    # --- the one way a selection is worked ----------------------------------------------------

    def _apply(
        self,
        keys: Sequence[str],
        permission: Permission,
        action: Action,
        decide: Callable[[str, MentionWork], Decision],
        check: Callable[[Sequence[str]], None] | None = None,
        told: str | None = None,
    ) -> Outcome:
        """Check and change each key under the state lock, as `decide` says; audit what
        was done and what was refused in one append, then write every change in one batch.
        `check(found)` reads what else decides, for the stored keys, before any is decided;
        `told`: the team member given a notice of the keys done."""
        wanted = selection(keys)
        require_all(self.ctx, permission, wanted)
        outcome = Outcome()
        changes: dict[str, dict[str, Any] | None] = {}
        events: list[AuditEvent] = []
        # One read of the store's index, not its records; before the lock, as a stored
        # mention stays stored (a deletion is a tombstone).
        stored = self._store.fingerprints(wanted)
        found = [k for k in wanted if k in stored]
        with self._work.lock:
            if check is not None:
                check(found)
            current = self._work.get_many(found)
            for key in wanted:
                decision = (
                    decide(key, work_of(key, current.get(key), None))
                    if key in stored
                    else "no such mention"
                )
                if decision is None:
                    outcome.unchanged.append(key)
                elif isinstance(decision, str):
                    outcome.refused[key] = decision
                    events.append(refusal(self.ctx, key, permission, decision))
                else:
                    outcome.done.append(key)
                    changes[key] = work_record(decision[0])
                    events.append(self.ctx.event(action, key, decision[1]))
            notices = {}
            if told is not None and outcome.done:
                now = self.ctx.clock()
                notices[told] = noticed(self._work.notices(told), self.ctx.me, now, outcome.done)
            if events:

                def log() -> int:
                    return self.ctx.audit.append(events)  # every record of the call at once

                self._work.write(changes, notices=notices, log=log)
        return outcome


def _replace(work: MentionWork, **changes: Any) -> MentionWork:
    return dataclasses.replace(work, **changes)


def _assigned(assignment: Assignment | None) -> Mapping[str, Any] | None:
    if assignment is None:
        return None
    return {"person": assignment.person, "queue": assignment.queue}
