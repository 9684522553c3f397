"""Working mentions without replying (issue 18, points 2 to 5), run unchanged on each
backend: assignment to a colleague or a queue, notes, tags, closing and reopening, on one
mention or a selection, through the real service over a folder and over PostgreSQL.

What each test names is read back the way the console reads it: the inbox's pages, filters
and counts, the detail's one read, the timers' tick and the audit log."""

from __future__ import annotations

import pytest

from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.work.model import NOTE_CHARS, WorkError
from tests.conftest import NOW
from tests.work_desks import POSTS, Desks


def test_the_posts_are_routed_as_the_tests_assume(desks: Desks) -> None:
    rows = desks.page()["rows"]
    assert {k: r.queue for k, r in rows.items()} == {k: q for k, (_, q) in POSTS.items()}


def test_a_selection_assigned_to_a_colleague_is_in_their_queue_and_the_who_column(
    desks: Desks,
) -> None:
    maya, priya = desks.as_("maya"), desks.as_("priya")
    mine = InboxFilter(queues=priya.my_queues(), claimed_by="priya")
    assert not desks.page(mine)["rows"]  # pr's queue is empty: nothing negative at level 0
    outcome = maya.work.assign(["x:1", "x:3", "x:nope", "x:1"], "priya")
    assert outcome.done == ["x:1", "x:3"] and outcome.refused == {"x:nope": "no such mention"}
    shown = desks.page(mine)
    assert set(shown["rows"]) == {"x:1", "x:3"} and shown["total"] == 2
    rows = desks.page()["rows"]
    assert rows["x:1"].assignee == rows["x:3"].assignee == "priya" and rows["x:2"].assignee == ""
    assert rows["x:1"].queue == "support"  # given to a person, it stays in its queue
    assert set(desks.page(InboxFilter(status="all", assignee="priya"))["rows"]) == {"x:1", "x:3"}
    # Each key audited on its own; the refusal too.
    [done] = desks.records("mention.assigned", "x:1")
    assert done["actor"] == "maya" and done["data"]["person"] == "priya"
    [refused] = desks.records("refused", "x:nope")
    assert refused["data"]["reason"] == "no such mention"
    # Priya is told: a notice, until she has seen it; maya is told nothing of her own doing.
    [notice] = priya.work.notices()
    assert notice.by == "maya" and notice.keys == ("x:1", "x:3") and notice.count == 2
    assert maya.work.notices() == []
    priya.work.seen_notices(notice.number)
    assert priya.work.notices() == [] and len(priya.work.notices(unseen=False)) == 1
    # Again to the same colleague: nothing changes, nobody is told again.
    again = maya.work.assign(["x:1"], "priya")
    assert again.unchanged == ["x:1"] and priya.work.notices() == []
    # Taken back: out of her queue, nobody's.
    assert maya.work.unassign(["x:1", "x:2"]).done == ["x:1"]
    assert set(desks.page(mine)["rows"]) == {"x:3"}
    assert desks.page()["rows"]["x:1"].assignee == ""


def test_a_mention_moved_to_a_queue_is_in_it_at_every_level_and_in_its_counts(
    desks: Desks,
) -> None:
    maya = desks.as_("maya")
    before = desks.page(InboxFilter())["counts"]
    assert before == {"support": 3, "social": 2, "lead": 1}
    assert maya.work.assign(["x:3", "x:6"], "legal").done == ["x:3", "x:6"]
    after = desks.page(InboxFilter())
    assert after["counts"] == {"support": 2, "social": 1, "lead": 1, "legal": 2}
    assert after["rows"]["x:3"].queue == after["rows"]["x:6"].queue == "legal"
    # At a crisis level, where x:1 and x:2 route to pr, the moved ones stay in legal.
    crisis = desks.page(InboxFilter(), level=2)
    assert crisis["counts"] == {"pr": 2, "social": 1, "lead": 1, "legal": 2}
    assert crisis["rows"]["x:6"].queue == "legal" and crisis["rows"]["x:1"].queue == "pr"
    # Legal's "my queue" holds them; a total counted from the kept counts agrees.
    legal = desks.page(InboxFilter(queues=frozenset({"legal"}), claimed_by="lena"))
    assert set(legal["rows"]) == {"x:3", "x:6"} and legal["total"] == 2
    # Given to a person afterwards, it stays in legal; unassigned, it is back where routed.
    assert maya.work.assign(["x:3"], "priya").done == ["x:3"]
    row = desks.page()["rows"]["x:3"]
    assert (row.queue, row.assignee) == ("legal", "priya")
    maya.work.unassign(["x:3", "x:6"])
    assert desks.page(InboxFilter())["counts"] == before
    with pytest.raises(WorkError, match="neither on the team"):
        maya.work.assign(["x:1"], "nobody")
    with pytest.raises(WorkError, match="auditor"):
        maya.work.assign(["x:1"], "ada")
    with pytest.raises(WorkError, match="no queue"):
        maya.work.assign(["x:1"], "queue:auditor")


