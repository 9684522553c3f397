"""What an operator's own database login may touch in team mode (`db grant`), granted by the
login that owns the schema (the one that ran `db init`).

An operator works the mentions and the state tables and appends to the audit chain; they
read the roster and the migrations but cannot write them, so nobody makes themselves lead in
`psql`, and the audit table's trigger refuses any change to what is written.
"""

from __future__ import annotations

from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.store.postgres.connection import Connection, named

WORKED = (
    "mentions", "state", "due", "volume", "audit_unapplied", "inbox_counts", "author_posts",
    "alarms_pending",
)  # fmt: skip
READ = ("roster", "crisis_console_migrations")
STATEMENTS = (
    "GRANT USAGE ON SCHEMA {schema} TO {login}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON " + ", ".join(WORKED) + " TO {login}",
    "GRANT SELECT, INSERT ON audit TO {login}",
    "GRANT SELECT ON " + ", ".join(READ) + " TO {login}",
    "GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {login}",
)
# Who has been granted: a role other than the owner that may insert into `mentions` by a
# grant of its own (not by PUBLIC's: in the public schema every role may use the schema).
_GRANTED = (
    "SELECT r.rolname FROM pg_class c, aclexplode(c.relacl) a, pg_roles r "
    "WHERE c.oid = 'mentions'::regclass AND a.privilege_type = 'INSERT' "
    "AND a.grantee = r.oid AND a.grantee <> c.relowner ORDER BY r.rolname"
)


def grant_operator(conn: Connection, login: str) -> None:
    """Give `login` an operator's rights on this schema; an unknown login is refused with
    what the DBA types to make it."""
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone()
    if not exists:
        raise CrisisConsoleError(
            f"no database login {login!r}: the DBA makes one first "
            f"(createuser --pwprompt {login}), then run this again"
        )
    row = conn.execute("SELECT current_schema()").fetchone()
    schema = str(row[0]) if row else "public"
    for statement in STATEMENTS:
        conn.execute(named(statement, schema=schema, login=login))
    # A GRANT that is not ours to give only warns; say so rather than leave a login that
    # cannot reach its tables (USAGE on the schema is its owner's to give).
    row = conn.execute("SELECT has_schema_privilege(%s, %s, 'USAGE')", (login, schema)).fetchone()
    if not (row and row[0]):
        raise CrisisConsoleError(
            f"{login} cannot use the schema {schema}, and only its owner can allow it: "
            f'the DBA runs GRANT USAGE ON SCHEMA "{schema}" TO "{login}"'
        )


def granted(conn: Connection) -> list[str]:
    """The logins `grant_operator` has given an operator's rights on this schema."""
    return [str(row[0]) for row in conn.execute(_GRANTED).fetchall()]


def grant_again(conn: Connection) -> list[str]:
    """Grant every operator granted before anew, so that a table a migration added is
    theirs to work too (`db migrate` calls it); return their logins."""
    logins = granted(conn)
    for login in logins:
        grant_operator(conn, login)
    return logins
