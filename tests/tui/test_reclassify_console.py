"""Reclassify from the console: E opens the dialog on the mention under the cursor; the
correction is the service's (permissions, audit), and the detail shows who changed what."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Select

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role, Urgency
from crisis_console.core.service import ConsoleService
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.screens.reclassify_dialog import ReclassifyDialog
from crisis_console.tui.widgets.mention_detail import MentionDetail
from tests.conftest import NOW, ServiceFactory
from tests.tui.test_inbox import FEED, detail_text, settle


async def _open_on_praise(app: CrisisConsoleApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("down", "down", "down")  # fire, legal, question, praise
    await settle(pilot)
    assert app.screen.query_one(MentionDetail).mention.key == "x:praise"  # type: ignore[union-attr]
    await pilot.press("E")
    await pilot.pause()
    assert isinstance(app.screen, ReclassifyDialog)


async def test_reclassify_from_the_keyboard_shows_in_the_detail_and_the_audit(
    service: ConsoleService,
) -> None:
    service.ingest(read_jsonl(FEED, "feed.jsonl", NOW))
    before = service.mention("x:praise")
    assert before is not None and before.triage.classification.urgency is Urgency.LOW
    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_on_praise(app, pilot)
        await pilot.press("enter", "up", "up", "enter")  # urgency: low -> high
        assert app.screen.query_one("#reclassify-urgency", Select).value == "high"
        await pilot.press("tab", "tab", "tab")  # past category and sentiment to the note
        await pilot.press(*"sarcasm")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ReclassifyDialog)
        after = service.mention("x:praise")
        assert after is not None and after.triage.classification.urgency is Urgency.HIGH
        assert 'reclassified by tester: urgency low → high; note: "sarcasm"' in detail_text(app)
    trail = [(r["action"], r["actor"]) for r in service.audit_records()]
    assert ("mention.reclassified", "tester") in trail


async def test_a_refused_reclassify_says_why_and_changes_nothing(
    make_service: ServiceFactory,
) -> None:
    make_service().ingest(read_jsonl(FEED, "feed.jsonl", NOW))
    auditor = make_service(Role.AUDITOR, name="ava")
    app = CrisisConsoleApp(auditor, "test-store", run_timers=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_on_praise(app, pilot)
        await pilot.press("enter", "up", "enter", "tab", "tab", "tab", "enter")
        await settle(pilot)
        shown = [n.message for n in app._notifications]
        assert any("ava (auditor) may not reclassify" in m for m in shown), shown
    after = auditor.mention("x:praise")
    assert after is not None and after.triage.classification.urgency is Urgency.LOW
    assert ("refused", "ava") in [(r["action"], r["actor"]) for r in auditor.audit_records()]


async def test_leaving_every_field_as_it_was_is_not_a_correction(
    service: ConsoleService,
) -> None:
    service.ingest(read_jsonl(FEED, "feed.jsonl", NOW))
    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_on_praise(app, pilot)
        await pilot.press("ctrl+s")  # from any field
        await pilot.pause()
        assert isinstance(app.screen, ReclassifyDialog)
        assert "Change at least one field." in str(
            app.screen.query_one("#reclassify-error").render()
        )
        await pilot.press("escape")
        assert not isinstance(app.screen, ReclassifyDialog)
    assert "mention.reclassified" not in [r["action"] for r in service.audit_records()]


def test_reclassify_dialog_snapshot(
    service: ConsoleService, snap_compare: Callable[..., bool]
) -> None:
    service.ingest(read_jsonl(FEED, "feed.jsonl", NOW))
    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    assert snap_compare(app, press=["down", "down", "down", "E"], terminal_size=(100, 34))
