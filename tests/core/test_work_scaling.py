"""Working a selection costs its keys, never the store: the store's reads for closing,
tagging, moving and reopening twenty mentions, a note and a detail, counted in a folder of
400 and one of 2,000 mentions (the same twenty keys in each). Counts, not seconds."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.replies.senders import JsonlOutbox
from crisis_console.core.roster import Operator
from crisis_console.core.service import ConsoleService, ReplySetup
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from crisis_console.core.work.model import Outcome
from tests.conftest import NOW, MovableClock
from tests.core.test_scaling import FILE_LIMIT, LIVE_LIMIT, corpus, open_service, reads

KEYS = [f"x:{i}" for i in range(101, 141, 2)]  # twenty; x:105, x:115... raised harm alarms
CLOSE_TABLES = 3  # what closing reads for its keys: their work, answers and alarms


def as_social(folder: Path, triager: Triager, clock: MovableClock) -> ConsoleService:
    """maya of the social team, on the store `open_service` filled: her closing reads the
    keys' alarms (a lead's need not)."""
    return ConsoleService(
        TinyDBStore(folder, live_limit=LIVE_LIMIT, state_limit=FILE_LIMIT),
        AuditLog(folder / AUDIT_FILE),
        triager,
        clock,
        Operator("maya", frozenset({Role.SOCIAL})),
        Notifier(ConsoleSink()),
        ReplySetup({}, JsonlOutbox(folder / "outbox.jsonl")),
    )


def costs(tmp_path: Path, triager: Triager, size: int) -> dict[str, Counter[str]]:
    folder = tmp_path / str(size)
    clock = MovableClock(NOW - timedelta(days=2))
    filling = open_service(folder, triager, clock)
    # Batches of half a segment: every closed segment holds `LIVE_LIMIT` mentions, in
    # either store, so the files beside the keys' segment are alike in both.
    filling.ingest(read_jsonl(corpus(size), "corpus.jsonl", clock()), LIVE_LIMIT // 2)
    filling._store.close()
    clock.now = NOW
    service = as_social(folder, triager, clock)
    service.inbox_page(InboxFilter(), limit=5)  # the console is open on its first page
    out: dict[str, Counter[str]] = {}
    for name, act in (
        ("close", lambda: refused(service.work.close(KEYS, "spam"), 4)),
        ("closed page", lambda: service.inbox_page(InboxFilter(status="closed"), limit=5)),
        ("tag", lambda: service.work.tag(KEYS, "refund-request")),
        ("move", lambda: service.work.assign(KEYS[:10], "legal")),
        ("reopen", lambda: service.work.reopen(KEYS)),
        ("note", lambda: service.work.note(KEYS[0], "called back")),
        ("detail", lambda: service.work.detail(KEYS[0])),
    ):
        before = reads(service)
        act()
        out[name] = reads(service) - before
    page = service.inbox_page(
        InboxFilter(status="all", tags=frozenset({"refund-request"})), limit=50
    )
    assert page.total == len(KEYS)
    page = service.inbox_page(InboxFilter(status="closed"), limit=50)
    assert page.total == 0  # reopened, all of them
    service._store.close()
    return out


def refused(outcome: Outcome, harm: int) -> None:
    assert len(outcome.refused) == harm and len(outcome.done) == len(KEYS) - harm, outcome


def test_working_a_selection_reads_its_keys_not_the_store(tmp_path: Path, triager: Triager) -> None:
    small, large = costs(tmp_path, triager, 400), costs(tmp_path, triager, 2_000)
    for name, cost in small.items():
        # No mention record: the keys are found in the store's columns. No segment index
        # either, but for the page's rows (those of one segment here).
        rows = LIVE_LIMIT if name == "closed page" else 0
        for size in (small, large):
            assert size[name]["segments"] == 0 and size[name]["index_rows"] <= rows, (name, size)
        # A few small files a table, each read once for all the keys: at most a segment's
        # records (a mention's alarms and answers sit beside it) or a bucket's, a file.
        bound = CLOSE_TABLES * len(KEYS) * max(LIVE_LIMIT, FILE_LIMIT)
        assert cost["state_records"] <= bound, (name, cost)
        # Five times the mentions, the same reads.
        assert large[name]["state_records"] <= cost["state_records"], (name, cost, large[name])
    assert small["detail"]["state_records"] <= 2 * FILE_LIMIT
    assert small["close"]["state_records"] > 0  # (the counts see the reads: alarms were read)
