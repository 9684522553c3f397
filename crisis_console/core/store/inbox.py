"""The inbox at scale: filtered and sorted over the store's columns, without reading the
stored records, and served a page at a time.

An `InboxRow` holds what the inbox table shows; rows are built only for the page on screen.
The full record is read only for the mention in the detail pane. Sorting is by urgency, then
by response deadline, then by arrival; the sorted order is kept until a change of order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from sys import intern
from typing import TYPE_CHECKING, Any

from crisis_console.core.store import search_terms
from crisis_console.core.store.search_terms import searchable as searchable  # re-exported

if TYPE_CHECKING:
    from crisis_console.core.store.query import Query
    from crisis_console.core.store.work_tables import WorkMarks

SEARCH_CHARS = 600  # how much of a post the search looks at
RANK_STEP = 10**14  # in a column's `order`: the rank, then the deadline in ms
SNIPPET_CHARS = 160
URGENCY_RANK = {"critical": 0, "high": 1, "normal": 2, "low": 3}
# "closed": closed without a reply (`core/work`), out of "open" and the queues' counts
STATUSES = ("open", "claimed", "answered", "closed", "all")


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
    assignee: str = ""  # the team member it is assigned to (`core/work`), for the Who column

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
        search=searchable(f"{text[:SEARCH_CHARS]} @{m['author']} {m['author_name']}"),
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
    """Every set condition must hold. `queues` is "my queue" (the operator's roles). A set
    of several values (`urgency`, `authors`, `keys`) keeps a row that has any of them; `tags`
    and the words of `text` must all be there. An empty set sets no condition."""

    queues: frozenset[str] | None = None
    platform: str | None = None
    urgency: frozenset[str] = frozenset()  # any of these (`URGENCY_RANK`'s names)
    category: str | None = None
    status: str = "open"
    # Words and "quoted phrases", each found as a whole word (`search_terms.terms`).
    text: str = ""
    # With queues: also what this operator has claimed or been assigned ("my queue").
    claimed_by: str | None = None
    tags: frozenset[str] = frozenset()  # every one of these (`work.model.normalise_tag`)
    assignee: str | None = None  # assigned to this team member
    authors: frozenset[str] = frozenset()  # by any of these handles: lower case, no `@`
    keys: frozenset[str] = frozenset()  # any of these mentions (`platform:id`)

    def searching(self, typed: str) -> InboxFilter:
        """This filter with the search box's text in force (`search_terms.parse`). The words,
        tags, authors and keys are the search's own: each search replaces them (an empty
        one clears them). An urgency is set only when the search names one (`u:high`):
        otherwise the urgency filter stays as the `u` key left it."""
        found = search_terms.parse(typed)
        return replace(
            self,
            text=found.text,
            tags=found.tags,
            authors=found.authors,
            keys=found.keys,
            urgency=found.urgency or self.urgency,
        )

    def typed(self) -> str:
        """What the search box holds for this filter's search: its tags, authors, keys and
        words, spelled so that `searching` reads them back (not the urgency, which the `u`
        key sets as well)."""
        return " ".join(
            [
                *(f"#{t}" for t in sorted(self.tags)),
                *(f"@{a}" for a in sorted(self.authors)),
                *sorted(self.keys),
                *([self.text] if self.text else []),
            ]
        )

    def next_urgency(self) -> InboxFilter:
        """The `u` key: any urgency, then each alone, most urgent first, then any again; a
        search's several urgencies go back to any."""
        order: list[frozenset[str]] = [frozenset(), *(frozenset({u}) for u in URGENCY_RANK)]
        at = order.index(self.urgency) if self.urgency in order else len(order) - 1
        return replace(self, urgency=order[(at + 1) % len(order)])

    def describe(self) -> str:
        parts = [f"status {self.status}"]
        if self.queues is not None:
            parts.append("my queue")
        if self.urgency:
            parts.append("urgency " + " or ".join(sorted(self.urgency, key=_rank)))
        parts += [
            f"{name} {value}"
            for name, value in (("platform", self.platform), ("category", self.category))
            if value
        ]
        if self.tags:
            parts.append("tag " + " and ".join(sorted(self.tags)))
        if self.assignee:
            parts.append(f"assigned to {self.assignee}")
        if self.authors:
            parts.append("by " + " or ".join(f"@{a}" for a in sorted(self.authors)))
        if self.keys:
            parts.append("mention " + " or ".join(sorted(self.keys)))
        if self.text:
            parts.append(f"search '{self.text}'")
        return " · ".join(parts)

    def to_record(self) -> dict[str, Any]:
        """The filter as plain JSON (a saved view's record); `from_record` reads it back."""
        return {
            "queues": None if self.queues is None else sorted(self.queues),
            "platform": self.platform,
            "urgency": sorted(self.urgency, key=_rank),
            "category": self.category,
            "status": self.status,
            "text": self.text,
            "claimed_by": self.claimed_by,
            "tags": sorted(self.tags),
            "assignee": self.assignee,
            "authors": sorted(self.authors),
            "keys": sorted(self.keys),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> InboxFilter:
        """A filter from `to_record`'s JSON. What is missing or not of its kind (a record
        written by an older version, or damaged) is left at its default."""

        def text(name: str) -> str | None:
            value = record.get(name)
            return value if isinstance(value, str) else None

        def names(name: str) -> frozenset[str]:
            value = record.get(name)
            if not isinstance(value, list):
                return frozenset()
            return frozenset(v for v in value if isinstance(v, str))

        status = text("status")
        return cls(
            queues=names("queues") if isinstance(record.get("queues"), list) else None,
            platform=text("platform"),
            urgency=frozenset(u for u in names("urgency") if u in URGENCY_RANK),
            category=text("category"),
            status=status if status in STATUSES else "open",
            text=text("text") or "",
            claimed_by=text("claimed_by"),
            tags=names("tags"),
            assignee=text("assignee"),
            authors=names("authors"),
            keys=names("keys"),
        )


def _rank(urgency: str) -> int:
    return URGENCY_RANK.get(urgency, len(URGENCY_RANK))


@dataclass(frozen=True, slots=True)
class InboxPage:
    rows: list[InboxRow]
    offset: int
    total: int  # rows matching the filter
    queue_counts: dict[str, int]  # open mentions per queue, whatever the filter
    exact: bool = True  # False: `total` is a floor (a filtered page's count stops there)
    level: int = 0  # the crisis level the rows were routed at


def at_level(rows: Sequence[InboxRow], level: int) -> list[InboxRow]:
    """The rows as shown at this crisis level: each in its queue at that level."""
    return [
        r if r.queue_at(level) == r.queue else replace(r, queue=r.queue_at(level)) for r in rows
    ]


def worked(row: InboxRow, person: str | None, queue: str | None) -> InboxRow:
    """`row` with its assignment (`core/work`): the team member it is assigned to, and the
    queue it was moved to, which is its queue at every crisis level."""
    if queue:
        return replace(row, assignee=person or "", queue=queue, level_queues=())
    return replace(row, assignee=person) if person else row


class InboxIndex:
    """The inbox over the store's columns: `query` filters and sorts every mention's row
    (`columns.Query`); only the rows of the page asked for are built (`rows_at`, from the
    segments' indexes)."""

    def __init__(
        self,
        query: Query,
        rows_at: Callable[[Sequence[int]], list[InboxRow]],
        marks: Callable[[datetime], tuple[Mapping[str, str], set[str]]],
        work: Callable[[], WorkMarks],
    ) -> None:
        """`marks(now)`: the live claims (mention key -> holder) and the answered keys;
        `work()`: the mentions closed, assigned and tagged."""
        self._query, self._rows_at, self._marks = query, rows_at, marks
        self._work = work

    def page(
        self,
        where: InboxFilter,
        offset: int,
        limit: int,
        level: int = 0,
        now: datetime | None = None,
    ) -> InboxPage:
        """`level`: the crisis level in force, which decides each row's queue; `now`: for
        which claims are live."""
        claims, answered = self._marks(now or datetime.now().astimezone())
        work = self._work()
        slots, offset, total, counts = self._query.select(
            where, (offset, limit), claims, answered, level, work
        )
        return InboxPage(at_level(self._worked(slots, work), level), offset, total, counts)

    def by_author(self, author_key: str, limit: int = 20) -> list[InboxRow]:
        slots = self._query.columns.newest_by_author(author_key, limit)
        return self._worked(slots, self._work())

    def _worked(self, slots: Sequence[int], work: WorkMarks) -> list[InboxRow]:
        """The rows at `slots`, each with its assignment."""
        rows = self._rows_at(slots)
        return [worked(r, work.people.get(r.key), work.queues.get(r.key)) for r in rows]
