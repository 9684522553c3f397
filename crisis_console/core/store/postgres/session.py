"""Connections for the repositories of one process, and the state lock that makes a
check-then-write atomic across every process on the database.

`PgSession.connection()` lends a connection for one statement or a few: the calling thread's
unit of work if it is inside one, else a pool connection whose transaction commits at the end
of the block. `PgSession.lock` is that unit of work: a transaction holding an advisory lock,
re-entrant in its thread, so that what the typed repositories do under `tables.lock` (read,
decide, write) is one transaction that no other process can interleave with.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from crisis_console.core.errors import AuditError
from crisis_console.core.store.postgres.connection import (
    IDLE,
    Connection,
    DriverError,
    Pool,
    autocommit,
)

STATE_LOCK = 72_026_112  # advisory lock key (with the schema's): one conditional write at a time

# A lock names its key and the schema: two team stores in one database never wait on each
# other (tests run each in a schema of its own).
ADVISORY_XACT = "SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))"


class _Unit(threading.local):
    conn: Connection | None = None
    lent: Any = None  # the pool's context manager that lent `conn`
    depth: int = 0
    locked: bool = False
    journal: bool = False  # audit appends join this unit (`PgSession.journaled`)
    last: list[tuple[str, Sequence[Any]]]  # statements sent with the COMMIT (`send_last`)

    def __init__(self) -> None:
        self.last = []


class PgSession:
    """One process's way into the team database: its pool, its units of work and its state
    lock (`lock`)."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self._unit = _Unit()
        self.lock = StateLock(self)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """The thread's unit of work, or a pool connection committed at the block's end."""
        if self._unit.conn is not None:
            yield self._unit.conn
            return
        with self.pool.connection() as conn:
            yield conn

    @contextmanager
    def single(self) -> Iterator[Connection]:
        """A pool connection in autocommit, for statements that are each a whole
        transaction (a read, or one server function): one round trip each, where a
        transaction block costs three (BEGIN, the statement, COMMIT). Inside the thread's
        unit of work, that unit's connection."""
        if self._unit.conn is not None:
            yield self._unit.conn
            return
        with autocommit(self.pool) as conn:
            yield conn

    @contextmanager
    def journaled(self) -> Iterator[None]:
        """Audit appends in this block join the thread's unit of work, so that a success's
        record and the write it records commit as one (one commit, not two, under the state
        lock). Only around records of what is about to be written: a refusal is appended
        outside, as it must outlive the rollback of the refused work. A mention event
        appended here is stored by the same unit, so it is not noted for recovery."""
        before, self._unit.journal = self._unit.journal, True
        try:
            yield
        finally:
            self._unit.journal = before

    def send_last(self, query: str, params: Sequence[Any]) -> None:
        """Run `query` at the end of the thread's unit of work, sent with its COMMIT in one
        round trip (a pipeline): a lock it takes is held for the statement and the commit,
        never while this process is paused between the two. Its failure fails the unit; a
        failure raised with SQLSTATE CC001 (the audit chain's) becomes an `AuditError`."""
        self._unit.last.append((query, params))

    def in_unit(self) -> bool:
        """Whether the thread is inside a unit of work."""
        return self._unit.conn is not None

    def joins_unit(self) -> bool:
        """Whether an audit append now belongs to the thread's unit of work."""
        return self._unit.journal and self._unit.conn is not None

    @contextmanager
    def unit(self, locked: bool = False) -> Iterator[Connection]:
        """One transaction for everything the thread does in the block (nested blocks join
        it); `locked` also takes the state's advisory lock until it commits."""
        self._enter(locked)
        try:
            yield self._unit.conn  # type: ignore[misc]
        except BaseException as exc:
            self._exit(type(exc), exc, exc.__traceback__)
            raise
        self._exit(None, None, None)

    def _enter(self, locked: bool) -> None:
        unit = self._unit
        if unit.depth == 0:
            lent = self.pool.connection()
            unit.conn, unit.lent, unit.locked = lent.__enter__(), lent, False
        unit.depth += 1
        if locked and not unit.locked:
            try:
                unit.conn.execute(ADVISORY_XACT, (STATE_LOCK,))  # type: ignore[union-attr]
            except BaseException as exc:
                self._exit(type(exc), exc, exc.__traceback__)
                raise
            unit.locked = True

    def _exit(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        unit = self._unit
        unit.depth -= 1
        if unit.depth:
            return
        lent, conn, unit.conn, unit.lent, unit.locked = unit.lent, unit.conn, None, None, False
        last, unit.last = unit.last, []
        if kind is None and last:
            try:
                _commit_with(conn, last)  # type: ignore[arg-type]
            except BaseException as failed:
                lent.__exit__(type(failed), failed, failed.__traceback__)
                if isinstance(failed, DriverError) and failed.sqlstate == "CC001":
                    raise AuditError(failed.diag.message_primary or str(failed)) from failed
                raise
        lent.__exit__(kind, exc, tb)  # the pool's block commits, or rolls back on a raise


def _commit_with(conn: Connection, last: list[tuple[str, Sequence[Any]]]) -> None:
    """`last` and the COMMIT in one round trip; a failure rolls the whole unit back.

    A unit that has sent nothing yet sends `last` alone, in autocommit, as one pipeline:
    PostgreSQL runs the statements before a pipeline's Sync as one implicit transaction,
    committed at the Sync, or at the first error rolled back whole, nothing after it run.
    (psycopg's own BEGIN would be a round trip of its own, waited for before the rest; and
    an explicit one would leave a refusal's transaction to be rolled back in another.)"""
    fresh = conn.info.transaction_status == IDLE
    if fresh:
        conn.autocommit = True
    try:
        with conn.pipeline():
            for query, params in last:
                # Never prepared: a statement psycopg prepares on its sixth use is taken for
                # prepared even when a refusal before it in the pipeline (a claim's) meant
                # the server never parsed it, and every later use fails ("prepared
                # statement ... does not exist"; tests/postgres/test_claim_transaction.py).
                conn.execute(query, params, prepare=False)
            if not fresh:
                conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(DriverError):  # (a broken connection: the pool drops it)
            conn.rollback()  # (nothing to do after an implicit transaction)
        raise
    finally:
        with contextlib.suppress(DriverError):
            conn.autocommit = False


class StateLock:
    """`with lock:` — a unit of work under the state's advisory lock (see the module
    docstring), re-entrant in its thread."""

    def __init__(self, session: PgSession) -> None:
        self._session = session

    def __enter__(self) -> StateLock:
        self._session._enter(locked=True)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._session._exit(kind, exc, tb)
