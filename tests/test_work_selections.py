"""Working mentions without replying, continued (issue 18, points 2 to 5): who may, the
audit records of a selection, races, reports, and claims and alarms a selection at once, on
each backend (the desks and the posts of `test_work_contract`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from crisis_console.core.roster import PermissionDenied
from crisis_console.core.store.inbox import InboxFilter
from tests.conftest import NOW, race
from tests.work_desks import ALL, POSTS, TEAM, Appends, Desks  # noqa: F401


def test_who_may_is_the_permission_table_and_each_refusal_is_audited(desks: Desks) -> None:
    sam, ada, maya, lee = (desks.as_(n) for n in ("sam", "ada", "maya", "lee"))
    # Support closes junk, not a post for legal; nor assigns.
    assert sam.work.close(["x:1"], "duplicate").done == ["x:1"]
    with pytest.raises(PermissionDenied, match="may not close: it needs lead, social"):
        sam.work.close(["x:2", "x:6"], "legal")
    assert {e["subject"] for e in desks.audit.events() if e["action"] == "refused"} == {
        "x:2",
        "x:6",
    }
    with pytest.raises(PermissionDenied, match="may not assign"):
        sam.work.assign(["x:2"], "maya")
    # An auditor changes nothing.
    with pytest.raises(PermissionDenied):
        ada.work.tag(["x:3"], "media")
    with pytest.raises(PermissionDenied):
        ada.work.note("x:3", "hello")
    assert (
        not ada.work.detail("x:3").tags
        and not desks.page(InboxFilter(tags=frozenset({"media"})))["rows"]
    )
    # A post that raised a harm alarm is a lead's to close, key by key.
    refused = maya.work.close(["x:5", "x:4"], "no_reply_needed")
    assert refused.done == ["x:4"] and "risk-of-harm" in refused.refused["x:5"]
    assert lee.work.close(["x:5"], "handled_elsewhere").done == ["x:5"]


def test_an_answered_mention_is_not_closed(desks: Desks) -> None:
    desks.store.state.replies.take_answer("x:3", "reply-1")
    outcome = desks.as_("maya").work.close(["x:3", "x:4"], "no_reply_needed")
    assert outcome.done == ["x:4"] and "answered" in outcome.refused["x:3"]
    assert set(desks.page(InboxFilter(status="answered"))["rows"]) == {"x:3"}


def test_a_selection_is_one_append_of_audit_records_and_one_refusal_a_key(desks: Desks) -> None:
    maya = desks.as_("maya")
    before, appends = desks.audit.last_seq, desks.audit.appends
    outcome = maya.work.close(["x:1", "x:2", "x:3", "x:404"], "spam")
    assert len(outcome.done) == 3 and list(outcome.refused) == ["x:404"]
    assert desks.audit.appends == appends + 1
    new = [e for e in desks.audit.events() if e["seq"] > before]
    assert [(e["action"], e["subject"]) for e in new] == [
        *(("mention.closed", k) for k in ("x:1", "x:2", "x:3")),
        ("refused", "x:404"),
    ]
    # Refused by role: every key audited (the first as every refusal is, the rest at once).
    appends = desks.audit.appends
    with pytest.raises(PermissionDenied):
        desks.as_("sam").work.assign(["x:4", "x:5", "x:6"], "maya")
    assert desks.audit.appends == appends + 2
    assert [e["subject"] for e in desks.audit.events() if e["action"] == "refused"][-3:] == [
        "x:4",
        "x:5",
        "x:6",
    ]


def test_of_racing_closes_of_one_selection_each_key_is_closed_once(desks: Desks) -> None:
    services = [desks.process().as_(name) for name in ("maya", "lee", "maya", "lee")]
    turn = iter(services)
    outcomes: list[Any] = race(lambda: next(turn).work.close(["x:1", "x:2", "x:3"], "spam"), 4)
    for key in ("x:1", "x:2", "x:3"):
        winners = [o for o in outcomes if key in o.done]
        assert len(winners) == 1, outcomes
        assert all("closed already" in o.refused[key] for o in outcomes if o is not winners[0])
        assert len(desks.records("mention.closed", key)) == 1
    assert desks.page(InboxFilter(status="closed"))["total"] == 3


def test_reports_count_the_closed_apart_by_reason_and_the_tags(desks: Desks) -> None:
    lee = desks.as_("lee")
    lee.work.close(["x:1"], "spam")
    lee.work.close(["x:2", "x:6"], "handled_elsewhere")
    lee.work.tag(["x:3", "x:4"], "media")
    lee.work.tag(["x:3"], "praise")
    desks.clock.advance(300)  # past the parcel posts' deadlines (240 min) and the harm's (15)
    report = lee.report(NOW - timedelta(hours=1), desks.clock())
    assert report.closed == [("handled_elsewhere", 2), ("spam", 1)]
    assert report.tags == [("media", 2), ("praise", 1)]
    # Out of first response: three left (the praise, not due; the harm post, breached).
    assert (report.response_all.count, report.response_all.breaches) == (3, 1)
    assert report.total == 6  # the volume still counts every post


def test_a_selection_is_claimed_key_by_key_and_another_s_claim_refuses_one(
    desks: Desks,
) -> None:
    maya, sam = desks.as_("maya"), desks.as_("sam")
    assert sam.work.claim(["x:2"]).done == ["x:2"]
    outcome = maya.work.claim(["x:1", "x:2", "x:6", "x:404"])
    assert outcome.done == ["x:1", "x:6"]
    assert "claimed by sam" in outcome.refused["x:2"]
    assert outcome.refused["x:404"] == "no such mention"
    holders = maya.claim_holders()
    assert (holders["x:1"], holders["x:2"], holders["x:6"]) == ("maya", "sam", "maya")
    refusals = [e["subject"] for e in desks.audit.events() if e["action"] == "refused"]
    assert refusals == ["x:2", "x:404"]
    # Claimed by me and assigned to me, both in "my queue" (pr's own queue is empty).
    maya.work.assign(["x:3"], "priya")
    priya = desks.as_("priya")
    assert priya.work.claim(["x:4"]).done == ["x:4"]
    mine = InboxFilter(queues=priya.my_queues(), claimed_by="priya")
    shown = desks.page(mine)
    assert set(shown["rows"]) == {"x:3", "x:4"} and shown["total"] == 2


def test_alarms_of_a_selection_are_acknowledged_in_one_append(desks: Desks) -> None:
    maya, sam = desks.as_("maya"), desks.as_("sam")
    with pytest.raises(PermissionDenied, match="acknowledge alarm"):
        sam.work.acknowledge(["x:5"])
    appends = desks.audit.appends
    outcome = maya.work.acknowledge(["x:5", "x:1"])
    assert outcome.done == ["x:5"] and outcome.refused == {"x:1": "no harm alarm"}
    assert desks.audit.appends == appends + 1
    alarm = desks.store.state.alarms.get("x:5")
    assert alarm is not None and not alarm.open and alarm.acknowledged_by == "maya"
    assert desks.store.state.alarms.open_count() == 0
    assert maya.work.acknowledge(["x:5"]).unchanged == ["x:5"]
    [acked] = desks.records("alarm.acknowledged", "x:5")
    assert acked["actor"] == "maya"
