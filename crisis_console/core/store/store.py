"""The embedded TinyDB store, behind the contract in `contract.py` (with `tinyfiles`, the
modules that use tinydb's database layer).

Layout, so that the cost of a write does not grow with history:

    state/                          claims, alarms, breaches, replies, the crisis state...:
                                    typed repositories over small files (`state_tables`)
    due/                            what comes due when, for the timers (`due`)
    volume/                         mentions per minute, for spikes and sparklines (`volume`)
    mentions/live.json              the newest mentions (at most `live_limit`), and `applied`:
                                    the last audit record whose mentions are in the store
    mentions/YYYY-MM-DD-NNNN.json   closed segments, rotated out of the live file when it
                                    fills; read on demand, still searched and exported

TinyDB rewrites a whole file on every write and converts a whole table on every update, so
each file is kept small, and the live file is not written for every batch: the audit log is
the write-ahead log (every stored record is in it, fsynced before a batch is acknowledged),
so the live file is a checkpoint, written at most once every `CHECKPOINT_SECONDS`, when it
rotates and at close. After a crash, `ConsoleService.recover` replays the audit events past
the checkpoint's `applied`; a reader (a report beside a running console) replays them in
memory (`replay`). A claim rewrites only the few small files of the table it changes.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from crisis_console.core.errors import StoreError
from crisis_console.core.models import StoredMention, stored_from_record, stored_to_record
from crisis_console.core.store import segment_index
from crisis_console.core.store.buckets import DEFAULT_LIMIT
from crisis_console.core.store.contract import (
    Encoded,
    MentionStore,
    NoPendingAlarms,
    fingerprint,
)
from crisis_console.core.store.directory import Directory
from crisis_console.core.store.due import DueIndex
from crisis_console.core.store.folder_pages import FolderPages
from crisis_console.core.store.inbox import InboxIndex
from crisis_console.core.store.jsonfile import FolderLock, fsync_directory, names_in
from crisis_console.core.store.state_migration import migrate_state_file
from crisis_console.core.store.state_tables import StateStore
from crisis_console.core.store.tables import Tables
from crisis_console.core.store.threads import THREADS_LOG, TableThreads
from crisis_console.core.store.tinyfiles import META, TABLE, open_db, storage, write_batch
from crisis_console.core.store.volume import VolumeCounts
from crisis_console.core.store.work_tables import is_closed, moved_to

__all__ = ["LIVE_FILE", "MENTIONS_DIR", "MentionStore", "TinyDBStore", "fingerprint"]
STATE_DIR, DUE_DIR, VOLUME_DIR = "state", "due", "volume"
OLD_STATE_FILE = "state.json"  # before the state had a file per table; migrated at open
MENTIONS_DIR = "mentions"
LIVE_FILE = "live.json"
CHECKPOINT_SECONDS = 1.0
LIVE_LIMIT = 1_000  # a lookup in a closed segment parses the whole segment: keep them small


class TinyDBStore(FolderPages):
    """The embedded store: one folder, small JSON files, one writer at a time."""

    def __init__(
        self,
        folder: Path,
        read_only: bool = False,
        live_limit: int = LIVE_LIMIT,
        state_limit: int = DEFAULT_LIMIT,
    ) -> None:
        self.folder, self.read_only, self.live_limit = folder, read_only, live_limit
        self._segments = folder / MENTIONS_DIR
        if not read_only:
            try:
                self._segments.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create data folder {folder}: {exc}") from exc
        self._lock = None if read_only else FolderLock(folder)
        self._saving = threading.RLock()
        try:
            self.due = DueIndex(folder / DUE_DIR, read_only)
            self.pending_alarms = NoPendingAlarms()  # alarms are filed with their batch
            self.volume = VolumeCounts(folder / VOLUME_DIR, read_only)
            self._live = self._open_live()
            self._checkpointed = time.monotonic()
            self._recent: OrderedDict[str, dict[str, dict[str, Any]]] = OrderedDict()
            self._entries: OrderedDict[str, list[list[Any]]] = OrderedDict()  # for pages
            self._replayed: dict[str, dict[str, Any]] = {}  # a reader's edits of closed ones
            self._overlay: dict[int, str] = {}  # slot -> key of rows read from records
            self._inbox: InboxIndex | None = None  # built when first asked for
            # Records and index rows read, so tests can show what an operation costs.
            self.stats: Counter[str] = Counter()
            # Closed segments are known by the directory's columns, never read at open.
            self._dir = Directory(
                self._segments / segment_index.INDEX_DIR,
                self._archive_names(),
                self._segment_entries,
                read_only,
            )
            docs = self._live.table(TABLE).all()
            self._live_ids = {doc["id"]: doc.doc_id for doc in docs}
            self._index_live(docs)
            # Opened once the segments are known: records about a mention sit beside it.
            self._tables = Tables(
                folder / STATE_DIR, read_only, state_limit, self._partition_of, self.__contains__
            )
            self.state = StateStore.over(self._tables)
            self.threads = TableThreads(self._tables, folder / STATE_DIR / THREADS_LOG, read_only)
            if not read_only:
                self._tables.repair_partitions(n[: -len(".json")] for n in self._archive_names())
                migrate_state_file(folder / OLD_STATE_FILE, self.state)
        except BaseException:
            self.close()
            raise

    # --- segments ---------------------------------------------------------------------------

    def _partition_of(self, key: str) -> str:
        """The segment that holds a mention, by name without `.json` (`live`, or a closed
        segment's): where the records about it are kept."""
        return (self._dir.segment(key) or LIVE_FILE)[: -len(".json")]

    def _open_live(self) -> TinyDB:
        db = open_db(self._segments / LIVE_FILE, cache=True)
        storage(db).deferred = True  # a reader's replayed records are never written
        return db

    def replay(self, items: Sequence[StoredMention], applied: int) -> None:
        """Apply records the audit log holds past the checkpoint: stored by a writer, held in
        memory by a reader (which then sees what the writer has acknowledged)."""
        if not self.read_only:
            self.save(items, applied)
            return
        records = {item.key: stored_to_record(item) for item in items}
        live = {k: r for k, r in records.items() if not self._dir.segment(k)}
        self._write(self._live, live, applied)
        self._index_live(list(live.values()))
        closed = [r for k, r in records.items() if k not in live]  # edits of closed ones
        self._replayed.update((r["id"], r) for r in closed)
        slots = self._dir.replaced([segment_index.entry(r, fingerprint(r)) for r in closed])
        self._overlay.update(zip(slots, (r["id"] for r in closed), strict=True))

    def checkpoint(self) -> None:
        """Write the live file now (the audit log holds everything it would hold)."""
        storage(self._live).flush()
        self._checkpointed = time.monotonic()

    def _archive_names(self) -> list[str]:
        if not self._segments.is_dir():
            return []
        return [n for n in names_in(self._segments, ".json") if n != LIVE_FILE]

    def _known_segments(self) -> list[str]:  # a reader's later ones are in its live copy
        return sorted(self._dir.names)

    def _table(self, name: str) -> Any:
        """A segment's mentions table; closed segments are read from disk each time."""
        if name == LIVE_FILE:
            return self._live.table(TABLE)
        self.stats["segments_read"] += 1
        return open_db(self._segments / name, cache=False).table(TABLE)

    def _segment_entries(self, name: str) -> list[list[Any]]:
        """A closed segment's index rows; built from the segment (and kept) if missing."""
        entries = segment_index.read(self._segments, name)
        self.stats["index_rows_read"] += len(entries or ())
        if entries is None:
            entries = [segment_index.entry(d, fingerprint(d)) for d in self._table(name).all()]
            if not self.read_only:
                segment_index.write(self._segments, name, entries)
        return entries

    def _index_live(
        self, docs: Sequence[Mapping[str, Any]], prints: Mapping[str, int] | None = None
    ) -> None:
        """Mentions written to the live file: their rows are read from their records (and
        their fingerprints from `prints`, where the caller has them)."""
        known = prints or {}
        entries = [segment_index.entry(d, known.get(d["id"]) or fingerprint(d)) for d in docs]
        slots = self._dir.live(entries)
        self._overlay.update(zip(slots, (d["id"] for d in docs), strict=True))

    def fingerprint(self, key: str) -> int | None:
        """What the stored mention says, in brief: equal fingerprints, nothing new to store."""
        slot = self._dir.columns.slot(key)
        return None if slot is None else self._dir.columns.print_at(slot)

    def fingerprints(self, keys: Iterable[str]) -> dict[str, int]:
        prints = {key: self.fingerprint(key) for key in set(keys)}
        return {key: p for key, p in prints.items() if p is not None}

    @property
    def applied(self) -> int:
        meta = self._live.table(META).get(doc_id=1)
        return int(meta["applied"]) if meta else 0

    def get(self, key: str) -> StoredMention | None:
        if key in self._replayed:
            return stored_from_record(self._replayed[key])
        name = self._dir.segment(key)
        if name is None:
            return None
        if not name:
            doc_id = self._live_ids.get(key)  # None: a digest shared by chance (see columns)
            doc = None if doc_id is None else self._live.table(TABLE).get(doc_id=doc_id)
            return stored_from_record(doc) if doc is not None else None
        docs = self._segment_docs(name)
        return stored_from_record(docs[key]) if key in docs else None

    def get_many(self, keys: Iterable[str]) -> dict[str, StoredMention]:
        """The stored mentions of these keys; each segment read once."""
        by_segment: dict[str, list[str]] = {}
        for key in keys:
            name = self._dir.segment(key)
            if name is not None:
                by_segment.setdefault(name, []).append(key)
        out: dict[str, StoredMention] = {}
        for wanted in by_segment.values():
            for key in wanted:
                found = self.get(key)  # the segment, once read, is kept for the rest
                if found is not None:
                    out[key] = found
        return out

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._dir.columns.slot(key) is not None

    def overdue_among(self, keys: Iterable[str], now: datetime) -> dict[str, tuple[str, datetime]]:
        found = self.get_many(keys)
        answered = self.state.replies.answered_among(found)
        work = self.state.work.get_many(found)  # closed: its clock stopped; moved: its queue
        return {
            key: (moved_to(work.get(key)) or m.triage.route.queue.value, m.triage.deadline)
            for key, m in found.items()
            if m.triage.deadline <= now
            and m.deleted_at is None
            and key not in answered
            and not is_closed(work.get(key))
        }

    def _segment_docs(self, name: str) -> dict[str, dict[str, Any]]:
        """A closed segment's documents by key; the last few read are kept (edits cluster)."""
        if name not in self._recent:
            self._recent[name] = {doc["id"]: doc for doc in self._table(name).all()}
            while len(self._recent) > 2:
                self._recent.popitem(last=False)
        self._recent.move_to_end(name)
        return self._recent[name]

    def together(self) -> AbstractContextManager[None]:
        """A folder's writes are each their own (see `MentionStore.together`)."""
        return nullcontext()

    def save(
        self,
        items: Sequence[StoredMention],
        applied: int | None = None,
        encoded: Encoded | None = None,  # a folder keeps records, not their JSON
    ) -> None:
        if self.read_only:
            raise StoreError(f"{self.folder} was opened read-only")
        with self._saving:  # one batch at a time, whichever thread saves it
            self._save(items, applied)

    def _save(self, items: Sequence[StoredMention], applied: int | None) -> None:
        if not items and applied is None:
            return
        by_segment: dict[str, dict[str, dict[str, Any]]] = {}
        prints: dict[str, int] = {}
        for item in items:
            record = stored_to_record(item)
            # What cannot be stored (half an emoji) is refused before anything is written.
            prints[item.key] = fingerprint(record)
            by_segment.setdefault(self._dir.segment(item.key) or LIVE_FILE, {})[item.key] = record
        # Closed segments first: the live file's write, with `applied`, is what commits a batch.
        for name, records in sorted(by_segment.items(), key=lambda kv: kv[0] == LIVE_FILE):
            # A closed segment is read once and kept in memory while written: its index is
            # rebuilt from what was just written, not read back from disk.
            db = self._live if name == LIVE_FILE else open_db(self._segments / name, cache=True)
            self._write(db, records, applied if name == LIVE_FILE else None)
            if name != LIVE_FILE:  # its index follows it (an edit or a deletion)
                docs = db.table(TABLE).all()
                entries = [segment_index.entry(d, fingerprint(d)) for d in docs]
                segment_index.write(self._segments, name, entries)
                self._dir.rewritten(name, entries)
                self._entries.pop(name, None)
            self._recent.pop(name, None)
        if LIVE_FILE not in by_segment and applied is not None:
            self._write(self._live, {}, applied)
        self._index_live(list(by_segment.get(LIVE_FILE, {}).values()), prints)
        if len(self._live.table(TABLE)) >= self.live_limit:
            self._rotate()
        elif time.monotonic() - self._checkpointed >= CHECKPOINT_SECONDS:
            self.checkpoint()

    def _write(
        self, db: TinyDB, records: Mapping[str, dict[str, Any]], applied: int | None
    ) -> None:
        live = db is self._live
        new_ids = write_batch(db, records, applied, self._live_ids if live else None)
        if live:  # learned only once the batch is on disk
            self._live_ids.update(new_ids)

    def _rotate(self) -> None:
        """Close the live segment under a dated name and start a new one, keeping `applied`."""
        docs = self._live.table(TABLE).all()
        newest = max(doc["ingested_at"] for doc in docs)[:10]
        number = len(self._archive_names()) + 1
        name = f"{newest}-{number:04d}.json"
        applied = self.applied
        self.checkpoint()
        self._live.close()
        entries = [segment_index.entry(d, fingerprint(d)) for d in docs]
        segment_index.write(self._segments, name, entries)
        # The records about these mentions first: a crash between the two renames is undone
        # at the next open (`repair_partitions`), never left pointing at the wrong file.
        self._tables.rename_partition("live", name[: -len(".json")])
        os.replace(self._segments / LIVE_FILE, self._segments / name)
        fsync_directory(self._segments)
        # After the rename: a block naming a segment that was never made would mislead.
        self._dir.closed(name, entries)
        self._overlay = {}
        self._live = self._open_live()
        self._live_ids = {}
        self._live.table(META).insert({"applied": applied})
        self.checkpoint()

    def all(self) -> list[StoredMention]:
        return list(self.iter_all())

    def iter_all(self) -> Iterator[StoredMention]:
        """Every mention, closed segments first; one segment in memory at a time."""
        for name in [*self._known_segments(), LIVE_FILE]:
            for doc in self._table(name).all():
                yield stored_from_record(doc)

    def recent(self, since: datetime) -> Iterator[StoredMention]:
        """The mentions stored at or after `since` (and perhaps a few before): only the
        segments that can hold them are read, not the whole store."""
        day, stamp = since.astimezone(UTC).date().isoformat(), since.astimezone(UTC).isoformat()
        for name in [*self._known_segments(), LIVE_FILE]:
            if name == LIVE_FILE or name[:10] >= day:
                for doc in self._table(name).all():
                    if doc["ingested_at"] >= stamp:
                        yield stored_from_record(doc)

    def recent_rows(self, since: datetime) -> Iterator[Sequence[Any]]:
        day = since.astimezone(UTC).date().isoformat()
        for name in self._known_segments():
            if name[:10] >= day:
                yield from self._segment_entries(name)
        for doc in self._live.table(TABLE).all():
            yield segment_index.entry(doc, 0)

    def author_posts(self, author_key: str) -> int:
        return self._dir.columns.author_count(author_key)

    def author_counts(self, author_keys: Iterable[str]) -> dict[str, int]:
        counts = {a: self._dir.columns.author_count(a) for a in set(author_keys)}
        return {a: n for a, n in counts.items() if n}

    def __len__(self) -> int:
        return self._dir.columns.n

    shared = False  # one writer: this process
    atomic = False  # `together` does each write as it goes

    def is_leader(self) -> bool:
        return not self.read_only  # the folder's one writer

    def changes(self, stop: threading.Event) -> Iterator[set[str]]:
        stop.wait()  # the folder's one writer is this process: nobody else changes it
        return iter(())

    def close(self) -> None:
        db = getattr(self, "_live", None)
        if db is not None:
            if not self.read_only:
                self.checkpoint()
            db.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
