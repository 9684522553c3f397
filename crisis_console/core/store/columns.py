"""Every stored mention as one fixed-size row of numbers: what opening the store, finding a
mention and sorting or filtering the inbox need, without a Python object per mention.

A row holds keyed 64-bit digests of the mention's key and author, its content fingerprint,
where it lives (segment number and position in the segment's index, or -1 while in the live
file), its inbox order (urgency rank, then response deadline) and small codes for platform,
category and its queue at each crisis level. A million mentions take 56 MB, read in one piece
(`column_file`), and a filter over all of them is a few vector operations.

Digests are keyed with the folder's own random salt, so a stranger cannot choose a post id
whose digest equals another mention's; an accidental match is one in ten million at a
million mentions, and even then `get` checks the stored key.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from crisis_console.core.store.inbox import RANK_STEP, URGENCY_RANK, queues_from

ROW = np.dtype(
    [
        ("key", "<u8"),
        ("print", "<u8"),
        ("author", "<u8"),
        ("seg", "<i4"),  # segment number, -1 in the live file
        ("pos", "<i4"),  # position in the segment's index rows
        ("order", "<i8"),  # urgency rank * RANK_STEP + response deadline in ms
        ("created", "<i8"),  # ms since the epoch
        ("platform", "<i2"),
        ("category", "<i2"),
        ("pattern", "<i2"),  # the queue, and the queue at each crisis level
        ("deleted", "u1"),
        ("spare", "u1"),
    ]
)
LIVE = -1
_LINEAR_LOOKUPS = 16  # lookups answered by a scan before a sorted index is built
TABLES = ("platform", "category", "pattern")


class Symbols:
    """Small code <-> name tables (platform, category, queue pattern). Codes are appended,
    never reused, so stored rows keep their meaning; `unsaved` is what the file lacks."""

    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {t: [] for t in TABLES}
        self._codes: dict[str, dict[str, int]] = {t: {} for t in TABLES}
        self.unsaved: list[tuple[str, str]] = []

    def load(self, pairs: Sequence[Sequence[str]]) -> None:
        for table, name in pairs:
            self._add(table, name)

    def code(self, table: str, name: str) -> int:
        found = self._codes[table].get(name)
        if found is None:
            found = self._add(table, name)
            self.unsaved.append((table, name))
        return found

    def known(self, table: str, name: str) -> int | None:
        return self._codes[table].get(name)

    def _add(self, table: str, name: str) -> int:
        codes = self._codes[table]
        if name not in codes:
            codes[name] = len(self.names[table])
            self.names[table].append(name)
        return codes[name]


class Columns:
    """The rows of every stored mention, growable, with lookups by key and by author."""

    def __init__(self, salt: bytes, symbols: Symbols | None = None) -> None:
        self.salt = salt
        self.symbols = symbols or Symbols()
        self._rows = np.zeros(1024, ROW)
        self.n = 0
        self.version = 0  # bumped by every change of order or filterable fields
        self._sorted: tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]] | None = None
        self._since_sorted: dict[int, int] = {}  # key digest -> slot, added since
        self._authors: npt.NDArray[np.uint64] | None = None
        self._authors_since: Counter[int] = Counter()
        self._scans = 0

    @property
    def rows(self) -> npt.NDArray[Any]:
        """The rows in use (a view: valid until the next `append`)."""
        return self._rows[: self.n]

    def digest(self, text: str) -> int:
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8, key=self.salt).digest())

    # --- building rows -----------------------------------------------------------------

    def values(self, e: Sequence[Any]) -> tuple[Any, ...]:
        """A row's values (without segment and position) from an index entry
        (`segment_index.entry`)."""
        key, print_, platform, author, _name, _f, _v, _s, created_s, minutes = e[:10]
        queue, _esc, urgency, category, _label, _compound, deleted, levels = e[10:]
        created = datetime.fromisoformat(created_s).timestamp()
        deadline_ms = round((created + 60 * minutes) * 1000)
        return (
            self.digest(key),
            print_,
            self.digest(f"{platform}:{author}"),
            URGENCY_RANK[urgency] * RANK_STEP + deadline_ms,
            round(created * 1000),
            self.symbols.code("platform", platform),
            self.symbols.code("category", category),
            self.symbols.code("pattern", f"{queue}|{levels}"),
            1 if deleted else 0,
        )

    def extend(self, block: npt.NDArray[Any]) -> None:
        """Add rows read from disk (their keys must be new)."""
        self._reserve(len(block))
        self._rows[self.n : self.n + len(block)] = block
        self.n += len(block)
        self._sorted = self._authors = None
        self._since_sorted.clear()
        self._authors_since.clear()
        self.version += 1

    def put(self, e: Sequence[Any], seg: int, pos: int) -> int:
        """Insert or replace the row of an index entry; its slot."""
        values = self.values(e)
        slot = self.slot_of_digest(values[0])
        if slot is None:
            self._reserve(1)
            slot, self.n = self.n, self.n + 1
            if self._sorted is not None:
                self._since_sorted[values[0]] = slot
            self._authors_since[values[2]] += 1
        elif int(self._rows["author"][slot]) != values[2]:
            self._authors = None  # an author changed: count again
            self._authors_since.clear()
        k, p, a, order, created, plat, cat, pattern, deleted = values
        self._rows[slot] = (k, p, a, seg, pos, order, created, plat, cat, pattern, deleted, 0)
        self.version += 1
        return slot

    def place(self, slot: int, seg: int, pos: int) -> None:
        self._rows["seg"][slot], self._rows["pos"][slot] = seg, pos

    def _reserve(self, more: int) -> None:
        if self.n + more > len(self._rows):
            grown = np.zeros(max(self.n + more, len(self._rows) * 5 // 4 + 1024), ROW)
            grown[: self.n] = self._rows[: self.n]
            self._rows = grown

    # --- lookups -------------------------------------------------------------------------

    def slot(self, key: str) -> int | None:
        return self.slot_of_digest(self.digest(key))

    def slot_of_digest(self, digest: int) -> int | None:
        if self._sorted is None and self._scans < _LINEAR_LOOKUPS:
            # A one-shot command looks up a key or two: a scan costs less than sorting.
            self._scans += 1
            found = np.flatnonzero(self._rows["key"][: self.n] == np.uint64(digest))
            return int(found[0]) if len(found) else None
        if digest in self._since_sorted:
            return self._since_sorted[digest]
        keys, slots = self._sorted_keys()
        at = int(np.searchsorted(keys, np.uint64(digest)))
        if at < len(keys) and int(keys[at]) == digest:
            return int(slots[at])
        return None

    def _sorted_keys(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
        if self._sorted is None or len(self._since_sorted) > 65_536:
            keys = self._rows["key"][: self.n]
            slots = np.argsort(keys, kind="stable")
            self._sorted = (keys[slots], slots)
            self._since_sorted.clear()
        return self._sorted

    def author_count(self, author_key: str) -> int:
        digest = np.uint64(self.digest(author_key))
        if self._authors is None and self._scans < _LINEAR_LOOKUPS:
            self._scans += 1
            return int(np.count_nonzero(self._rows["author"][: self.n] == digest))
        if self._authors is None:
            self._authors = np.sort(self._rows["author"][: self.n])
            self._authors_since.clear()
        found = np.searchsorted(self._authors, digest, side="right") - np.searchsorted(
            self._authors, digest, side="left"
        )
        return int(found) + self._authors_since[int(digest)]

    def print_at(self, slot: int) -> int:
        return int(self._rows["print"][slot])

    def seg_at(self, slot: int) -> tuple[int, int]:
        return int(self._rows["seg"][slot]), int(self._rows["pos"][slot])

    def slots_of(self, keys: Mapping[str, Any] | set[str] | Sequence[str]) -> list[int]:
        return [s for s in (self.slot(k) for k in keys) if s is not None]

    # --- queues ----------------------------------------------------------------------------

    def queue_codes(self, level: int, queues: list[str]) -> npt.NDArray[np.int32]:
        """Each row's queue at this crisis level, as an index into `queues` (which grows)."""
        table = []
        for pattern in self.symbols.names["pattern"]:
            base, _, levels = pattern.partition("|")
            queue = next((q for n, q in queues_from(levels) if n == level), base)
            if queue not in queues:
                queues.append(queue)
            table.append(queues.index(queue))
        codes = np.array(table or [0], np.int32)
        out: npt.NDArray[np.int32] = codes[self._rows["pattern"][: self.n]]
        return out
