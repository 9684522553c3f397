"""Reading for reports without holding the store: the counts around each event, only the
segments that can hold a window, only the audit records a report counts."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.archive.audit_read import read_events
from crisis_console.core.errors import AuditError
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.reports.incident import (
    AROUND,
    INCIDENT_ACTIONS,
    Around,
    build_incident,
)
from crisis_console.core.reports.posts import Post
from crisis_console.core.reports.report import (
    REPORTED,
)
from crisis_console.core.roster import Operator
from crisis_console.core.service import ConsoleService
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from tests.conftest import MovableClock, jsonl
from tests.scenario import END, START, at, post

LEAD = frozenset({Role.LEAD})


def alarm_event(at: datetime) -> dict[str, object]:
    return {"action": "alarm.raised", "at": at.isoformat(), "actor": "lee", "subject": "x:1",
            "data": {"summary": ""}}  # fmt: skip


def test_the_counts_around_each_event_are_their_definition(playbook: Playbook) -> None:
    """Posts in the 30 minutes before an event (at - 30 min <= posted < at) and after it
    (at <= posted < at + 30 min), against a brute-force count: ties and edges included."""
    rnd = random.Random(5)
    minute = timedelta(minutes=1)
    posts = []
    for n in range(400):
        posted, negative = START + rnd.randrange(180) * minute, rnd.random() < 0.4
        posts.append(Post(f"x:{n}", posted, "x", "other", "low", negative, "pr", 60, n % 9 == 0))
    times = [START + rnd.randrange(-10, 190) * minute for _ in range(60)]
    times += [posts[0].created_at, posts[0].created_at + AROUND, posts[1].created_at - AROUND]
    events = [alarm_event(t) for t in sorted(times)]
    i = build_incident(posts, [], events, playbook, START, END)
    assert len(i.entries) == len([t for t in times if START <= t < END])
    for entry in i.entries:
        before = [p for p in posts if entry.at - AROUND <= p.created_at < entry.at]
        after = [p for p in posts if entry.at <= p.created_at < entry.at + AROUND]
        assert entry.around == Around(
            len(before), sum(p.negative for p in before), len(after), sum(p.negative for p in after)
        )
    assert sum(b.volume for b in i.volume) == len(posts)


def test_a_report_reads_only_the_segments_that_can_hold_its_window(
    tmp_path: Path, triager: Triager
) -> None:
    store = TinyDBStore(tmp_path / "data", live_limit=2)
    clock = MovableClock(START - timedelta(days=40))
    service = ConsoleService(
        store, AuditLog(tmp_path / "data" / AUDIT_FILE), triager, clock, Operator("lee", LEAD)
    )
    try:
        old = [post(f"{n}", "Where is my order?", clock.now) for n in range(6)]
        service.ingest(read_jsonl(jsonl(*old), "feed", clock()), batch_size=2)  # 3 segments
        clock.now = START
        new = [post(f"{n}", "Where is my order?", at(9, n)) for n in range(10, 15)]
        service.ingest(read_jsonl(jsonl(*new), "feed", clock()), batch_size=2)  # 2, and live
        store.stats.clear()
        r = service.report(START, END)
        assert r.total == 5 and store.stats["segments_read"] == 0  # no record is read...
        assert store.stats["index_rows_read"] == 4  # ...only the index of 2 of 5 segments
        assert service.report(START - timedelta(days=41), END).total == 11
    finally:
        store.close()


def test_reading_audit_records_by_action_is_a_full_read_filtered(
    crisis: ConsoleService, tmp_path: Path
) -> None:
    log = AuditLog(tmp_path / "data" / AUDIT_FILE, repair=False)
    for actions in (REPORTED, INCIDENT_ACTIONS, {"mention.ingested", "claim"}):
        assert list(read_events(log.files(), actions)) == [
            e for e in log.events() if e["action"] in actions
        ]
    # Lines in the layout written before the canonical one (insertion order, spaces) too.
    older = tmp_path / "older.jsonl"
    records = list(log.events())
    older.write_text("".join(json.dumps(e) + "\n" for e in records), encoding="utf-8")
    assert list(read_events([older], REPORTED)) == [e for e in records if e["action"] in REPORTED]


def test_closed_audit_files_before_the_window_are_not_read(tmp_path: Path) -> None:
    closed = tmp_path / "audit" / "audit-2026-03-01-0001.jsonl"
    closed.parent.mkdir()
    closed.write_text('{"action":"draft", cut short\n', encoding="utf-8")
    live = tmp_path / "audit.jsonl"
    live.write_text(json.dumps({"action": "draft", "at": START.isoformat()}) + "\n")
    assert [e["at"] for e in read_events([closed, live], REPORTED, START)] == [START.isoformat()]
    with pytest.raises(AuditError, match=r"audit-2026-03-01-0001\.jsonl:1"):
        list(read_events([closed, live], REPORTED, datetime(2026, 3, 2, tzinfo=UTC)))
