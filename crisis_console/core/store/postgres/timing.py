"""What comes due and the volume counts, on PostgreSQL: the team database's versions of
`store/due.py` (`PgDueIndex`) and `store/volume.py` (`PgVolumeCounts`), with the same
methods, on the `due` and `volume` tables of migration 0002; and the batches whose alarms
are yet to be filed (`PgPendingAlarms`, `contract.PendingAlarms`, migration 0010).

A tick reads only what is due through the `due_at` index, so its cost is the items due, as
in a folder. Volume counts for a minute are merged under a row lock, so two ingesting
processes add up instead of overwriting each other.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from crisis_console.core.store.due import Due
from crisis_console.core.store.postgres.connection import Jsonb, copy_rows
from crisis_console.core.store.postgres.session import PgSession
from crisis_console.core.store.volume import counted, counts_doc, counts_from, minute_of
from crisis_console.core.triage.spikes import Interval

# What is due, found through the `at` index whatever the statistics say, then deleted by row
# address. A plain `DELETE ... WHERE at <= now` was planned from statistics taken before the
# reminders already handled were deleted (autovacuum off, or not yet round): believing most
# rows due, it read the whole table, dead rows and all, every tick (40-120 ms at 1M).
CLEAR = "DELETE FROM due WHERE ctid = ANY(ARRAY(SELECT ctid FROM due WHERE at <= %s ORDER BY at))"
_DUE = "SELECT at, kind, key FROM due WHERE at <= %s ORDER BY at, id LIMIT %s"
_DUE_AT = "SELECT at, kind, key FROM due WHERE at = %s ORDER BY id"
_INSERT = (  # reminders sent with a unit's commit: one statement, however many
    "INSERT INTO due (at, kind, key) "
    "SELECT * FROM unnest(%b::timestamptz[], %b::text[], %b::text[])"
)


class PgDueIndex:
    """Reminders by time (see `store/due.py`). `stats` counts entries read (for tests)."""

    read_only = False

    def __init__(self, session: PgSession) -> None:
        self._session = session
        self.stats: Counter[str] = Counter()

    def add(self, entries: Iterable[Due]) -> None:
        """File the reminders. Inside a journaled unit of work (a claim's lease) they are
        sent with its commit (`PgSession.send_last`), as its audit record is: no round trip
        of their own."""
        rows = [(e.at, e.kind, e.key) for e in entries]
        if not rows:
            return
        if self._session.joins_unit():
            self._session.send_last(_INSERT, [list(column) for column in zip(*rows, strict=True)])
            return
        with self._session.connection() as conn:
            copy_rows(conn, "COPY due (at, kind, key) FROM STDIN", rows)

    def due(self, now: datetime, limit: int | None = None) -> list[Due]:
        """Those due at or before `now`, oldest first (with `limit`: the oldest `limit` and
        any due at the same moment as the last of those)."""
        with self._session.single() as conn:
            rows = conn.execute(_DUE, (now, limit)).fetchall()  # LIMIT NULL: all
            if limit is not None and len(rows) >= limit:  # and the rest of the last moment
                last = rows[-1][0]
                rows = [r for r in rows if r[0] < last]
                rows += conn.execute(_DUE_AT, (last,)).fetchall()
        self.stats["entries_read"] += len(rows)
        return [Due(at, kind, key) for at, kind, key in rows]

    def clear_through(self, now: datetime) -> None:
        with self._session.connection() as conn:
            conn.execute(CLEAR, (now,))

    def pending(self) -> int:
        with self._session.connection() as conn:
            return int(conn.execute("SELECT count(*) FROM due").fetchone()[0])  # type: ignore[index]


class PgPendingAlarms:
    """See `contract.PendingAlarms`. A note and its clearing are sent with their units'
    commits (`PgSession.send_last`): no round trip of their own."""

    def __init__(self, session: PgSession) -> None:
        self._session = session

    def note(self, keys: Sequence[str]) -> str | None:
        if not keys:
            return None
        token = uuid.uuid4().hex
        self._send("INSERT INTO alarms_pending (token, keys) VALUES (%s, %s)", (token, list(keys)))
        return token

    def clear(self, token: str) -> None:
        self._send("DELETE FROM alarms_pending WHERE token = %s", (token,))

    def older_than(self, age: timedelta, limit: int) -> list[tuple[str, list[str]]]:
        with self._session.single() as conn:
            rows = conn.execute(
                "SELECT token, keys FROM alarms_pending WHERE at <= now() - %s "
                "ORDER BY at LIMIT %s",
                (age, limit),
            ).fetchall()
        return [(token, list(keys)) for token, keys in rows]

    def _send(self, query: str, params: Sequence[object]) -> None:
        if self._session.in_unit():
            self._session.send_last(query, params)
            return
        with self._session.connection() as conn:
            conn.execute(query, params)


class PgVolumeCounts:
    """Mentions per minute of creation (see `store/volume.py`)."""

    read_only = False

    def __init__(self, session: PgSession) -> None:
        self._session = session
        self.stats: Counter[str] = Counter()

    def add(self, mentions: Iterable[tuple[datetime, bool, str]], keywords: Iterable[str]) -> None:
        by_minute = counted(mentions, keywords)
        if not by_minute:
            return
        minutes = sorted(by_minute)
        with self._session.unit() as conn:
            # Lock the minutes this batch touches (in order: no deadlock between ingesters).
            conn.execute(
                "INSERT INTO volume (minute, counts) "
                "SELECT m, '{}' FROM unnest(%b::timestamptz[]) m "
                "ORDER BY m ON CONFLICT (minute) DO NOTHING",
                (minutes,),
            )
            rows = conn.execute(
                "SELECT minute, counts FROM volume WHERE minute = ANY(%b) "
                "ORDER BY minute FOR UPDATE",
                (minutes,),
            ).fetchall()
            with conn.cursor() as cur:
                cur.executemany(
                    "UPDATE volume SET counts = %s WHERE minute = %s",
                    [(Jsonb(_merged(counts, by_minute[m], m)), m) for m, counts in rows],
                )

    def intervals(self, end: datetime, width: timedelta, count: int) -> list[Interval]:
        """`count` intervals of `width` ending at `end` (to the minute), oldest first."""
        end = minute_of(end)
        start = end - width * count
        out = [Interval() for _ in range(count)]
        with self._session.connection() as conn:
            rows = conn.execute(
                "SELECT minute, counts FROM volume WHERE minute >= %s AND minute < %s",
                (start, end),
            ).fetchall()
        self.stats["minutes_read"] += len(rows)
        for minute, counts in rows:
            if counts:
                out[int((minute - start) / width)].merge(counts_from(counts))
        return out


def _merged(stored: dict[str, object], fresh: Interval, minute: datetime) -> dict[str, object]:
    counts = counts_from(stored) if stored else Interval()
    counts.merge(fresh)
    return counts_doc(minute.isoformat(), counts)
