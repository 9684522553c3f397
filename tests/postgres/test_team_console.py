"""Two consoles on one team database: what one operator does shows in the other's console
within a second, through the change feed, with no reload by hand."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from crisis_console import config
from crisis_console.cli import open_service
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.connection import connect
from crisis_console.core.store.postgres.roster import seed_lead
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.widgets.mention_table import MentionTable
from tests.conftest import NOW, jsonl, record

SHOWN_WITHIN = 1.0  # seconds, as issue 14 asks


async def test_one_console_sees_another_operators_work_within_a_second(
    pg_dsn: str, tmp_path: Path
) -> None:
    with connect(pg_dsn) as conn:
        migrations.migrate(conn)
        seed_lead(conn)
    playbook = load_playbook(config.playbook_path(None, folder=tmp_path))
    clock = lambda: NOW  # noqa: E731
    with (
        open_service(tmp_path / "a", playbook, clock, db=pg_dsn) as mine,
        open_service(tmp_path / "b", playbook, clock, db=pg_dsn) as theirs,
    ):
        assert Role.LEAD in mine.operator.roles
        theirs.ingest(read_jsonl(jsonl(record("1", "Where is my parcel?")), "a.jsonl", NOW))
        app = CrisisConsoleApp(mine, "team", run_timers=False)
        async with app.run_test(size=(110, 32)) as pilot:
            table = app.screen.query_one(MentionTable)

            async def shown(key: str, within: float) -> float:
                start = time.monotonic()
                while time.monotonic() - start < within + 2:
                    await pilot.pause()
                    if key in [r.key.value for r in table.ordered_rows]:
                        return time.monotonic() - start
                    await asyncio.sleep(0.05)
                raise AssertionError(f"{key} not shown after {within + 2} s")

            await shown("x:1", 5)  # the first page
            # Another operator's process ingests: it shows here, nobody pressed a key.
            feed = jsonl(record("2", "My charger caught fire and burned my hand"))
            theirs.ingest(read_jsonl(feed, "b.jsonl", NOW))
            took = await shown("x:2", SHOWN_WITHIN)
            assert took < SHOWN_WITHIN + 0.5, took  # headroom for a busy machine's event loop
            # And their claim shows in the Who column (six characters wide).
            theirs.claims.claim("x:1")
            start = time.monotonic()
            while mine.claim_holders().get("x:1") is None or "postg" not in str(
                table.get_row("x:1")
            ):
                assert time.monotonic() - start < SHOWN_WITHIN + 2, table.get_row("x:1")
                await pilot.pause()
                await asyncio.sleep(0.05)
