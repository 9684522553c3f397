"""Claims: who is answering a mention. Two operators can never hold, or answer, the same one.

A claim lasts for a lease (minutes) and can be released by its holder; a lead can take one
over. A second claim on a held mention is refused with the holder's name, and the refusal is
audited like every other.
"""

from __future__ import annotations

from datetime import timedelta

from crisis_console.core.actions import Action, Permission
from crisis_console.core.archive.audit import AuditEvent
from crisis_console.core.context import OperatorContext, synchronized
from crisis_console.core.errors import Refused
from crisis_console.core.store.due import Due
from crisis_console.core.store.state_tables import Claim
from crisis_console.core.store.tables import LeaseRefused, LeaseTerms

DEFAULT_LEASE_MINUTES = 30
__all__ = ["DEFAULT_LEASE_MINUTES", "Claim", "ClaimConflict", "ClaimDesk"]


class ClaimConflict(Refused):
    """Someone else holds the claim; the message names them. The refusal is audited."""


class ClaimDesk:
    """Claims for one operator. Every claim is one conditional write in the store (free, or
    the lease has run out, or already mine), so two operators can never both win."""

    def __init__(self, ctx: OperatorContext, lease_minutes: int = DEFAULT_LEASE_MINUTES) -> None:
        self._ctx, self._store, self._audit, self.lock = ctx, ctx.store, ctx.audit, ctx.lock
        self.lease = timedelta(minutes=lease_minutes)

    @synchronized
    def holder(self, key: str) -> Claim | None:
        """The live claim on a mention; an expired lease is no claim."""
        return self._store.state.claims.current(key, self._ctx.clock())

    def _take(
        self,
        key: str,
        event: Action,
        force: bool = False,
        levels: frozenset[int] | None = None,
        **data: str,
    ) -> tuple[Claim, Claim | None]:
        """(the claim asked for, the claim in its way or None if it was stored); the store
        checks `levels` and that the mention is stored as it writes (`ClaimTable.take`).
        Written with the claim, or not at all: its lease's reminder (the timers drop the
        claim when it runs out) and the audit record (`event`, with `data`)."""
        now = self._ctx.clock()
        claim = Claim(key, self._ctx.operator.name, now, now + self.lease)

        def log() -> None:
            self._store.due.add([Due(claim.expires, "claim", key)])
            self._audit_event(event, key, **data, expires=claim.expires.isoformat())

        try:
            return claim, self._store.state.claims.take(claim, force, log, LeaseTerms(key, levels))
        except LeaseRefused as refused:
            if refused.level is None:
                raise ValueError(f"no mention {key}") from None
            raise

    def _audit_event(self, event: Action, key: str, **data: str) -> None:
        me = self._ctx.operator.name
        self._audit.append([AuditEvent(event, key, me, self._ctx.clock(), data)])

    @synchronized
    def claim(self, key: str) -> Claim:
        """Claim (or renew) a mention for the operator. That the operator may claim at the
        level in force, and that the mention is stored, are checked as the claim is written
        (one statement in team mode): a level raised a moment before is never missed."""
        levels = self._ctx.levels_allowing(Permission.CLAIM)
        if levels is not None and not levels:
            self._ctx.require(Permission.CLAIM, key)  # refused at every level
        try:
            claim, blocked = self._take(key, Action.CLAIM, levels=levels)
        except LeaseRefused as refused:  # by the level (`_take` raises a missing mention)
            self._ctx.refuse(Permission.CLAIM, key, refused.level or 0)
        if blocked is not None:
            self._audit_event(Action.REFUSED, key, action="claim", held_by=blocked.holder)
            raise ClaimConflict(
                f"{key} is claimed by {blocked.holder} until {blocked.expires:%H:%M} UTC; "
                "ask them to release it, or a lead to take it over"
            )
        return claim

    @synchronized
    def require_mine(self, key: str) -> Claim:
        """The operator's own claim on `key`, taken now if the mention is free."""
        current = self.holder(key)
        if current is not None and current.holder == self._ctx.operator.name:
            return current
        return self.claim(key)

    @synchronized
    def release(self, key: str) -> Claim | None:
        """Give up the claim on `key` (another's: lead only); return the claim released, or
        None when there was none to release. A mention the store does not hold is refused."""
        if key not in self._store:
            raise ValueError(f"no mention {key}")
        current = self.holder(key)
        if current is None:
            return None
        if current.holder != self._ctx.operator.name:
            self._ctx.require(
                Permission.TAKE_OVER_CLAIM, key
            )  # only a lead releases another's claim
        if not self._store.state.claims.release(key, current.holder):
            return None  # it ran out and another took it in between: theirs now
        self._audit_event(Action.RELEASE, key, held_by=current.holder)
        return current

    @synchronized
    def take_over(self, key: str) -> Claim:
        """A lead takes a claim from whoever holds it (audited, naming them)."""
        self._ctx.require(Permission.TAKE_OVER_CLAIM, key)
        previous = self.holder(key)
        from_holder = previous.holder if previous else ""
        claim, _ = self._take(key, Action.CLAIM_TAKEN_OVER, force=True, from_holder=from_holder)
        return claim
