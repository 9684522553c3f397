"""Ingest in batches stores what one batch would: a mention edited, repeated or deleted in
the batch after the one that brought it, and an author's posts counted across batches. On
PostgreSQL a batch is written on a thread of its own while the next is triaged (the overlap
in `intake/pipeline.py`); the stores and the audit chain must not tell the difference."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role, stored_to_record
from crisis_console.core.roster import Operator
from crisis_console.core.service import ConsoleService, IngestReport
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, fixed_clock, jsonl, record
from tests.pg_fixture import migrated_team

HARM = "The charger caught fire and burned my hand"


def feed() -> list[str]:
    """Lines that cross batch boundaries at every second line (batch_size=2)."""
    rows = [
        record("1", "Where is my parcel?", author="maya"),
        record("2", "Still no parcel, third week now", author="maya"),  # batch 1 ends
        record("2", "Still no parcel, fourth week now", author="maya"),  # an edit of batch 1's
        record("3", HARM, author="maya"),  # post 3 from maya
        record("3", HARM, author="maya", deleted=True),  # deleted in the next batch
        record("5", "Order 55 never arrived", author="maya"),  # post 4: batch 2's counted
        record("1", "Where is my parcel?", author="maya"),  # a repeat of batch 1's
        record("4", "Saw your van today", author="lee"),
        record("6", "Love the new range", author="lee"),
        record("6", "Love the new range!!", author="lee"),  # edited within a batch
        record("3", HARM, author="maya", deleted=True),  # deleted again: a duplicate
        record("7", "bad"),
    ]
    lines = jsonl(*rows)
    lines[-1] = '{"id": "7", "platform": "x"}'  # no text: rejected, named by its line
    return lines


def service(store: Any, audit: Any, triager: Triager) -> ConsoleService:
    return ConsoleService(
        store, audit, triager, fixed_clock, Operator("tester", frozenset({Role.LEAD}))
    )


def run(svc: ConsoleService, batch_size: int) -> tuple[IngestReport, list[IngestReport]]:
    seen: list[IngestReport] = []

    def progress(report: IngestReport) -> None:
        seen.append(IngestReport(report.new, report.updated, report.duplicates, report.deleted))

    report = svc.ingest(read_jsonl(feed(), "feed.jsonl", NOW), batch_size, on_progress=progress)
    return report, seen


def stored(store: Any) -> dict[str, dict[str, Any]]:
    return {s.key: stored_to_record(s) for s in store.all()}


def mention_events(events: Iterator[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    return [
        (e["action"], e["subject"], {k: v for k, v in e["data"].items() if k != "source"})
        for e in events
        if e["action"].startswith("mention.")
    ]


@pytest.fixture
def one_batch(tmp_path: Path, triager: Triager) -> tuple[IngestReport, dict[str, Any], list[Any]]:
    """The reference: the whole feed in one batch, in a folder."""
    store = TinyDBStore(tmp_path / "reference")
    audit = AuditLog(tmp_path / "reference" / AUDIT_FILE)
    try:
        report, _ = run(service(store, audit, triager), 1_000)
        return report, stored(store), mention_events(audit.events())
    finally:
        store.close()


def check(
    report: IngestReport, seen: list[IngestReport], store: Any, audit: Any, reference: Any
) -> None:
    ref_report, ref_stored, ref_events = reference
    assert (report.new, report.updated, report.duplicates, report.deleted, report.rejected) == (
        ref_report.new, ref_report.updated, ref_report.duplicates, ref_report.deleted, 1,
    )  # fmt: skip
    assert (report.new, report.updated, report.duplicates, report.deleted) == (6, 2, 2, 1)
    assert stored(store) == ref_stored
    assert "repeat author: post 3 from @maya" in ref_stored["x:3"]["classification"]["reasons"]
    assert "repeat author: post 4 from @maya" in ref_stored["x:5"]["classification"]["reasons"]
    assert mention_events(audit.events()) == ref_events
    # Progress after every batch, each a batch further on; never ahead of what is stored.
    assert len(seen) == 6
    totals = [(r.new, r.updated, r.duplicates, r.deleted) for r in seen]
    assert totals == sorted(totals) and totals[-1] == (6, 2, 2, 1)


def test_a_folder_stores_in_batches_what_it_stores_in_one(
    tmp_path: Path, triager: Triager, one_batch: Any
) -> None:
    store = TinyDBStore(tmp_path / "batches")
    audit = AuditLog(tmp_path / "batches" / AUDIT_FILE)
    try:
        report, seen = run(service(store, audit, triager), 2)
        check(report, seen, store, audit, one_batch)
    finally:
        store.close()


def test_a_team_database_stores_in_overlapped_batches_what_a_folder_stores_in_one(
    pg_dsn: str, triager: Triager, one_batch: Any
) -> None:
    team = migrated_team(pg_dsn, pool_size=3)
    try:
        assert team.store.shared  # the writer runs on a thread of its own
        report, seen = run(service(team.store, team.audit, triager), 2)
        check(report, seen, team.store, team.audit, one_batch)
        assert team.audit.verify().ok
        assert not [t for t in threading.enumerate() if t.name.startswith("ingest-write")]
    finally:
        team.store.close()


def refusing_x5(pg_dsn: str, table: str, message: str) -> Any:
    """A migrated team database whose `table` refuses any row for x:5 with `message` (a
    trigger standing in for a server that gives up), opened as a team."""
    from crisis_console.core.store.postgres import migrations
    from crisis_console.core.store.postgres.connection import connect, named
    from crisis_console.core.store.postgres.team import open_team

    with connect(pg_dsn) as conn:
        migrations.migrate(conn)
        conn.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.key = 'x:5' THEN RAISE EXCEPTION '{message}'; END IF; RETURN NEW; END $$"
        )
        conn.execute(
            named(
                "CREATE TRIGGER refuse BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION refuse()",
                t=table,
            )
        )
    return open_team(pg_dsn, pool_size=3)


def test_a_write_the_database_refuses_stops_the_ingest_with_nothing_left_running(
    pg_dsn: str, triager: Triager
) -> None:
    """The server refuses one batch's mentions (a trigger stands in for a full disk): ingest
    raises, no write is left in flight, progress never counted the refused batch, and the
    batch is one transaction: neither its mentions nor its audit records were kept, and
    nothing is left for recovery, while the batches before it stand whole."""
    from crisis_console.core.store.postgres.connection import connect

    team = refusing_x5(pg_dsn, "mentions", "disk full")
    try:
        svc = service(team.store, team.audit, triager)
        seen: list[int] = []
        with pytest.raises(Exception, match="disk full"):
            svc.ingest(
                read_jsonl(feed(), "feed.jsonl", NOW), 2, on_progress=lambda r: seen.append(r.new)
            )
        assert not [t for t in threading.enumerate() if t.name.startswith("ingest-write")]
        assert seen == [2, 3]  # batches 1 and 2; batch 3 (x:5) was refused
        assert team.store.get("x:5") is None and team.store.get("x:3") is not None
        logged = {e["subject"] for e in team.audit.events() if e["action"] == "mention.ingested"}
        assert logged == {"x:1", "x:2", "x:3"}
        with connect(pg_dsn) as conn:
            assert conn.execute("SELECT key FROM audit_unapplied").fetchall() == []
        assert team.audit.verify().ok
    finally:
        team.store.close()


def test_a_batch_whose_commit_fails_leaves_neither_its_mentions_nor_its_records(
    pg_dsn: str, triager: Triager
) -> None:
    """The mentions are written first and the reminders go with the COMMIT: when those fail
    (a trigger on the reminders stands in for the server giving up at the end), the mentions
    already written in the batch go too, as do its audit records. Nothing is stored that the
    chain does not hold."""
    team = refusing_x5(pg_dsn, "due", "no room for reminders")
    try:
        svc = service(team.store, team.audit, triager)
        with pytest.raises(Exception, match="no room for reminders"):
            svc.ingest(read_jsonl(feed(), "feed.jsonl", NOW), 2)
        assert team.store.get("x:3") is not None  # the batches before it stand
        stored = {s.key for s in team.store.all()}
        logged = {e["subject"] for e in team.audit.events() if e["action"] == "mention.ingested"}
        assert "x:5" not in stored and "x:5" not in logged
        assert stored == logged
        assert team.audit.verify().ok
    finally:
        team.store.close()
