"""The service: ingest stores once, versions edits, audits every mention, and sorts the inbox."""

from __future__ import annotations

import json
from pathlib import Path

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.archive.audit_verify import canonical
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Urgency
from crisis_console.core.service import ConsoleService
from tests.conftest import NOW, ServiceFactory, jsonl, record


def ingest(service: ConsoleService, lines: list[str]):  # type: ignore[no-untyped-def]
    return service.ingest(read_jsonl(lines, "feed.jsonl", NOW), batch_size=2)


def test_ingest_counts_new_duplicates_and_rejected_with_lines(
    service: ConsoleService, tmp_path: Path
) -> None:
    lines = jsonl(record("1", "hello"), record("2", "thanks!"), record("1", "hello"))
    lines.insert(1, '{"id": "9", "platform": "x"}')
    report = ingest(service, lines)
    assert (report.new, report.duplicates, report.updated, report.rejected) == (2, 1, 0, 1)
    assert (report.problems[0].line, report.problems[0].field) == (2, "text")
    assert ingest(service, jsonl(record("1", "hello"))).duplicates == 1
    assert sorted(s.key for s in service.inbox()) == ["x:1", "x:2"]


def test_each_stored_mention_has_an_audit_event(service: ConsoleService, tmp_path: Path) -> None:
    ingest(service, jsonl(record("1", "My air fryer caught fire"), record("2", "love it")))
    events = list(AuditLog(tmp_path / "data" / AUDIT_FILE).events())
    assert [(e["action"], e["subject"], e["actor"]) for e in events] == [
        ("mention.ingested", "x:1", "tester"),
        ("mention.ingested", "x:2", "tester"),
        ("alarm.raised", "x:1", "tester"),  # after the mentions are stored
    ]
    assert events[0]["data"]["mention"]["text"] == "My air fryer caught fire"
    assert events[0]["data"]["classification"]["category"] == "safety"
    assert events[0]["data"]["source"] == "feed.jsonl:1"


def test_a_stored_mentions_record_is_written_as_its_canonical_json(
    service: ConsoleService, tmp_path: Path
) -> None:
    """Ingest encodes each stored record once and splices its source in: the line in the
    chain must still be byte for byte the canonical JSON of what it holds."""
    ingest(service, jsonl(record("1", 'Ünïcode "quoted" \\ \u2028 fire!', author="zoë")))
    ingest(service, jsonl(record("1", "edited: the lid caught fire"), record("2", "ok")))
    ingest(service, jsonl({**record("2", "ok"), "deleted": True}))
    lines = (tmp_path / "data" / AUDIT_FILE).read_bytes().splitlines()
    stored = [json.loads(line) for line in lines]
    assert {r["action"] for r in stored} >= {"mention.ingested", "mention.version"}
    assert "mention.deleted" in {r["action"] for r in stored}
    for line, held in zip(lines, stored, strict=True):
        assert line == canonical(held)[:-1] + b',"hash":"%s"}' % held["hash"].encode()
    assert AuditLog(tmp_path / "data" / AUDIT_FILE).verify().ok


def test_changed_text_is_a_new_version_with_history(
    service: ConsoleService, tmp_path: Path
) -> None:
    ingest(service, jsonl(record("1", "Order is late")))
    report = ingest(service, jsonl(record("1", "Order is late and the lid caught fire")))
    assert (report.new, report.updated) == (0, 1)
    stored = service.mention("x:1")
    assert stored is not None
    assert [v.text for v in stored.history] == ["Order is late"]
    assert stored.triage.classification.urgency is Urgency.CRITICAL
    actions = [e["action"] for e in AuditLog(tmp_path / "data" / AUDIT_FILE).events()]
    assert actions == ["mention.ingested", "mention.version", "alarm.raised"]  # now it is harm


