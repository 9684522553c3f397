"""A crisis level change (issue 18, bug 4), run unchanged on each backend: deleted posts stay
out of the inbox at every level, the change's audit record says how the open mentions
re-route, and the past is not rewritten: each post keeps the SLA in force when it arrived,
through a level change, an author's edit and a person's correction, so a report's breaches
for posts that arrived earlier do not move."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crisis_console import config, demo
from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.intake.ingest import Parsed, read_jsonl
from crisis_console.core.models import Role, Urgency
from crisis_console.core.roster import Operator
from crisis_console.core.service import ConsoleService
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.corrections import Correction
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, MovableClock, jsonl, record

Desk = Callable[[MovableClock], ConsoleService]  # a lead's service on the backend


@pytest.fixture(params=["tinydb", "postgres"])
def desk(request: pytest.FixtureRequest, tmp_path: Path, triager: Triager) -> Iterator[Desk]:
    """A lead's service over a fresh store of each kind (the playbook adopted)."""
    closing: list[Any] = []

    def backend() -> tuple[Any, Any]:
        if request.param == "tinydb":
            store = TinyDBStore(tmp_path / "data")
            return store, AuditLog(tmp_path / "data" / AUDIT_FILE)
        from tests.pg_fixture import migrated_team

        team = migrated_team(request.getfixturevalue("pg_dsn"))
        return team.store, team.audit

    def make(clock: MovableClock) -> ConsoleService:
        store, audit = backend()
        closing.append(store)
        lead = Operator("lee", frozenset({Role.LEAD}))
        service = ConsoleService(
            store, audit, triager, clock, lead, Notifier(ConsoleSink()), changing_playbook=True
        )
        service.playbooks.adopt()
        return service

    yield make
    for store in closing:
        store.close()


def demo_with_a_deletion(service: ConsoleService) -> str:
    """The demo's posts, then the platform's deletion of a negative one (a tombstone): its
    key. At a crisis level a negative post routes to PR, so the deleted one would show
    there if a level change brought it back."""
    records = list(demo.demo_records(config.demo_data_file(), service.clock()))
    assert service.ingest(iter(records)).new == 209
    keys = [r.mention.key for r in records if isinstance(r, Parsed)]
    negative = next(
        s
        for s in map(service.mention, keys)
        if s is not None
        and s.triage.classification.sentiment.label.value == "negative"
        and not s.triage.classification.escalate
        and s.triage.route.queue is not Role.PR
    )
    m = negative.triage.mention
    gone = {"id": m.native_id, "platform": m.platform.value, "deleted": True}
    assert service.ingest(read_jsonl([json.dumps(gone)], "deletions", NOW)).deleted == 1
    return m.key


def test_a_deleted_post_stays_out_of_the_inbox_at_every_level(desk: Desk) -> None:
    lee = desk(MovableClock())
    key = demo_with_a_deletion(lee)
    open_before = lee.inbox_page(InboxFilter(), 0, 500)
    assert key not in [r.key for r in open_before.rows] and open_before.total == 208
    for level in (2, 3, 1, 0):
        lee.crisis.set_level(level, f"to {level}")
        for where in (InboxFilter(), InboxFilter(queues=frozenset({"pr"}))):
            page = lee.inbox_page(where, 0, 500)
            assert key not in [r.key for r in page.rows], (level, where)
        page = lee.inbox_page(InboxFilter(), 0, 500)
        assert page.total == 208 and sum(page.queue_counts.values()) == 208, level
        stored = lee.mention(key)
        assert stored is not None and stored.deleted_at is not None  # kept, as a tombstone
    # And in the archive's view ("all"), where a deleted post is listed as deleted.
    everything = lee.inbox_page(InboxFilter(status="all"), 0, 500)
    assert everything.total == 209


