"""The team database's schema: create it, bring it up to date, say where it stands.

crisis-console db init      create the schema in an empty database; the login that runs it
                            becomes the team's lead
crisis-console db migrate   apply the migrations this version ships that the database lacks
crisis-console db grant LOGIN...
                            give each operator's own database login what an operator may
                            touch (run by the login that ran init, which owns the schema)
crisis-console db import --from-folder DIR
                            carry a whole data folder into a new team database
crisis-console db status    the schema version, each migration applied (when, by whom), and
                            what is pending

The database is `--db postgresql://...`, else $CRISIS_CONSOLE_DB, else `db:` in the data
folder's settings.yaml.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC
from pathlib import Path
from typing import IO, Any

from crisis_console.cli.io import err
from crisis_console.core.errors import CrisisConsoleError

COMMANDS = ("db",)


def add_commands(commands: Any) -> None:
    db = commands.add_parser("db", help="team mode: the PostgreSQL database's schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    for name, text in (
        ("init", "create the schema in an empty database"),
        ("migrate", "apply the migrations the database lacks"),
        ("status", "the schema version and what is pending"),
        ("grant", "give operators' database logins what an operator may touch"),
        ("import", "carry a whole data folder into a new team database"),
    ):
        sub = db_commands.add_parser(name, help=text)
        if name == "grant":
            sub.add_argument("logins", nargs="+", metavar="LOGIN")
        if name == "import":
            sub.add_argument(
                "--from-folder",
                type=Path,
                required=True,
                metavar="DIR",
                help="the data folder to carry across",
            )
        sub.add_argument(
            "--db",
            default=argparse.SUPPRESS,  # else it would hide the same option given first
            help="postgresql://... (default: $CRISIS_CONSOLE_DB)",
        )


def run(args: argparse.Namespace, dsn: str | None, out: IO[str]) -> int:
    """`dsn`: the database, as `config.database` resolved it."""
    # Imported here: psycopg costs every other command a tenth of a second to load.
    from crisis_console.core.store.postgres import migrations
    from crisis_console.core.store.postgres.connection import connect, shown
    from crisis_console.core.store.postgres.roster import seed_lead

    if not dsn:
        raise CrisisConsoleError(
            "no database: give --db postgresql://user@host/name, or set CRISIS_CONSOLE_DB"
        )
    if args.db_command == "import":
        return _import(args.from_folder, dsn, out)
    if args.db_command == "grant":
        from crisis_console.core.store.postgres.grants import grant_operator

        with connect(dsn) as conn:
            for login in args.logins:
                grant_operator(conn, login)
                out.write(f"{login} may now work as an operator; 'team set {login} ROLE' "
                          "puts them on the team\n")  # fmt: skip
        return 0
    with connect(dsn) as conn:
        if args.db_command == "status":
            state = migrations.status(conn)
        else:
            before = migrations.status(conn)
            if args.db_command == "init" and before.applied:
                raise CrisisConsoleError(
                    f"{shown(dsn)} already holds the schema (version {before.version}); "
                    "use 'crisis-console db migrate' to bring it up to date"
                )
            done = migrations.migrate(conn)
            for m in done:
                out.write(f"applied {m.version:04d}_{m.name}\n")
            if done and before.applied:  # a table a migration added is the operators' too
                from crisis_console.core.store.postgres.grants import grant_again

                if again := grant_again(conn):
                    out.write(f"granted again to {', '.join(again)}\n")
            lead = seed_lead(conn)
            if lead:
                out.write(f"{lead} (this database login) is the team's lead: add the others "
                          "with 'crisis-console --db URL db grant LOGIN' and "
                          "'team set LOGIN ROLE...'\n")  # fmt: skip
            state = migrations.status(conn)
    latest = state.version + len(state.pending)
    verdict = "up to date" if not state.pending else f"{len(state.pending)} pending"
    out.write(f"{shown(dsn)}: schema version {state.version} of {latest}, {verdict}\n")
    for a in state.applied:
        at = a.at.astimezone(UTC)
        out.write(f"  {a.version:04d}_{a.name}  applied {at:%Y-%m-%d %H:%M} UTC by {a.by}\n")
    for m in state.pending:
        out.write(f"  {m.version:04d}_{m.name}  pending: run 'crisis-console db migrate'\n")
    return 0


def _import(folder: Path, dsn: str, out: IO[str]) -> int:
    from crisis_console.core.store.postgres.importer import import_folder
    from crisis_console.core.store.postgres.team import open_team

    team = open_team(dsn)
    try:
        last = [0.0]

        def progress(kind: str, n: int) -> None:
            if time.monotonic() - last[0] >= 1:  # a line a second on long work
                last[0] = time.monotonic()
                err(f"  {n:,} {kind} ...")

        done = import_folder(folder, team, progress)
        checked = team.audit.verify()
    finally:
        team.store.close()
    out.write(f"imported {folder}: {done.summary()}\n")
    out.write(f"audit verify on the database: {checked.describe()}\n")
    if not checked.ok:
        return 1
    out.write(
        "each operator on the roster now needs a database login of that name; "
        "see 'Team mode' in README.md\n"
    )
    return 0
