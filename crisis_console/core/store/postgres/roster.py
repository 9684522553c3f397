"""The team in the team database (`roster` table, migration 0002): who may do what, by the
PostgreSQL login each operator connects as. Identity in team mode is the database's: the
operator is `current_user`, never an environment variable or an OS user name.
"""

from __future__ import annotations

from collections.abc import Iterable

from crisis_console.core.models import Role
from crisis_console.core.roster import Roster
from crisis_console.core.store.postgres.connection import Connection, shown
from crisis_console.core.store.postgres.session import PgSession


class PgRoster:
    """See the module docstring (`RosterBook` of `core/roster.py`)."""

    def __init__(self, session: PgSession, dsn: str) -> None:
        self._session = session
        self.where = f"the roster table of {shown(dsn)}"

    def login(self) -> str:
        """Who this connection is: the database's `current_user`."""
        with self._session.connection() as conn:
            row = conn.execute("SELECT current_user").fetchone()
        return str(row[0]) if row else ""

    def load(self) -> Roster:
        with self._session.connection() as conn:
            rows = conn.execute("SELECT login, roles FROM roster").fetchall()
        return Roster({login: frozenset(Role(r) for r in roles) for login, roles in rows})

    def change(self, name: str, roles: Iterable[Role] | None) -> Roster:
        with self._session.connection() as conn:
            if roles is None:
                conn.execute("DELETE FROM roster WHERE login = %s", (name,))
            else:
                conn.execute(
                    "INSERT INTO roster (login, roles) VALUES (%s, %s) "
                    "ON CONFLICT (login) DO UPDATE SET roles = EXCLUDED.roles",
                    (name, sorted(r.value for r in roles)),
                )
        return self.load()


def seed_lead(conn: Connection) -> str | None:
    """On an empty roster, make the connecting login its lead (`db init`); return the login,
    or None when the roster had someone already."""
    added = conn.execute(
        "INSERT INTO roster (login, roles) SELECT current_user, %s "
        "WHERE NOT EXISTS (SELECT 1 FROM roster) RETURNING login",
        ([Role.LEAD.value],),
    ).fetchone()
    return str(added[0]) if added else None
