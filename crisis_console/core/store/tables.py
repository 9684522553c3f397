"""Named tables of the store's state under one folder, and batches that span several of
them: `Tables.apply` journals such a batch (`journal.json`) before writing any table, and
opening finishes a journal a crash left, so a batch survives whole or not at all.

Records about a mention (the tables in `BY_MENTION`) are kept beside it, a file per store
segment (`PartitionedTable`, located by the store); the rest are spread by key hash
(`BucketTable`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.store.buckets import DEFAULT_LIMIT, BucketTable, Record
from crisis_console.core.store.jsonfile import read_json, write_atomically
from crisis_console.core.store.partitioned import LIVE, PartitionedTable

JOURNAL = "journal.json"
Changes = dict[str, tuple[dict[str, Record], list[str]]]
BY_MENTION = frozenset({"alarms", "open_alarms", "breaches", "answers", "reply_index"})
Table = BucketTable | PartitionedTable
CRISIS = ("crisis", "current")  # the table and key of the crisis state (its `level`)


@dataclass(frozen=True, slots=True)
class LeaseTerms:
    """What must still hold at the moment a lease is taken, checked in the same atomic step
    as the take, not read before it: `mention` is stored (None: no mention to check), and
    the crisis level in force is one of `levels` (None: any level)."""

    mention: str | None = None
    levels: frozenset[int] | None = None


NO_TERMS = LeaseTerms()


class LeaseRefused(CrisisConsoleError):
    """A lease's terms did not hold when it was to be taken; nothing was written. `level`
    is the level in force when it was the level that refused, None when the mention is not
    stored."""

    def __init__(self, message: str, level: int | None = None) -> None:
        super().__init__(message)
        self.level = level


def check_terms(terms: LeaseTerms, stored: bool, crisis: Record | None) -> None:
    """Raise `LeaseRefused` unless `terms` hold (a folder's check, under its lock; the team
    database checks them in the statement that takes the lease)."""
    if terms.mention is not None and not stored:
        raise LeaseRefused(f"no mention {terms.mention}")
    level = int(crisis["level"]) if crisis else 0
    if terms.levels is not None and level not in terms.levels:
        raise LeaseRefused(f"not allowed at crisis level {level}", level)


class KeyedTable(Protocol):
    """A table of JSON records by key: a folder's files, or rows of the team database."""

    def get(self, key: str) -> Record | None: ...
    def get_many(self, keys: Iterable[str]) -> dict[str, Record]: ...
    def __iter__(self) -> Iterator[tuple[str, Record]]: ...
    def __len__(self) -> int: ...
    def oldest(self, field: str) -> Record | None: ...
    def apply(self, put: Mapping[str, Record], delete: Iterable[str] = ()) -> None: ...
    def insert_if_absent(self, key: str, record: Record) -> Record | None: ...
    def replace_if(
        self,
        key: str,
        condition: Callable[[Record | None], bool],
        record: Record,
        log: Callable[[], object] | None = None,
    ) -> tuple[bool, Record | None]: ...


class TableSet(Protocol):
    """Named tables, batches across them, and the lock under which a check-then-write is
    atomic in the store (`Tables` here, `PgTables` in team mode)."""

    @property
    def lock(self) -> AbstractContextManager[Any]: ...
    def table(self, name: str) -> KeyedTable: ...
    def apply(self, changes: Changes) -> None: ...
    def stats(self) -> dict[str, int]: ...
    def journaled(self, log: Callable[[], object]) -> Callable[[], object]: ...
    def take_lease(
        self,
        name: str,
        key: str,
        lease: Record,
        force: bool,
        log: Callable[[], object] | None,
        terms: LeaseTerms = NO_TERMS,
    ) -> tuple[bool, Record | None]: ...
    def insert_new(
        self,
        name: str,
        records: Mapping[str, Record],
        log: Callable[[Mapping[str, Record]], object] | None = None,
    ) -> dict[str, Record]: ...
    def expire_leases(self, name: str, keys: Iterable[str], now: datetime) -> list[str]: ...
    def release_lease(self, name: str, key: str, holder: str) -> bool: ...


def lease_free(current: Record | None, lease: Record, force: bool) -> bool:
    """Whether `lease` (holder, since, expires) may replace `current`: there is none, it is
    the same holder's (a renewal), it has run out by the new lease's start, or `force`."""
    if force or current is None:
        return True
    if current["holder"] == lease["holder"]:
        return True
    return datetime.fromisoformat(current["expires"]) <= datetime.fromisoformat(lease["since"])


def anywhere(key: str) -> str:
    return LIVE


