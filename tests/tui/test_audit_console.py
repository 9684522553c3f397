"""The audit view and hostile text on screen, driven with Pilot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.screens.audit import AuditScreen
from crisis_console.tui.screens.inbox import InboxScreen
from crisis_console.tui.widgets.mention_table import MentionTable
from tests.conftest import NOW, MovableClock, ServiceFactory, jsonl, record
from tests.tui.test_inbox import FEED, detail_text, screen_text, settle


async def test_audit_view_filters_and_verifies(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    service = make_service()
    service.ingest(read_jsonl(FEED, "feed", NOW))
    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("U")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 6  # five ingests and one alarm, newest first
        await pilot.press("slash", *"x:fire", "enter")
        await settle(pilot)
        assert table.row_count == 2
        await pilot.press("v")
        await settle(pilot)
        assert "ok: 6 events" in str(app.screen.query_one("#audit-status", Static).content)
        audit = tmp_path / "data" / "audit.jsonl"
        audit.write_text(audit.read_text().replace("kids were right there", "nobody was there", 1))
        await pilot.press("v")
        await settle(pilot)
        assert "does not match its hash" in str(
            app.screen.query_one("#audit-status", Static).content
        )


async def test_t_opens_the_trail_of_the_mention_on_screen(make_service: ServiceFactory) -> None:
    service = make_service()
    service.ingest(read_jsonl(FEED, "feed", NOW))
    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("C")  # a claim, so the trail holds more than the ingest
        await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
        trail = app.screen.records
        assert [r["action"] for r in trail] == ["claim", "alarm.raised", "mention.ingested"]
        assert {r["subject"] for r in trail} == {"x:fire"}
        status = str(app.screen.query_one("#audit-status", Static).content)
        assert "3 record(s) matching 'x:fire'" in status
        await pilot.press("escape")
        assert isinstance(app.screen, InboxScreen)


async def test_a_breach_record_filtered_by_a_mention_shows_that_mention_first(
    make_service: ServiceFactory,
) -> None:
    """A tick's breaches in a queue are one record naming each mention: filtered by one of
    them, its deadline heads the detail, which a long record's cut would otherwise drop."""
    clock = MovableClock()
    service = make_service(clock=clock)
    questions = [
        record(f"q{n:03}", "How do I pause my box?", created_at=NOW.isoformat()) for n in range(150)
    ]
    service.ingest(read_jsonl(jsonl(*questions), "f", NOW))
    clock.advance(241)
    assert service.timers.tick() == ["150 SLA breach(es) in support"]
    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("U")
        await settle(pilot)
        await pilot.press("slash", *"x:q149", "enter")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
        assert app.screen.records[0]["action"] == "sla.breached"
        app.screen.query_one(DataTable).move_cursor(row=0)
        await settle(pilot)
        detail = str(app.screen.query_one("#audit-detail", Static).content)
        assert detail.startswith('mentions: {"x:q149": "') and "(one of 150)" in detail


HOSTILE = "\u202eevil\u202c [bold]x[/] \u200b zero-width \x1b[2J\x07 " + "long" * 3000


async def test_bidi_zero_width_escapes_and_long_lines_are_shown_safely(
    make_service: ServiceFactory,
) -> None:
    service = make_service()
    service.ingest(read_jsonl(jsonl(record("h", HOSTILE, author="\u202eeve")), "f", NOW))
    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        row = screen_text(app.screen.query_one(MentionTable))
        text = detail_text(app)
        for shown in (row, text):
            assert "\u202e" not in shown and "\x1b" not in shown and "\u200b" not in shown
        assert "\\u202eevil" in text and "\\x1b[2J" in text and "\\u200b" in text
        assert all(len(line) <= 100 for line in row.splitlines())  # the layout holds


def test_audit_screen_snapshot_160x50(
    make_service: ServiceFactory, snap_compare: Callable[..., bool]
) -> None:
    service = make_service()
    service.ingest(read_jsonl(FEED, "feed", NOW))

    async def open_audit(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("U")
        await settle(pilot)

    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    assert snap_compare(app, terminal_size=(160, 50), run_before=open_audit)
