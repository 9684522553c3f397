"""A selection of mentions, worked in one call: the keys (once each, at most
`SELECTION_MAX`), the whole call's refusal by role, a key's refusal, and the two actions of
a selection that are not work records: claiming and acknowledging alarms.

A refusal by role refuses the whole call (`PermissionDenied`), with a refusal record for
each key; a key refused on its own (no alarm, another's claim) is reported in the `Outcome`
and audited, and never stops the others.
"""

from __future__ import annotations

from collections.abc import Sequence

from crisis_console.core.actions import Action, Permission
from crisis_console.core.archive.audit import AuditEvent
from crisis_console.core.context import OperatorContext
from crisis_console.core.crisis.crisis_state import Alarm
from crisis_console.core.replies.claims import ClaimConflict, ClaimDesk
from crisis_console.core.roster import PermissionDenied
from crisis_console.core.work.model import SELECTION_MAX, Outcome, WorkError


def selection(keys: Sequence[str]) -> list[str]:
    """The keys once each, in their order; at most `SELECTION_MAX` (else `WorkError`)."""
    if isinstance(keys, str):
        keys = [keys]
    unique = list(dict.fromkeys(k.strip() for k in keys if k.strip()))
    if len(unique) > SELECTION_MAX:
        raise WorkError(f"at most {SELECTION_MAX:,} mentions at once; this is {len(unique):,}")
    return unique


def require_all(ctx: OperatorContext, permission: Permission, keys: Sequence[str]) -> None:
    """Refuse the whole call unless the operator's roles may (`PermissionDenied`, after a
    refusal record for each key: the first by `OperatorContext.require`, the rest in one
    append)."""
    if not keys:
        return
    try:
        ctx.require(permission, keys[0])
    except PermissionDenied:
        level, who = ctx.level_number(), ctx.operator.describe()
        data = {"action": permission, "operator": who, "level": level}
        ctx.audit.append([ctx.event(Action.REFUSED, k, data) for k in keys[1:]])
        raise


def refusal(ctx: OperatorContext, key: str, permission: Permission, why: str) -> AuditEvent:
    """The audit record of one key's refusal, saying why."""
    data = {"action": permission.value, "reason": why, "operator": ctx.operator.describe()}
    return ctx.event(Action.REFUSED, key, data)


def acknowledge_all(ctx: OperatorContext, keys: Sequence[str]) -> Outcome:
    """Acknowledge the open harm alarm of each mention: checked and written under the state
    lock, the records (acknowledgements and refusals) in one append, the alarms in one
    batch. A mention whose alarm is acknowledged already is unchanged; one without an alarm
    is refused."""
    wanted = selection(keys)
    require_all(ctx, Permission.ACKNOWLEDGE_ALARM, wanted)
    alarms, tables, now = ctx.store.state.alarms, ctx.store.state.tables, ctx.clock()
    outcome, events, done = Outcome(), [], []
    with tables.lock:
        found = {a.key: a for a in alarms.get_many(wanted)}
        for key in wanted:
            alarm = found.get(key)
            if alarm is None:
                outcome.refused[key] = "no harm alarm"
                events.append(refusal(ctx, key, Permission.ACKNOWLEDGE_ALARM, "no harm alarm"))
            elif not alarm.open:
                outcome.unchanged.append(key)
            else:
                outcome.done.append(key)
                done.append(Alarm(alarm.key, alarm.summary, alarm.raised_at, alarm.ack_due,
                                  alarm.notified, ctx.me, now))  # fmt: skip
                data = {"raised_at": alarm.raised_at.isoformat(), "notified": alarm.notified}
                events.append(ctx.event(Action.ALARM_ACKNOWLEDGED, key, data))
        if events:
            tables.journaled(lambda: ctx.audit.append(events))()
            alarms.save(done)
    return outcome


def claim_all(ctx: OperatorContext, claims: ClaimDesk, keys: Sequence[str]) -> Outcome:
    """Claim (or renew) each mention, key by key (`ClaimDesk.claim`): each claim is its own
    conditional write with its audit record, as one claim always is (in team mode one
    statement, sent with its record and its commit), so that two operators claiming at
    once never both win. A mention another holds is refused, naming them; one not stored is
    refused too, those refusals in one append."""
    wanted = selection(keys)
    require_all(ctx, Permission.CLAIM, wanted)
    outcome, unknown = Outcome(), []
    stored = ctx.store.fingerprints(wanted)
    for key in wanted:
        if key not in stored:
            outcome.refused[key] = "no such mention"
            unknown.append(refusal(ctx, key, Permission.CLAIM, "no such mention"))
            continue
        try:
            claims.claim(key)  # a conflict or a level's refusal is audited by the desk
        except (ClaimConflict, PermissionDenied) as refused:
            outcome.refused[key] = str(refused)
        else:
            outcome.done.append(key)
    if unknown:
        ctx.audit.append(unknown)
    return outcome
