"""The inbox at scale: a compact row per mention, kept in memory, filtered and sorted without
reading the stored records, and served a page at a time.

A row holds what the inbox table shows and filters on. The full record is read only for the
mention on screen. Sorting is by urgency, then by response deadline; the sorted order is kept
until a save changes it.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from sys import intern
from typing import Any

SEARCH_CHARS = 600  # how much of a post the search looks at
SNIPPET_CHARS = 160
URGENCY_RANK = {"critical": 0, "high": 1, "normal": 2, "low": 3}
STATUSES = ("open", "claimed", "answered", "all")


@dataclass(slots=True, eq=False)
class InboxRow:
    """What the inbox shows and filters on, for one mention. Treat as read-only: a change is a
    new row (`dataclasses.replace`). Not frozen because a frozen dataclass costs twice as much
    to build, and the console builds a hundred thousand of these when it opens."""

    key: str
    rank: int
    urgency: str
    deadline: datetime
    sentiment: str
    compound: float
    platform: str
    author: str
    author_key: str
    followers: int
    verified: bool
    snippet: str
    search: str  # lower-cased start of the text, the author and the name
    queue: str
    category: str
    escalate: bool
    deleted: bool
    created_at: datetime
    level_queues: tuple[tuple[int, str], ...] = ()  # the queue at each crisis level

    def queue_at(self, level: int) -> str:
        for number, queue in self.level_queues:
            if number == level:
                return queue
        return self.queue

    @property
    def order(self) -> tuple[int, datetime, str]:
        return (self.rank, self.deadline, self.key)


def row_from_record(doc: Mapping[str, Any]) -> InboxRow:
    """A row from a stored record (the store's plain dict), without building the model."""
    m, c, r = doc["mention"], doc["classification"], doc["route"]
    # Interned: a hundred thousand rows share a handful of these strings.
    urgency, label, queue = (
        intern(c["urgency"]),
        intern(c["sentiment"]["label"]),
        intern(r["queue"]),
    )
    platform, category = intern(m["platform"]), intern(c["category"])
    created = datetime.fromisoformat(m["created_at"])
    deadline = datetime.fromtimestamp(
        created.timestamp() + 60 * r["respond_within_minutes"], created.tzinfo
    )
    text = m["text"]
    return InboxRow(
        key=doc["id"],
        rank=URGENCY_RANK[urgency],
        urgency=urgency,
        deadline=deadline,
        sentiment=label,
        compound=c["sentiment"]["compound"],
        platform=platform,
        author=m["author"],
        author_key=f"{platform}:{m['author']}",
        followers=m["followers"],
        verified=m["verified"],
        snippet=text[:SNIPPET_CHARS],
        search=f"{text[:SEARCH_CHARS]} @{m['author']} {m['author_name']}".lower(),
        queue=queue,
        category=category,
        escalate=r["escalate"],
        deleted=bool(doc.get("deleted_at")),
        created_at=created,
        level_queues=level_queues(r),
    )


def level_queues(route: Mapping[str, Any]) -> tuple[tuple[int, str], ...]:
    """The stored route's queue at each crisis level (a route record's `levels`)."""
    return queues_from(",".join(f"{n}:{q}" for n, q, _ in route.get("levels", ())))


@lru_cache(maxsize=1024)
def queues_from(spelled: str) -> tuple[tuple[int, str], ...]:
    """`0:support,2:pr` as ((0, "support"), (2, "pr")): a few patterns cover a whole store,
    so each is built once and shared by every row that has it."""
    pairs = (part.split(":") for part in spelled.split(",") if part)
    return tuple((int(n), intern(q)) for n, q in pairs)


@dataclass(frozen=True, slots=True)
class InboxFilter:
    """Every set condition must hold. `queues` is "my queue" (the operator's roles)."""

    queues: frozenset[str] | None = None
    platform: str | None = None
    urgency: str | None = None
    category: str | None = None
    status: str = "open"
    text: str = ""
    claimed_by: str | None = None  # with queues: also what this operator has claimed

    def describe(self) -> str:
        parts = [f"status {self.status}"]
        if self.queues is not None:
            parts.append("my queue")
        parts += [
            f"{name} {value}"
            for name, value in (
                ("platform", self.platform),
                ("urgency", self.urgency),
                ("category", self.category),
            )
            if value
        ]
        if self.text:
            parts.append(f"search '{self.text}'")
        return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class InboxPage:
    rows: list[InboxRow]
    offset: int
    total: int  # rows matching the filter
    queue_counts: dict[str, int]  # open mentions per queue, whatever the filter


@dataclass
class InboxIndex:
    """Rows by key, the sorted order (kept up to date by small updates, rebuilt after large
    ones), and the open count per queue.

    Rows opened from a segment's index search the author only; `load_search`, if set, gives
    every such row's full search text, and is called once, at the first text search."""

    rows: dict[str, InboxRow] = field(default_factory=dict)
    load_search: Callable[[], dict[str, str]] | None = None
    _sorted: list[InboxRow] | None = None
    _orders: list[tuple[int, datetime, str]] | None = None
    _counts: dict[int, Counter[str]] = field(default_factory=dict)  # open per queue, by level

    def update(self, rows: Iterable[InboxRow]) -> None:
        changed = list(rows)
        small = self._sorted is not None and len(changed) <= 2_000
        for row in changed:
            old = self.rows.get(row.key)
            self.rows[row.key] = row
            if small and self._sorted is not None and self._orders is not None:
                if old is not None:
                    at = bisect.bisect_left(self._orders, old.order)
                    del self._sorted[at], self._orders[at]
                at = bisect.bisect_left(self._orders, row.order)
                self._sorted.insert(at, row)
                self._orders.insert(at, row.order)
        if not small:
            self._sorted = self._orders = None
        self._counts = {}

    def ordered(self) -> list[InboxRow]:
        if self._sorted is None:
            self._sorted = sorted(self.rows.values(), key=lambda r: r.order)
            self._orders = [r.order for r in self._sorted]
        return self._sorted

    def page(
        self,
        where: InboxFilter,
        offset: int,
        limit: int,
        claims: Mapping[str, str],
        answered: set[str],
        level: int = 0,
    ) -> InboxPage:
        """`claims`: mention key -> holder; `answered`: keys with a reply sent; `level`: the
        crisis level in force, which decides each row's queue."""
        rows = self.ordered()
        # One cheap pass per condition that is set, each a C-speed comprehension.
        if where.status != "all" and self._has_deleted():
            rows = [r for r in rows if not r.deleted]
        if where.status == "open" and answered:
            rows = [r for r in rows if r.key not in answered]
        elif where.status == "answered":
            rows = [r for r in rows if r.key in answered]
        elif where.status == "claimed":
            rows = [r for r in rows if r.key in claims]
        if where.queues is not None:
            queues, me = where.queues, where.claimed_by
            mine = {k for k, holder in claims.items() if holder == me} if me else set()
            rows = [r for r in rows if r.queue_at(level) in queues or r.key in mine]
        if where.platform is not None:
            rows = [r for r in rows if r.platform == where.platform]
        if where.urgency is not None:
            rows = [r for r in rows if r.urgency == where.urgency]
        if where.category is not None:
            rows = [r for r in rows if r.category == where.category]
        text = where.text.lower().strip()
        if text and self.load_search is not None:
            self._load_search()
            return self.page(where, offset, limit, claims, answered, level)
        if text:
            rows = [r for r in rows if text in r.search]
        offset = max(0, min(offset, max(len(rows) - 1, 0)))
        page = [
            r if r.queue_at(level) == r.queue else replace(r, queue=r.queue_at(level))
            for r in rows[offset : offset + limit]
        ]
        return InboxPage(page, offset, len(rows), self._open_counts(answered, level))

    def _load_search(self) -> None:
        assert self.load_search is not None
        texts, self.load_search = self.load_search(), None
        self.rows = {
            k: replace(r, search=texts[k]) if k in texts else r for k, r in self.rows.items()
        }
        self._sorted = self._orders = None

    def _has_deleted(self) -> bool:
        return sum(self._base_counts(0).values()) < len(self.rows)

    def _base_counts(self, level: int) -> Counter[str]:
        if level not in self._counts:
            self._counts[level] = Counter(
                r.queue_at(level) for r in self.rows.values() if not r.deleted
            )
        return self._counts[level]

    def _open_counts(self, answered: set[str], level: int) -> dict[str, int]:
        counts = Counter(self._base_counts(level))
        for key in answered:
            row = self.rows.get(key)
            if row is not None and not row.deleted:
                counts[row.queue_at(level)] -= 1
        return {q: n for q, n in counts.items() if n > 0}

    def by_author(self, author_key: str, limit: int = 20) -> list[InboxRow]:
        mine = [r for r in self.rows.values() if r.author_key == author_key]
        return sorted(mine, key=lambda r: r.created_at, reverse=True)[:limit]
