"""The team schemas of `bench.team_bench`: one per store size, migrated and with its lead
(`db init`), and the database logins of its eight operators, granted as `db grant` does and
put on the team by the lead; `--keep` names them `bench_team_keep_N` and finds them again
(what their build recorded is the schema's comment)."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

from psycopg.conninfo import make_conninfo

from crisis_console.core.models import Role
from crisis_console.core.service import ConsoleService
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.connection import connect, named
from crisis_console.core.store.postgres.grants import grant_operator
from crisis_console.core.store.postgres.roster import seed_lead

OPERATORS = 8


def with_schema(dsn: str, schema: str, login: str | None = None) -> str:
    joiner = "&" if "?" in dsn else "?"
    team = f"{dsn}{joiner}options={quote(f'-csearch_path={schema}')}"
    return make_conninfo(team, user=login) if login else team


def open_schema(dsn: str, size: int, keep: bool, fresh: bool) -> tuple[str, dict[str, Any]]:
    """(schema, what its build recorded: empty if it is to be built now)."""
    schema = f"bench_team_keep_{size}" if keep else f"bench_team_{uuid.uuid4().hex[:8]}"
    with connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
            (schema,),
        ).fetchone()
        if row is not None and row[0] and not fresh:
            built = dict(json.loads(row[0]))
            if built.get("size") == size:
                # Reused, at this version's schema: what an upgrade's `db migrate` does.
                with connect(with_schema(dsn, schema)) as kept:
                    migrations.migrate(kept)
                return schema, built
        if row is not None:
            drop_schema(dsn, schema)
        conn.execute(named("CREATE SCHEMA {s}", s=schema))
    with connect(with_schema(dsn, schema)) as conn:
        migrations.migrate(conn)
        seed_lead(conn)
    return schema, {}


def drop_schema(dsn: str, schema: str) -> None:
    with connect(dsn, autocommit=True) as conn:
        for login in logins(schema):
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone():
                conn.execute(named("DROP OWNED BY {r}", r=login))
                conn.execute(named("DROP ROLE {r}", r=login))
        conn.execute(named("DROP SCHEMA IF EXISTS {s} CASCADE", s=schema))


def logins(schema: str) -> list[str]:
    return [f"{schema}_op{n}" for n in range(1, OPERATORS + 1)]


def operators(lead: ConsoleService, dsn: str, team: str, schema: str) -> list[str]:
    """A database login for each operator, granted (`db grant`) and on the team (social)."""
    with connect(dsn, autocommit=True) as conn:
        for login in logins(schema):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone():
                conn.execute(named("CREATE ROLE {r} LOGIN", r=login))
    with connect(team, autocommit=True) as conn:
        for login in logins(schema):
            grant_operator(conn, login)
    on_team = lead.team().operators
    for login in logins(schema):
        if Role.SOCIAL not in on_team.get(login, ()):
            lead.change_team(login, [Role.SOCIAL])
    return [with_schema(dsn, schema, login) for login in logins(schema)]
