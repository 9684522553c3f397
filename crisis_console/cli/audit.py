"""The audit commands. They read the audit files without the data folder's lock, so they
work while a console is open; in team mode (`--db`), the database's audit chain.

    crisis-console audit verify
    crisis-console audit export [--from ISO] [--to ISO] [--mention KEY] [--operator NAME]
                                [--format jsonl|csv] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crisis_console import config
from crisis_console.core.archive.audit import AUDIT_FILE, Audit, AuditLog
from crisis_console.core.archive.audit_export import FORMATS, ExportFilter, export_audit
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.models import Clock
from crisis_console.core.roster import TEAM_FILE, RosterBook, RosterFile


def add_commands(commands: Any) -> None:
    audit = commands.add_parser("audit", help="verify or export the hash-chained audit log")
    a_commands = audit.add_subparsers(dest="audit_command", required=True)
    a_commands.add_parser("verify", help="check the whole chain; name the first bad record")
    export = a_commands.add_parser("export", help="export records (auditor, lead); audited")
    export.add_argument("--from", dest="start", type=moment, help="from this time (ISO 8601)")
    export.add_argument("--to", dest="end", type=moment, help="up to this time (ISO 8601)")
    export.add_argument("--mention", help="only records about this mention key")
    export.add_argument("--operator", help="only records by this operator")
    export.add_argument("--format", choices=FORMATS, default="jsonl")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")


def moment(value: str) -> datetime:
    """An ISO 8601 date or time from the command line; without a zone, UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not an ISO 8601 date or time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def run(args: argparse.Namespace, clock: Clock, dsn: str | None = None) -> int:
    """`dsn`: team mode's database, whose audit chain is read instead of the folder's."""
    if dsn:
        from crisis_console.core.store.postgres.team import open_team

        team = open_team(dsn, pool_size=2)
        try:
            return _run(args, clock, team.audit, team.roster, team.roster.login())
        finally:
            team.store.close()
    folder = config.data_dir(args.data_dir)
    if not (folder / AUDIT_FILE).exists():
        raise CrisisConsoleError(f"no audit log in {folder}")
    log = AuditLog(folder / AUDIT_FILE, repair=False)
    return _run(args, clock, log, RosterFile(folder / TEAM_FILE), config.operator())


def _run(args: argparse.Namespace, clock: Clock, log: Audit, roster: RosterBook, login: str) -> int:
    if args.audit_command == "verify":
        result = log.verify()
        print(result.describe(), file=sys.stdout if result.ok else sys.stderr)
        return 0 if result.ok else 1
    operator = roster.load().acting(login, args.as_name)
    where = ExportFilter(args.start, args.end, args.mention, args.operator)
    if args.out is None:
        count = export_audit(log, operator, clock, sys.stdout, args.format, where)
    else:
        with args.out.open("w", encoding="utf-8", newline="") as out:
            count = export_audit(log, operator, clock, out, args.format, where)
    print(f"exported {count} record(s)", file=sys.stderr)
    return 0
