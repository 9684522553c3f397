"""Keyed tables whose every operation reads and writes a bounded number of small files.

A `BucketTable` keeps records by string key in TinyDB files chosen by the key's hash
(extendible hashing): the file for a key is the one whose hex name is the longest prefix of
the key's digest. A file that passes `limit` records is split sixteen ways by the next hex
digit, so no file grows with the table and a lookup reads one file of at most `limit`
records, whatever the table holds.

Durability and conditional writes are `FileTable`'s (a journalled batch; check-and-write
under the table's lock, so two threads can never both win; the folder lock keeps other
processes out). A split writes the children before it removes the parent; a child found
beside its parent at open is left over from an interrupted split and is removed (the parent
still holds every record).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from crisis_console.core.errors import StoreError
from crisis_console.core.store.filetable import JOURNAL, FileTable, Record
from crisis_console.core.store.jsonfile import names_in

__all__ = ["DEFAULT_LIMIT", "JOURNAL", "BucketTable", "Record", "key_digest"]
DEFAULT_LIMIT = 1_024
_PREFIX = "b-"


def key_digest(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


class BucketTable(FileTable):
    """Records by key in hash-chosen small files; see the module docstring."""

    def __init__(
        self,
        folder: Path,
        limit: int = DEFAULT_LIMIT,
        read_only: bool = False,
        cached_files: int = 32,
    ) -> None:
        super().__init__(folder, read_only, cached_files)
        self.limit = limit
        if not read_only:
            folder.mkdir(parents=True, exist_ok=True)
        self._names = self._scan()
        self._finish_journal()

    def _scan(self) -> set[str]:
        if not self.folder.is_dir():
            return {""}
        names = {n[len(_PREFIX) : -len(".json")] for n in names_in(self.folder, ".json", _PREFIX)}
        for name in sorted(names, key=len, reverse=True):
            if any(name[:i] in names for i in range(len(name))):
                names.discard(name)  # a child of a split that did not finish
                if not self.read_only:
                    self._path(name).unlink(missing_ok=True)
        return _with_empty_leaves(names) or {""}

    def _path(self, name: str) -> Path:
        return self.folder / f"{_PREFIX}{name}.json"

    def _files(self) -> list[str]:
        return sorted(self._names)

    def _file_of(self, key: str) -> str:
        digest = key_digest(key)
        for length in range(len(digest) + 1):
            if digest[:length] in self._names:
                return digest[:length]
        raise StoreError(f"{self.folder}: no bucket holds {key!r}; the table is damaged")

    def _after_write(self, name: str, records: Mapping[str, Record]) -> None:
        if len(records) > self.limit:
            self._split(name, records)

    def _split(self, name: str, records: Mapping[str, Record]) -> None:
        leaves = self._partition(name, records)
        for leaf, held in leaves.items():
            self._write(leaf, held)
        self._path(name).unlink(missing_ok=True)  # only now: the children hold everything
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

    def files(self) -> int:
        return len(self._names)


def _with_empty_leaves(names: set[str]) -> set[str]:
    """The leaves whose files are `names`, and the empty ones: a leaf that holds no record
    has no file (a part of a split that nothing hashed to, a file emptied by deletes), yet
    its keys must find it after a reopen. A split makes sixteen siblings, so each file's
    sibling that is neither a file nor split further is such a leaf."""
    split = {name[:i] for name in names for i in range(len(name))}  # a file's ancestors
    leaves = set(names)
    for name in names - {""}:
        for digit in "0123456789abcdef":
            sibling = name[:-1] + digit
            if sibling not in names and sibling not in split:
                leaves.add(sibling)
    return leaves
