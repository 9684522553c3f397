"""Bulk answers (issue 18, feature 5), run unchanged on each backend: a hundred mentions
answered with one holding statement, approved once by a second person, each reply filled
and guarded for its own mention, and the crisis checklist's step ticked once every reply of
the batch is sent. Through the real service, the shipped templates and playbook, over a
folder and over PostgreSQL; read back the way the console and the archive read it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.errors import Refused
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.replies.senders import JsonlOutbox
from crisis_console.core.replies.templates import ReplyTemplate, load_templates
from crisis_console.core.roster import Operator, PermissionDenied
from crisis_console.core.service import ConsoleService, ReplySetup
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, ROOT, MovableClock, jsonl, record

TEAM = {"lee": [Role.LEAD], "maya": [Role.SOCIAL], "sam": [Role.SUPPORT], "priya": [Role.PR]}
ISSUE = {"issue": "reports of problems with some orders"}
HOLDING = (  # templates/holding-statement.j2, filled with ISSUE and the brand
    "We're aware of reports of problems with some orders and we're looking into it as a "
    "priority. We'll share an update here as soon as we know more. Thank you for your "
    "patience. - Brightwell"
)


@dataclass
class Team:
    store: Any
    audit: Any
    triager: Triager
    clock: MovableClock
    folder: Path
    templates: dict[str, ReplyTemplate]

    def as_(self, name: str, deliver_now: bool = True) -> ConsoleService:
        """`name`'s session; `deliver_now=False`: a console's, whose outbox worker sends."""
        service = ConsoleService(
            self.store,
            self.audit,
            self.triager,
            self.clock,
            Operator(name, frozenset(TEAM[name])),
            Notifier(ConsoleSink()),
            ReplySetup(
                dict(self.templates), JsonlOutbox(self.folder / "outbox.jsonl"), "Brightwell"
            ),
        )
        service.replies.deliver_now = deliver_now
        return service

    def ingest(self, *posts: dict[str, Any]) -> None:
        self.as_("lee").ingest(read_jsonl(jsonl(*posts), "posts.jsonl", NOW))

    def records(self, action: str) -> list[dict[str, Any]]:
        return [e for e in self.audit.events() if e["action"] == action]

    def outbox(self) -> list[dict[str, Any]]:
        path = self.folder / "outbox.jsonl"
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return [json.loads(line) for line in lines]


@pytest.fixture(params=["tinydb", "postgres"])
def team(request: pytest.FixtureRequest, tmp_path: Path, triager: Triager) -> Iterator[Team]:
    templates, problems = load_templates(ROOT / "templates")
    assert not problems
    clock = MovableClock(NOW)
    if request.param == "tinydb":
        store = TinyDBStore(tmp_path / "data")
        made = Team(store, AuditLog(tmp_path / "data" / AUDIT_FILE), triager, clock, tmp_path,
                    templates)  # fmt: skip
    else:
        from tests.pg_fixture import migrated_team

        opened = migrated_team(request.getfixturevalue("pg_dsn"), pool_size=4)
        made = Team(opened.store, opened.audit, triager, clock, tmp_path, templates)
    try:
        yield made
    finally:
        made.store.close()


def post(key: str, name: str, platform: str = "x") -> dict[str, Any]:
    return record(key, f"My order {key} never arrived and nobody answers", platform=platform,
                  author=f"u{key}", author_name=name, created_at=NOW.isoformat())  # fmt: skip


def step(service: ConsoleService, step_id: str) -> Any:
    [found] = [s for s in service.crisis.state().steps if s.id == step_id]
    return found


def test_a_hundred_mentions_answered_with_one_approved_holding_statement(team: Team) -> None:
    answered = [f"x:{i}" for i in range(1, 99)]
    team.ingest(*(post(k[2:], f"Customer {k[2:]}") for k in answered),
                post("99", "Held"), post("100", "Short", platform="tiktok"))  # fmt: skip
    maya, priya, sam = team.as_("maya"), team.as_("priya"), team.as_("sam")
    priya.replies.approve_template("holding-statement")
    priya.crisis.set_level(2, "orders going missing")
    sam.claims.claim("x:99")  # sam is answering this one himself

    made = maya.batches.answer([*answered, "x:99", "tiktok:100"], "holding-statement", ISSUE)

    # Each mention its own draft, claimed by maya, all in one batch; the two refused alone.
    assert list(made.replies) == answered and made.batch
    assert {(r.mention, r.status, r.author, r.text) for r in made.replies.values()} == {
        (k, "pending", "maya", HOLDING) for k in answered
    }
    assert made.refused["x:99"].startswith("x:99 is claimed by sam")
    assert made.refused["tiktok:100"] == (
        "blocked by the policy guard: 186 characters; tiktok allows 150"
    )
    holders = maya.claim_holders()
    assert all(holders[k] == "maya" for k in answered) and holders["x:99"] == "sam"
    # The approval queue shows the batch as one row, none of its replies alone.
    singles, batches = priya.batches.queue()
    [row] = batches
    assert singles == [] and (row.id, row.template, row.author) == (
        made.batch, "holding-statement", "maya",
    )  # fmt: skip
    assert row.counts == {"pending": 98} and list(row.replies) == answered
    assert set(row.refused) == {"x:99", "tiktok:100"}

    # Approved once, by a second person: maya may not at a crisis level, priya may.
    with pytest.raises(PermissionDenied):
        maya.batches.approve(made.batch)
    approved = priya.batches.approve(made.batch)
    assert approved.ok and len(approved.replies) == 98 and approved.ticked == ()
    assert {r.status for r in approved.replies.values()} == {"approved"}  # pr does not send
    assert step(priya, "holding-statement").done_at is None  # approved is not published
    assert team.outbox() == []

    sent = maya.batches.send(made.batch)
    assert sent.ok and {r.status for r in sent.replies.values()} == {"sent"}
    assert sent.ticked == ("holding-statement",)
    out = team.outbox()
    assert sorted(o["mention"] for o in out) == sorted(answered)  # once each, nobody else
    assert {o["text"] for o in out} == {HOLDING}

    # The checklist: ticked once, as done by the approver, with what did it.
    ticked = step(priya, "holding-statement")
    assert ticked.done_by == "priya" and ticked.done_at == NOW
    [tick] = team.records("checklist.ticked")
    assert (tick["subject"], tick["actor"]) == ("step:holding-statement", "priya")
    assert tick["data"]["note"] == f"Holding statement sent to 98 mentions (batch {made.batch})"
    assert priya.batches.open() == [] and priya.batches.get(made.batch).state == "sent"

    # The archive: one record for the batch at each stage, beside each reply's own.
    [created] = team.records("batch.created")
    assert (created["subject"], created["actor"]) == (f"batch:{made.batch}", "maya")
    assert created["data"]["mentions"] == {k: r.id for k, r in made.replies.items()}
    assert set(created["data"]["refused"]) == {"x:99", "tiktok:100"}
    [approval] = team.records("batch.approved")
    assert approval["actor"] == "priya" and set(approval["data"]["mentions"]) == set(answered)
    assert len(team.records("draft")) == len(team.records("approval")) == 98
    assert len(team.records("send")) == 98
    refusals = {e["subject"]: e["data"] for e in team.records("refused")}
    assert refusals["x:99"]["held_by"] == "sam"
    assert refusals["tiktok:100"]["codes"] == ["length"]
    assert refusals[f"batch:{made.batch}"]["action"] == "approve"  # maya's attempt


def test_each_reply_is_filled_for_its_own_author_and_a_blocked_one_stops_no_other(
    team: Team,
) -> None:
    names = {"x:1": "Dan Ortiz", "x:2": "Aïsha Bello", "x:3": "{{ 7*7 }} Sam",
             "x:4": "[bold red]Lee[/]", "x:5": "Call me on 07700 900123"}  # fmt: skip
    team.ingest(*(post(k[2:], name) for k, name in names.items()))
    maya, lee = team.as_("maya"), team.as_("lee")
    lee.replies.approve_template("investigating")

    made = maya.batches.answer(list(names), "investigating", {})

    # Each greets its own author, taken as data: the name is neither Jinja nor markup.
    for key, reply in made.replies.items():
        assert reply.text.startswith(f"Hi {names[key]}, thank you for raising this.")
        others = [n for k, n in names.items() if k != key]
        assert not any(n in reply.text for n in others)
    assert "49" not in made.replies["x:3"].text
    # The guard ran on each reply: the one holding a phone number is refused alone.
    assert list(made.replies) == ["x:1", "x:2", "x:3", "x:4"]
    assert "phone number" in made.refused["x:5"]
    # At level 0 the social team approves, but nobody approves a batch they wrote.
    with pytest.raises(Refused, match="nobody approves a batch they wrote"):
        maya.batches.approve(made.batch)
    sent = lee.batches.approve(made.batch)  # a lead approves and sends, at once
    assert {k: r.status for k, r in sent.replies.items()} == dict.fromkeys(
        names.keys() - {"x:5"}, "sent"
    )
    assert sent.ticked == ()  # level 0 has no checklist
    assert {o["mention"]: o["text"] for o in team.outbox()} == {
        k: r.text for k, r in made.replies.items()
    }
    with pytest.raises(Refused, match="no reply to approve"):
        lee.batches.approve(made.batch)  # nothing waits any more: told, never sent twice
    assert len(team.outbox()) == 4


def test_the_console_s_outbox_sends_a_batch_and_then_ticks_its_step(team: Team) -> None:
    keys = ["x:1", "x:2", "x:3"]
    team.ingest(*(post(k[2:], f"Customer {k[2:]}") for k in keys))
    lee = team.as_("lee", deliver_now=False)  # a console: the outbox worker delivers
    lee.replies.approve_template("holding-statement")
    lee.crisis.set_level(3, "it is everywhere")
    made = team.as_("maya").batches.answer(keys, "holding-statement", ISSUE)

    approved = lee.batches.approve(made.batch)
    assert {r.status for r in approved.replies.values()} == {"sending"} and approved.ticked == ()
    [row] = lee.batches.open()
    assert row.counts == {"sending": 3} and row.approved_by == "lee"
    assert step(lee, "holding-statement").done_at is None  # handed over, not yet published

    delivered = lee.work_outbox()
    assert {r.status for r in delivered} == {"sent"} and len(team.outbox()) == 3
    assert step(lee, "holding-statement").done_by == "lee"
    assert lee.batches.open() == []
    lee.work_outbox()  # nothing more to deliver, and nothing ticked twice
    assert len(team.records("checklist.ticked")) == 1


def test_a_rejected_batch_leaves_the_queue_and_ticks_nothing(team: Team) -> None:
    keys = ["x:1", "x:2"]
    team.ingest(*(post(k[2:], f"Customer {k[2:]}") for k in keys))
    priya = team.as_("priya")
    priya.replies.approve_template("holding-statement")
    priya.crisis.set_level(2, "orders going missing")
    made = team.as_("maya").batches.answer(keys, "holding-statement", ISSUE)
    with pytest.raises(ValueError, match="needs a comment"):
        priya.batches.reject(made.batch, "  ")

    rejected = priya.batches.reject(made.batch, "Legal has not cleared the wording")

    assert {r.status for r in rejected.replies.values()} == {"rejected"}
    assert priya.batches.open() == [] and priya.batches.queue() == ([], [])
    assert priya.batches.get(made.batch).state == "closed"
    assert step(priya, "holding-statement").done_at is None
    [record_] = team.records("batch.rejected")
    assert record_["data"]["comment"] == "Legal has not cleared the wording"
    assert len(team.records("rejection")) == 2


def test_a_batch_is_refused_whole_before_any_mention_is_touched(team: Team) -> None:
    keys = ["x:1", "x:2", "x:3"]
    team.ingest(*(post(k[2:], f"Customer {k[2:]}") for k in keys))
    maya, sam, priya = team.as_("maya"), team.as_("sam"), team.as_("priya")
    with pytest.raises(Refused, match="not approved"):
        maya.batches.answer(keys, "holding-statement", ISSUE)
    priya.replies.approve_template("holding-statement")
    priya.replies.approve_template("thanks-praise")
    with pytest.raises(PermissionDenied):  # support never sends
        sam.batches.answer(keys, "holding-statement", ISSUE, how="send")
    with pytest.raises(Exception, match="required variable left empty: issue"):
        maya.batches.answer(keys, "holding-statement", {})
    priya.crisis.set_level(2, "orders going missing")
    with pytest.raises(Refused, match="not allowed at level 2"):
        maya.batches.answer(keys, "thanks-praise", {})
    with pytest.raises(ValueError, match="no template"):
        maya.batches.answer(keys, "no-such-template", {})

    assert maya.claim_holders() == {} and maya.replies.replies() == []
    assert team.records("batch.created") == []
    # The refusal by role is in the archive for every mention it would have touched.
    by_role = [e["subject"] for e in team.records("refused") if e["data"].get("action") == "send"]
    assert by_role == keys


def test_a_sender_sends_a_batch_at_once_where_no_second_person_is_needed(team: Team) -> None:
    keys = ["x:1", "x:2"]
    team.ingest(*(post(k[2:], f"Customer {k[2:]}") for k in keys))
    maya = team.as_("maya")
    team.as_("priya").replies.approve_template("investigating")

    sent = maya.batches.answer(keys, "investigating", {}, how="send")  # level 0: social may

    assert {k: r.status for k, r in sent.replies.items()} == {"x:1": "sent", "x:2": "sent"}
    batch = maya.batches.get(sent.batch)
    assert (batch.state, batch.approved_by, batch.how) == ("sent", "maya", "send")
    assert maya.batches.open() == [] and team.records("approval") == []
    assert sorted(o["mention"] for o in team.outbox()) == keys
