"""The inbox at scale: a compact row per mention, kept in memory, filtered and sorted without
reading the stored records, and served a page at a time.

A row holds what the inbox table shows and filters on. The full record is read only for the
mention on screen. Sorting is by urgency, then by response deadline; the sorted order is kept
until a save changes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SEARCH_CHARS = 2_000  # how much of a post the search looks at
SNIPPET_CHARS = 240
_URGENCY_RANK = {"critical": 0, "high": 1, "normal": 2, "low": 3}
STATUSES = ("open", "claimed", "answered", "all")


@dataclass(frozen=True, slots=True)
class InboxRow:
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

    @property
    def order(self) -> tuple[int, datetime, str]:
        return (self.rank, self.deadline, self.key)


def row_from_record(doc: Mapping[str, Any]) -> InboxRow:
    """A row from a stored record (the store's plain dict), without building the model."""
    m, c, r = doc["mention"], doc["classification"], doc["route"]
    created = datetime.fromisoformat(m["created_at"])
    deadline = datetime.fromtimestamp(
        created.timestamp() + 60 * r["respond_within_minutes"], created.tzinfo
    )
    text = m["text"]
    return InboxRow(
        key=doc["id"],
        rank=_URGENCY_RANK[c["urgency"]],
        urgency=c["urgency"],
        deadline=deadline,
        sentiment=c["sentiment"]["label"],
        compound=c["sentiment"]["compound"],
        platform=m["platform"],
        author=m["author"],
        author_key=f"{m['platform']}:{m['author']}",
        followers=m["followers"],
        verified=m["verified"],
        snippet=text[:SNIPPET_CHARS],
        search=f"{text[:SEARCH_CHARS]} @{m['author']} {m['author_name']}".lower(),
        queue=r["queue"],
        category=c["category"],
        escalate=r["escalate"],
        deleted=bool(doc.get("deleted_at")),
        created_at=created,
    )


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
    """Rows by key, and the sorted order, rebuilt only after a change."""

    rows: dict[str, InboxRow] = field(default_factory=dict)
    _sorted: list[InboxRow] | None = None

    def update(self, rows: Iterable[InboxRow]) -> None:
        for row in rows:
            self.rows[row.key] = row
        self._sorted = None

    def ordered(self) -> list[InboxRow]:
        if self._sorted is None:
            self._sorted = sorted(self.rows.values(), key=lambda r: r.order)
        return self._sorted

    def page(
        self,
        where: InboxFilter,
        offset: int,
        limit: int,
        claims: Mapping[str, str],
        answered: set[str],
    ) -> InboxPage:
        """`claims`: mention key -> holder; `answered`: keys with a reply sent."""
        text = where.text.lower().strip()
        matched = [r for r in self.ordered() if _keeps(where, r, text, claims, answered)]
        counts = Counter(r.queue for r in self.ordered() if not r.deleted and r.key not in answered)
        offset = max(0, min(offset, max(len(matched) - 1, 0)))
        return InboxPage(matched[offset : offset + limit], offset, len(matched), dict(counts))

    def by_author(self, author_key: str, limit: int = 20) -> list[InboxRow]:
        mine = [r for r in self.rows.values() if r.author_key == author_key]
        return sorted(mine, key=lambda r: r.created_at, reverse=True)[:limit]


def _keeps(
    w: InboxFilter, r: InboxRow, text: str, claims: Mapping[str, str], answered: set[str]
) -> bool:
    if r.deleted and w.status != "all":
        return False
    if w.status == "open" and r.key in answered:
        return False
    if w.status == "answered" and r.key not in answered:
        return False
    if w.status == "claimed" and r.key not in claims:
        return False
    if w.queues is not None and r.queue not in w.queues and claims.get(r.key) != w.claimed_by:
        return False
    return (
        (w.platform is None or r.platform == w.platform)
        and (w.urgency is None or r.urgency == w.urgency)
        and (w.category is None or r.category == w.category)
        and (not text or text in r.search)
    )
