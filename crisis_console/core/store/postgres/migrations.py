"""Versioned, forward-only migrations of the team database.

Each migration is a file shipped with the package, `migrations/NNNN_name.sql`, numbered from
0001 without gaps, and never edited once released: a later change is a new file. The
database records what it has applied (version, name, checksum, when, by whom) in
`crisis_console_migrations`.

`migrate` applies every pending migration in one transaction (PostgreSQL's DDL is
transactional: all of them or none), under an advisory lock, so two processes that migrate at
once apply each file once. It refuses a database that holds a migration this version does not
know (a newer crisis-console migrated it) or one whose file has changed since it was applied.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from crisis_console.core.errors import StoreError
from crisis_console.core.store.postgres.connection import Connection, named

TABLE = "crisis_console_migrations"
_LOCK = 7_202_611_311  # pg_advisory_xact_lock key: one migrator at a time
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Applied:
    version: int
    name: str
    checksum: str
    at: datetime
    by: str


@dataclass(frozen=True, slots=True)
class Status:
    applied: list[Applied]
    pending: list[Migration]

    @property
    def version(self) -> int:
        return max((a.version for a in self.applied), default=0)


def shipped() -> list[Migration]:
    """The migrations in the package, in order; a gap or a stray file is a packaging bug."""
    folder = resources.files("crisis_console.core.store.postgres") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise StoreError(f"the shipped migrations are not numbered 1..{len(found)} without gaps")
    return found


def status(conn: Connection) -> Status:
    """What the database has applied, and what this version would apply; refuses a database
    it cannot migrate (see the module docstring)."""
    applied = _applied(conn)
    known = {m.version: m for m in shipped()}
    for a in applied:
        if a.version not in known:
            raise StoreError(
                f"the database is at schema version {a.version} ({a.name}), newer than this "
                f"crisis-console knows ({max(known, default=0)}): upgrade crisis-console"
            )
        if known[a.version].checksum != a.checksum:
            raise StoreError(
                f"migration {a.version:04d}_{a.name} has changed since it was applied to this "
                "database; migrations are never edited: add a new one"
            )
    done = {a.version for a in applied}
    return Status(applied, [m for m in known.values() if m.version not in done])


def migrate(conn: Connection) -> list[Migration]:
    """Apply every pending migration, all in one transaction; return those applied."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute(
            named(
                """CREATE TABLE IF NOT EXISTS {table} (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    applied_by text NOT NULL DEFAULT current_user
                )""",
                table=TABLE,
            )
        )
        pending = status(conn).pending
        for migration in pending:
            conn.execute(migration.sql.encode())
            conn.execute(
                named(
                    "INSERT INTO {table} (version, name, checksum) VALUES (%s, %s, %s)", table=TABLE
                ),
                (migration.version, migration.name, migration.checksum),
            )
    return pending


def _applied(conn: Connection) -> list[Applied]:
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,)).fetchone()
    if not exists or not exists[0]:
        return []
    rows = conn.execute(
        named(
            "SELECT version, name, checksum, applied_at, applied_by FROM {table} ORDER BY version",
            table=TABLE,
        )
    ).fetchall()
    return [Applied(*row) for row in rows]
