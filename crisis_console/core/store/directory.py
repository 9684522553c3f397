"""The directory of every stored mention: its columns (`columns`), kept on disk for the
closed segments (`column_file`), and in memory for the live file.

Opening the store reads `columns.bin` in one piece and checks each block against its
segment's JSON index by size, change time and inode (a stat per segment, not a read). A segment
the file lacks, or whose block is stale or damaged, is read from its JSON index, and a
writer mends the file then; a reader keeps what it read in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from crisis_console.core.store import column_file
from crisis_console.core.store.columns import LIVE, Block, Columns, block_len, new_rows, packed
from crisis_console.core.store.search_terms import Term, compiled
from crisis_console.core.store.segment_index import SEPARATOR
from crisis_console.core.store.symbols import Symbols

Entries = list[list[Any]]


class Directory:
    """Which mentions exist, where each lives, and their inbox order: for the store."""

    def __init__(
        self,
        folder: Path,
        names: Sequence[str],
        entries_of: Callable[[str], Entries],
        read_only: bool,
    ) -> None:
        """`folder`: the segments' index folder; `names`: the closed segments, by file name;
        `entries_of(name)`: a segment's JSON index rows (rebuilt from it if missing)."""
        self.path, self.read_only = folder / column_file.NAME, read_only
        self._folder = folder
        if not read_only:
            folder.mkdir(exist_ok=True)
        loaded = column_file.read(self.path)
        if loaded is None:
            loaded = column_file.create(self.path) if not read_only else None
        if loaded is None:  # a reader of a folder with no file yet: work in memory
            loaded = column_file.Loaded(b"\0" * 16, [], {}, 0, new_rows(1024))
        self._loaded = loaded
        symbols = Symbols()
        symbols.load(loaded.symbols)
        self.columns = Columns(loaded.salt, symbols)
        kept, stale_names = [], []
        # One pass over every code of the blocks read whole; a block
        # is checked alone only when some code somewhere is unknown.
        every_code_known = self.columns.codes_known(loaded.rows, 0, loaded.filled)
        for name in names:
            block = loaded.blocks.get(name)
            if (
                block is not None
                and block.start >= 0
                and block.source == column_file.source_of(folder / name)
                and (
                    every_code_known
                    or self.columns.codes_known(loaded.rows, block.start, block.count)
                )
            ):
                kept.append(block)
            else:
                stale_names.append(name)
        kept.sort(key=lambda b: b.start)
        self.columns.adopt(*packed(loaded.rows, [(b.start, b.count) for b in kept]))
        loaded.rows = None  # the columns hold them now
        self.names = [b.name for b in kept]
        self._number = {name: seg for seg, name in enumerate(self.names)}
        stale: list[tuple[str, Block, column_file.Source]] = []
        parts = []
        for name in stale_names:
            seg = self._number[name] = len(self.names)
            self.names.append(name)
            rows = self.columns.block_of(entries_of(name))
            source = column_file.source_of(folder / name)  # the index may just be made
            stale.append((name, rows, source))
            parts.append((seg, rows))
        self.columns.extend(parts)
        self._ranked()
        if stale and not read_only:
            self._save(stale)

    def _ranked(self) -> None:
        """Tell the columns the segments' order of arrival (their names sort by it): the
        inbox's last tie-break, whatever order the segments' rows were read in."""
        order = sorted(range(len(self.names)), key=self.names.__getitem__)
        ranks = [0] * len(order)
        for rank, seg in enumerate(order):
            ranks[seg] = rank
        self.columns.arrival_ranks(ranks)

    def _save(self, segments: list[tuple[str, Block, column_file.Source]]) -> None:
        """Write each segment's block: in place where it has one, else appended; any new
        symbols first, since a block's codes name them."""
        symbols, self.columns.symbols.unsaved = self.columns.symbols.unsaved, []
        in_place = [
            (name, rows, source)
            for name, rows, source in segments
            if (old := self._loaded.blocks.get(name)) is not None and old.count == block_len(rows)
        ]
        rewritten = {name for name, _, _ in in_place}
        fresh = [s for s in segments if s[0] not in rewritten]
        if in_place:  # the symbols they name reach the file before they do
            column_file.append(self.path, self._loaded, symbols, [])
            symbols = []
        for name, rows, source in in_place:
            column_file.rewrite(self.path, self._loaded, name, rows, source)
        column_file.append(self.path, self._loaded, symbols, fresh)

    # --- for the store ------------------------------------------------------------------

    def segment(self, key: str) -> str | None:
        """The closed segment that holds this mention, "" for the live file, None if none."""
        slot = self.columns.slot(key)
        if slot is None:
            return None
        seg, _ = self.columns.seg_at(slot)
        return "" if seg == LIVE else self.names[seg]

    def live(self, entries: Entries) -> list[int]:
        """Mentions written to (or replayed into) the live file; their slots."""
        return [self.columns.put(e, LIVE, -1) for e in entries]

    def replaced(self, entries: Entries) -> list[int]:
        """Closed segments' mentions changed in memory only (a reader's replay); their slots."""
        slots = []
        for e in entries:
            slot = self.columns.slot(e[0])
            assert slot is not None, "replaced: a stored mention"
            slots.append(self.columns.put(e, *self.columns.seg_at(slot)))
        return slots

    def closed(self, name: str, entries: Entries) -> None:
        """The live file closed as segment `name`, whose JSON index holds `entries`."""
        seg = self._number[name] = len(self.names)
        self.names.append(name)
        self._ranked()
        self._persist(name, [self.columns.put(e, seg, pos) for pos, e in enumerate(entries)])

    def rewritten(self, name: str, entries: Entries) -> None:
        """A closed segment rewritten (an edit or a deletion), with its JSON index."""
        seg = self._number[name]
        self._persist(name, [self.columns.put(e, seg, pos) for pos, e in enumerate(entries)])

    def _persist(self, name: str, slots: list[int]) -> None:
        """Write the segment's block: its rows in the order of its JSON index."""
        if self.read_only:
            return
        block = self.columns.block_at(slots)
        self._save([(name, block, column_file.source_of(self._folder / name))])

    def matches(
        self,
        terms: Sequence[Term],
        authors: Collection[str],
        lines_of: Callable[[str], bytes],
        held: Mapping[int, str],
    ) -> tuple[set[int], int]:
        """The slots of the mentions by one of `authors` (anyone's, if none) whose search text
        holds every one of `terms` as whole words; and how many lines were read to find them.
        `lines_of(name)`: a closed segment's search lines (`segment_index.search_lines`),
        read one segment at a time; `held`: slot -> search line of the rows held as records
        in memory (the live file's, a reader's replays)."""
        slots_of, found, read = self.columns.segment_slots(len(self.names)), set[int](), 0
        for seg, name in enumerate(self.names):
            numbers, split = lines_matching(lines_of(name), terms, authors)
            if len(numbers):
                slots = slots_of(seg)
                found.update(slots[i] for i in numbers.tolist() if i < len(slots))
            read += split
        found.difference_update(held)
        if held:
            order = list(held)
            joined = "\n".join(held[slot] for slot in order).encode()
            numbers, split = lines_matching(joined, terms, authors)
            found.update(order[i] for i in numbers.tolist())
            read += split
        return found, read


