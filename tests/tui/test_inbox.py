"""The console driven with Pilot over a real TinyDB store, and a snapshot of the inbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.service import ConsoleService
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.widgets.mention_detail import MentionDetail
from crisis_console.tui.widgets.mention_table import MentionTable
from tests.conftest import NOW, jsonl, record

HOSTILE = "[bold red]Brightwell[/bold red] my order \x1b[31mvanished\x1b[0m"

FEED = jsonl(
    record(
        "praise",
        "Thank you, the replacement kettle is brilliant!",
        author="happy_h",
        created_at="2026-03-14T09:00:00Z",
    ),
    record(
        "question",
        "How do I pause my subscription?",
        author="frank_d",
        platform="facebook",
        created_at="2026-03-14T10:00:00Z",
    ),
    record(
        "fire",
        "My AirCrisp caught fire on the counter, kids were right there",
        author="sam_the_dad",
        followers=1500,
        created_at="2026-03-14T11:50:00Z",
    ),
    record("markup", HOSTILE, author="grumpygran", created_at="2026-03-14T11:40:00Z"),
    record(
        "legal",
        "My solicitor will be in touch about the refund",
        author="theo_rants",
        platform="reddit",
        followers=920,
        created_at="2026-03-14T11:00:00Z",
    ),
)
ORDER = ["x:fire", "reddit:legal", "facebook:question", "x:praise", "x:markup"]


@pytest.fixture
def app(service: ConsoleService) -> CrisisConsoleApp:
    service.ingest(read_jsonl(FEED, "feed.jsonl", NOW))
    return CrisisConsoleApp(service, "test-store", run_timers=False)


async def settle(pilot: Pilot[None]) -> None:
    """Until timers have fired and every worker (some cancel older ones) has finished."""
    for _ in range(3):
        for _ in range(200):
            await pilot.pause()
            if not any(w.is_running for w in pilot.app.workers):
                break
            await asyncio.sleep(0.01)
    await pilot.pause()


def screen_text(widget: Widget) -> str:
    """What the widget shows, as plain text lines."""
    width, height = widget.size
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, width, height)))


def detail_text(app: CrisisConsoleApp) -> str:
    return screen_text(app.screen.query_one("#detail-body", Static))


async def test_inbox_shows_rows_by_urgency_then_deadline(app: CrisisConsoleApp) -> None:
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(MentionTable)
        assert [row.key.value for row in table.ordered_rows] == ORDER
        status = screen_text(app.screen.query_one("#inbox-status"))
        assert "1–5 of 5  ·  status open" in status
        assert "open: lead 1  legal 1  social 2  support 1" in status


async def test_detail_pane_follows_the_cursor(app: CrisisConsoleApp) -> None:
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        detail = app.screen.query_one(MentionDetail)
        assert detail.mention is not None and detail.mention.key == "x:fire"
        assert "caught fire" in detail_text(app)
        assert "ESCALATED" in detail_text(app)
        await pilot.press("down")
        assert detail.mention.key == "reddit:legal"
        text = detail_text(app)
        assert "My solicitor will be in touch" in text
        assert "Queue legal  ·  rule: legal threats to legal" in text
        await pilot.press("j", "j", "j")
        assert detail.mention.key == "x:markup"
        await pilot.press("k")
        assert detail.mention.key == "x:praise"


async def test_markup_and_escapes_in_a_mention_are_shown_literally(app: CrisisConsoleApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("end")
        assert app.screen.query_one(MentionDetail).mention.key == "x:markup"  # type: ignore[union-attr]
        text = detail_text(app)
        assert "[bold red]Brightwell[/bold red] my order \\x1b[31mvanished\\x1b[0m" in text
        row = screen_text(app.screen.query_one(MentionTable))
        assert "[bold red]Brightwell" in row
        assert "\x1b" not in text and "\x1b" not in row


async def test_an_empty_store_says_how_to_load_mentions(service: ConsoleService) -> None:
    app = CrisisConsoleApp(service, "empty")
    async with app.run_test() as pilot:
        await settle(pilot)
        status = screen_text(app.screen.query_one("#inbox-status"))
        assert "No mentions yet" in status and "crisis-console ingest" in status
        assert app.screen.query_one(MentionTable).row_count == 0


async def test_q_quits_once_told_of_the_open_alarm(app: CrisisConsoleApp) -> None:
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("q")  # the fire is an unacknowledged alarm: asked first
        assert app.is_running
        await pilot.press("y")
        assert not app.is_running


def test_inbox_snapshot(app: CrisisConsoleApp, snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(app, terminal_size=(100, 30), run_before=settle)


def test_inbox_snapshot_80x24_second_row(
    app: CrisisConsoleApp, snap_compare: Callable[..., bool]
) -> None:
    async def second_row(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("down")

    assert snap_compare(app, terminal_size=(80, 24), run_before=second_row)


def test_inbox_snapshot_wide(app: CrisisConsoleApp, snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(app, terminal_size=(160, 30), run_before=settle)
