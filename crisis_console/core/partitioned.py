"""Records about mentions, kept beside the mentions: a small TinyDB file per store segment.

An alarm, a breach, the one answer or the list of replies belongs to a mention, and the store
knows which segment holds each mention (a time partition of at most `LIVE_LIMIT` mentions).
A `PartitionedTable` files each record under its mention's segment (`locate`), so a batch of
new mentions touches one file (the live segment's), whatever the table holds, and a lookup
reads one file of at most a segment's worth of records. When the live segment closes, its
file is renamed with it (`rename`).

Durability is the bucket table's: a batch is journalled, then each touched file is rewritten
atomically; `Tables` journals batches that span several tables.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from tinydb import TinyDB

from crisis_console.core.buckets import JOURNAL, Record
from crisis_console.core.errors import StoreError
from crisis_console.core.jsonfile import (
    AtomicJSONStorage,
    fsync_directory,
    read_json,
    write_atomically,
)

LIVE = "live"


class PartitionedTable:
    """Records by mention key, a file per segment; the same contract as `BucketTable`."""

    def __init__(
        self,
        folder: Path,
        locate: Callable[[str], str],
        read_only: bool = False,
        cached_files: int = 8,
    ) -> None:
        self.folder, self.read_only, self._locate = folder, read_only, locate
        self._cached_files = cached_files
        self._cache: OrderedDict[str, dict[str, Record]] = OrderedDict()
        self._lock = threading.RLock()
        self.stats: Counter[str] = Counter()
        journal = folder / JOURNAL
        if journal.exists() and not read_only:
            pending = read_json(journal) or {}
            self.write_unjournaled(pending.get("put", {}), pending.get("delete", []))
            journal.unlink()

    def _path(self, part: str) -> Path:
        return self.folder / f"{part}.json"

    def _read(self, part: str) -> dict[str, Record]:
        cached = self._cache.get(part)
        if cached is not None:
            self._cache.move_to_end(part)
            return cached
        self.stats["files_read"] += 1
        records: dict[str, Record] = {}
        if self._path(part).exists():
            with TinyDB(str(self._path(part)), storage=AtomicJSONStorage, cache=False) as db:
                records = {doc["k"]: doc["v"] for doc in db.all()}
        self.stats["records_read"] += len(records)
        self._cache[part] = records
        while len(self._cache) > self._cached_files:
            self._cache.popitem(last=False)
        return records

    def get(self, key: str) -> Record | None:
        with self._lock:
            found = self._read(self._locate(key)).get(key)
            return dict(found) if found is not None else None

    def get_many(self, keys: Iterable[str]) -> dict[str, Record]:
        with self._lock:
            by_part: dict[str, list[str]] = {}
            for key in keys:
                by_part.setdefault(self._locate(key), []).append(key)
            out: dict[str, Record] = {}
            for part, wanted in by_part.items():
                records = self._read(part)
                out.update({k: dict(records[k]) for k in wanted if k in records})
            return out

    def parts(self) -> list[str]:
        """The partitions that hold records, oldest first (segment names sort by time)."""
        if not self.folder.is_dir():
            return []
        names = sorted(p.stem for p in self.folder.glob("*.json") if p.name != JOURNAL)
        return [n for n in names if n != LIVE] + ([LIVE] if LIVE in names else [])

    def part(self, part: str) -> dict[str, Record]:
        """One partition's records."""
        with self._lock:
            return {k: dict(v) for k, v in self._read(part).items()}

    def __iter__(self) -> Iterator[tuple[str, Record]]:
        for part in self.parts():
            yield from self.part(part).items()

    def apply(self, put: Mapping[str, Record], delete: Iterable[str] = ()) -> None:
        deleted = [k for k in delete if k not in put]
        if not put and not deleted:
            return
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            journal = self.folder / JOURNAL
            write_atomically(journal, json.dumps({"put": put, "delete": deleted}))
            self.write_unjournaled(put, deleted)
            journal.unlink()

    def write_unjournaled(self, put: Mapping[str, Record], delete: Iterable[str] = ()) -> None:
        if self.read_only:
            raise StoreError(f"{self.folder} was opened read-only")
        self.folder.mkdir(parents=True, exist_ok=True)
        changes: dict[str, tuple[dict[str, Record], list[str]]] = {}
        for key, record in put.items():
            changes.setdefault(self._locate(key), ({}, []))[0][key] = dict(record)
        for key in delete:
            changes.setdefault(self._locate(key), ({}, []))[1].append(key)
        for part, (upserts, removals) in changes.items():
            records = dict(self._read(part))
            records.update(upserts)
            for key in removals:
                records.pop(key, None)
            self.stats["files_written"] += 1
            if records:
                docs = {str(i): {"k": k, "v": v} for i, (k, v) in enumerate(records.items(), 1)}
                AtomicJSONStorage(str(self._path(part))).write({"_default": docs})
            else:
                self._path(part).unlink(missing_ok=True)
            self._cache[part] = records

    def insert_if_absent(self, key: str, record: Record) -> Record | None:
        with self._lock:
            existing = self.get(key)
            if existing is not None:
                return existing
            self.apply({key: record})
            return None

    def replace_if(
        self, key: str, condition: Callable[[Record | None], bool], record: Record
    ) -> tuple[bool, Record | None]:
        with self._lock:
            current = self.get(key)
            if not condition(current):
                return False, current
            self.apply({key: record})
            return True, current

    def rename(self, old: str, new: str) -> None:
        """A segment was renamed (the live one closed): its records follow it."""
        with self._lock:
            self._cache.pop(old, None)
            self._cache.pop(new, None)
            if self._path(old).exists():
                os.replace(self._path(old), self._path(new))
                fsync_directory(self.folder)
