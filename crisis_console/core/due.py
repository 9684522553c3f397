"""What comes due, and when: the timers' index, on disk, so a tick reads only what is due.

Each entry names a time, a kind (`sla`, `alarm`, `claim`) and a key. Entries live in TinyDB
files by ten-minute slot of their time (`due/20261129T0710.json`); a tick lists the slot files
(only slots not yet worked off exist), reads those that have begun, and `clear_through` removes
what it has handled.

An entry is a reminder to look, never the truth: whoever handles it checks the real record
(the alarm may have been acknowledged, the mention answered, the claim renewed), so a stale or
repeated entry does no harm. That is what makes writing entries before the store commits safe:
a crash leaves at most a reminder about something that never happened.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tinydb import TinyDB

from crisis_console.core.errors import StoreError
from crisis_console.core.jsonfile import AtomicJSONStorage

SLOT = timedelta(minutes=10)
_NAME = "%Y%m%dT%H%M"


@dataclass(frozen=True, slots=True)
class Due:
    at: datetime
    kind: str
    key: str


def _slot_start(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % 10, second=0, microsecond=0)


class DueIndex:
    """Reminders by time; see the module docstring. `stats` counts entries read (for tests)."""

    def __init__(self, folder: Path, read_only: bool = False) -> None:
        self.folder, self.read_only = folder, read_only
        self.stats: Counter[str] = Counter()

    def _open(self, slot: str) -> TinyDB:
        return TinyDB(str(self.folder / f"{slot}.json"), storage=AtomicJSONStorage, cache=True)

    def add(self, entries: Iterable[Due]) -> None:
        """File each entry under its slot: one durable write per slot touched."""
        by_slot: dict[str, list[dict[str, str]]] = {}
        for e in entries:
            doc = {"at": e.at.isoformat(), "kind": e.kind, "key": e.key}
            by_slot.setdefault(_slot_start(e.at).strftime(_NAME), []).append(doc)
        if not by_slot:
            return
        if self.read_only:
            raise StoreError(f"{self.folder} was opened read-only")
        self.folder.mkdir(parents=True, exist_ok=True)
        for slot, docs in by_slot.items():
            with self._open(slot) as db:
                db.insert_multiple(docs)

    def _begun(self, now: datetime) -> list[str]:
        if not self.folder.is_dir():
            return []
        current = _slot_start(now).strftime(_NAME)
        return sorted(p.stem for p in self.folder.glob("*.json") if p.stem <= current)

    def due(self, now: datetime) -> list[Due]:
        """Every entry due at or before `now`, oldest first."""
        found: list[Due] = []
        for slot in self._begun(now):
            with self._open(slot) as db:
                docs = db.all()
            self.stats["entries_read"] += len(docs)
            for d in docs:
                at = datetime.fromisoformat(d["at"])
                if at <= now:
                    found.append(Due(at, d["kind"], d["key"]))
        return sorted(found, key=lambda d: d.at)

    def clear_through(self, now: datetime) -> None:
        """Forget every entry due at or before `now` (they have been handled)."""
        if self.read_only:
            return
        current = _slot_start(now).strftime(_NAME)
        for slot in self._begun(now):
            path = self.folder / f"{slot}.json"
            if slot < current:
                path.unlink(missing_ok=True)
                continue
            with self._open(slot) as db:
                db.remove(lambda d: datetime.fromisoformat(d["at"]) <= now)
            with self._open(slot) as db:
                if not len(db):
                    path.unlink(missing_ok=True)

    def pending(self) -> int:
        """How many entries wait, due or not (reads every slot: for tests and status)."""
        total = 0
        if self.folder.is_dir():
            for path in self.folder.glob("*.json"):
                with self._open(path.stem) as db:
                    total += len(db)
        return total
