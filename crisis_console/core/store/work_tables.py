"""The work done on mentions without replying (`core/work`), in the store's state: a `work`
record per mention worked on (its assignment, closure and tags), a `notes` record per
mention with notes, and a `notices` record per team member (what was assigned to them).

`write` puts a selection's changes to the three in one batch, after its audit records (in a
folder the records first; in the team database in one transaction with them), under the
tables' lock: a call over many keys is one check-then-write, whatever the number of keys.

The inbox filters and counts on part of it. In a folder it reads `marks()`: the closed keys,
the assignments and the tags, read once and then kept current by `write` (a folder has one
writer). In the team database it reads the mention's own columns, which migration 0011's
trigger keeps from the `work` records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from crisis_console.core.store.buckets import Record
from crisis_console.core.store.tables import TableSet

WORK, NOTES, NOTICES = "work", "notes", "notices"


def is_closed(work: Mapping[str, Any] | None) -> bool:
    """Whether a mention's `work` record (or None) says it is closed."""
    return bool(work and work.get("closed"))


def moved_to(work: Mapping[str, Any] | None) -> str | None:
    """The queue a mention's `work` record (or None) says it was moved to, or None."""
    return ((work or {}).get("assigned") or {}).get("queue")


@dataclass(slots=True)
class WorkMarks:
    """What the folder's inbox filters and counts on, for every mention worked on."""

    closed: set[str] = field(default_factory=set)
    people: dict[str, str] = field(default_factory=dict)  # mention -> team member
    queues: dict[str, str] = field(default_factory=dict)  # mention -> the queue it was moved to
    by_person: dict[str, set[str]] = field(default_factory=dict)
    tagged: dict[str, set[str]] = field(default_factory=dict)  # tag -> mentions
    _tags: dict[str, tuple[str, ...]] = field(default_factory=dict)  # mention -> its tags

    def put(self, key: str, record: Mapping[str, Any] | None) -> None:
        """Take `record` as the mention's `work` record (None: it has none now)."""
        self._drop(key)
        if record is None:
            return
        if is_closed(record):
            self.closed.add(key)
        person, queue = (record.get("assigned") or {}).get("person"), moved_to(record)
        if person:
            self.people[key] = person
            self.by_person.setdefault(person, set()).add(key)
        if queue:
            self.queues[key] = queue
        tags = tuple(record.get("tags", ()))
        if tags:
            self._tags[key] = tags
            for tag in tags:
                self.tagged.setdefault(tag, set()).add(key)

    def _drop(self, key: str) -> None:
        self.closed.discard(key)
        self.queues.pop(key, None)
        person = self.people.pop(key, None)
        if person is not None:
            self.by_person[person].discard(key)
        for tag in self._tags.pop(key, ()):
            self.tagged[tag].discard(key)


class WorkTable:
    """The work on mentions, over the store's tables (`TableSet`): a folder's or the team
    database's, unchanged."""

    def __init__(self, tables: TableSet) -> None:
        self._tables = tables
        self._work, self._notes = tables.table(WORK), tables.table(NOTES)
        self._notices = tables.table(NOTICES)
        self._marks: WorkMarks | None = None
        self._cache = not getattr(tables, "shared", False)  # other processes write too

    @property
    def lock(self) -> AbstractContextManager[Any]:
        """Held around a check and its `write`: atomic across every process of the store."""
        return self._tables.lock

    def get_many(self, keys: Iterable[str]) -> dict[str, Record]:
        """The `work` records of those keys that have one (one read per file, or one query)."""
        return self._work.get_many(keys)

    def get(self, key: str) -> Record | None:
        return self._work.get(key)

    def notes(self, key: str) -> Record | None:
        return self._notes.get(key)

    def notes_many(self, keys: Iterable[str]) -> dict[str, Record]:
        return self._notes.get_many(keys)

    def notices(self, name: str) -> Record | None:
        """The notices record of team member `name`, or None."""
        return self._notices.get(name)

    def write(
        self,
        work: Mapping[str, Record | None],
        notes: Mapping[str, Record] = {},
        notices: Mapping[str, Record] = {},
        log: Callable[[], object] | None = None,
    ) -> None:
        """Store each mention's `work` record (None: remove it), `notes` records and team
        members' `notices` records as one batch, after `log` (the audit records). The caller
        holds `lock` from the check that decided them."""
        with self._tables.lock:
            if log is not None:
                self._tables.journaled(log)()
            put = {k: dict(r) for k, r in work.items() if r is not None}
            gone = [k for k, r in work.items() if r is None]
            self._tables.apply(
                {
                    WORK: (put, gone),
                    NOTES: ({k: dict(r) for k, r in notes.items()}, []),
                    NOTICES: ({k: dict(r) for k, r in notices.items()}, []),
                }
            )
            if self._marks is not None:
                for key, record in work.items():
                    self._marks.put(key, record)

    def marks(self) -> WorkMarks:
        """Every mention's marks: read whole once, then kept current by `write` (a folder);
        read whole each time where other processes write too (not the team inbox's way)."""
        if self._marks is None or not self._cache:
            marks = WorkMarks()
            for key, record in self._work:
                marks.put(key, record)
            self._marks = marks
        return self._marks

    def __iter__(self) -> Iterator[tuple[str, Record]]:
        """Every `work` record (reports: what is closed and why, and the tags)."""
        return iter(self._work)
