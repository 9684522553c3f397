"""The inbox on PostgreSQL: a page is one query that walks an inbox index in page order
(urgency, deadline, arrival) and stops at the page's end; only the page's records are read.
The same filters as the folder's inbox (`store/inbox.py`), the same order, the same page.

Whether a mention is answered is a column of its row, kept by migration 0006 as answers are
recorded and released: the open and the answered mentions each have a partial index in page
order (`mentions_open`, `mentions_answered`), so neither page walks past rows of the other.
The claimed page starts from the live claims (a few, however large the store), never from a
walk of the mentions. The totals come from the counts kept by migrations 0004 and 0006
(`inbox_counts`): the open mentions per queue, and a page's total when it is filtered by
status, queue and urgencies alone, are sums over a few rows. A page filtered by anything
else, or the claimed page, counts its matches up to `COUNT_CAP` and says "more" beyond it
(`InboxPage.exact`), so no page costs a count over a million rows; a first page that is not
full is its own count.

A search's keys are primary-key look-ups, its tags (migration 0011) and its authors' handles
(migration 0013) an index's; its words are a byte search (`strpos`) of each row's `search`,
and the whole-word pattern only on the rows that hold them: a scan, with no index of words.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from crisis_console.core.store import search_terms
from crisis_console.core.store.inbox import (
    URGENCY_RANK,
    InboxFilter,
    InboxPage,
    InboxRow,
    at_level,
    queues_from,
    row_from_record,
    worked,
)
from crisis_console.core.store.postgres.connection import Connection, Pool
from crisis_console.core.store.search_terms import Term

Counts = dict[tuple[str, str, int], int]  # (queue, status, urgency rank) -> how many
COUNT_CAP = 10_000  # a filtered page counts this many matches at most
FOLD_AT = 500  # kept counts' rows beyond one per group past which a reader folds them

# The queue at the crisis level in force: the one it was moved to (migration 0011), else the
# one "0:support,2:pr" names, else the base queue.
_QUEUE_AT = (
    "COALESCE(assigned_queue, "
    "(regexp_match(level_queues, '(^|,)' || %(level)s::text || ':([^,]+)'))[2], queue)"
)
# Looked up by key in the mentions, then sorted: the live claims are few at any size.
_CLAIMED = (
    "m.key = ANY(ARRAY(SELECT c.key FROM state c WHERE c.tbl = 'claims' "
    "AND (c.record->>'expires')::timestamptz > %(now)s))"
)
_MINE = (
    "EXISTS (SELECT 1 FROM state c WHERE c.tbl = 'claims' AND c.key = m.key "
    "AND (c.record->>'expires')::timestamptz > %(now)s AND c.record->>'holder' = %(me)s)"
)
_STATUSES = {
    "all": ("open", "answered", "closed", "deleted"),
    "open": ("open",),
    "answered": ("answered",),
    "closed": ("closed",),
}
# The mentions with every one of the tags, from the tags' index (migration 0011): never a
# walk of the inbox.
_TAGGED = (
    "m.key = ANY(ARRAY(SELECT t.key FROM state t WHERE t.tbl = 'work' "
    "AND t.record->'tags' ?& %(tags)s::text[]))"
)
# The handle, lower case: what `@dan` is compared with (a platform's name holds no colon).
_HANDLE = "lower(substr(author_key, strpos(author_key, ':') + 1))"
_FOLD = """
WITH gone AS (DELETE FROM inbox_counts RETURNING *)
INSERT INTO inbox_counts (queue, level_queues, status, urgency_rank, n)
SELECT queue, level_queues, status, urgency_rank, sum(n) FROM gone
GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0
"""


def _where(where: InboxFilter, level: int, now: datetime) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    params: dict[str, Any] = {"level": level, "now": now, "me": where.claimed_by}
    if where.status != "all":
        parts.append("NOT deleted")
    if where.status == "open":
        parts.append("NOT answered AND NOT closed")
    elif where.status == "answered":
        parts.append("answered")
    elif where.status == "closed":
        parts.append("closed AND NOT answered")
    elif where.status == "claimed":
        parts.append(_CLAIMED)
    if where.queues is not None:
        parts.append(f"({_QUEUE_AT} = ANY(%(queues)s) OR {_MINE} OR assignee = %(me)s)")
        params["queues"] = sorted(where.queues)
    if where.assignee is not None:
        parts.append("assignee = %(assignee)s")
        params["assignee"] = where.assignee
    if where.tags:
        parts.append(_TAGGED)
        params["tags"] = sorted(where.tags)
    if where.keys:
        parts.append("m.key = ANY(%(keys)s)")
        params["keys"] = sorted(where.keys)
    for column, value in (("platform", where.platform), ("category", where.category)):
        if value is not None:
            parts.append(f"{column} = %({column})s")
            params[column] = value
    if where.urgency:
        parts.append("urgency_rank = ANY(%(ranks)s)")
        params["ranks"] = sorted(URGENCY_RANK.get(u, -1) for u in where.urgency)
    if where.authors:
        parts.append(f"{_HANDLE} = ANY(%(authors)s)")
        params["authors"] = sorted(where.authors)
    parts += _words(search_terms.terms(where.text), params)
    return " AND ".join(parts) or "TRUE", params


def _words(terms: Sequence[Term], params: dict[str, Any]) -> list[str]:
    """Each term's conditions: a byte search for each of its words first (cheap, and most
    rows fail it), then its whole-word pattern (`Term.pattern`), on what is left."""
    found, patterns = [], []
    for i, term in enumerate(terms):
        for j, word in enumerate(term.words):
            found.append(f"strpos(search, %(w{i}_{j})s) > 0")
            params[f"w{i}_{j}"] = word
        patterns.append(f"search ~ %(p{i})s")
        params[f"p{i}"] = term.pattern
    # PostgreSQL tests conditions of equal cost in the order written.
    return found + patterns


def _queue_at(queue: str, level_queues: str, level: int) -> str:
    return next((q for n, q in queues_from(level_queues) if n == level), queue)


class PgInbox:
    """Pages of the inbox, read from the team database."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def page(
        self,
        where: InboxFilter,
        offset: int,
        limit: int,
        level: int = 0,
        now: datetime | None = None,
    ) -> InboxPage:
        now = now or datetime.now().astimezone()
        condition, params = _where(where, level, now)
        params |= {"limit": limit}
        with self._pool.connection() as conn:
            counts = self._counts(conn, level)
            records = self._rows(conn, condition, params | {"offset": 0}) if offset == 0 else []
            if offset == 0 and len(records) < limit:
                # A first page that is not full holds every match: no count to make (a
                # search that finds a few walks the whole inbox once, not twice).
                found, exact, params["offset"] = len(records), True, 0
            else:
                found, exact = self._total(conn, where, counts, condition, params)
                params["offset"] = max(0, min(offset, max(found - 1, 0)))
                if offset != 0:
                    records = self._rows(conn, condition, params)
        page = at_level([worked(row_from_record(r), p, q) for r, p, q in records], level)
        open_counts: dict[str, int] = {}
        for (queue, status, _), n in counts.items():
            if status == "open" and n:
                open_counts[queue] = open_counts.get(queue, 0) + n
        return InboxPage(page, params["offset"], found, open_counts, exact)

    @staticmethod
    def _rows(conn: Connection, condition: str, params: dict[str, Any]) -> list[Any]:
        # `condition` is made of this module's constant fragments; every value is a bound
        # parameter.
        return conn.execute(
            f"SELECT record, assignee, assigned_queue FROM mentions m WHERE {condition} "  # noqa: S608
            "ORDER BY urgency_rank, deadline, seq LIMIT %(limit)s OFFSET %(offset)s",
            params,
        ).fetchall()

    def _counts(self, conn: Connection, level: int) -> Counts:
        """(queue at `level`, status, urgency rank) -> how many, from the kept counts; folds
        them when they have grown long."""
        rows = conn.execute(
            "SELECT queue, level_queues, status, urgency_rank, sum(n), count(*) "
            "FROM inbox_counts GROUP BY 1, 2, 3, 4"
        ).fetchall()
        if sum(r[5] for r in rows) - len(rows) > FOLD_AT:  # rows beyond one per group
            with conn.transaction():
                conn.execute(_FOLD)
        out: Counts = {}
        for queue, level_queues, status, rank, n, _ in rows:
            at = (_queue_at(queue, level_queues, level), status, rank)
            out[at] = out.get(at, 0) + int(n)
        return out

    def _total(
        self,
        conn: Connection,
        where: InboxFilter,
        counts: Counts,
        condition: str,
        params: dict[str, Any],
    ) -> tuple[int, bool]:
        """How many rows the filter keeps, and whether that is exact (else: at least)."""
        plain = where.platform is None and where.category is None and where.assignee is None
        plain = plain and not (where.tags or where.keys or where.authors)
        if plain and not search_terms.terms(where.text) and where.status in _STATUSES:
            statuses = _STATUSES[where.status]
            ranks = {URGENCY_RANK.get(u, -1) for u in where.urgency}
            total = sum(
                n
                for (queue, status, r), n in counts.items()
                if status in statuses
                and (not ranks or r in ranks)
                and (where.queues is None or queue in where.queues)
            )
            if where.queues is None:
                return total, True
            # Claimed by me or assigned to me but queued elsewhere: shown too.
            extra = conn.execute(
                f"SELECT count(*) FROM mentions m WHERE {condition} "  # noqa: S608
                f"AND NOT ({_QUEUE_AT} = ANY(%(queues)s)) "
                "AND (key IN (SELECT key FROM state WHERE tbl = 'claims' "
                "AND record->>'holder' = %(me)s) OR assignee = %(me)s)",
                params,
            ).fetchone()
            return total + int(extra[0] if extra else 0), True
        row = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM mentions m WHERE {condition} "  # noqa: S608
            "LIMIT %(cap)s) AS kept",
            params | {"cap": COUNT_CAP + 1},
        ).fetchone()
        found = int(row[0]) if row else 0
        return min(found, COUNT_CAP), found <= COUNT_CAP

    def explain(self, where: InboxFilter, limit: int = 50, level: int = 0) -> str:
        """PostgreSQL's plan for a page's rows (for a DBA, and to test the index is used)."""
        condition, params = _where(where, level, datetime.now().astimezone())
        params |= {"limit": limit, "offset": 0}
        with self._pool.connection() as conn:
            plan = conn.execute(
                f"EXPLAIN SELECT record FROM mentions m WHERE {condition} "  # noqa: S608
                "ORDER BY urgency_rank, deadline, seq LIMIT %(limit)s OFFSET %(offset)s",
                params,
            ).fetchall()
        return "\n".join(line for (line,) in plan)

    def by_author(self, author_key: str, limit: int = 20) -> list[InboxRow]:
        with self._pool.connection() as conn:
            records = conn.execute(
                "SELECT record, assignee, assigned_queue FROM mentions WHERE author_key = %s "
                "ORDER BY created_at DESC, seq LIMIT %s",
                (author_key, limit),
            ).fetchall()
        return [worked(row_from_record(r), p, q) for r, p, q in records]
