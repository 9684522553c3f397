"""What comes due, and when: the timers' index, on disk, so a tick reads only what is due.

Each entry names a time, a kind (`sla`, `alarm`, `claim`) and a key. Entries live in JSON
Lines files by the minute of their time (`due/20261129T0712.jsonl`), appended to with one
fsync per slot a batch touches: an append costs the batch, where a TinyDB file would be
rewritten whole each time. A tick lists the slot files (only slots not yet worked off exist),
reads those that have begun, and `clear_through` removes what it has handled. A line cut short
by a crash is skipped: the batch that wrote it was never committed, and recovery files its
reminders again.

An entry is a reminder to look, never the truth: whoever handles it checks the real record
(the alarm may have been acknowledged, the mention answered, the claim renewed), so a stale or
repeated entry does no harm. That is what makes writing entries before the store commits safe:
a crash leaves at most a reminder about something that never happened.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from crisis_console.core.errors import StoreError
from crisis_console.core.store.jsonfile import names_in, write_atomically

_NAME = "%Y%m%dT%H%M"


@dataclass(frozen=True, slots=True)
class Due:
    at: datetime
    kind: str
    key: str


def _slot_start(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    # A minute: a tick reads what is due, and at most a minute's worth of what is not yet.
    return at.replace(second=0, microsecond=0)


class DueIndex:
    """Reminders by time; see the module docstring. `stats` counts entries read (for tests)."""

    def __init__(self, folder: Path, read_only: bool = False) -> None:
        self.folder, self.read_only = folder, read_only
        self.stats: Counter[str] = Counter()

    def _path(self, slot: str) -> Path:
        return self.folder / f"{slot}.jsonl"

    def _entries(self, slot: str) -> list[Due]:
        try:
            lines = self._path(slot).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                d = json.loads(line)
                out.append(Due(datetime.fromisoformat(d["at"]), d["kind"], d["key"]))
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line: see the module docstring
        self.stats["entries_read"] += len(out)
        return out

    def add(self, entries: Iterable[Due]) -> None:
        """File each entry under its slot: one append and fsync per slot touched."""
        by_slot: dict[str, list[str]] = {}
        for e in entries:
            line = json.dumps({"at": e.at.isoformat(), "kind": e.kind, "key": e.key})
            by_slot.setdefault(_slot_start(e.at).strftime(_NAME), []).append(line)
        if not by_slot:
            return
        if self.read_only:
            raise StoreError(f"{self.folder} was opened read-only")
        self.folder.mkdir(parents=True, exist_ok=True)
        for slot, lines in by_slot.items():
            with self._path(slot).open("a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
                handle.flush()
                os.fsync(handle.fileno())

    def _begun(self, now: datetime) -> list[str]:
        if not self.folder.is_dir():
            return []
        current = _slot_start(now).strftime(_NAME)
        return [n[: -len(".jsonl")] for n in names_in(self.folder, ".jsonl") if n[:-6] <= current]

    def due(self, now: datetime, limit: int | None = None) -> list[Due]:
        """The entries due at or before `now`, oldest first: all of them, or (with `limit`)
        the oldest `limit`, and any due at the same moment as the last of those. Clear what
        was handled with `clear_through` the last one's time."""
        found: list[Due] = []
        for slot in self._begun(now):
            found += (e for e in self._entries(slot) if e.at <= now)
            if limit is not None and len(found) >= limit:
                break
        found.sort(key=lambda d: d.at)
        if limit is None or len(found) <= limit:
            return found
        last = found[limit - 1].at
        return [e for e in found if e.at <= last]

    def clear_through(self, now: datetime) -> None:
        """Forget every entry due at or before `now` (they have been handled)."""
        if self.read_only:
            return
        current = _slot_start(now).strftime(_NAME)
        for slot in self._begun(now):
            if slot < current:
                self._path(slot).unlink(missing_ok=True)
                continue
            later = [e for e in self._entries(slot) if e.at > now]
            if not later:
                self._path(slot).unlink(missing_ok=True)
                continue
            lines = [
                json.dumps({"at": e.at.isoformat(), "kind": e.kind, "key": e.key}) for e in later
            ]
            write_atomically(self._path(slot), "\n".join(lines) + "\n")

    def entries(self) -> list[Due]:
        """Every entry, due or not, oldest first (reads every slot: for moving a folder)."""
        if not self.folder.is_dir():
            return []
        found = [e for p in sorted(self.folder.glob("*.jsonl")) for e in self._entries(p.stem)]
        return sorted(found, key=lambda d: d.at)

    def pending(self) -> int:
        """How many entries wait, due or not (reads every slot: for tests and status)."""
        if not self.folder.is_dir():
            return 0
        return sum(len(self._entries(p.stem)) for p in self.folder.glob("*.jsonl"))
