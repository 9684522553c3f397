"""The console at 100,000 stored mentions, headless: first screen, cursor, filter, memory.

Run: python -m bench.console_bench [--stored N]

Builds a data folder through the real ingest (triage, alarms, due reminders) from a generated
corpus in which one post in five is a risk of harm (`bench/crisis_corpus.py`), then opens the
real console on it with Textual's test driver and measures:

- open: opening the data folder (the segments' short indexes, the live segment);
- first screen: from the console starting to the inbox showing its first page;
- cursor: one row down, until the table has moved (median of 50);
- filter: applying an urgency filter and showing the first page (median of 8);
- memory: the process's peak resident set (before the search and the burst);
- search: a text search over every stored mention, the first time and again (kept);
- burst: 5,000 lines appended at once to a followed file; how long until all are in the
  inbox, and the longest the screen went without drawing meanwhile (the stall).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from bench.crisis_corpus import write_corpus
from crisis_console import config
from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role, system_clock
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.roster import Operator
from crisis_console.core.service import ConsoleService, IngestReport
from crisis_console.core.store.inbox import InboxFilter, InboxRow
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.screens.inbox import InboxScreen
from crisis_console.tui.widgets.mention_table import MentionTable

HARM_SHARE = 0.2  # a safety crisis


def build(folder: Path, count: int) -> None:
    """Fill `folder` as a crisis does: every mention through the real ingest."""
    folder.mkdir(parents=True, exist_ok=True)
    playbook = load_playbook(config.playbook_path(None))
    triager, corpus = Triager(playbook), folder.parent / "corpus.jsonl"
    now = system_clock()
    write_corpus(corpus, count, HARM_SHARE, now, triager)
    store, log = TinyDBStore(folder), AuditLog(folder / AUDIT_FILE)
    lead = Operator("bench", frozenset({Role.LEAD}))
    service = ConsoleService(store, log, triager, system_clock, lead, Notifier(ConsoleSink()))
    with corpus.open("rb") as lines:
        service.ingest(read_jsonl(lines, str(corpus), now))
    store.close()


async def idle(pilot: Pilot[None], done: Callable[[], bool], workers: bool = True) -> None:
    """Until `done()` holds and (with `workers`) no worker but the file follower, which never
    ends, is running; 30 s at most."""
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        busy = any(w.is_running and w.group != "follow" for w in pilot.app.workers)
        if done() and not (workers and busy):
            return
        await asyncio.sleep(0.001)
    raise TimeoutError("the console did not get there within 30 s")


def moved(table: MentionTable, before: int) -> bool:
    return table.cursor_row != before


def replaced(table: MentionTable, shown: list[InboxRow]) -> bool:
    return table.rows_shown is not shown


BURST = 5_000
SEARCHED = "piece of glass"  # in a few of the corpus's harm posts


class FollowingApp(CrisisConsoleApp):
    """The console, counting the mentions its follower has reported as ingested."""

    arrived = 0

    def _followed(self, path: Path, report: IngestReport) -> None:
        self.arrived += report.new
        super()._followed(path, report)


def burst_lines(count: int) -> str:
    return "".join(
        json.dumps(
            {
                "id": f"burst-{i}",
                "platform": "x",
                "author": f"user{i % 700}",
                "text": f"order {i} never arrived and nobody answers, day {i % 9}",
                "created_at": "2026-11-21T09:00:00Z",
            }
        )
        + "\n"
        for i in range(count)
    )


async def burst(pilot: Pilot[None], app: FollowingApp, feed: Path) -> tuple[float, float]:
    """Append BURST lines at once; return (seconds until all arrived, longest stall in ms)."""
    with feed.open("a", encoding="utf-8") as handle:
        handle.write(burst_lines(BURST))
    t0 = last = time.perf_counter()
    stall = 0.0
    while app.arrived < BURST:
        if time.perf_counter() - t0 > 120:
            raise TimeoutError("the burst did not arrive within 120 s")
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        stall, last = max(stall, now - last), now
    return time.perf_counter() - t0, 1000 * stall


async def drive(service: ConsoleService, feed: Path) -> dict[str, float]:
    app = FollowingApp(service, "bench", run_timers=False, follow=feed)
    figures: dict[str, float] = {}
    start = time.perf_counter()
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.screen.query_one(MentionTable)
        await idle(pilot, lambda: bool(table.rows_shown))
        figures["first screen s"] = time.perf_counter() - start
        # The test driver spends tens of milliseconds per key waiting for the app to go idle;
        # measured alone, and then the app's own work is timed without it.
        noop = []
        for _ in range(10):
            t0 = time.perf_counter()
            await pilot.press("z")
            noop.append(time.perf_counter() - t0)
        figures["driver ms"] = 1000 * statistics.median(noop)
        moves = []
        for _ in range(50):
            before = table.cursor_row
            t0 = time.perf_counter()
            table.action_cursor_down()
            await idle(pilot, functools.partial(moved, table, before), workers=False)
            moves.append(time.perf_counter() - t0)
            await pilot.pause()
        figures["cursor ms"] = 1000 * statistics.median(moves)
        filters = []
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        for _ in range(8):
            shown = table.rows_shown
            t0 = time.perf_counter()
            screen.action_urgency()
            await idle(pilot, functools.partial(replaced, table, shown), workers=False)
            filters.append(time.perf_counter() - t0)
            await idle(pilot, lambda: True)
        figures["filter ms"] = 1000 * statistics.median(filters)
        figures["rss MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # A text search: the work the search box's worker does, first and then again.
        for name in ("search s", "search again s"):
            t0 = time.perf_counter()
            found = service.inbox_page(InboxFilter(status="all", text=SEARCHED), 0, 50)
            figures[name] = time.perf_counter() - t0
        figures["search hits"] = found.total
        figures["burst s"], figures["stall ms"] = await burst(pilot, app, feed)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stored", type=int, default=100_000)
    args = parser.parse_args()
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        # Built in a child process, so this one's memory is the console's alone.
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"from bench.console_bench import build; "
                f"from pathlib import Path; build(Path({str(folder)!r}), {args.stored})",
            ],
            check=True,
        )
        print(f"built a store of {args.stored:,} mentions in {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        store = TinyDBStore(folder)
        audit = AuditLog(folder / AUDIT_FILE)
        opened = time.perf_counter() - t0
        triager = Triager(load_playbook(config.playbook_path(None)))
        service = ConsoleService(
            store,
            audit,
            triager,
            system_clock,
            Operator("bench", frozenset({Role.LEAD})),
            Notifier(ConsoleSink()),
        )
        feed = folder / "feed.jsonl"
        feed.touch()
        figures = asyncio.run(drive(service, feed))
        store.close()
    rss_mb = figures["rss MB"]
    print(f"\nopen the data folder     {opened:8.2f} s")
    print(f"first screen             {figures['first screen s']:8.2f} s    (target <= 1 s)")
    print(f"cursor move, median      {figures['cursor ms']:8.1f} ms   (target <= 50 ms)")
    print(f"  (the test driver adds {figures['driver ms']:.0f} ms to every key it presses)")
    print(f"apply a filter, median   {figures['filter ms']:8.1f} ms   (target <= 50 ms)")
    print(f"peak resident memory     {rss_mb:8.0f} MB   (target < 200 MB)")
    print(
        f"search '{SEARCHED}'    {figures['search s']:8.2f} s    "
        f"({figures['search hits']:,.0f} found; again: {figures['search again s']:.3f} s)"
    )
    rate = BURST / figures["burst s"]
    print(
        f"burst of {BURST:,} lines      {figures['burst s']:8.2f} s    ({rate:,.0f} /s); "
        f"longest stall {figures['stall ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
