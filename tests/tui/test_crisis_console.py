"""The alarm banner, acknowledgement, the crisis screen, the checklist and the level dialog,
driven with Pilot over a real store; and a snapshot of the crisis screen."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.service import ConsoleService
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.screens.crisis import CrisisScreen
from crisis_console.tui.screens.level_dialog import LevelDialog
from crisis_console.tui.widgets.alarm_banner import AlarmBanner
from crisis_console.tui.widgets.mention_detail import MentionDetail
from tests.conftest import NOW, ServiceFactory, jsonl, record
from tests.tui.test_inbox import screen_text, settle

FEED = jsonl(
    record("fire", "The heater is sparking and smoking", created_at="2026-03-14T11:50:00Z"),
    record("shock", "The kettle gave me an electric shock", created_at="2026-03-14T11:55:00Z"),
    record("q", "How do I pause my box?", created_at="2026-03-14T11:00:00Z"),
)


class CountingBellApp(CrisisConsoleApp):
    """The real app; only the terminal bell is counted instead of rung."""

    bells = 0

    def bell(self) -> None:
        self.bells += 1


def app_for(service: ConsoleService) -> CountingBellApp:
    return CountingBellApp(service, "test-store", run_timers=False)


async def test_banner_shows_open_alarms_and_a_acknowledges_the_one_on_screen(
    make_service: ServiceFactory,
) -> None:
    service = make_service()
    service.ingest(read_jsonl(FEED, "feed", NOW))
    app = app_for(service)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        banner = app.screen.query_one(AlarmBanner)
        assert banner.display and "2 UNACKNOWLEDGED HARM ALARMS" in screen_text(banner)
        await pilot.press("down", "down")  # the question: it has no alarm
        await pilot.press("a")
        await settle(pilot)
        detail = app.screen.query_one(MentionDetail)
        assert detail.mention is not None and detail.mention.key == "x:fire"  # the oldest alarm
        assert len(service.crisis.alarms(open_only=True)) == 2  # nothing acknowledged yet
        await pilot.press("a")
        await settle(pilot)
        [still_open] = service.crisis.alarms(open_only=True)
        assert still_open.key == "x:shock"
        assert [a.acknowledged_by for a in service.crisis.alarms() if a.key == "x:fire"] == [
            "tester"
        ]
        assert "1 UNACKNOWLEDGED HARM ALARM " in screen_text(banner)


async def test_a_harm_notification_rings_the_bell_and_shows_the_banner(
    make_service: ServiceFactory,
) -> None:
    service = make_service()
    app = app_for(service)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        assert not app.screen.query_one(AlarmBanner).display
        service.ingest(read_jsonl(FEED[:1], "feed", NOW))  # arrives while the console is open
        await settle(pilot)
        await settle(pilot)
        assert app.bells == 1
        assert app.screen.query_one(AlarmBanner).display


async def test_level_dialog_checklist_and_ticking_a_step(make_service: ServiceFactory) -> None:
    service = make_service(Role.PR, name="priya")
    app = app_for(service)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CrisisScreen)
        assert "no spike" in str(app.screen.query_one("#spike", Static).content).lower()
        await pilot.press("L")
        await settle(pilot)
        assert isinstance(app.screen, LevelDialog)
        app.screen.query_one(Select).value = 2
        app.screen.query_one(Input).focus()
        await pilot.press("enter")  # no reason yet: refused in the dialog
        assert isinstance(app.screen, LevelDialog)
        await pilot.press(*"boycott trending", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CrisisScreen)
        assert service.crisis.state().level == 2
        await settle(pilot)
        table = app.screen.query_one("#checklist", DataTable)
        steps = [row.key.value for row in table.ordered_rows]
        assert steps[:2] == ["pause-scheduled", "holding-statement"]
        assert "crisis mode" in screen_text(app.screen.query_one("#crisis-level"))
        await pilot.press("down", "space")  # priya (pr) ticks the holding statement
        await settle(pilot)
        done = {s.id: s for s in service.crisis.state().steps}["holding-statement"]
        assert done.done_by == "priya"
        await pilot.press("up", "space")  # pausing posts belongs to social: refused
        await settle(pilot)
        assert {s.id: s for s in service.crisis.state().steps}["pause-scheduled"].done_at is None


def test_crisis_screen_snapshot(
    make_service: ServiceFactory, snap_compare: Callable[..., bool]
) -> None:
    service = make_service()
    service.ingest(read_jsonl(FEED, "feed", NOW))
    service.crisis.set_level(2, "boycott trending")
    service.crisis.tick_step("pause-scheduled")

    async def open_crisis(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)

    assert snap_compare(app_for(service), terminal_size=(110, 30), run_before=open_crisis)
