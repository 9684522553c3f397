"""Team mode: the second opinion's raise and a lead's correction of the same post, from two
processes' connections at once. Each reads and writes under the database's lock for
conditional writes, so the later one sees the earlier: the lead's "no harm", made while the
machine was raising, is the post's last word, never written over."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Category, Role, Urgency
from crisis_console.core.roster import Operator
from crisis_console.core.service import ConsoleService
from crisis_console.core.triage.corrections import Correction
from crisis_console.core.triage.embedding import missing
from crisis_console.core.triage.routing import Triager
from crisis_console.core.triage.semantic import SemanticJudge
from tests.conftest import NOW, fixed_clock, jsonl, record
from tests.pg_fixture import migrated_team

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))

GOODBYE = record("1", "wrote letters to my family tonight. it will all be over soon", author="ro")


def test_a_lead_s_correction_during_a_raise_is_not_written_over(
    pg_dsn: str, triager: Triager
) -> None:
    machine_db, lead_db = migrated_team(pg_dsn), migrated_team(pg_dsn)  # two processes' pools
    judge = SemanticJudge()
    try:
        machine = ConsoleService(
            machine_db.store, machine_db.audit, triager, fixed_clock,
            Operator("maya", frozenset({Role.SUPPORT})), Notifier(ConsoleSink()),
            changing_playbook=True, second_opinion=lambda: judge,
        )  # fmt: skip
        machine.playbooks.adopt()
        lead = ConsoleService(
            lead_db.store, lead_db.audit, triager, fixed_clock,
            Operator("lee", frozenset({Role.LEAD})), Notifier(ConsoleSink()),
        )  # fmt: skip
        machine.ingest(read_jsonl(jsonl(GOODBYE), "feed", NOW))
        corrected: list[Any] = []

        def lead_says_no_harm() -> None:
            no_harm = Correction(urgency=Urgency.LOW, category=Category.COMPLAINT, note="lyrics")
            corrected.append(lead.corrections.reclassify("x:1", no_harm))

        # The lead corrects the post the moment the machine has read it to raise it, and
        # the machine takes its time before writing.
        real_get, lead_thread = machine_db.store.get, threading.Thread(target=lead_says_no_harm)

        def read_then_lead_acts(key: str) -> Any:
            found = real_get(key)
            if not lead_thread.is_alive() and not corrected:
                lead_thread.start()
                time.sleep(0.5)
            return found

        machine_db.store.get = read_then_lead_acts
        machine.second_opinion.work()
        lead_thread.join(30)

        stored = lead.mention("x:1")
        assert stored is not None and corrected
        c = stored.triage.classification
        assert (c.escalate, c.urgency, c.category) == (False, Urgency.LOW, Category.COMPLAINT)
        order = [r["action"] for r in lead.audit_records() if r["subject"] == "x:1"]
        # The machine's raise came first (it held the lock), then the lead's correction.
        assert order.index("mention.second_opinion") < order.index("mention.reclassified")
        assert lead.verify_audit().ok
    finally:
        machine_db.store.close()
        lead_db.store.close()
