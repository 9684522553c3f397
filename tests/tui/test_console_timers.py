"""The console's timers work off a backlog a chunk at a time, pausing between chunks so that
its own screen keeps the CPU (a console opened on an hour of a crisis), and stop when the
console closes."""

from __future__ import annotations

import asyncio

import pytest

from crisis_console.core.crisis import timers
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.tui import app as app_module
from crisis_console.tui.app import CrisisConsoleApp
from tests.conftest import NOW, MovableClock, ServiceFactory, jsonl, record


def questions(count: int) -> list[str]:
    """Questions a minute apart, each past its SLA four hours on."""
    stamps = [NOW.replace(minute=m % 60, hour=NOW.hour - 1 - m // 60) for m in range(count)]
    return jsonl(
        *(
            record(str(n), f"How do I pause my box? ({n})", created_at=at.isoformat())
            for n, at in enumerate(stamps)
        )
    )


async def test_a_backlog_is_worked_off_whole_in_pauses_between_chunks(
    make_service: ServiceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timers, "CHUNK", 10)
    monkeypatch.setattr(app_module, "BACKLOG_PAUSE", 0.05)
    clock = MovableClock()
    service = make_service(clock=clock)
    service.ingest(read_jsonl(questions(35), "q.jsonl", NOW))
    clock.advance(600)
    ticks: list[int] = []
    tick = service.timers.tick

    def counted() -> list[str]:  # the real tick, its calls counted
        ticks.append(1)
        return tick()

    monkeypatch.setattr(service.timers, "tick", counted)
    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.run_timers().wait()
        await pilot.pause()
    assert len(service.timers.breached()) == 35 and not service.timers.backlog
    assert len(ticks) == 4  # 10, 10, 10 and the last 5: a chunk a call


async def test_closing_the_console_stops_a_backlog_between_chunks(
    make_service: ServiceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timers, "CHUNK", 10)
    monkeypatch.setattr(app_module, "BACKLOG_PAUSE", 0.3)
    clock = MovableClock()
    service = make_service(clock=clock)
    service.ingest(read_jsonl(questions(35), "q.jsonl", NOW))
    clock.advance(600)
    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_timers()
        for _ in range(100):
            await pilot.pause(0.01)
            if service.timers.breached():
                break
    await asyncio.sleep(1)  # three pauses' worth: no chunk runs once the console is closed
    assert len(service.timers.breached()) == 10 and service.timers.backlog
