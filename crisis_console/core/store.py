"""The storage contract and its embedded TinyDB implementation (the one module that imports
tinydb and filelock).

Contract (`MentionStore`): `save` is an upsert keyed by mention key and is durable when it
returns — the caller may acknowledge only after that. A folder is used by one process at a
time; a second opener gets `StoreLocked` with a clear message.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import Storage

from crisis_console.core.errors import StoreError, StoreLocked
from crisis_console.core.models import StoredMention, stored_from_record, stored_to_record

MENTIONS_FILE = "mentions.json"
LOCK_FILE = "console.lock"


def author_key_of(mention_record: Mapping[str, Any]) -> str:
    return f"{mention_record['platform']}:{mention_record['author']}"


class MentionStore(Protocol):
    """Where triaged mentions live. Implementations pass `tests/core/test_store.py`."""

    def get(self, key: str) -> StoredMention | None:
        """The mention with this key, or None."""
        ...

    def save(self, items: Sequence[StoredMention]) -> None:
        """Insert or replace each item by key, all in one durable write."""
        ...

    def all(self) -> list[StoredMention]:
        """Every stored mention, in no particular order."""
        ...

    def author_posts(self, author_key: str) -> int:
        """How many stored mentions this author (`platform:handle`) has made."""
        ...

    def records(self, table: str) -> dict[str, dict[str, Any]]:
        """Every record of a small state table (alarms, crisis state...), by key."""
        ...

    def put(self, table: str, records: Mapping[str, Mapping[str, Any]]) -> None:
        """Insert or replace records of a state table by key, in one durable write."""
        ...

    def close(self) -> None:
        """Release the folder; the store is unusable afterwards."""
        ...


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a half-written file.

    Each write goes to a temporary file that is fsynced and then renamed over the old one,
    so a crash leaves either the old or the new document, never a torn one. Inside
    `batch()` writes stay in memory and reach the disk once, when the batch ends.
    """

    def __init__(self, path: str) -> None:
        self._path = Path(path)
        self._data: dict[str, Any] | None = None
        self._depth = 0
        self._dirty = False

    def read(self) -> dict[str, Any] | None:
        if self._data is None:
            try:
                raw = self._path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return None
            try:
                self._data = json.loads(raw) if raw.strip() else None
            except json.JSONDecodeError as exc:
                raise StoreError(
                    f"{self._path} is not valid JSON ({exc}); restore it from a backup"
                ) from exc
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        self._dirty = True
        if self._depth == 0:
            self._flush()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group writes into one disk write; on error, forget the unwritten changes."""
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._data, self._dirty = None, False  # reload what the disk really holds
            raise
        self._depth -= 1
        if self._depth == 0 and self._dirty:
            self._flush()

    def _flush(self) -> None:
        payload = json.dumps(self._data, separators=(",", ":"))
        directory = self._path.parent
        fd, tmp = tempfile.mkstemp(prefix=".mentions-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_directory(directory)
        self._dirty = False

    def close(self) -> None:
        pass


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FolderLock:
    """Holds the data folder for this process; refuses a second holder at once."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_FILE
        self._lock = FileLock(str(self.path))
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise StoreLocked(
                f"{folder} is already in use by another Crisis Console or ingest "
                f"(lock {self.path}). Close that one first, or use another --data-dir."
            ) from None

    def release(self) -> None:
        self._lock.release()


class TinyDBStore:
    """The embedded store: one folder, one JSON file, one process at a time."""

    def __init__(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create data folder {folder}: {exc}") from exc
        self.folder = folder
        self._lock = FolderLock(folder)
        try:
            self._db = TinyDB(str(folder / MENTIONS_FILE), storage=AtomicJSONStorage)
            self._table = self._db.table("mentions")
            docs = self._table.all()
            self._doc_ids = {doc["id"]: doc.doc_id for doc in docs}
            self._authors = Counter(author_key_of(doc["mention"]) for doc in docs)
        except BaseException:
            self._lock.release()
            raise

    @property
    def _storage(self) -> AtomicJSONStorage:
        storage = self._db.storage
        assert isinstance(storage, AtomicJSONStorage)
        return storage

    def get(self, key: str) -> StoredMention | None:
        doc_id = self._doc_ids.get(key)
        if doc_id is None:
            return None
        doc = self._table.get(doc_id=doc_id)
        return None if doc is None else stored_from_record(doc)

    def save(self, items: Sequence[StoredMention]) -> None:
        if not items:
            return
        fresh: dict[str, dict[str, Any]] = {}
        new_ids: list[int] = []
        with self._storage.batch():
            for item in items:
                record = stored_to_record(item)
                doc_id = self._doc_ids.get(item.key)
                if doc_id is None:
                    fresh[item.key] = record  # a later item with the same key wins
                else:
                    self._table.update(record, doc_ids=[doc_id])
            if fresh:
                new_ids = self._table.insert_multiple(fresh.values())
        # Only once the batch is on disk does the index learn the new keys.
        self._doc_ids.update(zip(fresh, new_ids, strict=True))
        self._authors.update(author_key_of(record["mention"]) for record in fresh.values())

    def author_posts(self, author_key: str) -> int:
        return self._authors[author_key]

    def all(self) -> list[StoredMention]:
        return [stored_from_record(doc) for doc in self._table.all()]

    def records(self, table: str) -> dict[str, dict[str, Any]]:
        return {doc["key"]: dict(doc["record"]) for doc in self._db.table(table).all()}

    def put(self, table: str, records: Mapping[str, Mapping[str, Any]]) -> None:
        if not records:
            return
        tiny = self._db.table(table)
        by_key = {doc["key"]: doc.doc_id for doc in tiny.all()}
        with self._storage.batch():
            for key, record in records.items():
                doc = {"key": key, "record": dict(record)}
                if key in by_key:
                    tiny.update(doc, doc_ids=[by_key[key]])
                else:
                    by_key[key] = tiny.insert(doc)

    def __len__(self) -> int:
        return len(self._doc_ids)

    def close(self) -> None:
        self._db.close()
        self._lock.release()
