"""The store's state tables on PostgreSQL: the same named tables as the folder's
(`store/tables.py`), rows of the `state` table of migration 0002, so that the typed
repositories of `store/state_tables.py` (claims, alarms, replies...) run unchanged on both.

What makes them safe with many processes: every check-then-write of those repositories runs
under `tables.lock`, which here is a transaction holding an advisory lock (`session.py`), and
`insert_if_absent` is one statement. A batch over several tables (`apply`) is one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime

from psycopg import sql

from crisis_console.core.store.buckets import Record
from crisis_console.core.store.filetable import write_if
from crisis_console.core.store.postgres.connection import Jsonb
from crisis_console.core.store.postgres.session import PgSession, StateLock

Changes = dict[str, tuple[dict[str, Record], list[str]]]

# A lease (a claim) taken in one statement: the conflicting row is locked and the condition
# (`tables.lease_free`) read on its latest version, so two takers never both win; no state
# lock is held, so a claim waits on nothing but the same mention's other takers.
_TAKE_LEASE = (
    "INSERT INTO state (tbl, key, record) VALUES (%(tbl)s, %(key)s, %(lease)s) "
    "ON CONFLICT (tbl, key) DO UPDATE SET record = EXCLUDED.record "
    "WHERE %(force)s OR state.record->>'holder' = EXCLUDED.record->>'holder' "
    "OR (state.record->>'expires')::timestamptz <= (EXCLUDED.record->>'since')::timestamptz "
    "RETURNING true"
)
# A look-up of each key through the primary key, whatever the statistics say: a planner that
# believed a table's breaches few (analysed before a backlog of half a million) filtered all of
# them for a thousand keys (15 s at 1M). `OFFSET 0` keeps each probe a subquery of its own.
_GET_MANY = (
    "SELECT s.key, s.record FROM unnest(%b::text[]) AS k (key), LATERAL "
    "(SELECT key, record FROM state WHERE tbl = %s AND key = k.key OFFSET 0) AS s"
)
_EXPIRE_LEASES = (
    "DELETE FROM state WHERE tbl = %s AND key = ANY(%b) "
    "AND (record->>'expires')::timestamptz <= %s RETURNING key"
)
_UPSERT = (
    "INSERT INTO state (tbl, key, record) SELECT %s, k, r FROM unnest(%b::text[], %b::jsonb[]) "
    "AS u (k, r) ON CONFLICT (tbl, key) DO UPDATE SET record = EXCLUDED.record"
)


class PgTable:
    """One named table: the interface of the folder's `FileTable`."""

    def __init__(self, session: PgSession, lock: StateLock, name: str) -> None:
        self._session, self._lock, self.name = session, lock, name
        self.stats: dict[str, int] = {}

    def get(self, key: str) -> Record | None:
        with self._session.single() as conn:
            row = conn.execute(
                "SELECT record FROM state WHERE tbl = %s AND key = %s", (self.name, key)
            ).fetchone()
        return dict(row[0]) if row else None

    def get_many(self, keys: Iterable[str]) -> dict[str, Record]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        with self._session.single() as conn:
            rows = conn.execute(_GET_MANY, (wanted, self.name)).fetchall()
        return {key: dict(record) for key, record in rows}

    def __iter__(self) -> Iterator[tuple[str, Record]]:
        with self._session.single() as conn:
            rows = conn.execute(
                "SELECT key, record FROM state WHERE tbl = %s ORDER BY key", (self.name,)
            ).fetchall()
        return iter([(key, dict(record)) for key, record in rows])

    def __len__(self) -> int:
        with self._session.single() as conn:
            row = conn.execute("SELECT count(*) FROM state WHERE tbl = %s", (self.name,))
            return int(row.fetchone()[0])  # type: ignore[index]

    def oldest(self, field: str) -> Record | None:
        """The record whose `field` (an ISO time) is earliest (the oldest open alarm). The
        table and field are spelled in the statement, not bound, so that PostgreSQL matches
        the index kept for them (`state_open_alarms_raised`, migration 0006): the first
        entry, not a sort of every open alarm."""
        query = sql.SQL("SELECT record FROM state WHERE tbl = {} ORDER BY record->>{} LIMIT 1")
        with self._session.single() as conn:
            row = conn.execute(query.format(sql.Literal(self.name), sql.Literal(field))).fetchone()
        return dict(row[0]) if row else None

    def apply(self, put: Mapping[str, Record], delete: Iterable[str] = ()) -> None:
        """Upsert `put` and remove `delete` in one transaction."""
        deleted = [k for k in delete if k not in put]
        if not put and not deleted:
            return
        with self._session.connection() as conn, conn.cursor() as cur:
            if put:  # one statement for the whole batch (a thousand breaches in a tick)
                records = [Jsonb(dict(r)) for r in put.values()]
                cur.execute(_UPSERT, (self.name, list(put), records))
            if deleted:
                cur.execute(
                    "DELETE FROM state WHERE tbl = %s AND key = ANY(%b)", (self.name, deleted)
                )

    write_unjournaled = apply

    def insert_if_absent(self, key: str, record: Record) -> Record | None:
        """Store `record` unless `key` exists (one statement); return the existing record
        (nothing written) or None (stored)."""
        with self._session.connection() as conn:
            inserted = conn.execute(
                "INSERT INTO state (tbl, key, record) VALUES (%s, %s, %s) "
                "ON CONFLICT (tbl, key) DO NOTHING RETURNING key",
                (self.name, key, Jsonb(dict(record))),
            ).fetchone()
            if inserted:
                return None
            row = conn.execute(
                "SELECT record FROM state WHERE tbl = %s AND key = %s", (self.name, key)
            ).fetchone()
        return dict(row[0]) if row else None

    def replace_if(
        self,
        key: str,
        condition: Callable[[Record | None], bool],
        record: Record,
        log: Callable[[], object] | None = None,
    ) -> tuple[bool, Record | None]:
        """Store `record` if `condition(current)` holds, in one transaction under the state
        lock; return (stored?, current). `log` runs before the write (the audit first)."""
        with self._lock:
            return write_if(self, key, condition, record, log)