def test_the_level_change_record_says_how_open_mentions_re_route(desk: Desk) -> None:
    lee = desk(MovableClock())
    demo_with_a_deletion(lee)
    at_0 = lee.inbox_page(InboxFilter(), 0, 0).queue_counts
    lee.crisis.set_level(2, "boycott trending")
    at_2 = lee.inbox_page(InboxFilter(), 0, 0).queue_counts
    assert at_0 != at_2 and at_2["pr"] > at_0.get("pr", 0)  # negative posts went to PR
    [change] = [r for r in lee.audit_records() if r["action"] == "level.changed"]
    rerouted = change["data"]["rerouted"]
    assert rerouted == {
        "open": 208,  # the deleted post is not among them
        "queues_before": at_0,
        "queues_after": at_2,
        "note": "open mentions now route to the queues of level 2 (crisis); "
        "each keeps the SLA in force when it arrived",
    }


def test_a_level_change_does_not_move_the_sla_of_posts_that_arrived_earlier(desk: Desk) -> None:
    clock = MovableClock()
    lee = desk(clock)
    demo_with_a_deletion(lee)
    window = (NOW - timedelta(days=7), NOW + timedelta(hours=6))
    before = lee.report(*window).response_all
    lee.crisis.set_level(2, "boycott trending")
    after = lee.report(*window).response_all
    assert (after.count, after.breaches, after.sla) == (before.count, before.breaches, before.sla)
    assert before.breaches > 0  # six hours later, some of the demo's posts are overdue


def test_an_edit_or_a_correction_after_a_rise_keeps_the_sla_of_the_arrival(desk: Desk) -> None:
    clock = MovableClock()
    lee = desk(clock)
    posted = NOW.isoformat()
    first = [
        record("1", "Where is my parcel? It is late", created_at=posted),
        record("2", "Where is my order? It is late", created_at=posted),
    ]
    lee.ingest(read_jsonl(jsonl(*first), "feed", NOW))
    # Level 0: normal urgency, 240 minutes. Four hours on, both are just inside it.
    window = (NOW - timedelta(hours=1), NOW + timedelta(hours=3, minutes=59))
    assert lee.report(*window).response_all.breaches == 0
    clock.advance(10)
    lee.crisis.set_level(2, "boycott trending")  # level 2: normal 120, high 30
    edit = record("1", "Where is my parcel? It is very late", created_at=posted)
    assert lee.ingest(read_jsonl(jsonl(edit), "feed", clock())).updated == 1
    lee.corrections.reclassify("x:2", Correction(urgency=Urgency.HIGH, note="a regular"))
    edited, corrected = lee.mention("x:1"), lee.mention("x:2")
    assert edited is not None and corrected is not None
    # Routed to the queue of the level in force; judged against the SLA of the arrival.
    assert edited.triage.route.queue is Role.PR and corrected.triage.route.queue is Role.PR
    assert edited.triage.route.respond_within_minutes == 240
    assert corrected.triage.route.respond_within_minutes == 60  # high, at level 0
    assert edited.triage.deadline == NOW + timedelta(minutes=240)
    r = lee.report(*window).response_all
    assert (r.breaches, r.sla) == (1, (60, 240))  # x:2, high since the correction
    # A post that arrives during the crisis has the crisis's SLA.
    late = record("3", "Where is my parcel? It is late again", created_at=clock().isoformat())
    lee.ingest(read_jsonl(jsonl(late), "feed", clock()))
    fresh = lee.mention("x:3")
    assert fresh is not None and fresh.triage.route.respond_within_minutes == 120


def test_a_route_stored_before_its_arrival_level_was_kept_is_read_by_its_sla(
    triager: Triager,
) -> None:
    """A record written before `sla_level` existed: the level whose SLA it carries (the
    lowest, where two levels share one), so an edit of it keeps that SLA too."""
    [parsed] = read_jsonl(jsonl(record("1", "Where is my parcel? It is late")), "feed", NOW)
    assert isinstance(parsed, Parsed)
    routed = triager.triage(parsed.mention, level=2)  # normal: 120 minutes at level 2
    assert (routed.route.sla_level, routed.route.respond_within_minutes) == (2, 120)
    old = dataclasses.replace(routed, route=dataclasses.replace(routed.route, sla_level=None))
    assert triager.arrival_level(old) == 2
    unknown = dataclasses.replace(
        old, route=dataclasses.replace(old.route, respond_within_minutes=7)
    )
    assert triager.arrival_level(unknown) == 0
