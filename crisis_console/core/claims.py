"""Claims: who is answering a mention. Two operators can never hold, or answer, the same one.

A claim lasts for a lease (minutes) and can be released by its holder; a lead can take one
over. A second claim on a held mention is refused with the holder's name, and the refusal is
audited like every other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crisis_console.core.audit import AuditEvent, AuditLog
from crisis_console.core.crisis import CrisisDesk
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.store import MentionStore

CLAIMS = "claims"
DEFAULT_LEASE_MINUTES = 30


class ClaimConflict(CrisisConsoleError):
    """Someone else holds the claim; the message names them. The refusal is audited."""


@dataclass(frozen=True, slots=True)
class Claim:
    key: str
    holder: str
    since: datetime
    expires: datetime


class ClaimDesk:
    def __init__(
        self,
        desk: CrisisDesk,
        store: MentionStore,
        audit: AuditLog,
        lease_minutes: int = DEFAULT_LEASE_MINUTES,
    ) -> None:
        self._desk, self._store, self._audit = desk, store, audit
        self.lease = timedelta(minutes=lease_minutes)

    def holder(self, key: str) -> Claim | None:
        """The live claim on a mention; an expired lease is no claim."""
        record = self._store.records(CLAIMS).get(key)
        if record is None or not record["holder"]:
            return None
        claim = Claim(
            key,
            record["holder"],
            datetime.fromisoformat(record["since"]),
            datetime.fromisoformat(record["expires"]),
        )
        return claim if claim.expires > self._desk.clock() else None

    def _save(self, key: str, holder: str) -> Claim:
        now = self._desk.clock()
        claim = Claim(key, holder, now, now + self.lease)
        self._store.put(
            CLAIMS,
            {
                key: {
                    "holder": holder,
                    "since": now.isoformat(),
                    "expires": claim.expires.isoformat(),
                }
            },
        )
        return claim

    def _audit_event(self, event: str, key: str, **data: str) -> None:
        me = self._desk.operator.name
        self._audit.append([AuditEvent(event, key, me, self._desk.clock(), data)])

    def claim(self, key: str) -> Claim:
        """Claim (or renew) a mention for the operator."""
        self._desk.require("claim", key)
        if self._store.get(key) is None:
            raise ValueError(f"no mention {key}")
        me = self._desk.operator.name
        current = self.holder(key)
        if current is not None and current.holder != me:
            self._audit_event("refused", key, action="claim", held_by=current.holder)
            raise ClaimConflict(
                f"{key} is claimed by {current.holder} until {current.expires:%H:%M} UTC; "
                "ask them to release it, or a lead to take it over"
            )
        claim = self._save(key, me)
        self._audit_event("claim", key, expires=claim.expires.isoformat())
        return claim

    def require_mine(self, key: str) -> Claim:
        """The operator's own claim on `key`, taken now if the mention is free."""
        current = self.holder(key)
        if current is not None and current.holder == self._desk.operator.name:
            return current
        return self.claim(key)

    def release(self, key: str) -> None:
        current = self.holder(key)
        if current is None:
            return
        if current.holder != self._desk.operator.name:
            self._desk.require("take_over_claim", key)  # only a lead releases another's claim
        self._store.put(CLAIMS, {key: {"holder": "", "since": "", "expires": ""}})
        self._audit_event("release", key, held_by=current.holder)

    def take_over(self, key: str) -> Claim:
        """A lead takes a claim from whoever holds it (audited, naming them)."""
        self._desk.require("take_over_claim", key)
        previous = self.holder(key)
        claim = self._save(key, self._desk.operator.name)
        self._audit_event("claim.taken_over", key, from_holder=previous.holder if previous else "")
        return claim
