"""The folder's inbox filters as vector operations over every mention's row (`columns`):
status, "my queue", platform, category, urgencies, tags, assignee, keys, authors and words;
the sort; and the open mentions per queue.

What is kept between pages: the sorted order (until a change of order), which mentions are
answered and which closed (each a mask changed by what changed in its set of keys, not built
again), and the last few searches.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from crisis_console.core.store import search_terms
from crisis_console.core.store.columns import Columns
from crisis_console.core.store.inbox import RANK_STEP, URGENCY_RANK, InboxFilter
from crisis_console.core.store.search_terms import Term
from crisis_console.core.store.work_tables import WorkMarks

Matches = Callable[[Sequence[Term], Collection[str]], set[int]]


class KeyMask:
    """A mask over the rows of the mentions in a set of keys, kept from one call to the
    next: each call costs what changed in the set, not the set."""

    def __init__(self, columns: Columns) -> None:
        self._columns = columns
        self._keys: set[str] = set()
        self._mask = np.zeros(0, np.bool_)

    def of(self, keys: set[str]) -> npt.NDArray[np.bool_]:
        n = self._columns.n
        if len(self._mask) < n:
            grown = np.zeros(max(n, len(self._mask) * 5 // 4 + 1024), np.bool_)
            grown[: len(self._mask)] = self._mask
            self._mask = grown
        added = keys - self._keys
        removed = self._keys - keys if len(self._keys) + len(added) != len(keys) else set()
        self._mask[self._columns.slots_of(added)] = True
        self._mask[self._columns.slots_of(removed)] = False
        self._keys |= added
        self._keys -= removed
        return self._mask[:n]


class Query:
    """The inbox's filters over every row, with what is kept between pages (see the module
    docstring). `matches(terms, authors)`: the slots of the mentions by one of `authors`
    (anyone's, if none) whose search text holds every term as whole words."""

    def __init__(self, columns: Columns, matches: Matches) -> None:
        self.columns, self._matches = columns, matches
        self._perm: npt.NDArray[np.intp] | None = None
        self._version = -1
        self._answered = KeyMask(columns)
        self._closed = KeyMask(columns)
        self._searches: dict[tuple[Any, ...], npt.NDArray[np.bool_]] = {}

    def select(
        self,
        where: InboxFilter,
        window: tuple[int, int],
        claims: Mapping[str, str],
        answered: set[str],
        level: int,
        work: WorkMarks,
    ) -> tuple[list[int], int, int, dict[str, int]]:
        """The slots in `window` (offset, limit) of the rows `where` keeps, sorted; the
        offset used; how many it keeps; open mentions per queue at `level` (a mention moved
        to a queue counts in that queue at every level)."""
        perm, rows, columns = self._sorted(), self.columns.rows, self.columns
        live = rows["deleted"] == 0
        is_answered = self._answered.of(answered)
        # Answered wins over closed: a reply went out, whatever else was decided.
        is_closed = self._closed.of(work.closed) & ~is_answered
        names: list[str] = []
        queue = self._queues(level, names, work.queues)
        keep = np.ones(len(rows), np.bool_) if where.status == "all" else live.copy()
        if where.status == "open":
            keep &= ~is_answered & ~is_closed
        elif where.status == "answered":
            keep &= is_answered
        elif where.status == "closed":
            keep &= is_closed
        elif where.status == "claimed":
            keep &= self._mask(claims)
        if where.queues is not None:
            wanted = [names.index(q) for q in where.queues if q in names]
            mine = [k for k, holder in claims.items() if holder == where.claimed_by]
            mine += work.by_person.get(where.claimed_by or "", ())
            keep &= np.isin(queue, wanted) | self._mask(mine)
        if where.assignee is not None:
            keep &= self._mask(work.by_person.get(where.assignee, ()))
        for tag in where.tags:
            keep &= self._mask(work.tagged.get(tag, ()))
        if where.keys:
            keep &= self._mask(where.keys)
        for table, value in (("platform", where.platform), ("category", where.category)):
            if value is not None:
                code = columns.symbols.known(table, value)
                keep &= rows[table] == (-1 if code is None else code)
        if where.urgency:
            ranks = [URGENCY_RANK.get(u, -1) for u in where.urgency]
            keep &= np.isin(rows["order"] // RANK_STEP, ranks)
        terms = search_terms.terms(where.text)
        if terms or where.authors:
            keep &= self._search(terms, where.authors)
        chosen = perm[keep[perm]]
        offset, limit = window
        offset = max(0, min(offset, max(len(chosen) - 1, 0)))
        counts = np.bincount(queue[live & ~is_answered & ~is_closed], minlength=len(names))
        open_counts = {names[i]: int(n) for i, n in enumerate(counts) if n > 0}
        return chosen[offset : offset + limit].tolist(), offset, len(chosen), open_counts

    def _queues(
        self, level: int, names: list[str], moved: Mapping[str, str]
    ) -> npt.NDArray[np.int32]:
        """Each row's queue at `level` as an index into `names`; a mention moved to a queue
        is in that queue (a copy is changed: the codes are built anew each page)."""
        queue = self.columns.queue_codes(level, names)
        by_queue: dict[str, list[str]] = {}
        for key, name in moved.items():
            by_queue.setdefault(name, []).append(key)
        for name, keys in by_queue.items():
            if name not in names:
                names.append(name)
            queue[self.columns.slots_of(keys)] = names.index(name)
        return queue

    def _mask(self, keys: Iterable[str]) -> npt.NDArray[np.bool_]:
        out = np.zeros(self.columns.n, np.bool_)
        out[self.columns.slots_of(list(keys))] = True
        return out

    def _sorted(self) -> npt.NDArray[np.intp]:
        if self._perm is None or self._version != self.columns.version:
            self._version = self.columns.version
            rows = self.columns.rows
            self._perm = np.lexsort((self.columns.arrival(), rows["order"]))
            self._searches.clear()
        return self._perm

    def _search(self, terms: tuple[Term, ...], authors: frozenset[str]) -> npt.NDArray[np.bool_]:
        self._sorted()  # a change of the columns clears the searches kept
        key = (terms, authors, self.columns.n)
        if key not in self._searches:
            while len(self._searches) >= 4:
                del self._searches[next(iter(self._searches))]
            found = np.zeros(self.columns.n, np.bool_)
            found[list(self._matches(terms, authors))] = True
            self._searches[key] = found
        return self._searches[key]
