"""The thread index in the team database (`store/threads.py`): the mentions answering a post
are the rows whose `in_reply_to` names it, found through migration 0012's index on it. The
row is the entry, written in ingest's own transaction: `add` and `backfill` have nothing to
do, and a process that dies mid-batch leaves no entry behind without its mention."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from crisis_console.core.models import StoredMention
from crisis_console.core.store.postgres.session import PgSession
from crisis_console.core.store.threads import Edge, bare_ids

# Each value a child may hold (the post's key, or its id alone) through the index, the first
# stored first, at most %s a value: spelled as the index is, with its condition, so that
# PostgreSQL uses it; `OFFSET 0` keeps each probe a subquery of its own (see `state._GET_MANY`).
_CHILDREN = (
    "SELECT v.value, m.key, m.platform FROM unnest(%b::text[]) AS v (value), LATERAL "
    "(SELECT key, platform, seq FROM mentions "
    "WHERE record->'mention'->>'in_reply_to' = v.value "
    "AND record->'mention'->>'in_reply_to' <> '' ORDER BY seq LIMIT %s OFFSET 0) AS m "
    "ORDER BY m.seq"
)


class PgThreads:
    """See the module docstring."""

    def __init__(self, session: PgSession) -> None:
        self._session = session

    def add(self, filed: Iterable[Edge]) -> None:
        """Nothing: the mention's row is its entry."""

    def backfill(self, stored: Callable[[], Iterable[StoredMention]]) -> int:
        """Nothing: migration 0012 indexed the mentions stored before it."""
        return 0

    def children(self, parents: Iterable[str], limit: int) -> dict[str, list[str]]:
        wanted = list(dict.fromkeys(parents))
        values = list(dict.fromkeys(bare_ids(wanted)))
        if not values:
            return {}
        keys = set(wanted)
        with self._session.single() as conn:
            rows = conn.execute(_CHILDREN, (values, limit)).fetchall()
        found: dict[str, list[str]] = {}
        for value, key, platform in rows:
            # An id alone names a post of the child's own platform (`parent_of`).
            parent = value if value in keys else f"{platform}:{value}"
            if parent in keys:
                found.setdefault(parent, []).append(key)
        return {p: kids[:limit] for p, kids in found.items()}

    def explain(self, parents: list[str]) -> str:
        """The plan of `children` (for the tests: an index walk, never the table's)."""
        with self._session.single() as conn:
            rows = conn.execute("EXPLAIN " + _CHILDREN, (list(bare_ids(parents)), 201)).fetchall()
        return "\n".join(r[0] for r in rows)
