"""A scripted crisis with known answers, driven through the real service: six posts, a harm
alarm acknowledged, replies sent directly and through approval, a level raised, a holding
statement approved by PR (at a crisis level nothing goes out that pr or lead has not seen),
checklist steps (one late), and a reply the policy guard blocks.

All times are UTC on 2026-03-14. The report tests check figures computed by hand from this
script (see tests/test_report.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.replies.reply_model import PolicyBlocked
from tests.conftest import MovableClock, ServiceFactory, jsonl, record

DAY = datetime(2026, 3, 14, tzinfo=UTC)
START = DAY.replace(hour=9)
END = DAY.replace(hour=12)


def at(hour: int, minute: int) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def post(native_id: str, text: str, when: datetime, **fields: object) -> dict[str, object]:
    return record(native_id, text, created_at=when.isoformat(), **fields)


def play(make_service: ServiceFactory) -> MovableClock:
    """Run the script; return the clock, left at 12:00."""
    clock = MovableClock(at(9, 20))
    lee = make_service(name="lee", clock=clock)  # lead
    sam = make_service(Role.SOCIAL, name="sam", clock=clock)
    sue = make_service(Role.SUPPORT, name="sue", clock=clock)
    pat = make_service(Role.PR, name="pat", clock=clock)
    first = [
        post("1", "My delivery is three days late and I'm still waiting", at(9, 0), author="dan"),
        post("2", "Love the new range, thank you!", at(9, 5), platform="instagram"),
        post("3", "The blender blade snapped off and I'm injured", at(9, 10), platform="reddit"),
        post(
            "4", "Where is my refund? I have been waiting two weeks", at(9, 20), platform="facebook"
        ),
    ]
    lee.ingest(read_jsonl(jsonl(*first), "feed", clock()))  # the harm alarm is raised at 09:20
    for template_id in lee.replies.templates:
        lee.replies.approve_template(template_id)
    clock.now = at(9, 30)
    lee.crisis.acknowledge("reddit:3")  # 10 minutes after it was raised
    clock.now = at(9, 35)
    sam.claims.claim("x:1")
    sam.replies.send("x:1", "delivery-delay", {"new_date": "Thursday"})  # 35 min after posting
    clock.now = at(9, 40)
    sue.claims.claim("facebook:4")
    draft = sue.replies.submit("facebook:4", "refund-in-progress", {"days": "3 to 5"})
    clock.now = at(9, 52)
    lee.replies.approve(draft.id)  # 12 minutes' turnaround; sent at 09:52, 32 min after posting
    clock.now = at(10, 0)
    pat.crisis.set_level(2, "blade videos trending")
    clock.now = at(10, 8)
    sam.claims.claim("reddit:3")  # at a crisis level nothing goes out unseen by pr or lead
    held = sam.replies.submit(
        "reddit:3", "holding-statement", {"issue": "reports of broken blades"}
    )
    clock.now = at(10, 15)
    burst = [
        post("5", "My blender blade broke too, this is dangerous and disgusting", at(10, 5)),
        post("6", "Terrible. The blade cracked on day one. Awful product", at(10, 10)),
    ]
    lee.ingest(read_jsonl(jsonl(*burst), "feed", clock()))
    clock.now = at(10, 20)
    pat.replies.approve(held.id)  # 12 minutes' turnaround, as the first
    sam.replies.send_approved(held.id)  # sent at 10:20
    clock.now = at(10, 25)
    sam.crisis.tick_step("pause-scheduled")  # due 10:30: on time
    clock.now = at(10, 30)
    sam.claims.claim("x:5")
    with pytest.raises(PolicyBlocked):
        sam.replies.submit("x:5", "holding-statement", {"issue": "call 07700 900123"})
    clock.now = at(11, 10)
    pat.crisis.tick_step("holding-statement")  # due 11:00: ten minutes late
    clock.now = END
    return clock
