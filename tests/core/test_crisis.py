"""Crisis mode: level changes and their permissions, checklists, re-routing and templates."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.roster import PermissionDenied
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.triage.routing import CRISIS_RULE
from tests.conftest import NOW, MovableClock, ServiceFactory, jsonl, record


def audit_actions(tmp_path: Path) -> list[tuple[str, str, str]]:
    events = AuditLog(tmp_path / "data" / AUDIT_FILE).events()
    return [(e["action"], e["subject"], e["actor"]) for e in events]


def test_support_cannot_change_the_level_and_the_refusal_is_audited(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    support = make_service(Role.SUPPORT, name="sam")
    with pytest.raises(PermissionDenied, match="sam \\(support\\) may not change level"):
        support.crisis.set_level(2, "looks bad")
    assert support.crisis.state().level == 0
    assert ("refused", "level:2", "sam") in audit_actions(tmp_path)
    nobody = make_service(Role.SUPPORT, name="nobody")
    object.__setattr__(nobody.crisis.operator, "roles", frozenset())
    with pytest.raises(PermissionDenied, match="read-only"):
        nobody.crisis.set_level(1, "x")


def test_raising_to_crisis_starts_the_checklist_reroutes_and_restricts(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    pr = make_service(Role.PR, name="priya")
    pr.ingest(
        read_jsonl(
            jsonl(
                record("1", "Worst service ever, still waiting for my refund", platform="facebook"),
                record("2", "How do I pause my subscription?"),
            ),
            "feed",
            NOW,
        )
    )
    assert pr.mention("facebook:1").triage.route.queue is Role.SUPPORT  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="needs a reason"):
        pr.crisis.set_level(2, "  ")
    live = tmp_path / "data" / "mentions" / "live.json"
    pr._store.checkpoint()  # type: ignore[attr-defined]
    stored_before = live.read_bytes()
    state = pr.crisis.set_level(2, "boycott trending")
    pr._store.checkpoint()  # type: ignore[attr-defined]
    assert live.read_bytes() == stored_before  # re-routed without rewriting a mention
    assert (state.level, state.by, state.reason) == (2, "priya", "boycott trending")
    steps = {s.id: s for s in state.steps}
    assert steps["holding-statement"].owner is Role.PR
    assert (steps["holding-statement"].due - NOW).total_seconds() == 60 * 60
    assert steps["legal-review"].owner is Role.LEGAL
    negative = pr.mention("facebook:1")
    assert negative is not None and negative.triage.route.queue is Role.PR
    assert negative.triage.route.rule == CRISIS_RULE
    # Judged against the SLA in force when it arrived, not one set afterwards.
    assert negative.triage.route.respond_within_minutes == 240
    assert pr.mention("x:2").triage.route.queue is Role.SUPPORT  # type: ignore[union-attr]
    page = pr.inbox_page(InboxFilter(queues=frozenset({"pr"})))
    assert [(r.key, r.queue) for r in page.rows] == [("facebook:1", "pr")]
    assert page.queue_counts == {"pr": 1, "support": 1}
    assert pr.crisis.current_level().crisis
    assert pr.crisis.template_allowed("holding-statement")
    assert not pr.crisis.template_allowed("thanks-for-the-kind-words")
    assert ("level.changed", "level:2", "priya") in audit_actions(tmp_path)
    level_notes = [n for n in pr.notifier.console.received if n.kind == "level"]
    assert level_notes and "raised to 2 (crisis)" in level_notes[-1].title


def test_new_mentions_during_a_crisis_route_to_pr(make_service: ServiceFactory) -> None:
    lead = make_service()
    lead.crisis.set_level(2, "drill")
    lead.ingest(read_jsonl(jsonl(record("1", "Terrible, the app is down again")), "f", NOW))
    assert lead.mention("x:1").triage.route.rule == CRISIS_RULE  # type: ignore[union-attr]


def test_checklist_steps_are_ticked_by_their_owner_and_audited(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    clock = MovableClock()
    lead = make_service(clock=clock)
    lead.crisis.set_level(2, "drill")
    social = make_service(Role.SOCIAL, name="sol", clock=clock)
    with pytest.raises(PermissionDenied, match="needs lead, pr"):
        social.crisis.tick_step("holding-statement")
    assert ("refused", "step:holding-statement", "sol") in audit_actions(tmp_path)
    clock.advance(20)
    done = social.crisis.tick_step("pause-scheduled")
    assert (done.done_by, done.done_at) == ("sol", clock.now)
    pr = make_service(Role.PR, name="priya", clock=clock)
    clock.advance(200)
    update = pr.crisis.tick_step("update")  # repeats every 120 minutes
    assert update.done_at is None and update.due == clock.now + timedelta(minutes=120)
    ticks = [a for a in audit_actions(tmp_path) if a[0] == "checklist.ticked"]
    assert ticks == [
        ("checklist.ticked", "step:pause-scheduled", "sol"),
        ("checklist.ticked", "step:update", "priya"),
    ]
    with pytest.raises(ValueError, match="no checklist step"):
        pr.crisis.tick_step("nope")


def test_overdue_steps_are_flagged_once(make_service: ServiceFactory) -> None:
    clock = MovableClock()
    lead = make_service(clock=clock)
    lead.crisis.set_level(2, "drill")
    clock.advance(31)
    assert lead.timers.tick() == ["checklist step pause-scheduled overdue"]
    assert lead.timers.tick() == []
    notes = [n for n in lead.notifier.console.received if n.kind == "checklist"]
    assert len(notes) == 1 and Role.SOCIAL in notes[0].roles


def test_lowering_the_level_ends_crisis_mode(make_service: ServiceFactory) -> None:
    lead = make_service()
    lead.crisis.set_level(3, "severe")
    lead.crisis.set_level(0, "resolved")
    assert not lead.crisis.current_level().crisis
    assert lead.crisis.state().steps == ()
    with pytest.raises(ValueError, match="no level 7"):
        lead.crisis.set_level(7, "x")
