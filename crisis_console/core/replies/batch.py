"""Bulk answers: one template answering many mentions, approved once, as a batch.

`BatchDesk.answer(keys, template, variables)` makes one reply a mention, each through the
reply desk's own path (`ReplyDesk.submit`, or `ReplyDesk.send`): its claim (taken if the
mention is free, kept if it is the operator's), its template filled with its own author,
name and platform, and the policy guard on its own text. A key refused (someone else holds
it, the guard blocks its reply, no such mention) is reported with why, audited, and never
stops the others. The replies made are one batch, with one id.

Approved once: `approve(batch)` approves every draft of the batch still waiting, each
through `ReplyDesk.approve`, so every rule holds for each reply (nobody approves a draft
they wrote, the guard at approval, and at sending every rule again); an approver who may
send sends them at once. `reject(batch, comment)` rejects them all; `send(batch)` sends
what an approver who may not send approved. The approval queue shows a batch as one row
(`queue`, `open`).

The checklist: a playbook step may name the template that does it (`template:`). Once every
reply of a batch of that template is sent (delivered, not only handed to the outbox), the
step of the level in force is ticked, as done by whoever approved the batch, with a note
("Holding statement sent to 98 mentions (batch …)"). A key refused when the batch was made
is not in the batch; one reply rejected or never delivered leaves the step to be ticked by
hand. A batch's replies delivered later (the console's outbox worker) are settled as they
go: `ConsoleService.work_outbox` calls `settle`.

Stored on either backend in three state tables: `batches` (every batch, by id),
`batches_open` (the batches with a reply still in progress: what the queue reads, never the
whole history) and `batch_of` (reply id -> its batch, for `settle`). Audited: one record for
the batch when it is made, approved or rejected (`batch.created`, `batch.approved`,
`batch.rejected`, naming its mentions), beside each reply's own records.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from crisis_console.core.actions import Action, Permission
from crisis_console.core.archive.audit_read import MENTIONS
from crisis_console.core.context import OperatorContext, synchronized
from crisis_console.core.crisis.crisis import CrisisDesk
from crisis_console.core.errors import Refused
from crisis_console.core.replies.batch_model import (
    BATCH_MAX,
    BATCHES,
    IN_PROGRESS,
    OF_REPLY,
    OPEN,
    SEND,
    SUBMIT,
    Batch,
    BatchResult,
    batch_from,
    counted,
)
from crisis_console.core.replies.policy import level_refusal
from crisis_console.core.replies.replies import READY, ReplyDesk
from crisis_console.core.replies.reply_model import APPROVED, PENDING, REPLIES, SENT, Reply
from crisis_console.core.replies.templates import RenderError
from crisis_console.core.roster import PermissionDenied

# What a template is filled with to check its variables once, before any mention.
_PROBE = {"author": "a", "author_name": "A", "platform": "x", "brand": "B"}


class BatchDesk:
    """Bulk answers for one operator (see the module docstring)."""

    def __init__(self, ctx: OperatorContext, replies: ReplyDesk, crisis: CrisisDesk) -> None:
        self._ctx, self.lock, self._desk, self._crisis = ctx, ctx.lock, replies, crisis
        tables = ctx.store.state.tables
        self._tables, self._replies = tables, tables.table(REPLIES)
        self._batches, self._open, self._of = (tables.table(n) for n in (BATCHES, OPEN, OF_REPLY))

    @property
    def _me(self) -> str:
        return self._ctx.me

    # --- making a batch ---------------------------------------------------------------------

    @synchronized
    def answer(
        self,
        keys: Sequence[str],
        template_id: str,
        variables: Mapping[str, str],
        how: str = SUBMIT,
    ) -> BatchResult:
        """Answer each mention with `template_id` filled with `variables` and its own
        mention's author, name and platform: a draft each for the approval queue (`how`
        submit, any answering role), or sent at once (send: as `ReplyDesk.send` allows).
        Refused whole, before any mention: a role that may not, a template unknown (a
        ValueError), not approved or not allowed at the level, a variable missing or
        unknown (`RenderError`)."""
        if how not in (SUBMIT, SEND):
            raise ValueError(f"a batch is submitted or sent, not {how!r}")
        wanted = _selection(keys)
        template = self._desk.templates.get(template_id)
        if template is None:
            raise ValueError(f"no template '{template_id}'")
        needed = (
            [Permission.DRAFT] if how == SUBMIT else [Permission.SEND, Permission.SEND_UNREVIEWED]
        )
        for permission in needed:
            self._require(permission, wanted)
        subject = f"template:{template.id}"
        if not self._desk.template_approved(template):
            why = f"template '{template.id}' is not approved in its current content"
            raise self._refuse("batch", subject, why)
        level = self._ctx.level_number()
        why = level_refusal(template, self._ctx.playbook, level)
        if why:
            raise self._refuse("batch", subject, why)
        template.render(_PROBE, variables)  # a variable missing or unknown: before any key
        act = self._desk.submit if how == SUBMIT else self._desk.send
        made: dict[str, Reply] = {}
        refused: dict[str, str] = {}
        for key in wanted:
            try:
                made[key] = act(key, template.id, variables)
            except Refused as exc:  # audited where it was refused (claim, role, guard)
                refused[key] = str(exc)
            except (RenderError, ValueError) as exc:  # no such mention; its text unfillable
                refused[key] = str(exc)
                self._ctx.record(Action.REFUSED, key, action="batch", reason=str(exc))
        if not made:
            return BatchResult("", template.id, {}, refused)
        now, batch_id = self._ctx.clock(), uuid.uuid4().hex
        record = {"id": batch_id, "template": template.id, "title": template.title,
                  "template_sha": template.sha256, "variables": dict(variables),
                  "author": self._me, "how": how, "created_at": now.isoformat(),
                  "replies": {k: r.id for k, r in made.items()}, "refused": refused,
                  "approved_by": self._me if how == SEND else "", "state": "open"}  # fmt: skip
        data = {"template": template.id, "how": how, "variables": dict(variables),
                MENTIONS: record["replies"], "refused": refused}  # fmt: skip
        with self._ctx.store.together():  # on a database server, one transaction
            self._ctx.record(Action.BATCH_CREATED, f"batch:{batch_id}", **data)
            self._tables.apply(
                {
                    BATCHES: ({batch_id: record}, []),
                    OPEN: ({batch_id: {"created_at": record["created_at"]}}, []),
                    OF_REPLY: ({r.id: {"batch": batch_id} for r in made.values()}, []),
                }
            )
        ticked = self._settle([batch_id]) if how == SEND else ()
        return BatchResult(batch_id, template.id, made, refused, ticked)

    # --- approving, rejecting, sending ------------------------------------------------------

    @synchronized
    def approve(self, batch_id: str) -> BatchResult:
        """Approve every draft of the batch still waiting (the playbook's approvers; never
        its author), each through `ReplyDesk.approve`: a reply refused there (the guard at
        the level in force now, a draft edited since, every rule of sending) is reported
        alone. An approver who may send sends them."""
        record, subject = self._record(batch_id), f"batch:{batch_id}"
        self._ctx.require(Permission.APPROVE, subject)
        if record["author"] == self._me:
            raise self._refuse("approve", subject, "nobody approves a batch they wrote")
        result = self._each(record, {PENDING}, self._desk.approve, "approve", self._approver)
        data = {"template": record["template"], "refused": result.refused,
                MENTIONS: {k: r.status for k, r in result.replies.items()}}  # fmt: skip
        self._ctx.record(Action.BATCH_APPROVED, subject, **data)
        return replace(result, ticked=self._settle([batch_id]))

    def _approver(self, batch_id: str) -> None:
        """Name this operator the batch's approver before any of its replies goes: a step
        ticked as they are sent (by any process's outbox) is ticked as done by them."""
        with self._tables.lock:  # the record as it is now, not as it was read
            self._batches.apply({batch_id: {**self._record(batch_id), "approved_by": self._me}})

    @synchronized
    def reject(self, batch_id: str, comment: str) -> BatchResult:
        """Reject every reply of the batch not yet sent (pending or approved), with a comment
        for its author; the batch leaves the queue."""
        record, subject = self._record(batch_id), f"batch:{batch_id}"
        self._ctx.require(Permission.APPROVE, subject)
        if not comment.strip():
            raise ValueError("a rejection needs a comment for the author")
        result = self._each(
            record, {PENDING, APPROVED}, lambda rid: self._desk.reject(rid, comment), "reject"
        )
        data = {"template": record["template"], "comment": comment, "refused": result.refused,
                MENTIONS: {k: r.status for k, r in result.replies.items()}}  # fmt: skip
        self._ctx.record(Action.BATCH_REJECTED, subject, **data)
        self._settle([batch_id])
        return result

    @synchronized
    def send(self, batch_id: str) -> BatchResult:
        """Send the batch's approved replies, and retry its failed ones (social, lead): what
        an approver who may not send approved. Each through `ReplyDesk.send_approved`."""
        record = self._record(batch_id)
        self._ctx.require(Permission.SEND, f"batch:{batch_id}")
        result = self._each(record, set(READY), self._desk.send_approved, "send")
        return replace(result, ticked=self._settle([batch_id]))

    def _each(
        self,
        record: Mapping[str, Any],
        statuses: set[str],
        act: Callable[[str], Reply],
        verb: str,
        first: Callable[[str], None] | None = None,
    ) -> BatchResult:
        """`act` on each reply of the batch whose status is among `statuses`, a refusal of one
        reported (and audited where it was refused) without stopping the others. Refused,
        audited, when none is; else `first(batch id)` runs before the first `act`."""
        replies = self._replies_of(record)
        todo = {k: r for k, r in replies.items() if r.status in statuses}
        if not todo:
            now = counted(r.status for r in replies.values())
            why = f"batch {record['id']} has no reply to {verb} ({now})"
            raise self._refuse(verb, f"batch:{record['id']}", why)
        if first is not None:
            first(record["id"])
        done: dict[str, Reply] = {}
        refused: dict[str, str] = {}
        for key, reply in todo.items():
            try:
                done[key] = act(reply.id)
            except (Refused, ValueError) as exc:
                refused[key] = str(exc)
        return BatchResult(record["id"], record["template"], done, refused)

    # --- reading ------------------------------------------------------------------------------

    @synchronized
    def get(self, batch_id: str) -> Batch:
        """One batch, open or not (ValueError if there is none)."""
        record = self._record(batch_id)
        return batch_from(record, {r.id: r.status for r in self._replies_of(record).values()})

    @synchronized
    def open(self) -> list[Batch]:
        """Every batch with a reply still in progress, oldest first: reads the open batches
        and their replies, never the batches of the past."""
        records = self._batches.get_many(key for key, _ in self._open)
        ids = [rid for r in records.values() for rid in r["replies"].values()]
        statuses = {rid: str(r["status"]) for rid, r in self._replies.get_many(ids).items()}
        found = [batch_from(r, statuses) for r in records.values()]
        return sorted((b for b in found if b.in_progress), key=lambda b: b.created_at)

    @synchronized
    def queue(self) -> tuple[list[tuple[Reply, bool]], list[Batch]]:
        """The approval queue with each open batch as one row: (the replies in no open
        batch, as `ReplyDesk.queue` gives them, True marking a late one; the open batches,
        `late` if any of their replies is)."""
        batches = self.open()
        batch_of = {rid: b.id for b in batches for rid in b.replies.values()}
        singles, late = [], set()
        for reply, is_late in self._desk.queue():
            if reply.id not in batch_of:
                singles.append((reply, is_late))
            elif is_late:
                late.add(batch_of[reply.id])
        return singles, [replace(b, late=b.id in late) for b in batches]

    # --- settling: closing a batch, ticking its step ------------------------------------------

    @synchronized
    def settle(self, reply_ids: Iterable[str]) -> tuple[str, ...]:
        """Close the batches of these replies once none of their replies is in progress, and
        tick the step a batch did once every one of its replies is sent; the steps ticked.
        Costs the replies named and their batches' replies, and nothing for a reply in no
        batch but one keyed read (`work_outbox` calls it with what it delivered)."""
        wanted = list(reply_ids)
        if not wanted:
            return ()
        return self._settle(sorted({r["batch"] for r in self._of.get_many(wanted).values()}))

    def _settle(self, batch_ids: Iterable[str]) -> tuple[str, ...]:
        ticked: list[str] = []
        for batch_id in batch_ids:
            with self._tables.lock:  # one process closes it, and ticks its step, once
                record = self._batches.get(batch_id)
                if record is None or record.get("state") != "open":
                    continue
                replies = self._replies_of(record)
                if any(r.status in IN_PROGRESS for r in replies.values()):
                    continue
                sent = all(r.status == SENT for r in replies.values())
                closed = {**record, "state": "sent" if sent else "closed"}
                self._tables.apply({BATCHES: ({batch_id: closed}, []), OPEN: ({}, [batch_id])})
            if sent:
                ticked += self._tick(closed, len(replies))
        return tuple(ticked)

    def _tick(self, record: Mapping[str, Any], count: int) -> list[str]:
        what = f"{record['title']} sent to {count} mention{'s' if count != 1 else ''}"
        note = f"{what} (batch {record['id']})"
        data = {"note": note, "batch": record["id"], "template": record["template"]}
        by = record["approved_by"] or record["author"]
        return [s.id for s in self._crisis.tick_done_by(record["template"], by, data)]

    # --- helpers ------------------------------------------------------------------------------

    def _record(self, batch_id: str) -> dict[str, Any]:
        record = self._batches.get(batch_id.strip())
        if record is None:
            raise ValueError(f"no batch {batch_id}")
        return record

    def _replies_of(self, record: Mapping[str, Any]) -> dict[str, Reply]:
        """The batch's replies by mention key: one read."""
        by_id = self._replies.get_many(record["replies"].values())
        return {
            key: Reply.from_record(by_id[rid])
            for key, rid in record["replies"].items()
            if rid in by_id
        }

    def _refuse(self, action: str, subject: str, why: str) -> Refused:
        self._ctx.record(Action.REFUSED, subject, action=action, reason=why)
        return Refused(why)

    def _require(self, permission: Permission, keys: Sequence[str]) -> None:
        """Refuse the whole call unless the operator's roles may (`PermissionDenied`), with
        a refusal record for each key (as `WorkDesk` does)."""
        try:
            self._ctx.require(permission, keys[0])
        except PermissionDenied:
            level, who = self._ctx.level_number(), self._ctx.operator.describe()
            data = {"action": permission, "operator": who, "level": level}
            self._ctx.audit.append([self._ctx.event(Action.REFUSED, k, data) for k in keys[1:]])
            raise


def _selection(keys: Sequence[str]) -> list[str]:
    """The keys once each, in their order: at least one, at most `BATCH_MAX`."""
    unique = list(dict.fromkeys(k.strip() for k in keys if k.strip()))
    if not unique:
        raise ValueError("a batch needs at least one mention")
    if len(unique) > BATCH_MAX:
        raise ValueError(f"at most {BATCH_MAX:,} mentions a batch; this is {len(unique):,}")
    return unique
