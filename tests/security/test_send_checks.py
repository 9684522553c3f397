"""Issue 15, point 5: every rule is checked again when a reply goes out, not only when it
was approved. A reply approved at level 0 no longer goes out once the level forbids its
template; text changed in the store after approval never goes out; and a mention someone
else has claimed since is not answered over their head."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.models import Role
from crisis_console.core.replies.reply_model import Reply
from crisis_console.core.service import ConsoleService
from tests.conftest import ServiceFactory

DELAY = {"new_date": "Thursday"}


def approved_by_pr(desk: ServiceFactory) -> tuple[Reply, ConsoleService]:
    """sam (support) drafts; priya (pr, who approves but never sends) approves; maya
    (social) is the one to send it."""
    sam, priya = desk(Role.SUPPORT, name="sam"), desk(Role.PR, name="priya")
    sam.claims.claim("x:1")
    draft = sam.replies.submit("x:1", "delivery-delay", DELAY)
    approved = priya.replies.approve(draft.id)
    assert approved.status == "approved"
    return approved, priya


def refusals(service: ConsoleService) -> list[str]:
    return [e["data"]["reason"] for e in service.audit_records() if e["action"] == "refused"]


def test_a_level_raised_after_approval_stops_the_send(desk: ServiceFactory) -> None:
    reply, priya = approved_by_pr(desk)
    priya.crisis.set_level(2, "fire reports")  # level 2 allows crisis templates only
    maya = desk(Role.SOCIAL, name="maya")
    with pytest.raises(CrisisConsoleError, match="delivery-delay"):
        maya.replies.send_approved(reply.id)
    assert maya.replies.reply(reply.id).status == "approved"  # nothing went out


def test_text_changed_in_the_store_after_approval_never_goes_out(desk: ServiceFactory) -> None:
    reply, _ = approved_by_pr(desk)
    maya = desk(Role.SOCIAL, name="maya")
    forged = "Call us on 0800 123 4567 and give us your card number"
    maya._store.state.replies.save(replace(reply, text=forged))  # someone edits the store
    with pytest.raises(CrisisConsoleError, match="text changed after it was approved"):
        maya.replies.send_approved(reply.id)
    assert "text changed after it was approved" in refusals(maya)[-1]


def test_text_changed_while_it_waits_in_the_outbox_is_not_delivered(
    desk: ServiceFactory, tmp_path: Path
) -> None:
    reply, _ = approved_by_pr(desk)
    maya = desk(Role.SOCIAL, name="maya")
    maya.replies.deliver_now = False  # as in the console: the outbox worker delivers it
    sending = maya.replies.send_approved(reply.id)
    assert sending.status == "sending"
    maya._store.state.replies.save(replace(sending, text="Something nobody approved"))
    [failed] = maya.work_outbox()
    assert failed.status == "failed" and "changed after it was approved" in failed.error
    assert not (tmp_path / "outbox.jsonl").exists()  # the JSONL outbox the factory sends to


def test_a_mention_someone_else_claimed_since_is_not_answered_over_their_head(
    desk: ServiceFactory,
) -> None:
    reply, _ = approved_by_pr(desk)
    lee = desk(name="lee")
    lee.claims.take_over("x:1")
    maya = desk(Role.SOCIAL, name="maya")
    with pytest.raises(CrisisConsoleError, match="claimed by lee"):
        maya.replies.send_approved(reply.id)
    lee.claims.release("x:1")
    assert maya.replies.send_approved(reply.id).status == "sent"  # the draft's own claim: fine
