"""Moving a team from a data folder to the team database (`crisis-console db import
--from-folder DIR`): everything the folder holds, nothing lost, and the audit chain the same
bytes, so that `audit verify` passes on the database as it did on the folder.

What is carried: every mention with its versions and tombstone (the stored record holds
them), every state table (claims, alarms, breaches, spikes, replies and answers, template
approvals, the crisis level and checklist, queued notifications), what comes due, the volume
counts, the roster (by name: each operator then needs a database login of that name), and
every audit record in order. Mention events the folder logged but had not stored (a crash
before its checkpoint) are marked unapplied, so the first process to open the database
replays them, as the folder would have.

The database must be empty of Crisis Console data: importing twice, or into a team already
at work, is refused. The folder is opened as its writer, so a console still running on it
is refused too (its state could change under the copy).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from crisis_console.core.actions import REPLAYED
from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.errors import StoreError
from crisis_console.core.roster import TEAM_FILE, load_roster
from crisis_console.core.store.postgres.connection import Jsonb
from crisis_console.core.store.postgres.team import Team
from crisis_console.core.store.store import STATE_DIR, TinyDBStore
from crisis_console.core.store.volume import counts_doc

BATCH = 1_000
T = TypeVar("T")


@dataclass
class Imported:
    """What was carried across, by kind (for the command's summary)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    def summary(self) -> str:
        return ", ".join(f"{n:,} {kind}" for kind, n in self.counts.items())


def _batches(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_folder(
    folder: Path, team: Team, progress: Callable[[str, int], None] = lambda kind, n: None
) -> Imported:
    """Carry the folder into the team database (see the module docstring)."""
    if not (folder / AUDIT_FILE).exists():
        raise StoreError(f"{folder} holds no Crisis Console data (no {AUDIT_FILE})")
    _require_empty(team)
    done = Imported()
    store = TinyDBStore(folder)  # the writer's lock: nobody changes it while it is copied
    try:
        _audit(AuditLog(folder / AUDIT_FILE, repair=False), team, store.applied, done, progress)
        for batch in _batches(store.iter_all()):
            team.store.save(batch)
            done.add("mentions", len(batch))
            progress("mentions", done.counts["mentions"])
        _state(folder / STATE_DIR, store, team, done)
        entries = store.due.entries()
        team.store.due.add(entries)
        done.add("reminders", len(entries))
        _volume(store, team, done)
        _roster(folder / TEAM_FILE, team, done)
    finally:
        store.close()
    _analyse(team)
    return done


def _analyse(team: Team) -> None:
    """Statistics for what was carried across, as autovacuum would gather them later: until
    then the planner would take the new tables for empty and read them whole."""
    with team.store.session.single() as conn:
        conn.execute("ANALYZE mentions, state, due, volume, audit, audit_unapplied")


def _require_empty(team: Team) -> None:
    with team.store.session.connection() as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM mentions) + (SELECT count(*) FROM audit) "
            "+ (SELECT count(*) FROM state)"
        ).fetchone()
    if row and row[0]:
        raise StoreError(
            "the team database already holds mentions, state or audit records: import into "
            "a new database (crisis-console db init), never into a team at work"
        )


def _audit(
    log: AuditLog, team: Team, applied: int, done: Imported, progress: Callable[[str, int], None]
) -> None:
    """Every record, the same bytes, in order; mention events past the folder's checkpoint
    marked unapplied."""
    with team.store.session.connection() as conn, conn.cursor() as cur:
        rows: list[tuple[Any, ...]] = []
        unapplied: list[tuple[int, str]] = []
        count = 0
        for file in log.files():
            with file.open("rb") as handle:
                for number, raw in enumerate(handle, start=1):
                    line = raw.rstrip(b"\r\n").decode("utf-8")
                    if not line.strip():
                        continue
                    try:
                        r = json.loads(line)
                        rows.append((r["seq"], r["at"], r["action"], r["hash"], line))
                    except (ValueError, KeyError, TypeError) as exc:
                        raise StoreError(
                            f"{file}:{number}: not an audit record ({exc}); run "
                            "'crisis-console audit verify' on the folder first"
                        ) from exc
                    if r["seq"] > applied and r["action"] in REPLAYED:
                        unapplied.append((r["seq"], r["subject"]))
                    if len(rows) >= BATCH:
                        count += _insert_audit(cur, rows)
                        progress("audit records", count)
        count += _insert_audit(cur, rows)
        if unapplied:
            # Left unstored by the folder's last writer, long gone: recovered at the next open.
            cur.executemany(
                "INSERT INTO audit_unapplied (seq, key, logged_at) VALUES (%s, %s, '-infinity')",
                unapplied,
            )
    done.add("audit records", count)


def _insert_audit(cur: Any, rows: list[tuple[Any, ...]]) -> int:
    n = len(rows)
    if rows:
        cur.executemany(
            "INSERT INTO audit (seq, at, action, hash, line) VALUES (%s, %s, %s, %s, %s)", rows
        )
        rows.clear()
    return n


def _state(state_dir: Path, store: TinyDBStore, team: Team, done: Imported) -> None:
    names = sorted(p.name for p in state_dir.iterdir() if p.is_dir()) if state_dir.is_dir() else []
    target = team.store.state.tables
    for name in names:
        for batch in _batches(store.state.tables.table(name)):
            target.table(name).apply(dict(batch))
            done.add("state records", len(batch))


def _volume(store: TinyDBStore, team: Team, done: Imported) -> None:
    with team.store.session.connection() as conn, conn.cursor() as cur:
        for batch in _batches(store.volume.minutes()):
            cur.executemany(
                "INSERT INTO volume (minute, counts) VALUES (%s, %s)",
                [(m, Jsonb(counts_doc(m.isoformat(), c))) for m, c in batch],
            )
            done.add("minutes counted", len(batch))


def _roster(path: Path, team: Team, done: Imported) -> None:
    roster = load_roster(path)
    for name, roles in roster.operators.items():
        team.roster.change(name, roles)
    done.add("operators", len(roster.operators))
