"""Keyed tables whose every operation reads and writes a bounded number of small files.

A `BucketTable` keeps records by string key in TinyDB files chosen by the key's hash
(extendible hashing): the file for a key is the one whose hex name is the longest prefix of
the key's digest. A file that passes `limit` records is split sixteen ways by the next hex
digit, so no file grows with the table and a lookup reads one file of at most `limit`
records, whatever the table holds.

Durability: `apply` first writes the whole batch of changes to a journal (one fsync), then
rewrites each touched file atomically, then removes the journal. A crash at any point leaves
the journal, which the next open applies again (upserts and deletes are idempotent). A split
writes the children before it removes the parent; a child found beside its parent at open is
left over from an interrupted split and is removed (the parent still holds every record).

Conditional writes (`insert_if_absent`, `replace_if`) check and write under the table's lock,
so two threads can never both win; the folder lock keeps other processes out.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from crisis_console.core.errors import StoreError
from crisis_console.core.jsonfile import AtomicJSONStorage, read_json, write_atomically

Record = dict[str, Any]
JOURNAL = "journal.json"
DEFAULT_LIMIT = 1_024
_PREFIX = "b-"


def key_digest(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


class BucketTable:
    """Records by key in hash-chosen small files; see the module docstring.

    `stats` counts files read and written and records read, so tests can prove that an
    operation's cost does not grow with the table."""

    def __init__(
        self,
        folder: Path,
        limit: int = DEFAULT_LIMIT,
        read_only: bool = False,
        cached_files: int = 32,
    ) -> None:
        self.folder, self.limit, self.read_only = folder, limit, read_only
        self._cached_files = cached_files
        self._cache: OrderedDict[str, dict[str, Record]] = OrderedDict()
        self._lock = threading.RLock()
        self.stats: Counter[str] = Counter()
        if not read_only:
            folder.mkdir(parents=True, exist_ok=True)
        self._names = self._scan()
        journal = folder / JOURNAL
        if journal.exists() and not read_only:
            pending = read_json(journal) or {}
            self.write_unjournaled(pending.get("put", {}), pending.get("delete", []))
            journal.unlink()

    # --- files ------------------------------------------------------------------------------

    def _scan(self) -> set[str]:
        if not self.folder.is_dir():
            return {""}
        names = {p.name[len(_PREFIX) : -len(".json")] for p in self.folder.glob(f"{_PREFIX}*.json")}
        for name in sorted(names, key=len, reverse=True):
            if any(name[:i] in names for i in range(len(name))):
                names.discard(name)  # a child of a split that did not finish
                if not self.read_only:
                    self._path(name).unlink(missing_ok=True)
        return names or {""}

    def _path(self, name: str) -> Path:
        return self.folder / f"{_PREFIX}{name}.json"

    def _bucket_of(self, key: str) -> str:
        digest = key_digest(key)
        for length in range(len(digest) + 1):
            if digest[:length] in self._names:
                return digest[:length]
        raise StoreError(f"{self.folder}: no bucket holds {key!r}; the table is damaged")

    def _read(self, name: str) -> dict[str, Record]:
        cached = self._cache.get(name)
        if cached is not None:
            self._cache.move_to_end(name)
            return cached
        self.stats["files_read"] += 1
        path = self._path(name)
        records: dict[str, Record] = {}
        if path.exists():
            with TinyDB(str(path), storage=AtomicJSONStorage, cache=False) as db:
                for doc in db.all():
                    records[doc["k"]] = doc["v"]
        self.stats["records_read"] += len(records)
        self._cache[name] = records
        while len(self._cache) > self._cached_files:
            self._cache.popitem(last=False)
        return records

    def _write(self, name: str, records: Mapping[str, Record]) -> None:
        """Rewrite one file with `records`: one durable write (TinyDB's, in a batch)."""
        self.stats["files_written"] += 1
        # TinyDB's own file layout, written whole through its storage: the file is replaced
        # anyway, so reading it first (as truncate + insert_multiple would) is wasted work.
        docs = {str(i): {"k": k, "v": v} for i, (k, v) in enumerate(records.items(), start=1)}
        AtomicJSONStorage(str(self._path(name))).write({"_default": docs})

    # --- reading ----------------------------------------------------------------------------

    def get(self, key: str) -> Record | None:
        with self._lock:
            found = self._read(self._bucket_of(key)).get(key)
            return dict(found) if found is not None else None

    def get_many(self, keys: Iterable[str]) -> dict[str, Record]:
        """The records of those keys that exist; each file read once."""
        with self._lock:
            by_bucket: dict[str, list[str]] = {}
            for key in keys:
                by_bucket.setdefault(self._bucket_of(key), []).append(key)
            out: dict[str, Record] = {}
            for name, wanted in by_bucket.items():
                records = self._read(name)
                out.update({k: dict(records[k]) for k in wanted if k in records})
            return out

    def __iter__(self) -> Iterator[tuple[str, Record]]:
        """Every record, one file in memory at a time (exports, reports, migrations)."""
        for name in sorted(self._names):
            path = self._path(name)
            if not path.exists():
                continue
            with TinyDB(str(path), storage=AtomicJSONStorage, cache=False) as db:
                docs = db.all()
            for doc in docs:
                yield doc["k"], dict(doc["v"])

    # --- writing ----------------------------------------------------------------------------

    def apply(self, put: Mapping[str, Record], delete: Iterable[str] = ()) -> None:
        """Upsert `put` and remove `delete`, durably, as one batch (see the journal)."""
        deleted = [k for k in delete if k not in put]
        if not put and not deleted:
            return
        if self.read_only:
            raise StoreError(f"{self.folder} was opened read-only")
        with self._lock:
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
            changes.setdefault(self._bucket_of(key), ({}, []))[0][key] = dict(record)
        for key in delete:
            changes.setdefault(self._bucket_of(key), ({}, []))[1].append(key)
        for name, (upserts, removals) in changes.items():
            records = dict(self._read(name))
            records.update(upserts)
            for key in removals:
                records.pop(key, None)
            self._write(name, records)
            self._cache[name] = records
            if len(records) > self.limit:
                self._split(name, records)

    def _split(self, name: str, records: Mapping[str, Record]) -> None:
        leaves = self._partition(name, records)
        for leaf, held in leaves.items():
            self._write(leaf, held)
        self._path(name).unlink()  # only now: the children hold everything
        self._cache.pop(name, None)
        self._names.discard(name)
        self._names.update(leaves)

    def _partition(self, name: str, records: Mapping[str, Record]) -> dict[str, dict[str, Record]]:
        """Split sixteen ways by the next hex digit, again where a part is still too full."""
        children: dict[str, dict[str, Record]] = {f"{name}{d:x}": {} for d in range(16)}
        for key, record in records.items():
            children[key_digest(key)[: len(name) + 1]][key] = record
        leaves: dict[str, dict[str, Record]] = {}
        for child, held in children.items():
            if len(held) > self.limit and len(child) < 16:
                leaves.update(self._partition(child, held))
            else:
                leaves[child] = held
        return leaves

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
        self, key: str, condition: Callable[[Record | None], bool], record: Record
    ) -> tuple[bool, Record | None]:
        """Store `record` if `condition(current)` holds; return (stored?, current)."""
        with self._lock:
            current = self.get(key)
            if not condition(current):
                return False, current
            self.apply({key: record})
            return True, current

    def __len__(self) -> int:
        """How many records: reads every file (for tests and migrations, not hot paths)."""
        return sum(1 for _ in self)

    def files(self) -> int:
        return len(self._names)
