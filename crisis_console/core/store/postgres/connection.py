"""Connections to the team's PostgreSQL server: the one module that imports psycopg.

A database is named by a libpq connection string (`postgresql://user@host:5432/name`, or
`host=… dbname=…`). Failures become `StoreError`s that say which server and why, never a
driver traceback. The password, if the string holds one, is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from crisis_console.core.errors import StoreError

CONNECT_SECONDS = 5

Connection = psycopg.Connection[Any]
__all__ = [
    "IDLE",
    "Connection",
    "DriverError",
    "Jsonb",
    "Pool",
    "autocommit",
    "connect",
    "copy_rows",
    "dedicated",
    "named",
    "open_pool",
    "shown",
]
DriverError = psycopg.Error
IDLE = psycopg.pq.TransactionStatus.IDLE  # a connection with no transaction open
Pool = ConnectionPool


def shown(dsn: str) -> str:
    """The connection string with any password masked, for messages."""
    masked = re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", dsn)
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", masked)


@contextmanager
def connect(dsn: str, autocommit: bool = False) -> Iterator[Connection]:
    """A connection for the length of the block; committed at its end unless it raised."""
    try:
        conn = psycopg.connect(dsn, autocommit=autocommit, connect_timeout=CONNECT_SECONDS)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"cannot connect to PostgreSQL at {shown(dsn)}: {reason}") from exc
    try:
        with conn:
            yield conn
    except psycopg.Error as exc:
        raise StoreError(f"PostgreSQL at {shown(dsn)}: {exc}".strip()) from exc
    finally:
        conn.close()


def dedicated(dsn: str) -> Connection:
    """A connection of its own, outside the pool, in autocommit (a session-level lock lives
    as long as it does). The caller closes it."""
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=CONNECT_SECONDS)
    except psycopg.Error as exc:
        raise StoreError(f"cannot connect to PostgreSQL at {shown(dsn)}: {exc}") from exc


@contextmanager
def autocommit(pool: Pool) -> Iterator[Connection]:
    """A pool connection in autocommit, for a statement that is a whole transaction (a
    read): one round trip, where a transaction block costs three (BEGIN, it, COMMIT)."""
    with pool.connection() as conn:
        conn.autocommit = True
        try:
            yield conn
        finally:
            conn.autocommit = False  # the pool lends it to transaction blocks next


def copy_rows(conn: Connection, statement: str, rows: Iterable[Sequence[Any]]) -> None:
    """Rows into a table through `COPY … FROM STDIN`: one stream for a whole batch, not a
    statement per row (a third of ingest's time was spent there)."""
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def named(template: str, **names: str) -> sql.Composed:
    """`template` with `{name}` placeholders filled by quoted identifiers (table names)."""
    return sql.SQL(template).format(**{k: sql.Identifier(v) for k, v in names.items()})


def open_pool(dsn: str, size: int = 4) -> Pool:
    """A pool of up to `size` connections, checked at once (a wrong address fails here)."""
    pool = ConnectionPool(dsn, min_size=1, max_size=size, open=False, timeout=CONNECT_SECONDS)
    try:
        pool.open(wait=True, timeout=CONNECT_SECONDS)
    except Exception as exc:  # psycopg_pool.PoolTimeout, psycopg.Error
        pool.close()
        raise StoreError(f"cannot connect to PostgreSQL at {shown(dsn)}: {exc}") from exc
    return pool
