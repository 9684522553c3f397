"""Claims in the store: who is answering what, now (`ClaimTable`), one conditional write
per claim (see `state_tables` for the other repositories)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crisis_console.core.store.buckets import Record
from crisis_console.core.store.tables import NO_TERMS, LeaseTerms, TableSet


@dataclass(frozen=True, slots=True)
class Claim:
    key: str
    holder: str
    since: datetime
    expires: datetime

    def record(self) -> Record:
        return {
            "holder": self.holder,
            "since": self.since.isoformat(),
            "expires": self.expires.isoformat(),
        }

    @classmethod
    def from_record(cls, key: str, r: Mapping[str, Any]) -> Claim:
        since, expires = datetime.fromisoformat(r["since"]), datetime.fromisoformat(r["expires"])
        return cls(key, r["holder"], since, expires)


class ClaimTable:
    """Who is answering what, now. `take` is the one way to claim: atomic in the store."""

    def __init__(self, tables: TableSet) -> None:
        self._tables, self._table = tables, tables.table("claims")

    def current(self, key: str, now: datetime) -> Claim | None:
        record = self._table.get(key)
        if record is None:
            return None
        claim = Claim.from_record(key, record)
        return claim if claim.expires > now else None

    def take(
        self,
        claim: Claim,
        force: bool = False,
        log: Callable[[], object] | None = None,
        terms: LeaseTerms = NO_TERMS,
    ) -> Claim | None:
        """Store `claim` if the mention is free, its lease has expired, or the holder already
        holds it (a renewal); `force` takes it from anyone (a lead's take-over). Returns the
        claim that stood in the way, or None when `claim` was stored. `terms` are checked in
        the same atomic step (else `LeaseRefused`, nothing written). `log` writes what goes
        with the claim (the audit record first): kept only if the claim is stored."""
        journaled = self._tables.journaled(log) if log is not None else None
        stored, current = self._tables.take_lease("claims", claim.key, claim.record(), force,
                                                  journaled, terms)  # fmt: skip
        if stored or current is None:
            return None
        return Claim.from_record(claim.key, current)

    def release(self, key: str, holder: str) -> bool:
        """Give up `holder`'s claim on `key`; whether there was one to give up (a claim that
        ran out and was taken by another since stays theirs)."""
        return self._tables.release_lease("claims", key, holder)

    def expire(self, keys: Iterable[str], now: datetime) -> list[str]:
        """Remove these claims where their lease has run out (a renewal may have extended
        one since it was indexed); return the keys removed."""
        return self._tables.expire_leases("claims", keys, now)

    def holders(self, now: datetime) -> dict[str, str]:
        """Mention key -> holder, for every live claim."""
        return {
            key: r["holder"] for key, r in self._table if datetime.fromisoformat(r["expires"]) > now
        }