class PgTables:
    """Named tables in the team database, and batches across them (`Tables` of a folder)."""

    shared = True  # other processes write too: nothing may be cached between calls

    def __init__(self, session: PgSession) -> None:
        self._session = session
        self.lock = session.lock
        self.read_only = False
        self._tables: dict[str, PgTable] = {}

    def table(self, name: str) -> PgTable:
        if name not in self._tables:
            self._tables[name] = PgTable(self._session, self.lock, name)
        return self._tables[name]

    bucket = table

    def journaled(self, log: Callable[[], object]) -> Callable[[], object]:
        """`log` with its audit records in the conditional write's own transaction
        (`PgSession.journaled`): the record and the write commit together, or neither."""

        def joined() -> object:
            with self._session.journaled():
                return log()

        return joined

    def take_lease(
        self, name: str, key: str, lease: Record, force: bool, log: Callable[[], object] | None
    ) -> tuple[bool, Record | None]:
        """`Tables.take_lease` as one conditional statement, with `log`'s audit record in
        its transaction (the record and the lease commit together, or neither)."""
        params = {"tbl": name, "key": key, "lease": Jsonb(dict(lease)), "force": force}
        while True:
            with self._session.unit() as conn:
                if conn.execute(_TAKE_LEASE, params).fetchone() is not None:
                    if log is not None:
                        with self._session.journaled():
                            log()
                    return True, None
                row = conn.execute(
                    "SELECT record FROM state WHERE tbl = %s AND key = %s", (name, key)
                ).fetchone()
                if row is not None:
                    return False, dict(row[0])
            # The lease in the way was released between the two statements: take it again.

    def expire_leases(self, name: str, keys: Iterable[str], now: datetime) -> list[str]:
        """`Tables.expire_leases` as one conditional delete: a renewal committed before it
        is kept, one after it finds the lease gone and takes it anew."""
        wanted = list(keys)
        if not wanted:
            return []
        with self._session.connection() as conn:
            rows = conn.execute(_EXPIRE_LEASES, (name, wanted, now)).fetchall()
        return [key for (key,) in rows]

    def release_lease(self, name: str, key: str, holder: str) -> bool:
        """`Tables.release_lease` as one conditional delete."""
        with self._session.single() as conn:
            row = conn.execute(
                "DELETE FROM state WHERE tbl = %s AND key = %s AND record->>'holder' = %s "
                "RETURNING key",
                (name, key, holder),
            ).fetchone()
        return row is not None

    def apply(self, changes: Changes) -> None:
        """Every table's upserts and deletes, in one transaction."""
        with self._session.unit():
            for name, (put, delete) in changes.items():
                self.table(name).apply(put, delete)

    def stats(self) -> dict[str, int]:
        return {}
