"""The reports screen: the scripted crisis's figures, the same as the other formats, driven
with Pilot; and a snapshot."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import DataTable, Sparkline, Static

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.screens.incident import IncidentScreen
from crisis_console.tui.screens.reports import ReportsScreen
from crisis_console.tui.widgets.alarm_banner import AlarmBanner
from crisis_console.tui.widgets.trend import Trend
from tests.conftest import NOW, ServiceFactory, jsonl, record
from tests.scenario import play
from tests.tui.test_inbox import screen_text, settle


def crisis_app(make_service: ServiceFactory) -> CrisisConsoleApp:
    clock = play(make_service)
    return CrisisConsoleApp(make_service(name="lee", clock=clock), "test-store", run_timers=False)


def trend_axes(screen: ReportsScreen) -> list[tuple[str, ...]]:
    """Each sparkline's name, highest and lowest value, and first and last time, as shown."""
    out: list[tuple[str, ...]] = []
    for trend in screen.query(Trend):
        scale = screen_text(trend.query_one(".trend-scale")).split()
        parts = (".trend-name", ".trend-start", ".trend-end")
        name, start, end = (screen_text(trend.query_one(part)).strip() for part in parts)
        out.append((name, scale[0], scale[-1], start, end))
    return out


async def test_reports_show_the_report_figures_and_change_window(
    make_service: ServiceFactory,
) -> None:
    app = crisis_app(make_service)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        summary = " ".join(screen_text(screen.query_one("#report-summary", Static)).split())
        assert "6 mentions, 83.3% negative" in summary
        assert "First response median 35.0 min, p90 70.0 min, 2 SLA breach(es)" in summary
        assert "Approval median 12.0 min" in summary
        table = screen.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[-2][:5] == ["operator", "sam", "2", "2", "52.5"]
        assert rows[-1][:5] == ["operator", "sue", "1", "1", "32.0"]
        # The posts span 09:00 to 10:10: 5-minute buckets over that span, not 24 hours'.
        volume = screen.query_one("#report-volume", Sparkline).data
        assert volume == [1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
        negative = screen.query_one("#report-negative", Sparkline).data
        assert negative == [1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]  # 09:05 is praise
        # Each with its axes: the bucket size, the highest and lowest value, both ends' times.
        assert trend_axes(screen) == [
            ("Mentions per 5 min", "1", "0", "03-14 09:00", "03-14 10:15 UTC"),
            ("Negative share per 5 min", "100%", "0%", "03-14 09:00", "03-14 10:15 UTC"),
        ]
        other = " ".join(screen_text(screen.query_one("#report-other", Static)).split())
        assert "Policy findings that blocked replies: phone 1" in other
        await pilot.press("3")
        await settle(pilot)
        assert "Last 30 days" in screen_text(screen.query_one("#report-summary", Static))
        # Thirty days' window, the same posts: the same span, the same buckets.
        assert screen.query_one("#report-volume", Sparkline).data == volume
        assert trend_axes(screen)[0][0] == "Mentions per 5 min"
        await pilot.press("escape")
        assert not isinstance(app.screen, ReportsScreen)


def test_reports_snapshot(make_service: ServiceFactory, snap_compare: Callable[..., bool]) -> None:
    async def open_reports(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)

    assert snap_compare(crisis_app(make_service), terminal_size=(120, 36), run_before=open_reports)


async def test_every_screens_banner_shows_an_alarm_raised_while_it_is_open(
    make_service: ServiceFactory,
) -> None:
    service = make_service()
    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for key in ("O", "A", "U"):  # reports, approvals, audit
            await pilot.press(key)
            await settle(pilot)
            banner = app.screen.query_one(AlarmBanner)
            before = len(service.crisis.alarms(open_only=True))
            assert banner.display is bool(before)
            feed = jsonl(record(f"fire-{key}", "The heater is sparking and smoking, I got burned"))
            service.ingest(read_jsonl(feed, "feed", NOW))
            app.refresh_state()  # what the timers and a followed file do after each change
            await settle(pilot)
            assert banner.display
            assert f"{before + 1} UNACKNOWLEDGED HARM ALARM" in screen_text(banner)
            await pilot.press("escape")
            await settle(pilot)


async def test_the_incident_timeline_in_the_console(make_service: ServiceFactory) -> None:
    app = crisis_app(make_service)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("O", "i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IncidentScreen)
        summary = " ".join(screen_text(screen.query_one("#incident-summary", Static)).split())
        assert "peak level 2" in summary and "8 events" in summary and "1 of 5" in summary
        events = screen.query_one("#incident-events", DataTable)
        level = [str(c) for c in events.get_row_at(3)]
        assert level == [
            "03-14 10:00",
            "level",
            "pat",
            "0 (0.0%) → 2 (100.0%)",
            "Level 0 → 2 (crisis)",
        ]
        steps = screen.query_one("#incident-checklist", DataTable)
        assert [str(steps.get_row_at(i)[4]) for i in range(steps.row_count)] == [
            "on time",
            "late",
            "overdue",
            "overdue",
            "not yet due",
        ]
        await pilot.press("escape")
        assert isinstance(app.screen, ReportsScreen)


def test_incident_snapshot(make_service: ServiceFactory, snap_compare: Callable[..., bool]) -> None:
    async def open_incident(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("O", "i")
        await settle(pilot)

    assert snap_compare(crisis_app(make_service), terminal_size=(120, 36), run_before=open_incident)
