"""Files that survive a crash, and the lock that keeps a data folder to one writer (the one
module that imports tinydb's storage layer and filelock).

`AtomicJSONStorage` writes a whole JSON document to a temporary file, fsyncs it and renames it
over the old one, so a crash leaves the old or the new document, never a torn one. `FolderLock`
holds a data folder for one process and names the holder to anyone refused.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from tinydb.storages import Storage

from crisis_console.core.errors import StoreError, StoreLocked
from crisis_console.core.roster import process_account

LOCK_FILE = "console.lock"
HOLDER_FILE = "console.lock.json"


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a half-written file.

    Each write goes to a temporary file that is fsynced and then renamed over the old one,
    so a crash leaves either the old or the new document, never a torn one. Inside
    `batch()` writes stay in memory and reach the disk once, when the batch ends.
    """

    def __init__(self, path: str, cache: bool = True) -> None:
        self._path = Path(path)
        self._data: dict[str, Any] | None = None
        self._depth = 0
        self._dirty = False
        self._cache = cache  # False: read from disk every time (large, rarely used files)
        # True: writes stay in memory until `flush` (for a file that a write-ahead log covers)
        self.deferred = False

    def read(self) -> dict[str, Any] | None:
        if self._data is None or (not self._cache and self._depth == 0):
            self._data = read_json(self._path)
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        self._dirty = True
        if self._depth == 0 and not self.deferred:
            self._flush()

    @property
    def dirty(self) -> bool:
        return self._dirty

    def flush(self) -> None:
        """Write what is held in memory, if anything."""
        if self._dirty:
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
        if self._depth == 0 and self._dirty and not self.deferred:
            self._flush()

    def _flush(self) -> None:
        payload = json.dumps(self._data, separators=(",", ":"))
        directory = self._path.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self._path.stem}-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_directory(directory)
        self._dirty = False
        if not self._cache:
            self._data = None

    def close(self) -> None:
        pass


def fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON document, or None if the file does not exist. A damaged file is reported with
    its position and what to do, never treated as empty."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path} cannot be read ({exc}); restore it from a backup") from exc
    if not raw.strip():
        raise StoreError(
            f"{path} is empty; restore it from a backup, or move it aside to start afresh"
        )
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise StoreError(
            f"{path} is damaged at line {exc.lineno}, column {exc.colno} (byte {exc.pos}): "
            f"{exc.msg}. Nothing was changed. Restore it from a backup; if it is "
            "mentions/live.json, moving it aside lets the next start rebuild it from the "
            "audit log."
        ) from exc
    if not isinstance(data, dict):
        raise StoreError(
            f"{path} is not a Crisis Console data file; was it written by another tool?"
        )
    return data


class FolderLock:
    """Holds the data folder for this process; refuses a second holder at once, naming it."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_FILE
        self._holder = folder / HOLDER_FILE
        self._lock = FileLock(str(self.path))
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise StoreLocked(
                f"{folder} is already in use by {self._who()}. Close that one first, or use "
                "another --data-dir. (Exports and triage still work while it runs.)"
            ) from None
        me = {
            "user": process_account(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self._holder.write_text(json.dumps(me), encoding="utf-8")

    def _who(self) -> str:
        try:
            h = json.loads(self._holder.read_text(encoding="utf-8"))
            return f"{h['user']} on {h['host']} (process {h['pid']}, since {h['since']})"
        except (OSError, ValueError, KeyError):
            return "another Crisis Console or ingest"

    def release(self) -> None:
        self._holder.unlink(missing_ok=True)
        self._lock.release()


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text`: temporary file, fsync, rename, fsync of the folder."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def process_lock(path: Path) -> AbstractContextManager[object]:
    """A lock that other processes on this machine honour, for short critical sections
    (appending to the audit log). Waits for its turn."""
    lock: AbstractContextManager[object] = FileLock(str(path))
    return lock


def names_in(folder: Path, suffix: str, prefix: str = "") -> list[str]:
    """The names of the files in `folder` ending in `suffix` (and starting with `prefix`),
    sorted; none when the folder does not exist. (os.listdir: a tenth of pathlib's glob, and
    opening a store lists folders of a thousand segments.)"""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if n.endswith(suffix) and n.startswith(prefix))
