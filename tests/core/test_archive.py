"""Versions, tombstones, recovery from the audit log, and the export round-trip."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from crisis_console.core.archive.audit import AUDIT_FILE, AuditEvent, AuditLog
from crisis_console.core.archive.audit_export import ExportFilter, export_audit
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role, StoredMention, stored_to_record
from crisis_console.core.roster import Operator, PermissionDenied
from tests.conftest import NOW, ServiceFactory, fixed_clock, jsonl, record


def test_versions_and_tombstones_keep_the_content(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    lead = make_service()
    lead.ingest(read_jsonl(jsonl(record("1", "Order late"), record("2", "Hello")), "f", NOW))
    lead.ingest(read_jsonl(jsonl(record("1", "Order late and broken")), "f", NOW))
    report = lead.ingest(
        read_jsonl(
            jsonl(
                {"id": "1", "platform": "x", "deleted": True},
                {"id": "9", "platform": "x", "deleted": True},
            ),
            "f",
            NOW,
        )
    )
    assert (report.deleted, report.rejected) == (2, 0)
    gone = lead.mention("x:1")
    assert gone is not None and gone.deleted_at == NOW
    assert gone.triage.mention.text == "Order late and broken"
    assert [v.text for v in gone.history] == ["Order late"]
    assert [s.key for s in lead.inbox()] == ["x:2"]  # hidden from the queues
    deleted = [
        e
        for e in AuditLog(tmp_path / "data" / AUDIT_FILE).events()
        if e["action"] == "mention.deleted"
    ]
    assert deleted[0]["data"]["mention"]["text"] == "Order late and broken"  # in the archive
    again = lead.ingest(read_jsonl(jsonl({"id": "1", "platform": "x", "deleted": True}), "f", NOW))
    assert again.duplicates == 1


def test_recovery_reads_no_further_than_the_chain_ended_when_it_began(tmp_path: Path) -> None:
    """What another process appends once recovery has looked at the chain's end is that
    process's to store (on a shared store, in the same transaction): `logged_past` with
    `through` leaves it out."""
    from crisis_console.core.intake.pipeline import logged_past
    from crisis_console.core.models import StoredMention
    from crisis_console.core.playbook.playbook_check import load_playbook
    from crisis_console.core.triage.routing import Triager

    triager = Triager(load_playbook(Path(__file__).parents[2] / "playbooks" / "general.yaml"))
    log = AuditLog(tmp_path / AUDIT_FILE)

    def logged(n: int) -> AuditEvent:
        [item] = list(read_jsonl(jsonl(record(str(n), f"post {n}")), "f", NOW))
        stored = StoredMention(triager.triage(item.mention), NOW)  # type: ignore[union-attr]
        return AuditEvent("mention.ingested", f"x:{n}", "t", NOW, stored_to_record(stored))

    log.append([logged(1), logged(2)])
    through = log.last_seq
    log.append([logged(3)])  # another writer, after recovery read the end
    assert [s.key for s in logged_past(log, 0, through)[0]] == ["x:1", "x:2"]
    assert [s.key for s in logged_past(log, 0)[0]] == ["x:1", "x:2", "x:3"]
    assert logged_past(log, through, through) == ([], False)


def test_recovery_applies_what_was_logged_but_not_stored(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    lead = make_service()
    lead.ingest(read_jsonl(jsonl(record("1", "first")), "f", NOW))
    other = make_service()  # stands in for the crashed process: log written, store not
    [item] = list(read_jsonl(jsonl(record("2", "second")), "f", NOW))
    stored = other._triager.triage(item.mention)  # type: ignore[union-attr]
    from crisis_console.core.models import StoredMention

    data = {"source": "f:1", **stored_to_record(StoredMention(stored, NOW))}
    AuditLog(tmp_path / "data" / AUDIT_FILE).append(
        [AuditEvent("mention.ingested", "x:2", "t", NOW, data)]
    )
    assert lead.mention("x:2") is None
    assert lead.recover() == 1 and lead.mention("x:2") is not None
    assert lead.recover() == 0
    assert lead.ingest(read_jsonl(jsonl(record("2", "second")), "f", NOW)).duplicates == 1


def test_recovery_raises_the_alarm_a_crash_kept_from_a_logged_harm_post(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    """A process logs an escalated post (the write-ahead log) and dies before its alarm or
    the store are written: the next open stores it and raises its alarm, once, audited;
    a post whose alarm was raised before the crash keeps its one alarm."""
    lead = make_service()
    other = make_service()  # stands in for the crashed process: log written, nothing else
    text = "Your charger caught fire overnight and burned my daughter's hand"
    [item] = list(read_jsonl(jsonl(record("7", text)), "f", NOW))
    stored = StoredMention(other._triager.triage(item.mention), NOW)  # type: ignore[union-attr]
    assert stored.triage.classification.escalate  # (the precondition: a harm post)
    data = {"source": "f:1", **stored_to_record(stored)}
    AuditLog(tmp_path / "data" / AUDIT_FILE).append(
        [AuditEvent("mention.ingested", "x:7", "t", NOW, data)]
    )
    assert lead.crisis.alarm("x:7") is None
    assert lead.recover() == 1
    alarm = lead.crisis.alarm("x:7")
    assert alarm is not None and alarm.open and lead.mention("x:7") is not None
    raised = [r for r in lead.audit_records() if r["action"] == "alarm.raised"]
    assert [r["subject"] for r in raised] == ["x:7"]
    assert [n.kind for n in lead.notifier.console.received].count("harm") == 1
    # Logged again but not stored (a second crash): its alarm is not raised twice.
    AuditLog(tmp_path / "data" / AUDIT_FILE).append(
        [AuditEvent("mention.ingested", "x:7", "t", NOW, data)]
    )
    lead.recover()
    assert [r["action"] for r in lead.audit_records()].count("alarm.raised") == 1


def test_export_round_trip_filters_and_is_audited(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    lead = make_service()
    lead.ingest(read_jsonl(jsonl(record("1", "hello"), record("2", "hi")), "f", NOW))
    log = AuditLog(tmp_path / "data" / AUDIT_FILE)
    everything = list(log.events())
    out = io.StringIO()
    auditor = Operator("ada", frozenset({Role.AUDITOR}))
    assert export_audit(log, auditor, fixed_clock, out, "jsonl", ExportFilter()) == len(everything)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == everything
    out = io.StringIO()
    assert export_audit(log, auditor, fixed_clock, out, "csv", ExportFilter(mention="x:2")) == 1
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["subject"] == "x:2" and json.loads(row["data"])["mention"]["text"] == "hi"
    last = list(log.events())[-1]
    assert (last["action"], last["actor"], last["data"]["mention"]) == (
        "audit.exported",
        "ada",
        "x:2",
    )
    with pytest.raises(PermissionDenied, match="auditor or lead"):
        export_audit(
            log,
            Operator("sam", frozenset({Role.SUPPORT})),
            fixed_clock,
            io.StringIO(),
            "jsonl",
            ExportFilter(),
        )
    assert list(log.events())[-1]["action"] == "refused"
    assert log.verify().ok
