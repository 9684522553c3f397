"""`db import --from-folder`: a whole folder, played through a scripted crisis, carried into
the team database with nothing lost, its audit chain verifying the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis_console.cli import main
from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.errors import StoreError
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import stored_to_record
from crisis_console.core.service import ConsoleService
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.connection import connect
from crisis_console.core.store.postgres.importer import import_folder
from crisis_console.core.store.postgres.team import open_team
from crisis_console.core.store.store import STATE_DIR, TinyDBStore
from tests.conftest import NOW, jsonl, record


def test_a_folder_crosses_whole_and_verifies(
    crisis: ConsoleService, tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "data"
    key = next(s.key for s in crisis._store.iter_all() if s.key.startswith("x:"))
    native = key.split(":", 1)[1]
    edit = record(native, "Edited: still waiting for that refund", created_at=NOW.isoformat())
    crisis.ingest(
        read_jsonl(jsonl(edit, {"id": "404", "platform": "x", "deleted": True}), "f", NOW)
    )
    crisis.ingest(read_jsonl(jsonl({"id": native, "platform": "x", "deleted": True}), "f", NOW))
    # Worked without replies (`core/work`): the database's inbox columns follow the records.
    worked = [r.key for r in crisis.inbox_page(InboxFilter(), 0, 6).rows]
    assert len(worked) == 3  # the scenario leaves three open: two closed, one moved
    assert crisis.work.close(worked[:2], "spam").done == worked[:2]
    assert crisis.work.assign(worked[2:], "legal").done == worked[2:]
    assert crisis.work.tag(worked[1:], "media").done == worked[1:]
    level = crisis.crisis.state()
    crisis._store.close()  # the scenario's process ends; the folder is free
    with connect(pg_dsn) as conn:
        migrations.migrate(conn)
    assert main(["--data-dir", str(tmp_path / "x"), "db", "import", "--from-folder",
                 str(folder), "--db", pg_dsn]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "audit verify on the database: ok" in out
    source, log = TinyDBStore(folder, read_only=True), AuditLog(folder / AUDIT_FILE, repair=False)
    team = open_team(pg_dsn)
    try:
        # Every mention, versions and tombstones included, byte for byte as a record.
        mine = {s.key: stored_to_record(s) for s in source.iter_all()}
        theirs = {s.key: stored_to_record(s) for s in team.store.iter_all()}
        assert mine == theirs and len(mine) >= 6
        assert theirs[key]["deleted_at"] and theirs[key]["history"]  # a version, a tombstone
        # Every state table, record for record.
        for name in sorted(p.name for p in (folder / STATE_DIR).iterdir() if p.is_dir()):
            assert dict(team.store.state.tables.table(name)) == dict(
                source.state.tables.table(name)
            ), name
        assert list(team.audit.events()) == list(log.events())
        assert team.audit.verify().ok
        assert (team.store.state.crisis.get() or {}).get("level") == level.level
        assert team.store.due.pending() == source.due.pending()
        # Analysed as it lands: the planner knows the tables are not empty.
        with connect(pg_dsn) as conn:
            analysed = conn.execute(
                "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = current_schema() "
                "AND relname IN ('mentions', 'state', 'audit') AND last_analyze IS NOT NULL"
            ).fetchone()
        assert analysed == (3,)
        for where in (
            InboxFilter(status="all"),
            InboxFilter(),
            InboxFilter(status="answered"),
            InboxFilter(status="closed"),
            InboxFilter(status="all", tags=frozenset({"media"})),
            InboxFilter(queues=frozenset({"legal"})),
        ):
            team_page, folder_page = (
                team.store.inbox.page(where, 0, 50),
                source.inbox.page(where, 0, 50),
            )
            assert [r.key for r in team_page.rows] == [r.key for r in folder_page.rows]
            assert (team_page.total, team_page.queue_counts) == (
                folder_page.total,
                folder_page.queue_counts,
            )
        assert team.store.inbox.page(InboxFilter(status="closed"), 0, 50).total == 2
        assert team.store.inbox.page(InboxFilter(), 0, 50).queue_counts["legal"] == 1
        assert (
            team.store.inbox.page(InboxFilter(status="all", tags=frozenset({"media"})), 0, 50).total
            == 2
        )
        # Twice is refused: the database is a team at work now.
        with pytest.raises(StoreError, match="already holds"):
            import_folder(folder, team)
    finally:
        team.store.close()
        source.close()


def test_a_folder_a_console_holds_is_refused(
    service: ConsoleService, tmp_path: Path, pg_dsn: str
) -> None:
    with connect(pg_dsn) as conn:
        migrations.migrate(conn)
    service.ingest(read_jsonl(jsonl(record("1", "Where is my parcel?")), "f", NOW))
    team = open_team(pg_dsn)
    try:
        with pytest.raises(StoreError, match="is already in use by"):
            import_folder(tmp_path / "data", team)
    finally:
        team.store.close()