def lines_matching(
    lines: bytes, terms: Sequence[Term], authors: Collection[str]
) -> tuple[npt.NDArray[np.intp], int]:
    """The numbers of the lines of a search file (`segment_index.search_line`) that match,
    and how many lines were read as text to find them (none, when a byte search rules the
    whole file out). Byte searches first: for each author's line start, and for every word
    of every term; only a file that holds them all is decoded and its terms' patterns run
    over it, once each, in C."""
    none = np.zeros(0, np.intp)
    if not terms and not authors:
        return none, 0
    if any(word.encode() not in lines for term in terms for word in term.words):
        return none, 0
    kept: npt.NDArray[np.intp] | None = None
    if authors:
        starts = [at for a in authors for at in _line_starts((a + SEPARATOR).encode(), lines)]
        if not starts:
            return none, 0
        breaks = np.flatnonzero(np.frombuffer(lines, np.uint8) == 10)
        kept = np.unique(np.searchsorted(breaks, np.array(starts, np.intp)))
        if not terms:
            return kept, 0
    text = lines.decode()
    breaks = np.flatnonzero(np.frombuffer(lines, np.uint8) == 10)
    if not text.isascii():  # the patterns count characters, the breaks above count bytes
        breaks = np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), "<u4") == 10)
    for term in terms:
        at = np.fromiter((m.start() for m in compiled(term).finditer(text)), np.intp)
        hits = np.unique(np.searchsorted(breaks, at))
        kept = hits if kept is None else np.intersect1d(kept, hits, assume_unique=True)
        if not len(kept):
            break
    assert kept is not None
    return kept, len(breaks) + 1


def _line_starts(head: bytes, lines: bytes) -> list[int]:
    """Where the lines of `lines` that begin with `head` begin (byte searches, in C)."""
    out = [0] if lines.startswith(head) else []
    needle = b"\n" + head
    at = lines.find(needle)
    while at >= 0:
        out.append(at + 1)
        at = lines.find(needle, at + 1)
    return out
