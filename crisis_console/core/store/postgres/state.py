"""The store's state tables on PostgreSQL: the same named tables as the folder's
(`store/tables.py`), rows of the `state` table of migration 0002, so that the typed
repositories of `store/state_tables.py` (claims, alarms, replies...) run unchanged on both.

What makes them safe with many processes: every check-then-write of those repositories runs
under `tables.lock`, which here is a transaction holding an advisory lock (`session.py`), and
`insert_if_absent` is one statement. A batch over several tables (`apply`) is one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime

from psycopg import sql

from crisis_console.core.store.buckets import Record
from crisis_console.core.store.filetable import write_if
from crisis_console.core.store.postgres.connection import DriverError, Jsonb
from crisis_console.core.store.postgres.session import PgSession, StateLock
from crisis_console.core.store.tables import NO_TERMS, LeaseRefused, LeaseTerms

Changes = dict[str, tuple[dict[str, Record], list[str]]]

# A lease (a claim) taken with its terms in one statement (migration 0008): the mention, the
# level in force and whether the lease is free are read as it is written. It raises a
# refusal, so it is sent with the lease's reminder, audit record and COMMIT in one pipeline:
# one round trip, and nothing of a refused lease is written.
_TAKE_LEASE = "SELECT lease_take(%s, %s, %s, %s, %s, %b::integer[])"
_HELD, _NO_MENTION, _NOT_AT_LEVEL = "CC002", "CC003", "CC004"
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
# Records go to the server as JSON text, an array in binary, each parsed there: psycopg's
# Jsonb dumper, element by element, was most of a tick's breach upsert (14 ms a thousand).
_UPSERT = (
    "INSERT INTO state (tbl, key, record) SELECT %s, k, r::jsonb "
    "FROM unnest(%b::text[], %b::text[]) AS u (k, r) "
    "ON CONFLICT (tbl, key) DO UPDATE SET record = EXCLUDED.record"
)
# Keys in sorted order, so that two processes inserting overlapping batches wait on each
# other's rows in the same order (no deadlock); the keys inserted come back.
_INSERT_NEW = (
    "INSERT INTO state (tbl, key, record) SELECT %s, k, r::jsonb "
    "FROM unnest(%b::text[], %b::text[]) AS u (k, r) ORDER BY k "
    "ON CONFLICT (tbl, key) DO NOTHING RETURNING key"
)
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _texts(records: Iterable[Record]) -> list[str]:
    return [_JSON.encode(r) for r in records]


def _refusal(error: DriverError) -> Record:
    """The record of the lease in the way, from `lease_take`'s refusal; a refusal of its
    terms becomes `LeaseRefused`; any other failure is raised as it is."""
    detail = error.diag.message_detail or ""
    if error.sqlstate == _HELD:
        return dict(json.loads(detail))
    if error.sqlstate == _NOT_AT_LEVEL:
        raise LeaseRefused(error.diag.message_primary or "", int(detail)) from None
    if error.sqlstate == _NO_MENTION:
        raise LeaseRefused(error.diag.message_primary or "") from None
    raise error


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
                cur.execute(_UPSERT, (self.name, list(put), _texts(put.values())))
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
        self,
        name: str,
        key: str,
        lease: Record,
        force: bool,
        log: Callable[[], object] | None,
        terms: LeaseTerms = NO_TERMS,
    ) -> tuple[bool, Record | None]:
        """`Tables.take_lease` as one statement with `log`'s writes and the COMMIT, all
        sent in one round trip (`PgSession.send_last`); a refusal aborts the rest of it.
        Inside a caller's unit of work, the statement runs at once, in a savepoint."""
        levels = sorted(terms.levels) if terms.levels is not None else None
        params = (name, key, Jsonb(dict(lease)), force, terms.mention, levels)
        try:
            if self._session.in_unit():
                with self._session.connection() as conn, conn.transaction():
                    conn.execute(_TAKE_LEASE, params)
                    if log is not None:
                        with self._session.journaled():
                            log()
            else:
                with self._session.unit():
                    self._session.send_last(_TAKE_LEASE, params)
                    if log is not None:
                        with self._session.journaled():
                            log()  # its statements follow the take's, or are never run
        except DriverError as refused:
            return False, _refusal(refused)
        return True, None

    def insert_new(
        self,
        name: str,
        records: Mapping[str, Record],
        log: Callable[[Mapping[str, Record]], object] | None = None,
    ) -> dict[str, Record]:
        """`Tables.insert_new` as one statement (the primary key decides which are new,
        however many processes insert at once), `log`'s audit records sent with its COMMIT:
        both commit, or neither."""
        if not records:
            return {}
        with self._session.unit() as conn:
            rows = conn.execute(_INSERT_NEW, (name, list(records), _texts(records.values())))
            fresh = {key: dict(records[key]) for (key,) in rows.fetchall()}
            if fresh and log is not None:
                with self._session.journaled():
                    log(fresh)
        return fresh

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
