"""The playbook in force is part of the store, not of whoever opens it: a flag, an
environment variable or a settings line that names another playbook for an existing store
is refused, and so is the playbook's file edited in place. A lead changes it
(`crisis-console playbook use NAME`), audited with the old and new hashes; and every audit
record names the hash of the playbook it was made under (`StampedAudit`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from crisis_console.core.actions import Action, Permission
from crisis_console.core.archive.audit import Audit, AuditEvent, VerifyResult
from crisis_console.core.archive.seal import Checkpoint
from crisis_console.core.context import OperatorContext, synchronized
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.playbook.playbook import Playbook

SHOWN = 12  # hex digits of a hash in messages and audit records


class PlaybookNotInForce(CrisisConsoleError):
    """The playbook given is not the one the store holds in force."""


def recorded(record: dict[str, Any] | None, playbook: Playbook) -> None:
    """Refuse `playbook` unless it is the one `record` (the store's) names; nothing
    recorded yet refuses nothing (the store adopts it: `adopt`)."""
    if record is None or not playbook.sha256 or record["sha256"] == playbook.sha256:
        return
    ours = f"'{playbook.id}' ({playbook.sha256[:SHOWN]}, from {playbook.source})"
    theirs = f"'{record['id']}' ({record['sha256'][:SHOWN]})"
    raise PlaybookNotInForce(
        f"this store's playbook is {theirs}, set by {record['by']} at {record['at'][:16]}; "
        f"{ours} is another, or the same file edited since. Nothing is done under it: a "
        "lead puts a playbook in force with 'crisis-console playbook use NAME'"
    )


def record_of(playbook: Playbook, by: str, at: datetime) -> dict[str, Any]:
    return {"id": playbook.id, "sha256": playbook.sha256, "by": by, "at": at.isoformat()}


class StampedAudit:
    """An audit chain whose every new record names the playbook in force (`playbook` in its
    data: the first `SHOWN` hex digits of its hash)."""

    def __init__(self, inner: Audit, playbook: Playbook) -> None:
        self._inner, self._stamp = inner, playbook.sha256[:SHOWN]
        self.set_aside: Path | None = inner.set_aside

    @property
    def last_seq(self) -> int:
        return self._inner.last_seq

    def append(self, events: Sequence[AuditEvent]) -> int:
        stamp = self._stamp  # (built directly: `dataclasses.replace` costs 4 us an event)
        return self._inner.append(
            [
                AuditEvent(
                    e.action, e.subject, e.actor, e.at, {**e.data, "playbook": stamp}, e.encoded
                )
                for e in events
            ]
        )

    def events(self) -> Iterator[dict[str, Any]]:
        return self._inner.events()

    def events_after(self, seq: int) -> list[dict[str, Any]]:
        return self._inner.events_after(seq)

    def read(
        self, actions: Collection[str], since: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        return self._inner.read(actions, since)

    def level_changes(self) -> list[dict[str, Any]]:
        return self._inner.level_changes()

    def newest(self, limit: int, who_or_what: str = "") -> list[dict[str, Any]]:
        return self._inner.newest(limit, who_or_what)

    def verify(self, against: Checkpoint | None = None) -> VerifyResult:
        return self._inner.verify(against)

    def checkpoint(self) -> Checkpoint:
        return self._inner.checkpoint()


class PlaybookDesk:
    """Adopting a store's first playbook, and a lead's change of it."""

    def __init__(self, ctx: OperatorContext) -> None:
        self._ctx, self.lock = ctx, ctx.lock

    @synchronized
    def adopt(self) -> bool:
        """Record the playbook as the store's, if it has none yet; True if it did."""
        playbook, state = self._ctx.playbook, self._ctx.store.state.playbook
        if not playbook.sha256 or self._ctx.store.read_only or state.get() is not None:
            return False
        self._record(Action.PLAYBOOK_ADOPTED, None)
        return True

    @synchronized
    def use(self) -> dict[str, Any] | None:
        """Put this service's playbook in force (lead only), audited with the old and new
        hashes; return the record it replaced."""
        playbook = self._ctx.playbook
        self._ctx.require(Permission.CHANGE_PLAYBOOK, f"playbook:{playbook.id}")
        before = self._ctx.store.state.playbook.get()
        self._record(Action.PLAYBOOK_CHANGED, before)
        return before

    def _record(self, action: Action, before: dict[str, Any] | None) -> None:
        playbook, now = self._ctx.playbook, self._ctx.clock()
        self._ctx.record(
            action,
            f"playbook:{playbook.id}",
            sha256=playbook.sha256,
            source=playbook.source,
            before=before,
        )
        self._ctx.store.state.playbook.set(record_of(playbook, self._ctx.me, now))
