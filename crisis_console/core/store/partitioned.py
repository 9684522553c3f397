"""Records about mentions, kept beside the mentions: a small TinyDB file per store segment.

An alarm, a breach, the one answer or the list of replies belongs to a mention, and the store
knows which segment holds each mention (a time partition of at most `LIVE_LIMIT` mentions).
A `PartitionedTable` files each record under its mention's segment (`locate`), so a batch of
new mentions touches one file (the live segment's), whatever the table holds, and a lookup
reads one file of at most a segment's worth of records. When the live segment closes, its
file is renamed with it (`rename`).

Durability and conditional writes are `FileTable`'s; `Tables` journals batches that span
several tables.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from crisis_console.core.store.filetable import JOURNAL, FileTable, Record
from crisis_console.core.store.jsonfile import fsync_directory, names_in

LIVE = "live"


class PartitionedTable(FileTable):
    """Records by mention key, a file per segment; the same contract as `BucketTable`."""

    def __init__(
        self,
        folder: Path,
        locate: Callable[[str], str],
        read_only: bool = False,
        cached_files: int = 8,
    ) -> None:
        super().__init__(folder, read_only, cached_files)
        self._locate = locate
        self._finish_journal()

    def _file_of(self, key: str) -> str:
        return self._locate(key)

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.json"

    def _files(self) -> list[str]:
        return self.parts()

    def parts(self) -> list[str]:
        """The partitions that hold records, oldest first (segment names sort by time)."""
        if not self.folder.is_dir():
            return []
        names = [n[: -len(".json")] for n in names_in(self.folder, ".json") if n != JOURNAL]
        return [n for n in names if n != LIVE] + ([LIVE] if LIVE in names else [])

    def part(self, part: str) -> dict[str, Record]:
        """One partition's records."""
        with self._lock:
            return {k: dict(v) for k, v in self._read(part).items()}

    def oldest(self, field: str) -> Record | None:
        """The record whose `field` (an ISO time) is earliest: one small file, the oldest
        partition that holds any (segments are in time order)."""
        for part in self.parts():
            found = self.part(part).values()
            if found:
                return min(found, key=lambda r: str(r[field]))
        return None

    def rename(self, old: str, new: str) -> None:
        """A segment was renamed (the live one closed): its records follow it."""
        with self._lock:
            self._cache.pop(old, None)
            self._cache.pop(new, None)
            if self._path(old).exists():
                os.replace(self._path(old), self._path(new))
                fsync_directory(self.folder)
