"""The folder store's inbox: its pages' rows and its word search, over the directory's
columns, the live file and the closed segments (`TinyDBStore`'s readers, apart from its
writes). Rows are built only for the page shown; a closed segment's index rows are read
when a page needs them, the last few kept, as pages cluster.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from crisis_console.core.store import segment_index
from crisis_console.core.store.directory import Directory
from crisis_console.core.store.inbox import InboxIndex, InboxRow, row_from_record
from crisis_console.core.store.query import Query
from crisis_console.core.store.search_terms import Term
from crisis_console.core.store.state_tables import StateStore
from crisis_console.core.store.tinyfiles import TABLE

PAGES_KEPT = 16  # closed segments whose index rows are kept for the next page


class FolderPages:
    """What `TinyDBStore` keeps that a page reads (set up by the store, which inherits
    these readers)."""

    _inbox: InboxIndex | None
    _dir: Directory
    _overlay: dict[int, str]  # slot -> key of rows read from records
    _replayed: dict[str, dict[str, Any]]  # a reader's edits of closed segments
    _live: TinyDB
    _live_ids: dict[str, int]
    _entries: OrderedDict[str, list[list[Any]]]
    _segments: Path
    state: StateStore
    stats: Counter[str]  # what was read (`search_lines_read`: lines a search read as text)
    read_only: bool
    _segment_entries: Callable[[str], list[list[Any]]]  # a closed segment's index rows

    @property
    def inbox(self) -> InboxIndex:
        """The inbox over the directory's columns (rows built only for the page shown)."""
        if self._inbox is None:
            self._inbox = InboxIndex(
                Query(self._dir.columns, self._matches),
                self._rows_at,
                self._marks,
                self.state.work.marks,
            )
        return self._inbox

    def _marks(self, now: datetime) -> tuple[dict[str, str], set[str]]:
        return self.state.claims.holders(now), self.state.replies.answered()

    def _rows_at(self, slots: Sequence[int]) -> list[InboxRow]:
        out = []
        # Each segment's index rows read once a page, however its rows and others' alternate
        # (a search's page may span more segments than are kept).
        held: dict[str, list[list[Any]]] = {}
        for slot in slots:
            key = self._overlay.get(slot)
            if key is not None:
                out.append(row_from_record(self._replayed.get(key) or self._live_doc(key)))
                continue
            seg, pos = self._dir.columns.seg_at(slot)
            name = self._dir.names[seg]
            if name not in held:
                held[name] = self._page_entries(name)
            out.append(segment_index.row(held[name][pos]))
        return out

    def _page_entries(self, name: str) -> list[list[Any]]:
        """A closed segment's index rows; the last few read are kept (pages cluster)."""
        if name not in self._entries:
            self._entries[name] = self._segment_entries(name)
            while len(self._entries) > PAGES_KEPT:
                self._entries.popitem(last=False)
        self._entries.move_to_end(name)
        return self._entries[name]

    def _matches(self, terms: Sequence[Term], authors: Collection[str]) -> set[int]:
        """The slots of the mentions by one of `authors` (anyone's, if none) that hold every
        term as whole words (`Directory.matches`); counts the lines it read as text."""
        held = {k: self._replayed.get(k) or self._live_doc(k) for k in self._overlay.values()}
        rows = {s: row_from_record(held[k]) for s, k in self._overlay.items()}
        found, read = self._dir.matches(
            terms,
            authors,
            lambda name: segment_index.search_lines(
                self._segments, name, self._segment_entries, not self.read_only
            ),
            {s: segment_index.search_line(r.author, r.search) for s, r in rows.items()},
        )
        self.stats["search_lines_read"] += read
        return found

    def _live_doc(self, key: str) -> Mapping[str, Any]:
        doc = self._live.table(TABLE).get(doc_id=self._live_ids[key])
        assert doc is not None, "a live mention's record"
        return doc
