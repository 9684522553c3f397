"""Every screen at 80×24 and at 160×50, as snapshots (looked at before they were accepted)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.tui.app import CrisisConsoleApp
from tests.conftest import NOW, ServiceFactory
from tests.tui.test_inbox import FEED, settle

# The keys that open each screen from the inbox.
SCREENS = {
    "inbox": (),
    "crisis": ("c",),
    "approvals": ("A",),
    "audit": ("U",),
    "composer": ("down", "R"),
    "level-dialog": ("L",),
    "help": ("question_mark",),
    "reports": ("O",),
    # Issue 18's dialogs: assign, close, saved views, and the question before quitting.
    "assign-dialog": ("W",),
    "close-dialog": ("X",),
    "views-dialog": ("v",),
    "quit-dialog": ("q",),
    "marked": ("space", "space"),
}


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_screen_snapshot(
    make_service: ServiceFactory,
    snap_compare: Callable[..., bool],
    screen: str,
    size: tuple[int, int],
) -> None:
    service = make_service()
    service.ingest(read_jsonl(FEED, "feed", NOW))
    for template_id in service.replies.templates:
        service.replies.approve_template(template_id)
    # The draft first: its id is random, and the audit view shows the newest record's data.
    service.replies.submit("reddit:legal", "legal-formal-route", {})
    service.crisis.set_level(1, "rising complaints about deliveries")

    async def open_screen(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in SCREENS[screen]:
            await pilot.press(key)
            await settle(pilot)

    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    assert snap_compare(app, terminal_size=size, run_before=open_screen)
