"""Working mentions without replying (issue 18, points 2 to 5), run unchanged on each
backend: assignment to a colleague or a queue, notes, tags, closing and reopening, on one
mention or a selection, through the real service over a folder and over PostgreSQL.

What each test names is read back the way the console reads it: the inbox's pages, filters
and counts, the detail's one read, the timers' tick and the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.archive.audit_read import concerns
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.replies.senders import JsonlOutbox
from crisis_console.core.roster import Operator, PermissionDenied, RosterFile, write_roster
from crisis_console.core.service import ConsoleService, ReplySetup
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from crisis_console.core.work.model import NOTE_CHARS, WorkError
from tests.conftest import NOW, MovableClock, jsonl, race, record

TEAM = {
    "lee": [Role.LEAD],
    "maya": [Role.SOCIAL],
    "sam": [Role.SUPPORT],
    "priya": [Role.PR],
    "ada": [Role.AUDITOR],
}
POSTS = {  # key -> (text, the queue the shipped playbook routes it to)
    "x:1": ("My parcel is late again, where is it? order 1", "support"),
    "x:2": ("Still waiting for my refund, ticket 2", "support"),
    "x:3": ("Love the new range, thank you! 3", "social"),
    "x:4": ("Love the new range, thank you! 4", "social"),
    "x:5": ("The charger caught fire and burned my hand (5)", "lead"),
    "x:6": ("How do I reset my kettle? 6", "support"),
}
ALL = InboxFilter(status="all")


class Appends:
    """The real audit chain, counting its appends: what "one append" means."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.appends = inner, 0

    def append(self, events: Any) -> int:
        self.appends += 1
        return int(self.inner.append(events))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class Desks:
    store: Any
    audit: Any
    roster: Any
    triager: Triager
    clock: MovableClock
    folder: Path
    opened: list[Any] = field(default_factory=list)  # other processes' stores (PostgreSQL)
    dsn: str = ""

    def process(self) -> Desks:
        """Another process on the same store: its own connections in team mode; in a
        folder, the one writer's store (another thread of the same process)."""
        if not self.dsn:
            return self
        from tests.pg_fixture import migrated_team

        team = migrated_team(self.dsn, pool_size=2)
        self.opened.append(team.store)
        return Desks(team.store, team.audit, team.roster, self.triager, self.clock, self.folder)

    def as_(self, name: str) -> ConsoleService:
        operator = Operator(name, frozenset(TEAM[name]))
        return ConsoleService(
            self.store,
            self.audit,
            self.triager,
            self.clock,
            operator,
            Notifier(ConsoleSink()),
            ReplySetup({}, JsonlOutbox(self.folder / "out.jsonl")),
            roster=self.roster,
        )

    def page(self, where: InboxFilter = ALL, level: int = 0) -> dict[str, Any]:
        """The inbox as the store pages it: key -> row, and the open count per queue."""
        page = self.store.inbox.page(where, 0, 100, level, self.clock())
        return {"rows": {r.key: r for r in page.rows}, "total": page.total,
                "counts": page.queue_counts}  # fmt: skip

    def records(self, action: str, key: str) -> list[dict[str, Any]]:
        return [e for e in self.audit.events() if e["action"] == action and concerns(e, key)]


@pytest.fixture(params=["tinydb", "postgres"])
def desks(request: pytest.FixtureRequest, tmp_path: Path, triager: Triager) -> Iterator[Desks]:
    clock = MovableClock(NOW)
    if request.param == "tinydb":
        folder = tmp_path / "data"
        store = TinyDBStore(folder)
        write_roster(folder / "team.yaml", TEAM)
        made = Desks(store, Appends(AuditLog(folder / AUDIT_FILE)),
                     RosterFile(folder / "team.yaml"), triager, clock, tmp_path)  # fmt: skip
    else:
        from tests.pg_fixture import migrated_team

        dsn = request.getfixturevalue("pg_dsn")
        team = migrated_team(dsn, pool_size=4)
        for name, roles in TEAM.items():
            team.roster.change(name, roles)
        made = Desks(team.store, Appends(team.audit), team.roster, triager, clock, tmp_path)
        made.dsn = dsn
    posts = [record(k[2:], text, created_at=NOW.isoformat()) for k, (text, _) in POSTS.items()]
    made.as_("lee").ingest(read_jsonl(jsonl(*posts), "posts.jsonl", NOW))
    try:
        yield made
    finally:
        for store in [made.store, *made.opened]:
            store.close()


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
