"""The directory of every stored mention: its columns (`columns`), kept on disk for the
closed segments (`column_file`), and in memory for the live file.

Opening the store reads `columns.bin` in one piece and checks each block against its
segment's JSON index by size, change time and inode (a stat per segment, not a read). A segment
the file lacks, or whose block is stale or damaged, is read from its JSON index, and a
writer mends the file then; a reader keeps what it read in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from crisis_console.core.store import column_file
from crisis_console.core.store.columns import LIVE, Block, Columns, block_len, new_rows, packed
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
        self, text: str, lines_of: Callable[[str], bytes], held: Mapping[int, str]
    ) -> set[int]:
        """The slots of the mentions whose search text (`segment_index.search_of`) holds
        `text`: each closed segment's search lines (`segment_index.search_lines`) are read,
        one segment at a time; `held`: slot -> search text of the rows held as records in
        memory (the live file's, a reader's replays)."""
        slots_of, found, needle = (
            self.columns.segment_slots(len(self.names)),
            set[int](),
            text.encode(),
        )
        for seg, name in enumerate(self.names):
            lines = lines_of(name)
            if needle in lines:
                slots = slots_of(seg)
                found.update(slots[i] for i in _lines_holding(lines, needle) if i < len(slots))
        found.difference_update(held)
        found.update(slot for slot, searched in held.items() if text in searched)
        return found


def _lines_holding(lines: bytes, needle: bytes) -> list[int]:
    """The numbers of the lines of `lines` that hold `needle`, found by byte searches."""
    out: list[int] = []
    line, counted = 0, 0
    at = lines.find(needle)
    while at >= 0:
        line += lines.count(b"\n", counted, at)
        out.append(line)
        end = lines.find(b"\n", at)
        if end < 0:
            break
        line, counted = line + 1, end + 1
        at = lines.find(needle, counted)
    return out
