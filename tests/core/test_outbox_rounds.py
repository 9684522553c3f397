"""A reply goes out once when outbox rounds overlap (issue 18's whole-shift walkthrough
found a batch of 108 replies sent twice: the console's one-second timer started a second
round while the first was still delivering)."""

from __future__ import annotations

import threading
import time
from collections import Counter

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.replies.senders import Outgoing
from tests.conftest import NOW, ServiceFactory, jsonl, race, record


class SlowSender:
    """Takes each reply, slowly (a real platform's round trip), and counts them."""

    name = "slow"

    def __init__(self) -> None:
        self.taken: Counter[str] = Counter()
        self._lock = threading.Lock()

    def deliver(self, reply: Outgoing) -> None:
        time.sleep(0.02)
        with self._lock:
            self.taken[reply.idempotency_key] += 1


def test_overlapping_rounds_send_each_reply_once(make_service: ServiceFactory) -> None:
    sender = SlowSender()
    lee = make_service(name="lee")
    lee.ingest(read_jsonl(jsonl(*(record(f"{i}", f"Where is order {i}?") for i in range(20))),
                          "feed", NOW))  # fmt: skip
    for template_id in lee.replies.templates:
        lee.replies.approve_template(template_id)
    maya = make_service(Role.SOCIAL, name="maya", sender=sender)
    maya.replies.deliver_now = False  # as the console sets it: the outbox worker sends
    result = maya.batches.answer([f"x:{i}" for i in range(20)], "investigating", {}, "send")
    assert len(result.replies) == 20
    race(maya.work_outbox, threads=4)
    maya.work_outbox()  # whatever a round that was turned away left
    assert len(sender.taken) == 20 and set(sender.taken.values()) == {1}
    assert {r.status for r in maya.replies.replies()} == {"sent"}
