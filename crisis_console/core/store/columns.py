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
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from crisis_console.core.store.inbox import (
    RANK_STEP,
    URGENCY_RANK,
    queues_from,
)
from crisis_console.core.store.symbols import Symbols

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
ROW_SIZE = ROW.itemsize
Block = Any  # a run of rows as numpy holds them: opaque outside this module
_LINEAR_LOOKUPS = 16  # lookups answered by a scan before a sorted index is built


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
        self._ranks = np.zeros(1, np.int64)  # see `arrival_ranks`

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

    def block_of(self, entries: Sequence[Sequence[Any]]) -> Block:
        """The rows of a segment's index entries, in their order."""
        rows = np.zeros(len(entries), ROW)
        for i, e in enumerate(entries):
            k, p, a, order, created, plat, cat, pattern, deleted = self.values(e)
            rows[i] = (k, p, a, 0, i, order, created, plat, cat, pattern, deleted, 0)
        return rows

    def block_at(self, slots: Sequence[int]) -> Block:
        return self._rows[np.array(slots, dtype=np.int64)]  # a copy

    def codes_known(self, rows: Block, start: int = 0, count: int | None = None) -> bool:
        """Whether every code in `rows[start:start + count]` (all of them: one pass, the
        usual case at open) names a known symbol."""
        block = rows[start : start + count] if count is not None else rows
        for table, names in self.symbols.names.items():
            codes = np.ascontiguousarray(block[table])  # a strided min and max cost 4x more
            if len(codes) and not (0 <= int(codes.min()) <= int(codes.max()) < len(names)):
                return False
        return True

    def arrival_ranks(self, ranks: Sequence[int]) -> None:
        """Each closed segment's place in the order of arrival (by segment number)."""
        self._ranks = np.array([*ranks, len(ranks)], dtype=np.int64)  # [-1]: the live file
        self.version += 1

    def arrival(self) -> npt.NDArray[np.int64]:
        """Each row's place in the order of arrival: its segment's, then its position."""
        rows = self.rows
        ranks = self._ranks if len(self._ranks) else np.zeros(1, np.int64)
        arrival: npt.NDArray[np.int64] = (ranks[rows["seg"]] << 32) | (
            rows["pos"].astype(np.int64) & 0xFFFFFFFF
        )
        return arrival

    def adopt(self, rows: Block, segments: Sequence[tuple[int, int]]) -> None:
        """Take `rows` (read at open, with room to grow) as the first rows: `segments` holds
        each segment's (start, count) in `rows`, numbered from 0 in that order, which cover
        `rows` from its start without a gap."""
        counts = np.array([c for _, c in segments], dtype=np.int64)
        starts = np.array([s for s, _ in segments], dtype=np.int64)
        n = int(counts.sum())
        assert self.n == 0 and len(rows) >= n and (starts == np.cumsum(counts) - counts).all()
        self._rows, self.n = rows, n
        # A block is written with its rows numbered (segment, position) as they were then,
        # and its checksum covers them: where its first and last rows still carry the
        # numbers it has now, every row between does. Only blocks moved along are renumbered.
        live = np.flatnonzero(counts)
        first, last = starts[live], starts[live] + counts[live] - 1
        moved = (rows["seg"][first] != live) | (rows["seg"][last] != live)
        moved |= (rows["pos"][first] != 0) | (rows["pos"][last] != counts[live] - 1)
        for seg in live[moved].tolist():
            at, count = int(starts[seg]), int(counts[seg])
            rows["seg"][at : at + count], rows["pos"][at : at + count] = seg, np.arange(count)
        self._sorted = self._authors = None
        self.version += 1

    def extend(self, segments: Sequence[tuple[int, Block]]) -> None:
        """Add closed segments' rows read from disk (their keys must be new), numbering each
        segment's rows by position."""
        if not segments:
            return
        for seg, block in segments:
            block["seg"], block["pos"] = seg, np.arange(len(block), dtype=np.int32)
        joined = np.concatenate([block for _, block in segments])
        self._reserve(len(joined))
        self._rows[self.n : self.n + len(joined)] = joined
        self.n += len(joined)
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

    def newest_by_author(self, author_key: str, limit: int) -> list[int]:
        rows = self.rows
        mine = np.flatnonzero(rows["author"] == np.uint64(self.digest(author_key)))
        newest: list[int] = mine[np.argsort(-rows["created"][mine], kind="stable")][:limit].tolist()
        return newest

    def segment_slots(self, segments: int) -> Callable[[int], list[int]]:
        """Closed segment number (below `segments`) -> its rows' slots, by position (for one
        pass over all)."""
        rows = self.rows
        by_place = np.lexsort((rows["pos"], rows["seg"]))  # the live file's first (-1)
        segs = rows["seg"][by_place]
        bounds = np.searchsorted(segs, np.arange(segments + 1, dtype=segs.dtype))
        return lambda n: by_place[bounds[n] : bounds[n + 1]].tolist()

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


def new_rows(capacity: int) -> Block:
    return np.zeros(capacity, ROW)


def packed(rows: Block, segments: Sequence[tuple[int, int]]) -> tuple[Block, list[tuple[int, int]]]:
    """`rows` with only these (start, count) runs, one after another from the start: as read
    when they already are (the usual case), else copied into a new array."""
    at, out = 0, []
    for _, count in segments:
        out.append((at, count))
        at += count
    if [s for s, _ in segments] == [s for s, _ in out]:
        return rows, out
    moved = new_rows(at + at // 8 + 1024)
    for (start, count), (to, _) in zip(segments, out, strict=True):
        moved[to : to + count] = rows[start : start + count]
    return moved, out


def rows_buffer(rows: Block, start: int, count: int) -> memoryview:
    """The bytes of `rows[start:start + count]`, writable in place (to read a file into)."""
    return memoryview(rows[start : start + count].view(np.uint8))


def block_bytes(block: Block) -> bytes:
    data: bytes = block.tobytes()
    return data


def block_len(block: Block) -> int:
    return len(block)