def test_a_closed_mention_leaves_the_open_inbox_and_its_counts_until_reopened(
    desks: Desks,
) -> None:
    maya, sam = desks.as_("maya"), desks.as_("sam")
    outcome = sam.work.close(["x:1", "x:2"], "spam", "a bot, twice")
    assert outcome.done == ["x:1", "x:2"]
    opened = desks.page(InboxFilter())
    assert "x:1" not in opened["rows"] and opened["total"] == 4
    assert opened["counts"] == {"support": 1, "social": 2, "lead": 1}
    closed = desks.page(InboxFilter(status="closed"))
    assert set(closed["rows"]) == {"x:1", "x:2"} and closed["total"] == 2
    assert desks.page()["total"] == 6  # "all" still has them
    mine = desks.page(InboxFilter(queues=frozenset({"support"}), claimed_by="sam"))
    assert set(mine["rows"]) == {"x:6"} and mine["total"] == 1
    detail = maya.work.detail("x:1")
    assert detail.closure is not None and detail.closure.reason == "spam"
    assert (detail.closure.by, detail.closure.comment) == ("sam", "a bot, twice")
    again = maya.work.close(["x:1", "x:3"], "no_reply_needed")
    assert again.done == ["x:3"] and again.refused == {"x:1": "closed already (spam, by sam)"}
    assert desks.records("refused", "x:1")[-1]["data"]["action"] == "close"
    # Reopened: back in the open inbox and its queue's count.
    back = sam.work.reopen(["x:1", "x:4"])
    assert back.done == ["x:1"] and back.refused == {"x:4": "not closed"}
    assert set(desks.page(InboxFilter(status="closed"))["rows"]) == {"x:2", "x:3"}
    assert desks.page(InboxFilter())["counts"] == {"support": 2, "social": 1, "lead": 1}
    assert maya.work.detail("x:1").closure is None
    [reopened] = desks.records("mention.reopened", "x:1")
    assert reopened["actor"] == "sam" and reopened["data"]["was"] == "spam"


def test_a_closed_mention_stops_its_sla_clock_and_a_reopened_one_starts_it_again(
    desks: Desks,
) -> None:
    """Parcel posts are due in 240 min. x:1 closed before its deadline is never breached;
    x:2, open, is; x:1 reopened after its deadline is breached at the next tick."""
    lee = desks.as_("lee")
    lee.work.close(["x:1"], "handled_elsewhere")
    desks.clock.advance(241)
    lee.timers.tick_all()
    assert desks.records("sla.breached", "x:2") and not desks.records("sla.breached", "x:1")
    assert "x:1" not in desks.store.overdue_among(["x:1", "x:2"], desks.clock())
    lee.work.reopen(["x:1"])
    desks.clock.advance(1)
    lee.timers.tick_all()
    [breach] = desks.records("sla.breached", "x:1")
    assert breach["data"]["queue"] == "support"


def test_a_mention_moved_to_a_queue_breaches_in_that_queue(desks: Desks) -> None:
    lee = desks.as_("lee")
    lee.work.assign(["x:6"], "pr")
    assert desks.store.overdue_among(["x:6"], desks.clock().replace(year=2027))["x:6"][0] == "pr"
    desks.clock.advance(241)
    lee.timers.tick_all()
    [breach] = desks.records("sla.breached", "x:6")
    assert breach["data"]["queue"] == "pr"


def test_tags_are_normalised_filter_the_inbox_and_come_off(desks: Desks) -> None:
    sam = desks.as_("sam")
    assert sam.work.tag(["x:1", "x:2"], "#Refund Request").done == ["x:1", "x:2"]
    assert sam.work.tag(["x:2", "x:6"], "refund-request").unchanged == ["x:2"]
    tagged = desks.page(InboxFilter(status="all", tags=frozenset({"refund-request"})))
    assert set(tagged["rows"]) == {"x:1", "x:2", "x:6"} and tagged["total"] == 3
    sam.work.tag(["x:1"], "media")
    assert sam.work.detail("x:1").tags == ("refund-request", "media")
    assert sam.work.untag(["x:1", "x:3"], "Refund Request").done == ["x:1"]
    assert set(desks.page(InboxFilter(tags=frozenset({"refund-request"})))["rows"]) == {
        "x:2",
        "x:6",
    }
    assert desks.page(InboxFilter(tags=frozenset({"media"})))["total"] == 1
    assert desks.page(InboxFilter(tags=frozenset({"nothing-so"})))["total"] == 0
    [tagged_record] = desks.records("mention.tagged", "x:6")
    assert tagged_record["data"]["tag"] == "refund-request"
    with pytest.raises(WorkError, match="letters, digits"):
        sam.work.tag(["x:1"], "[red]alert[/red]")


def test_notes_are_kept_with_their_author_and_time_audited_and_limited(desks: Desks) -> None:
    sam, maya = desks.as_("sam"), desks.as_("maya")
    sam.work.note("x:1", "Customer called the hotline too; ticket 881.")
    desks.clock.advance(3)
    maya.work.note("x:1", "[bold]{{ not a template }}[/bold] \x1b[31m")
    notes = maya.work.detail("x:1").notes
    assert [(n.by, n.at) for n in notes] == [("sam", NOW), ("maya", desks.clock())]
    assert notes[1].text == "[bold]{{ not a template }}[/bold] \x1b[31m"  # kept as written
    [first, _] = desks.records("mention.noted", "x:1")
    assert first["data"]["text"] == "Customer called the hotline too; ticket 881."
    with pytest.raises(WorkError, match="at most 4,000"):
        sam.work.note("x:1", "x" * (NOTE_CHARS + 1))
    with pytest.raises(WorkError, match="no mention"):
        sam.work.note("x:404", "hello")
    assert len(maya.work.detail("x:1").notes) == 2
    assert maya.work.detail("x:3").notes == ()
