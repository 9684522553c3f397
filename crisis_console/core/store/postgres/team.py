"""Opening team mode: the store, the audit chain and the roster on one database, after
checking that its schema is this version's (`db migrate` brings it there; nothing here
changes a schema)."""

from __future__ import annotations

from dataclasses import dataclass

from crisis_console.core.errors import StoreError
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.audit import PgAuditLog
from crisis_console.core.store.postgres.connection import open_pool, shown
from crisis_console.core.store.postgres.roster import PgRoster
from crisis_console.core.store.postgres.session import PgSession
from crisis_console.core.store.postgres.store import PgStore

POOL_SIZE = 6  # the console's screen, its workers, and an audit append inside a state lock


@dataclass(frozen=True)
class Team:
    store: PgStore
    audit: PgAuditLog
    roster: PgRoster


def open_team(dsn: str, pool_size: int = POOL_SIZE) -> Team:
    """The team database at `dsn`, its schema checked; `team.store.close()` releases it."""
    pool = open_pool(dsn, pool_size)
    try:
        with pool.connection() as conn:
            state = migrations.status(conn)
        if not state.applied:
            raise StoreError(
                f"{shown(dsn)} holds no Crisis Console schema: run 'crisis-console db init'"
            )
        if state.pending:
            latest = state.version + len(state.pending)
            raise StoreError(
                f"{shown(dsn)} is at schema version {state.version} of {latest}: "
                "run 'crisis-console db migrate'"
            )
        session = PgSession(pool)
        return Team(PgStore(session, dsn), PgAuditLog(session), PgRoster(session, dsn))
    except BaseException:
        pool.close()
        raise
