"""The inbox on PostgreSQL (team mode, in progress): a page is one query that walks the
`mentions_inbox` index (urgency, deadline, arrival) and stops at the page's end; only the
page's records are read. The same filters as the folder's inbox (`store/inbox.py`), the same
order, the same page.

Not yet at a million: the page's total and the open count per queue are counted over the
table, and the answered and claimed mentions come in as arrays; once replies and claims live
in the database too, they become joins and kept counters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crisis_console.core.store.inbox import (
    URGENCY_RANK,
    InboxFilter,
    InboxPage,
    InboxRow,
    at_level,
    row_from_record,
    searchable,
)
from crisis_console.core.store.postgres.connection import Pool

# The queue at the crisis level in force: "0:support,2:pr" names it, else the base queue.
_QUEUE_AT = (
    "COALESCE((regexp_match(level_queues, '(^|,)' || %(level)s::text || ':([^,]+)'))[2], queue)"
)


def _where(
    where: InboxFilter, claims: Mapping[str, str], answered: set[str]
) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    params: dict[str, Any] = {"answered": list(answered)}
    if where.status != "all":
        parts.append("NOT deleted")
    if where.status == "open":
        parts.append("NOT (key = ANY(%(answered)s))")
    elif where.status == "answered":
        parts.append("key = ANY(%(answered)s)")
    elif where.status == "claimed":
        parts.append("key = ANY(%(claimed)s)")
        params["claimed"] = list(claims)
    if where.queues is not None:
        parts.append(f"({_QUEUE_AT} = ANY(%(queues)s) OR key = ANY(%(mine)s))")
        params["queues"] = sorted(where.queues)
        params["mine"] = [k for k, who in claims.items() if who == where.claimed_by]
    for column, value in (("platform", where.platform), ("category", where.category)):
        if value is not None:
            parts.append(f"{column} = %({column})s")
            params[column] = value
    if where.urgency is not None:
        parts.append("urgency_rank = %(rank)s")
        params["rank"] = URGENCY_RANK.get(where.urgency, -1)
    text = searchable(where.text).strip()
    if text:
        parts.append("strpos(search, %(text)s) > 0")
        params["text"] = text
    return " AND ".join(parts) or "TRUE", params


class PgInbox:
    """Pages of the inbox, read from the team database."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def page(
        self,
        where: InboxFilter,
        offset: int,
        limit: int,
        claims: Mapping[str, str],
        answered: set[str],
        level: int = 0,
    ) -> InboxPage:
        condition, params = _where(where, claims, answered)
        params |= {"level": level, "limit": limit}
        with self._pool.connection() as conn:
            # `condition` is made of this module's constant fragments; every value is a
            # bound parameter.
            total = conn.execute(f"SELECT count(*) FROM mentions WHERE {condition}", params)  # noqa: S608
            found = int(total.fetchone()[0])  # type: ignore[index]
            params["offset"] = max(0, min(offset, max(found - 1, 0)))
            records = conn.execute(
                f"SELECT record FROM mentions WHERE {condition} "  # noqa: S608
                "ORDER BY urgency_rank, deadline, seq LIMIT %(limit)s OFFSET %(offset)s",
                params,
            ).fetchall()
            counts = conn.execute(
                f"SELECT {_QUEUE_AT}, count(*) FROM mentions "  # noqa: S608
                "WHERE NOT deleted AND NOT (key = ANY(%(answered)s)) GROUP BY 1",
                params,
            ).fetchall()
        page = at_level([row_from_record(r) for (r,) in records], level)
        return InboxPage(page, params["offset"], found, {q: int(n) for q, n in counts if n})

    def explain(self, where: InboxFilter, limit: int = 50, level: int = 0) -> str:
        """PostgreSQL's plan for a page's rows (for a DBA, and to test the index is used)."""
        condition, params = _where(where, {}, set())
        params |= {"level": level, "limit": limit, "offset": 0}
        with self._pool.connection() as conn:
            plan = conn.execute(
                f"EXPLAIN SELECT record FROM mentions WHERE {condition} "  # noqa: S608
                "ORDER BY urgency_rank, deadline, seq LIMIT %(limit)s OFFSET %(offset)s",
                params,
            ).fetchall()
        return "\n".join(line for (line,) in plan)

    def by_author(self, author_key: str, limit: int = 20) -> list[InboxRow]:
        with self._pool.connection() as conn:
            records = conn.execute(
                "SELECT record FROM mentions WHERE author_key = %s "
                "ORDER BY created_at DESC, seq LIMIT %s",
                (author_key, limit),
            ).fetchall()
        return [row_from_record(r) for (r,) in records]
