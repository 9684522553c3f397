"""The real console in team mode, in a process of its own, driven by Textual's Pilot
(`app.run_test()`, 160x50), for `bench.team_bench`; run as
`python -m bench.team_console_probe DSN FOLDER`, it answers one JSON line at a time:

1. `painted`: the wall time the inbox first showed a page of rows (the parent spawned the
   process: first paint is from there), with when the service was open and the app started;
2. `figures`: a cursor move until the table moved and until the detail pane shows the row
   the cursor is on (median of 30; the screen reads the record once the cursor has rested
   `DETAIL_DELAY`, by design), applying the urgency filter (`u`, every step of its cycle
   twice) and the status filter (`s`, likewise) until the table shows the new page, and the
   process's peak RSS (VmHWM) by then;
3. then, told on its standard input: `free` (keys on screen nobody holds) and
   `watch KEY HOLDER` (answers `watching`, then the wall time its table showed the key held
   by HOLDER, or by nobody for `-`), which `propagation` in the parent uses.

As bench/console_bench.py does, the app's own work is timed by calling the screen's actions
and polling, without the test driver's wait after every key it presses.
"""

from __future__ import annotations

import time

STARTED = time.time()

import asyncio  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from textual.pilot import Pilot  # noqa: E402

from bench.machine import peak_mb  # noqa: E402
from bench.team_operators import Child, service_for  # noqa: E402
from crisis_console.core.service import ConsoleService  # noqa: E402
from crisis_console.core.store.inbox import InboxRow  # noqa: E402
from crisis_console.tui.app import CrisisConsoleApp  # noqa: E402
from crisis_console.tui.screens.inbox import DETAIL_DELAY, InboxScreen  # noqa: E402
from crisis_console.tui.widgets.mention_detail import MentionDetail  # noqa: E402
from crisis_console.tui.widgets.mention_table import MentionTable  # noqa: E402


def say(**answer: Any) -> None:
    print(json.dumps(answer), flush=True)


async def until(pilot: Pilot[None], done: Callable[[], bool], limit: float = 60) -> None:
    deadline = time.perf_counter() + limit
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the console did not get there within {limit:.0f} s")
        await asyncio.sleep(0.001)


async def idle(pilot: Pilot[None]) -> None:
    """Until no worker but the change feed's, which never ends, runs."""
    await until(pilot, lambda: not any(w.is_running and w.group != "changes"
                                       for w in pilot.app.workers))  # fmt: skip


def left(table: MentionTable, row: int) -> Callable[[], bool]:
    return lambda: table.cursor_row != row


def replaced(table: MentionTable, rows: list[InboxRow]) -> Callable[[], bool]:
    return lambda: table.rows_shown is not rows


def holder_of(table: MentionTable, key: str) -> str:
    return table._claims.get(key, "-")  # what its Who column shows, in full


async def probe(dsn: str, folder: Path) -> None:
    with service_for(dsn, folder) as service:
        opened = time.time()
        app = CrisisConsoleApp(service, "bench", run_timers=False)
        async with app.run_test(size=(160, 50)) as pilot:
            table = app.screen.query_one(MentionTable)
            await until(pilot, lambda: bool(table.rows_shown))
            say(painted=time.time(), started=STARTED, opened=opened)
            await idle(pilot)
            say(figures=await measures(pilot, app, table))
            await watch(pilot, service, table)


async def measures(
    pilot: Pilot[None], app: CrisisConsoleApp, table: MentionTable
) -> dict[str, float | str]:
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    detail = screen.query_one(MentionDetail)

    def on_cursor() -> bool:
        shown = detail.mention
        rows = table.rows_shown
        return shown is not None and shown.key == rows[table.cursor_row].key

    await until(pilot, on_cursor)  # the first row's detail
    moved, shown = [], []
    for _ in range(30):
        before, start = table.cursor_row, time.perf_counter()
        table.action_cursor_down()
        await until(pilot, left(table, before))
        moved.append(time.perf_counter() - start)
        await until(pilot, on_cursor)
        shown.append(time.perf_counter() - start)
        await idle(pilot)
    figures: dict[str, float | str] = {
        "cursor_move": 1000 * statistics.median(moved),
        "cursor_detail": 1000 * statistics.median(shown),
        "detail_delay": 1000 * DETAIL_DELAY,
    }
    for name, action, steps in (("u", screen.action_urgency, 10), ("s", screen.action_status, 8)):
        took: list[tuple[float, str]] = []
        for _ in range(steps):
            rows, start = table.rows_shown, time.perf_counter()
            action()
            await until(pilot, replaced(table, rows))
            took.append((time.perf_counter() - start, screen.where.describe()))
            await idle(pilot)
        figures[f"filter_{name}"] = 1000 * statistics.median(t for t, _ in took)
        slowest = max(took)
        figures[f"filter_{name}_max"] = 1000 * slowest[0]
        figures[f"filter_{name}_slowest"] = slowest[1]
    rows = table.rows_shown
    screen.action_clear()
    await until(pilot, replaced(table, rows))
    await idle(pilot)
    figures["rss"] = peak_mb()
    return figures


async def watch(pilot: Pilot[None], service: ConsoleService, table: MentionTable) -> None:
    while line := (await asyncio.to_thread(sys.stdin.readline)).split():
        if line[0] == "free":
            say(keys=[r.key for r in table.rows_shown if holder_of(table, r.key) == "-"])
        elif line[0] == "watch":
            key, holder = line[1], line[2]
            say(watching=key)
            deadline = time.monotonic() + 10
            while holder_of(table, key) != holder and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            say(seen=time.time() if holder_of(table, key) == holder else None)
            say(rss=peak_mb())


# --- in the parent -------------------------------------------------------------------------


def console(dsn: str, folder: Path, other: ConsoleService, samples: int) -> dict[str, Any]:
    """Spawn the console; its figures, then `samples` changes made by `other` (a claim,
    then its release, alternately), each timed until the console's table shows it."""
    spawned = time.time()
    child = Child([sys.executable, "-m", "bench.team_console_probe", dsn, str(folder)])
    try:
        first = json.loads(child.line(300))
        figures: dict[str, Any] = {
            "first_paint": (first["painted"] - spawned) * 1000,
            "paint_app": (first["painted"] - first["opened"]) * 1000,
            "paint_open": (first["opened"] - first["started"]) * 1000,
        }
        figures |= json.loads(child.line(600))["figures"]
        child.send("free")
        keys = json.loads(child.line())["keys"][: (samples + 1) // 2]
        rnd, delays, missed = random.Random(7), [], 0
        me = other.operator.name
        for n in range(samples):
            key = keys[n // 2]
            claim = n % 2 == 0
            child.send(f"watch {key} {me if claim else '-'}")
            json.loads(child.line())  # watching
            time.sleep(rnd.uniform(0, 0.35))
            asked = time.time()
            (other.claims.claim if claim else other.claims.release)(key)
            seen = json.loads(child.line(30))["seen"]
            figures["rss"] = max(figures["rss"], json.loads(child.line())["rss"])
            if seen is None:
                missed += 1
            else:
                delays.append((seen - asked) * 1000)
        figures["propagation"], figures["propagation_missed"] = delays, missed
    finally:
        child.stop()
    return figures


if __name__ == "__main__":
    asyncio.run(probe(sys.argv[1], Path(sys.argv[2])))
