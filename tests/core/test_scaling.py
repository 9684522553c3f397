"""No operation's cost grows with the store: the store's reads for a claim, a reply, an
acknowledgement, a tick and an open, counted at two sizes. Counts, not seconds: a busy
machine cannot blur them.

Each store is filled through the real ingest (triage, alarms, due reminders) with one post in
five a risk of harm, two days before the operations, so the spike window holds only what
arrives now."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.replies.senders import JsonlOutbox
from crisis_console.core.replies.templates import load_templates
from crisis_console.core.roster import Operator
from crisis_console.core.service import ConsoleService, ReplySetup
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, ROOT, MovableClock, jsonl, record

LIVE_LIMIT = 100
FILE_LIMIT = 64  # the most records one state file holds here
HARM = "The charger caught fire and burned my hand, my kid was next to it"
ORDINARY = "My parcel is late again, where is it? order {i}"
DUE_NOW = 5  # mentions whose deadline has passed at the moment of the tick
PAGE = 5
ACK_MINUTES = 5  # the shipped playbook's time to acknowledge an alarm


def corpus(size: int) -> list[str]:
    past = NOW - timedelta(days=2)
    rows = []
    for i in range(size):
        text = HARM + f" ({i})" if i % 5 == 0 else ORDINARY.format(i=i)
        # A few are answered late at the tick; the rest are not due for a day.
        created = past if i < DUE_NOW else NOW + timedelta(days=1)
        stamp = created.isoformat().replace("+00:00", "Z")
        rows.append(record(str(i), text, author=f"user{i % 97}", created_at=stamp))
    return jsonl(*rows)


def open_service(folder: Path, triager: Triager, clock: MovableClock) -> ConsoleService:
    templates, _ = load_templates(ROOT / "templates")
    return ConsoleService(
        TinyDBStore(folder, live_limit=LIVE_LIMIT, state_limit=FILE_LIMIT),
        AuditLog(folder / AUDIT_FILE),
        triager,
        clock,
        Operator("lee", frozenset({Role.LEAD})),
        Notifier(ConsoleSink()),
        ReplySetup(templates, JsonlOutbox(folder / "outbox.jsonl"), "Brightwell"),
    )


def reads(service: ConsoleService) -> Counter[str]:
    store = service._store
    assert isinstance(store, TinyDBStore)
    state = store.state.tables.stats()
    return Counter(
        segments=store.stats["segments_read"],
        index_rows=store.stats["index_rows_read"],
        state_records=state.get("records_read", 0),
        due_entries=store.due.stats["entries_read"],
    )


def tick_after(clock: MovableClock, service: ConsoleService, minutes: float) -> list[str]:
    clock.advance(minutes)
    return service.timers.tick()


def costs(tmp_path: Path, triager: Triager, size: int) -> dict[str, Counter[str]]:
    folder = tmp_path / str(size)
    clock = MovableClock(NOW - timedelta(days=2))
    filling = open_service(folder, triager, clock)
    filling.ingest(read_jsonl(corpus(size), "corpus.jsonl", clock()))
    filling.replies.approve_template("ack-move-to-dm")
    filling._store.close()

    clock.now = NOW
    out: dict[str, Counter[str]] = {}
    service = open_service(folder, triager, clock)
    out["open"] = reads(service)
    before = reads(service)
    page = service.inbox_page(InboxFilter(), limit=PAGE)  # the console's first page
    assert len(page.rows) == PAGE and page.total > size // 2
    out["first page"] = reads(service) - before
    for name, act in (
        ("claim", lambda: service.claims.claim("x:7")),
        ("acknowledge", lambda: service.crisis.acknowledge("x:10")),
        ("send", lambda: service.replies.send("x:3", "ack-move-to-dm", {})),
        ("backlog tick", service.timers.tick),  # two days of reminders come due at once
        ("tick", lambda: tick_after(clock, service, minutes=1)),
        ("round tick", lambda: tick_after(clock, service, minutes=ACK_MINUTES)),
    ):
        before = reads(service)
        act()
        out[name] = reads(service) - before
    service._store.close()
    return out


def test_no_operation_reads_more_of_a_larger_store(tmp_path: Path, triager: Triager) -> None:
    small, large = costs(tmp_path, triager, 400), costs(tmp_path, triager, 2_000)
    for operation in ("claim", "acknowledge", "send", "tick"):
        # At both sizes: at most one closed segment, a few small state files (the larger
        # store holds 400 alarms: reading them all would pass this bound), no reminders.
        for size in (small, large):
            cost = size[operation]
            assert cost["segments"] <= 1 and cost["index_rows"] == 0, (operation, cost)
            assert cost["state_records"] <= 4 * FILE_LIMIT, (operation, cost)
            assert cost["due_entries"] == 0 or operation == "tick", (operation, cost)
    # The backlog costs what was due, never what was stored: each reminder is read once,
    # and what handling one reads (its alarm or mention, in one small file) is bounded.
    for size in (small, large):
        backlog = size["backlog tick"]
        assert backlog["due_entries"] >= DUE_NOW and backlog["segments"] <= 1
        assert backlog["state_records"] <= 2 * 1_024 * backlog["due_entries"]
    # A tick a minute later handles nothing new: it reads only the current minute of
    # reminders (the alarms it just re-notified), no mention and no state beyond a few files.
    for size in (small, large):
        later = size["tick"]
        assert later["segments"] == 0 and later["state_records"] <= 4 * FILE_LIMIT, later
        assert later["due_entries"] <= size["backlog tick"]["due_entries"]
    # Every alarm is still open: the next reminder is one round for all of them, which
    # reads the open count and the oldest alarm's file, not each alarm.
    for size in (small, large):
        cost = size["round tick"]
        assert cost["segments"] == 0 and cost["state_records"] <= 2 * FILE_LIMIT, cost
        assert cost["due_entries"] <= 2, cost
    # Opening reads no closed segment, nor even its index: only the directory's short arrays.
    assert small["open"]["segments"] == large["open"]["segments"] == 0
    assert small["open"]["index_rows"] == large["open"]["index_rows"] == 0
    # The first page builds its rows alone: at most a segment's index for each row shown,
    # never the 2,000 rows of the larger store, and no record.
    for size in (small, large):
        assert size["first page"]["segments"] == 0
        assert size["first page"]["index_rows"] <= PAGE * LIVE_LIMIT, size["first page"]
