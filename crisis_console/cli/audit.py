"""The audit commands. They read the audit files without the data folder's lock, so they
work while a console is open; in team mode (`--db`), the database's audit chain.

    crisis-console audit verify [--against CHECKPOINT] [--chain-only]
    crisis-console audit checkpoint [--notify]
    crisis-console audit export [--from ISO] [--to ISO] [--mention KEY] [--operator NAME]
                                [--format jsonl|csv] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crisis_console import config
from crisis_console.cli.wiring import folder_store
from crisis_console.core.archive.audit import AUDIT_FILE, Audit, AuditLog
from crisis_console.core.archive.audit_export import (
    FORMATS,
    ExportFilter,
    checkpoint_audit,
    export_audit,
)
from crisis_console.core.archive.seal import Checkpoint, parse_checkpoint
from crisis_console.core.archive.store_check import check_store
from crisis_console.core.crisis.notify import (
    NOTIFICATIONS_FILE,
    ConsoleSink,
    Notification,
    Notifier,
    Sink,
    load_sinks,
)
from crisis_console.core.errors import AuditError, CrisisConsoleError
from crisis_console.core.intake.pipeline import logged_past
from crisis_console.core.models import Clock, Role, StoredMention
from crisis_console.core.roster import TEAM_FILE, RosterBook, RosterFile
from crisis_console.core.roster_watch import WatchedRoster

if TYPE_CHECKING:
    from crisis_console.core.store.store import TinyDBStore

CHECKPOINT_ROLES = frozenset({Role.LEAD, Role.AUDITOR})


def add_commands(commands: Any) -> None:
    audit = commands.add_parser("audit", help="verify or export the hash-chained audit log")
    a_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = a_commands.add_parser(
        "verify", help="check the chain, its seal and the stored mentions; name what is wrong"
    )
    verify.add_argument(
        "--against", type=checkpoint_text, help="prove nothing before this checkpoint changed"
    )
    verify.add_argument(
        "--chain-only", action="store_true", help="skip comparing the stored mentions"
    )
    checkpoint = a_commands.add_parser(
        "checkpoint", help="print a signed digest of the chain to keep elsewhere (auditor, lead)"
    )
    checkpoint.add_argument(
        "--notify", action="store_true", help="also send it to the lead's notification sinks"
    )
    export = a_commands.add_parser("export", help="export records (auditor, lead); audited")
    export.add_argument("--from", dest="start", type=moment, help="from this time (ISO 8601)")
    export.add_argument("--to", dest="end", type=moment, help="up to this time (ISO 8601)")
    export.add_argument("--mention", help="only records about this mention key")
    export.add_argument("--operator", help="only records by this operator")
    export.add_argument("--format", choices=FORMATS, default="jsonl")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")


def checkpoint_text(value: str) -> Checkpoint:
    try:
        return parse_checkpoint(value)
    except AuditError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
            mentions = Mentions(team.store.iter_all, team.store.get_many)
            return _run(args, clock, team.audit, team.roster, team.roster.login(), mentions)
        finally:
            team.store.close()
    folder = config.data_dir(args.data_dir)
    if not (folder / AUDIT_FILE).exists():
        # The folder backend loads on use (see `folder_store`).
        from crisis_console.core.store.store import MENTIONS_DIR

        if (folder / MENTIONS_DIR).is_dir():
            raise CrisisConsoleError(
                f"no audit log in {folder}, though it stores mentions: the log was deleted "
                "or moved; restore it from a backup"
            )
        raise CrisisConsoleError(f"no audit log in {folder}")
    log = AuditLog(folder / AUDIT_FILE, repair=False, seal=config.audit_seal(folder))
    sinks = load_sinks(folder / NOTIFICATIONS_FILE) if args.audit_command == "checkpoint" else []
    store = folder_store(folder, read_only=True)
    try:
        # The team as a lead last accepted it, as every command reads it: a hand-edited
        # team file makes nobody an auditor.
        roster = WatchedRoster(RosterFile(folder / TEAM_FILE), store.state.roster, read_only=True)
        mentions = folder_mentions(folder, log, store)
        return _run(args, clock, log, roster, config.operator(), mentions, sinks)
    finally:
        store.close()


@dataclass(frozen=True, slots=True)
class Mentions:
    """How verify reads the stored mentions: all of them, and a few again."""

    every: Callable[[], Iterable[StoredMention]]
    again: Callable[[list[str]], Mapping[str, StoredMention]]


def folder_mentions(folder: Path, log: AuditLog, store: TinyDBStore) -> Mentions:
    """The folder's stored mentions as a reader sees them (beside a running console): its
    checkpoint and what the chain holds past it (`TinyDBStore.replay`, in memory), read from
    the open `store`; a few again from the folder as it is by then."""

    def caught_up(reader: TinyDBStore) -> TinyDBStore:
        restored, _ = logged_past(log, reader.applied)
        reader.replay(restored, applied=log.last_seq)
        return reader

    def every() -> Iterator[StoredMention]:
        yield from caught_up(store).iter_all()

    def again(keys: list[str]) -> Mapping[str, StoredMention]:
        fresh = caught_up(folder_store(folder, read_only=True))
        try:
            return fresh.get_many(keys)
        finally:
            fresh.close()

    return Mentions(every, again)


def _run(
    args: argparse.Namespace,
    clock: Clock,
    log: Audit,
    roster: RosterBook,
    login: str,
    mentions: Mentions,
    sinks: Sequence[tuple[frozenset[Role], Sink]] = (),
) -> int:
    if args.audit_command == "verify":
        result = log.verify(args.against)
        print(result.describe(), file=sys.stdout if result.ok else sys.stderr)
        if not result.ok:
            return 1
        if args.against is not None:
            print(f"ok: nothing up to record {args.against.seq} changed since {args.against}")
        if args.chain_only:
            return 0
        stored = check_store(log, mentions.every(), mentions.again)
        print(stored.describe(), file=sys.stdout if stored.ok else sys.stderr)
        return 0 if stored.ok else 1
    operator = roster.load().acting(login, args.as_name)
    if args.audit_command == "checkpoint":
        checkpoint = checkpoint_audit(log, operator, clock)
        print(checkpoint)
        if args.notify:
            body = f"{checkpoint} (record {checkpoint.seq}, made by {operator.name})"
            note = Notification("checkpoint", "Audit checkpoint", body, CHECKPOINT_ROLES, clock())
            failed = Notifier(ConsoleSink(), sinks).send(note)
            if failed:
                raise CrisisConsoleError(f"the checkpoint was not delivered to {', '.join(failed)}")
        return 0
    where = ExportFilter(args.start, args.end, args.mention, args.operator)
    if args.out is None:
        count = export_audit(log, operator, clock, sys.stdout, args.format, where)
    else:
        with args.out.open("w", encoding="utf-8", newline="") as out:
            count = export_audit(log, operator, clock, out, args.format, where)
    print(f"exported {count} record(s)", file=sys.stderr)
    return 0
