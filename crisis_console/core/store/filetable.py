"""Records by key in small TinyDB files: what the bucket table and the partitioned table share.

A subclass says which file holds a key (`_file_of`), where a file lives (`_path`), which files
exist (`_files`), and what follows a write (`_after_write`: a bucket splits when full). This
class reads files through a small cache, writes each touched file whole and atomically, and
journals a batch: `apply` writes the batch to `journal.json` (one fsync) before touching any
file and removes it after, and opening finishes a journal a crash left. Conditional writes
check and write under the table's lock.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from tinydb import TinyDB

from crisis_console.core.errors import StoreError
from crisis_console.core.store.jsonfile import AtomicJSONStorage, read_json, write_atomically

Record = dict[str, Any]
JOURNAL = "journal.json"


class FileTable:
    """See the module docstring. `stats` counts files read and written and records read, so
    tests can prove that an operation's cost does not grow with the table."""

    def __init__(self, folder: Path, read_only: bool, cached_files: int) -> None:
        self.folder, self.read_only = folder, read_only
        self._cached_files = cached_files
        self._cache: OrderedDict[str, dict[str, Record]] = OrderedDict()
        self._lock = threading.RLock()
        self.stats: Counter[str] = Counter()

    def _finish_journal(self) -> None:
        """A batch a crash cut short is written again (upserts and deletes are idempotent)."""
        journal = self.folder / JOURNAL
        if journal.exists() and not self.read_only:
            pending = read_json(journal) or {}
            self.write_unjournaled(pending.get("put", {}), pending.get("delete", []))
            journal.unlink()

    # --- what a subclass decides --------------------------------------------------------------

    def _file_of(self, key: str) -> str:
        raise NotImplementedError

    def _path(self, name: str) -> Path:
        raise NotImplementedError

    def _files(self) -> list[str]:
        raise NotImplementedError

    def _after_write(self, name: str, records: Mapping[str, Record]) -> None:
        """Called with a file's records once it is written."""

    # --- files ----------------------------------------------------------------------------------

    def _read(self, name: str) -> dict[str, Record]:
        cached = self._cache.get(name)
        if cached is not None:
            self._cache.move_to_end(name)
            return cached
        self.stats["files_read"] += 1
        records: dict[str, Record] = {}
        if self._path(name).exists():
            with TinyDB(str(self._path(name)), storage=AtomicJSONStorage, cache=False) as db:
                records = {doc["k"]: doc["v"] for doc in db.all()}
        self.stats["records_read"] += len(records)
        self._cache[name] = records
        while len(self._cache) > self._cached_files:
            self._cache.popitem(last=False)
        return records

    def _write(self, name: str, records: Mapping[str, Record]) -> None:
        """Rewrite one file with `records` (an empty one is removed): one durable write."""
        self.stats["files_written"] += 1
        if not records:
            self._path(name).unlink(missing_ok=True)
            return
        # TinyDB's own file layout, written whole through its storage: the file is replaced
        # anyway, so reading it first (as truncate + insert_multiple would) is wasted work.
        docs = {str(i): {"k": k, "v": v} for i, (k, v) in enumerate(records.items(), start=1)}
        AtomicJSONStorage(str(self._path(name))).write({"_default": docs})

    # --- reading --------------------------------------------------------------------------------

    def get(self, key: str) -> Record | None:
        with self._lock:
            found = self._read(self._file_of(key)).get(key)
            return dict(found) if found is not None else None

    def get_many(self, keys: Iterable[str]) -> dict[str, Record]:
        """The records of those keys that exist; each file read once."""
        with self._lock:
            by_file: dict[str, list[str]] = {}
            for key in keys:
                by_file.setdefault(self._file_of(key), []).append(key)
            out: dict[str, Record] = {}
            for name, wanted in by_file.items():
                records = self._read(name)
                out.update({k: dict(records[k]) for k in wanted if k in records})
            return out

    def __iter__(self) -> Iterator[tuple[str, Record]]:
        """Every record, one file in memory at a time (exports, reports, migrations)."""
        for name in self._files():
            with self._lock:
                held = {k: dict(v) for k, v in self._read(name).items()}
            yield from held.items()

    def oldest(self, field: str) -> Record | None:
        """The record whose `field` (an ISO time) is earliest: reads every file."""
        return min((r for _, r in self), key=lambda r: str(r[field]), default=None)

    def __len__(self) -> int:
        """How many records: reads every file (for tests and migrations, not hot paths)."""
        return sum(1 for _ in self)

    # --- writing --------------------------------------------------------------------------------

    def apply(self, put: Mapping[str, Record], delete: Iterable[str] = ()) -> None:
        """Upsert `put` and remove `delete`, durably, as one batch (see the journal)."""
        deleted = [k for k in delete if k not in put]
        if not put and not deleted:
            return
        if self.read_only:
            raise StoreError(f"{self.folder} was opened read-only")
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            journal = self.folder / JOURNAL
            write_atomically(journal, json.dumps({"put": put, "delete": deleted}))
            self.write_unjournaled(put, deleted)
            journal.unlink()

    def write_unjournaled(self, put: Mapping[str, Record], delete: Iterable[str] = ()) -> None:
        """`apply` without the journal: for a caller whose own journal covers the batch."""
        if self.read_only:
            raise StoreError(f"{self.folder} was opened read-only")
        self.folder.mkdir(parents=True, exist_ok=True)
        changes: dict[str, tuple[dict[str, Record], list[str]]] = {}
        for key, record in put.items():
            changes.setdefault(self._file_of(key), ({}, []))[0][key] = dict(record)
        for key in delete:
            changes.setdefault(self._file_of(key), ({}, []))[1].append(key)
        for name, (upserts, removals) in changes.items():
            records = dict(self._read(name))
            records.update(upserts)
            for key in removals:
                records.pop(key, None)
            self._write(name, records)
            self._cache[name] = records
            self._after_write(name, records)

    def insert_if_absent(self, key: str, record: Record) -> Record | None:
        """Store `record` unless `key` exists; return the existing record (nothing written)
        or None (stored)."""
        with self._lock:
            existing = self.get(key)
            if existing is not None:
                return existing
            self.apply({key: record})
            return None

    def replace_if(
        self,
        key: str,
        condition: Callable[[Record | None], bool],
        record: Record,
        log: Callable[[], object] | None = None,
    ) -> tuple[bool, Record | None]:
        """Store `record` if `condition(current)` holds; return (stored?, current). `log`
        runs once the condition holds and before the write (the audit record first)."""
        with self._lock:
            return write_if(self, key, condition, record, log)


class _Keyed(Protocol):
    def get(self, key: str) -> Record | None: ...
    def apply(self, put: Mapping[str, Record], delete: Iterable[str] = ()) -> None: ...


def write_if(
    table: _Keyed,
    key: str,
    condition: Callable[[Record | None], bool],
    record: Record,
    log: Callable[[], object] | None = None,
) -> tuple[bool, Record | None]:
    """`replace_if`'s check and write, for a caller that holds the table's lock: store
    `record` if `condition(current)` holds, after `log` (the audit record first)."""
    current = table.get(key)
    if not condition(current):
        return False, current
    if log is not None:
        log()
    table.apply({key: record})
    return True, current
