"""Two consoles on one team database: what one operator does shows in the other's console
within a second, through the change feed, with no reload by hand."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets._toast import Toast

from crisis_console import config
from crisis_console.cli import open_service
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.service import ConsoleService
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.connection import connect
from crisis_console.core.store.postgres.roster import seed_lead
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.screens.approvals import ApprovalScreen
from crisis_console.tui.widgets.mention_table import MentionTable
from tests.conftest import NOW, jsonl, record
from tests.postgres.team_fixture import Team
from tests.postgres.team_workers import service_for
from tests.tui.test_inbox import screen_text

SHOWN_WITHIN = 1.0  # seconds, as issue 14 asks


async def until(pilot: Pilot[None], check: Callable[[], bool], what: str) -> None:
    """Let the console run until `check` holds; fail, saying `what`, if it takes more than
    the second issue 14 allows, plus headroom for a busy machine's event loop."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < SHOWN_WITHIN + 2, what
        await pilot.pause()
        await asyncio.sleep(0.05)


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


async def test_another_operators_level_change_and_alarms_are_announced(team: Team) -> None:
    """maya (pr) raises the level in her process and ingests a post about a fire: lee's
    console says who set which level, shows it on the header and status line, and rings for
    the new alarm, with nobody pressing a key there."""
    assert team.run("lead", "team", "set", team.logins["maya"], "pr").returncode == 0
    assert team.run("lead", "team", "set", team.logins["lee"], "social").returncode == 0
    with (
        service_for(team.dsn("lee"), team.folder) as mine,
        service_for(team.dsn("maya"), team.folder) as theirs,
    ):
        theirs.ingest(read_jsonl(jsonl(record("1", "Where is my parcel?")), "a.jsonl", NOW))
        app = CrisisConsoleApp(mine, "team", run_timers=False)
        bells: list[float] = []
        app.bell = lambda: bells.append(time.monotonic())  # type: ignore[method-assign]
        async with app.run_test(size=(130, 32), notifications=True) as pilot:
            status = app.screen.query_one("#inbox-status")

            await until(pilot, lambda: "1–1 of 1" in screen_text(status), "the first page")
            assert "LEVEL" not in app.sub_title and "LEVEL" not in screen_text(status)
            theirs.crisis.set_level(2, "Fire reports on AirCrisp")

            def toasts() -> str:
                return " ".join(str(t.render()) for t in app.screen.query(Toast))

            await until(pilot, lambda: "set level 2" in toasts(), "the level's toast")
            assert f"{team.logins['maya']} set level 2 (crisis): Fire reports" in toasts()
            assert app.sub_title.startswith("LEVEL 2 CRISIS for 0m · ")
            await until(pilot, lambda: "LEVEL 2 CRISIS" in screen_text(status), "the status line")
            assert "ordinary sending paused" in screen_text(status)
            assert not bells
            feed = jsonl(record("2", "My charger caught fire and burned my hand"))
            theirs.ingest(read_jsonl(feed, "b.jsonl", NOW))
            await until(pilot, lambda: bool(bells), "the bell for another process's alarm")
            # The toast is mounted on a refresh after the bell has rung.
            alarm = "1 new risk-of-harm alarm: press a."
            await until(pilot, lambda: alarm in toasts(), "the alarm's toast")


async def test_a_draft_shows_in_the_approvers_queue_and_the_sender_hears_it_went(
    team: Team,
) -> None:
    """The lead's draft appears in maya's open approval queue by itself; maya approves (and
    so sends) it in her console, the leading process's outbox delivers it, and maya's
    console says it was sent, though another process sent it."""
    assert team.run("lead", "team", "set", team.logins["maya"], "social").returncode == 0
    with service_for(team.dsn("lead"), team.folder) as lead:
        assert lead._store.is_leader()  # the first to ask leads: its outbox sends for all
        with service_for(team.dsn("maya"), team.folder) as mine:
            await approve_in_my_console(mine, lead)


async def approve_in_my_console(mine: ConsoleService, lead: ConsoleService) -> None:
    lead.ingest(read_jsonl(jsonl(record("1", "Where is my parcel?")), "a.jsonl", NOW))
    lead.replies.approve_template("delivery-delay")
    mine.replies.deliver_now = False  # as the console's composition root sets it
    app = CrisisConsoleApp(mine, "team", run_timers=False)
    async with app.run_test(size=(130, 32), notifications=True) as pilot:
        await pilot.press("A")
        screen = app.screen
        assert isinstance(screen, ApprovalScreen)

        await until(
            pilot,
            lambda: "Nothing waits" in screen_text(screen.query_one("#approval-detail")),
            "an empty queue",
        )
        lead.claims.claim("x:1")
        draft = lead.replies.submit("x:1", "delivery-delay", {"new_date": "Thursday"})
        lead.claims.release("x:1")
        await until(pilot, lambda: [r.id for r in screen.rows] == [draft.id], "the draft, live")
        await pilot.press("y")
        await until(pilot, lambda: mine.replies.reply(draft.id).status == "sending", "sending")
        assert [r.id for r in lead.work_outbox()] == [draft.id]  # the leader delivers

        def toasts() -> str:
            return " ".join(str(t.render()) for t in app.screen.query(Toast))

        await until(pilot, lambda: f"Sent to x:1 ({draft.id[:8]})" in toasts(), "the sender told")
