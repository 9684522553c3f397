"""A batch costs its mentions, never the history: the records read from the batch tables and
the replies to make, list, approve (and send) and settle a batch of five, in a folder that
holds forty batches sent before. The state's files are kept small (`FILE_LIMIT` records), so
a read of one key reads at most that many; each table's history is larger than its bound,
so a read of the whole table would fail it. Counts, not seconds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.replies.batch_model import BATCHES, OF_REPLY, OPEN
from crisis_console.core.replies.reply_model import REPLIES
from crisis_console.core.replies.senders import JsonlOutbox
from crisis_console.core.replies.templates import load_templates
from crisis_console.core.roster import Operator
from crisis_console.core.service import ConsoleService, ReplySetup
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.store.tables import Tables
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, ROOT, MovableClock, jsonl, record

FILE_LIMIT = 8
HISTORY, BATCH = 40, 5  # batches of two sent before; the batch measured
# The files each operation may read in each table, for its one batch of BATCH mentions.
FILES = {BATCHES: 3, OPEN: 1, OF_REPLY: BATCH, REPLIES: BATCH}
ISSUE = {"issue": "reports of problems with some orders"}


def services(store: TinyDBStore, folder: Path, triager: Triager) -> dict[str, ConsoleService]:
    templates, _ = load_templates(ROOT / "templates")
    return {
        name: ConsoleService(
            store,
            AuditLog(folder / AUDIT_FILE),
            triager,
            MovableClock(NOW),
            Operator(name, frozenset({role})),
            Notifier(ConsoleSink()),
            ReplySetup(dict(templates), JsonlOutbox(folder / "outbox.jsonl"), "Brightwell"),
        )
        for name, role in (("lee", Role.LEAD), ("maya", Role.SOCIAL))
    }


def reads(store: TinyDBStore) -> Counter[str]:
    tables = store.state.tables
    assert isinstance(tables, Tables)
    return Counter({name: tables.bucket(name).stats["records_read"] for name in FILES})


def test_a_batch_reads_its_own_records_never_the_history(tmp_path: Path, triager: Triager) -> None:
    folder = tmp_path / "data"
    count = 2 * HISTORY + BATCH
    posts = [record(str(i), f"Where is my order {i}?", author=f"u{i}") for i in range(count)]
    store = TinyDBStore(folder, state_limit=FILE_LIMIT)
    desk = services(store, folder, triager)
    desk["lee"].ingest(read_jsonl(jsonl(*posts), "posts.jsonl", NOW))
    desk["lee"].replies.approve_template("holding-statement")
    for i in range(HISTORY):
        pair = [f"x:{2 * i}", f"x:{2 * i + 1}"]
        made = desk["maya"].batches.answer(pair, "holding-statement", ISSUE)
        desk["lee"].batches.approve(made.batch)
    store.close()

    keys = [f"x:{i}" for i in range(2 * HISTORY, count)]

    def fresh(previous: TinyDBStore) -> tuple[TinyDBStore, dict[str, ConsoleService]]:
        """The store opened afresh, so that nothing read before is in memory."""
        previous.close()
        store = TinyDBStore(folder, state_limit=FILE_LIMIT)
        return store, services(store, folder, triager)

    cost: dict[str, Counter[str]] = {}
    store, desk = fresh(store)
    made = desk["maya"].batches.answer(keys, "holding-statement", ISSUE)
    cost["answer"] = reads(store)
    store, desk = fresh(store)
    [listed] = desk["lee"].batches.open()
    cost["open"] = reads(store)
    store, desk = fresh(store)
    assert desk["lee"].batches.queue() == ([], [listed])
    cost["queue"] = reads(store)
    store, desk = fresh(store)
    desk["lee"].batches.approve(made.batch)
    cost["approve and send"] = reads(store)
    store, desk = fresh(store)
    desk["lee"].batches.settle(r.id for r in made.replies.values())  # settled already
    cost["settle"] = reads(store)

    assert desk["lee"].batches.get(made.batch).state == "sent"  # the work was done
    for name, counts in cost.items():
        for table, files in FILES.items():
            assert counts[table] <= files * FILE_LIMIT, (name, table, counts)
    assert cost["open"][BATCHES] > 0 and cost["approve and send"][REPLIES] > 0  # counts see
    # Each table holds more than its bound: a read of all of it would have failed above.
    sizes = {name: len(list(store.state.tables.table(name))) for name in FILES}
    assert sizes[BATCHES] > FILES[BATCHES] * FILE_LIMIT
    assert sizes[OF_REPLY] > FILES[OF_REPLY] * FILE_LIMIT
    assert sizes[REPLIES] > FILES[REPLIES] * FILE_LIMIT
    assert sizes[OPEN] == 0  # a sent batch leaves the open index: the queue never reads it
    store.close()