class Tables:
    """Named tables under one folder, and batches that span several of them. `locate` names
    the store segment that holds a mention (for the tables in `BY_MENTION`); `stored` tells
    whether the store holds a mention (a lease's terms)."""

    def __init__(
        self,
        folder: Path,
        read_only: bool = False,
        limit: int = DEFAULT_LIMIT,
        locate: Callable[[str], str] = anywhere,
        stored: Callable[[str], bool] = lambda key: True,
    ) -> None:
        self.folder, self.read_only, self.limit, self.locate = folder, read_only, limit, locate
        self.stored = stored
        self.lock = threading.RLock()  # one conditional write at a time, across tables
        self._tables: dict[str, Table] = {}
        journal = folder / JOURNAL
        if journal.exists() and not read_only:  # a batch a crash cut short: finish it
            pending = read_json(journal) or {}
            self._write({name: (put, delete) for name, (put, delete) in pending.items()})
            journal.unlink()

    def table(self, name: str) -> Table:
        if name not in self._tables:
            folder = self.folder / name
            self._tables[name] = (
                PartitionedTable(folder, self.locate, self.read_only)
                if name in BY_MENTION
                else BucketTable(folder, self.limit, self.read_only)
            )
        return self._tables[name]

    def bucket(self, name: str) -> BucketTable:
        """A table spread by the hash of its keys (not one of `BY_MENTION`)."""
        table = self.table(name)
        assert isinstance(table, BucketTable), name
        return table

    def partitioned(self) -> list[PartitionedTable]:
        tables = (self.table(name) for name in sorted(BY_MENTION))
        return [t for t in tables if isinstance(t, PartitionedTable)]

    def rename_partition(self, old: str, new: str) -> None:
        """The store closed segment `old` as `new`: the records beside it follow it."""
        with self.lock:
            for table in self.partitioned():
                table.rename(old, new)

    def repair_partitions(self, segments: Iterable[str]) -> None:
        """A partition named after a segment that does not exist was renamed by a rotation
        that a crash cut short, before the segment itself: it is the live one again."""
        known = set(segments)
        for table in self.partitioned():
            for part in table.parts():
                if part != LIVE and part not in known:
                    table.rename(part, LIVE)

    def apply(self, changes: Changes) -> None:
        """Write every table's upserts and deletes as one batch: all of it survives a crash,
        or (if the journal itself was not written) none of it."""
        changes = {n: (p, d) for n, (p, d) in changes.items() if p or d}
        if not changes:
            return
        with self.lock:
            if len(changes) == 1:
                [(name, (put, delete))] = changes.items()
                self.table(name).apply(put, delete)  # the table's own journal suffices
                return
            journal = self.folder / JOURNAL
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomically(journal, json.dumps(changes))
            self._write(changes)
            journal.unlink()

    def _write(self, changes: Changes) -> None:
        for name, (put, delete) in changes.items():
            self.table(name).write_unjournaled(put, delete)

    def take_lease(
        self,
        name: str,
        key: str,
        lease: Record,
        force: bool,
        log: Callable[[], object] | None,
        terms: LeaseTerms = NO_TERMS,
    ) -> tuple[bool, Record | None]:
        """Store `lease` under `key` in table `name` if `terms` hold (else `LeaseRefused`,
        nothing written) and `lease_free`; (stored?, the record that stood in the way or
        None). `log` runs before the write, once it will happen; its writes are kept only
        with the lease's (in a folder it runs only then)."""

        def free(current: Record | None) -> bool:
            return lease_free(current, lease, force)

        with self.lock:
            crisis = self.table(CRISIS[0]).get(CRISIS[1]) if terms.levels is not None else None
            check_terms(terms, terms.mention is None or self.stored(terms.mention), crisis)
            return self.table(name).replace_if(key, free, lease, log)

    def insert_new(
        self,
        name: str,
        records: Mapping[str, Record],
        log: Callable[[Mapping[str, Record]], object] | None = None,
    ) -> dict[str, Record]:
        """Store in table `name` the records whose key it does not hold yet; return those
        (the new ones). `log(new)` runs before they are written (the audit record first)."""
        with self.lock:
            table = self.table(name)
            known = table.get_many(records)
            fresh = {k: dict(r) for k, r in records.items() if k not in known}
            if fresh and log is not None:
                log(fresh)
            table.apply(fresh)
        return fresh

    def expire_leases(self, name: str, keys: Iterable[str], now: datetime) -> list[str]:
        """Remove these leases where they have run out by `now` (a renewal may have
        extended one since it was indexed); the keys removed."""
        with self.lock:
            table = self.table(name)
            found = table.get_many(keys)
            gone = [k for k, r in found.items() if datetime.fromisoformat(r["expires"]) <= now]
            table.apply({}, gone)
        return gone

    def release_lease(self, name: str, key: str, holder: str) -> bool:
        """Remove the lease on `key` if `holder` still holds it; whether it was removed (a
        lease that ran out and was taken by someone else since is theirs, and stays)."""
        with self.lock:
            table = self.table(name)
            current = table.get(key)
            if current is None or current["holder"] != holder:
                return False
            table.apply({}, [key])
        return True

    def journaled(self, log: Callable[[], object]) -> Callable[[], object]:
        """`log` as it is: a folder's audit log is its own file, fsynced before the write."""
        return log

    def stats(self) -> dict[str, int]:
        """Files read and written, records read, summed over the tables (for tests)."""
        total: dict[str, int] = {}
        for table in self._tables.values():
            for k, v in table.stats.items():
                total[k] = total.get(k, 0) + v
        return total
