"""The console runs the semantic second pass behind the inbox, with the real model: the
inbox shows the posts at once, the header says how many wait, and a post it raises rings."""

from __future__ import annotations

import asyncio

import pytest

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Urgency
from crisis_console.core.triage.embedding import missing
from crisis_console.core.triage.semantic import SemanticJudge
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.widgets.alarm_banner import AlarmBanner
from crisis_console.tui.widgets.mention_table import MentionTable
from tests.conftest import NOW, ServiceFactory, jsonl, record

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))

GOODBYE = record("1", "wrote letters to my family tonight. it will all be over soon", author="ro")
PARCEL = record("2", "where is my parcel, it is three days late", author="al")


async def test_the_console_judges_in_the_background_and_rings_for_what_it_raises(
    make_service: ServiceFactory,
) -> None:
    judge = SemanticJudge()  # built before the app: the test waits for the pass, not the load
    service = make_service(second_opinion=lambda: judge)
    service.ingest(read_jsonl(jsonl(GOODBYE, PARCEL), "feed", NOW))
    assert service.second_opinion.progress().pending == 2
    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(MentionTable)
        assert table.row_count == 2  # the inbox does not wait for the second opinion
        for _ in range(300):
            await pilot.pause(0.05)
            if service.second_opinion.progress().checked == 2 and not app._judging:
                break
        await pilot.pause()
        stored = service.mention("x:1")
        assert stored is not None and stored.triage.classification.urgency is Urgency.CRITICAL
        alarm = service.crisis.alarm("x:1")
        assert alarm is not None and alarm.open
        assert "second opinion" not in app.sub_title  # nothing waits any more
        assert any("Risk of harm" in n.title for n in app._notifications)  # a toast, and
        banner = app.screen.query_one(AlarmBanner)  # the banner every screen shows
        assert banner.display
    await asyncio.sleep(0)