def test_inbox_is_sorted_by_urgency_then_deadline(service: ConsoleService) -> None:
    ingest(
        service,
        jsonl(
            record("praise", "Thank you, brilliant service", created_at="2026-03-14T08:00:00Z"),
            record("late-q", "How do I pause my box?", created_at="2026-03-14T11:00:00Z"),
            record("early-q", "How do I change my address?", created_at="2026-03-14T09:00:00Z"),
            record("fire", "The toaster burst into flames", created_at="2026-03-14T11:50:00Z"),
            record("legal", "My solicitor will be in touch", created_at="2026-03-14T10:00:00Z"),
        ),
    )
    assert [s.triage.mention.native_id for s in service.inbox()] == [
        "fire",
        "legal",
        "early-q",
        "late-q",
        "praise",
    ]


def test_stored_file_is_plain_json_keyed_by_mention(
    service: ConsoleService, tmp_path: Path
) -> None:
    ingest(service, jsonl(record("1", "hello")))
    service._store.checkpoint()  # type: ignore[attr-defined]  # (the audit log already holds it)
    doc = json.loads((tmp_path / "data" / "mentions" / "live.json").read_text())
    assert [d["id"] for d in doc["mentions"].values()] == ["x:1"]


def test_the_service_takes_its_own_lock_so_no_front_end_has_to(
    make_service: ServiceFactory,
) -> None:
    import threading

    lead = make_service()
    ingest(lead, jsonl(record("1", "hello")))
    done = threading.Event()

    def claim() -> None:
        lead.claims.claim("x:1")
        done.set()

    with lead.lock:  # another thread of the console is in the middle of a call
        worker = threading.Thread(target=claim)
        worker.start()
        assert not done.wait(0.3)  # the claim waits for it...
    assert done.wait(5)  # ...and goes ahead once it is done
    worker.join()
    assert lead.claims.holder("x:1") is not None


def test_a_restart_reads_back_no_further_than_the_last_applied_event(
    make_service: ServiceFactory,
) -> None:
    lead = make_service()
    ingest(lead, jsonl(*[record(str(i), f"order {i} is late") for i in range(5)]))
    for _ in range(20):  # events that are not mentions: claims and releases
        lead.claims.claim("x:1")
        lead.claims.release("x:1")
    audit, store = lead._audit, lead._store
    assert len(audit.events_after(store.applied)) >= 40  # what recovery would read back
    lead.mark_applied()
    assert audit.events_after(store.applied) == []
    lead.timers.tick()  # a tick marks it too
    lead.claims.claim("x:2")
    lead.timers.tick()
    assert audit.events_after(store.applied) == []


def test_every_public_call_of_the_service_and_its_desks_takes_the_lock() -> None:
    """A method whose signature spans lines is as easy to miss as any other: the lock is
    checked on every public method, not on a sample."""
    import inspect

    from crisis_console.core.crisis.crisis import CrisisDesk
    from crisis_console.core.crisis.timers import Timers
    from crisis_console.core.replies.claims import ClaimDesk
    from crisis_console.core.replies.replies import ReplyDesk

    # Network calls must not hold it; the context's own checks are called from inside;
    # `tick_all` lets go of it between chunks (each `tick` takes it); `changes` waits on
    # the team database; `raise_alarms_for_ingest`, `raise_again_for_ingest` and the
    # `file_alarms`, `file_again` and `ring` they are made of run on an ingest's writer
    # thread while the ingest holds it, or inside a caller's unit of work (`ring`, like
    # `notify`, only tells).
    unlocked = {"work_outbox", "event", "require", "notify", "tick_all", "changes"}
    unlocked |= {"raise_alarms_for_ingest", "raise_again_for_ingest"}
    unlocked |= {"file_alarms", "file_again", "ring"}
    for desk in (ConsoleService, CrisisDesk, ClaimDesk, ReplyDesk, Timers):
        for name, member in vars(desk).items():
            if name.startswith("_") or name in unlocked or not inspect.isfunction(member):
                continue
            # `synchronized` wraps the method (functools.update_wrapper sets __wrapped__).
            assert hasattr(member, "__wrapped__"), f"{desk.__name__}.{name} takes no lock"
