"""Issue 18, features 2-5 in the console: assign, note, tag, close and reopen, marks and
bulk claim and acknowledge; the colleague assigned to is told in their console."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.roster import RosterFile, write_roster
from crisis_console.core.service import ConsoleService
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.screens.pick_dialog import PickDialog
from crisis_console.tui.screens.text_prompt import TextPrompt
from crisis_console.tui.widgets.mention_table import MentionTable
from tests.conftest import NOW, ServiceFactory, jsonl, record
from tests.tui.test_inbox import detail_text, screen_text, settle

HARM = [f"I will hurt myself tonight, number {i}" for i in range(4)]


def team(make_service: ServiceFactory, tmp_path: Path) -> tuple[ConsoleService, RosterFile]:
    roster = RosterFile(tmp_path / "team.yaml")
    write_roster(roster.path, {"lee": [Role.LEAD], "maya": [Role.SOCIAL]})
    lee = make_service(name="lee", roster=roster)
    posts = [record(f"h{i}", text, author=f"a{i}") for i, text in enumerate(HARM)]
    posts.append(record("spam", "Buy followers cheap at example dot com", author="bot"))
    lee.ingest(read_jsonl(jsonl(*posts), "feed", NOW))
    return lee, roster


def console(service: ConsoleService) -> CrisisConsoleApp:
    return CrisisConsoleApp(service, "test-store", run_timers=False)


def table(app: CrisisConsoleApp) -> MentionTable:
    return app.screen.query_one(MentionTable)


async def pick(pilot: Pilot[None], text: str) -> None:
    assert isinstance(pilot.app.screen, PickDialog)
    pilot.app.screen.query_one("#pick-filter", Input).value = text
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def test_marks_then_one_key_acknowledges_every_alarm(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    lee, _ = team(make_service, tmp_path)
    app = console(lee)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        assert lee.crisis.alarm_summary()[0] == 4
        await pilot.press("space", "space", "space")
        await settle(pilot)
        assert len(table(app).marked) == 3
        assert "3 marked" in screen_text(app.screen.query_one("#inbox-status"))
        await pilot.press("a")
        await settle(pilot)
        assert lee.crisis.alarm_summary()[0] == 1 and not table(app).marked
        await pilot.press("asterisk")  # the whole filter
        await settle(pilot)
        assert len(table(app).marked) == 5
        await pilot.press("asterisk")  # again: none
        await settle(pilot)
        assert not table(app).marked


async def test_assign_tells_the_colleague_and_fills_their_queue(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    lee, roster = team(make_service, tmp_path)
    maya = make_service(Role.SOCIAL, name="maya", roster=roster)
    app = console(lee)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("G")  # the spam post, last
        await settle(pilot)
        key = table(app).current_key()
        assert key is not None
        await pilot.press("W")
        await settle(pilot)
        await pick(pilot, "maya")
        row = [str(c) for c in table(app).get_row(key)]
        assert "→maya" in row
        assert "Assigned to maya by lee" in detail_text(app)
    theirs = console(maya)
    async with theirs.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        told = [(n.title, n.message) for n in theirs._notifications]
        assert ("lee assigned you 1 mention", f"{key}: in your queue (m).") in told
        await pilot.press("m")
        await settle(pilot)
        assert [r.key for r in table(theirs).rows_shown] == [key]
    assert maya.work.notices() == []  # told once


async def test_note_tag_close_and_reopen(make_service: ServiceFactory, tmp_path: Path) -> None:
    lee, _ = team(make_service, tmp_path)
    app = console(lee)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        key = table(app).current_key()
        assert key == "x:spam"
        await pilot.press("N")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"[b]bot[/b] again", "ctrl+s")
        await settle(pilot)
        await pilot.press("number_sign")
        await settle(pilot)
        await pick(pilot, "Bot Farm")
        shown = detail_text(app)
        assert "lee, 2026-03-14 12:00 UTC: [b]bot[/b] again" in shown  # never markup
        assert "Tags: #bot-farm" in shown
        await pilot.press("X")
        await settle(pilot)
        app.screen.query_one("#pick-comment", Input).value = "a follower seller"
        await pick(pilot, "spam")
        assert key not in [r.key for r in table(app).rows_shown]  # out of the open inbox
        await pilot.press("s", "s", "s")  # open, claimed, answered, closed
        await settle(pilot)
        assert [r.key for r in table(app).rows_shown] == [key]
        assert "CLOSED without a reply: spam by lee" in detail_text(app)
        assert "Respond by" not in detail_text(app)
        await pilot.press("X")
        await settle(pilot)
        await pick(pilot, "reopen")
        assert table(app).rows_shown == []
    assert not lee.work.detail(key).closed


async def test_bulk_answer_approved_once_ticks_the_holding_statement_step(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    """Feature 5 as the issue's done-when: mark the filter, answer with the holding
    statement, a second person approves the batch once in the queue (one row), every
    reply goes out filled with its own author, and the checklist step is ticked."""
    from tests.tui.test_inbox import screen_text as text_of

    roster = RosterFile(tmp_path / "team.yaml")
    write_roster(roster.path, {"lee": [Role.LEAD], "priya": [Role.PR]})
    lee = make_service(name="lee", roster=roster)
    posts = [record(f"q{i}", f"Is the vegan box safe to eat? asking {i}", author=f"p{i}")
             for i in range(12)]  # fmt: skip
    lee.ingest(read_jsonl(jsonl(*posts), "feed", NOW))
    for template_id in lee.replies.templates:
        lee.replies.approve_template(template_id)
    lee.crisis.set_level(2, "recall rumours")
    app = console(lee)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("asterisk")
        await settle(pilot)
        assert len(table(app).marked) == 12
        await pilot.press("R")
        await settle(pilot)
        filter_box = app.screen.query_one("#reply-filter", Input)
        filter_box.value = "holding statement"
        await settle(pilot)
        await pilot.press("enter")
        await pilot.press(*"reports about vegan boxes")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not table(app).marked  # the batch was made: the marks are spent
    [batch] = lee.batches.open()
    assert len(batch.replies) == 12 and batch.template == "holding-statement"

    priya = make_service(Role.PR, name="priya", roster=roster)
    theirs = console(priya)
    async with theirs.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert "Batch of 12 replies · by lee" in text_of(
            theirs.screen.query_one("#approval-detail")
        )
        await pilot.press("y")  # PR approves; at a crisis level social sends
        await settle(pilot)
    assert {r.status for r in lee.replies.replies()} == {"approved"}
    write_roster(roster.path, {"lee": [Role.LEAD], "priya": [Role.PR], "maya": [Role.SOCIAL]})
    maya = make_service(Role.SOCIAL, name="maya", roster=roster)
    sender = console(maya)
    async with sender.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        sender.work_outbox()  # the console's outbox worker delivers them
        await settle(pilot)
    sent = lee.replies.replies()
    assert len(sent) == 12 and {r.status for r in sent} == {"sent"}
    assert {r.sent_by for r in sent} == {"maya"} and lee.batches.open() == []
    steps = {s.id: s for s in lee.crisis.state().steps}
    assert steps["holding-statement"].done_by == "priya"


async def test_the_reports_screen_counts_closed_and_tags(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    lee, _ = team(make_service, tmp_path)
    lee.work.close(["x:spam"], "spam")
    lee.work.tag(["x:h0", "x:h1"], "self-harm")
    app = console(lee)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        shown = " ".join(screen_text(app.screen.query_one("#report-other")).split())
        assert "Closed without a reply (apart from the times above): spam 1." in shown
        assert "Tags: #self-harm 2." in shown


async def test_search_by_tag_author_key_and_words_and_saved_views(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    """Feature 9 in the console: the search box reads #tag, @author, a key and whole
    words; `v` saves the filter in force and applies it again."""
    lee, _ = team(make_service, tmp_path)
    lee.work.tag(["x:h1", "x:h2"], "watch")
    app = console(lee)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)

        async def search(text: str) -> list[str]:
            await pilot.press("slash")
            box = app.screen.query_one("#inbox-search", Input)
            box.value = text
            await pilot.press("enter")
            await settle(pilot)
            return sorted(r.key for r in table(app).rows_shown)

        assert await search("#watch") == ["x:h1", "x:h2"]
        assert await search("@a3") == ["x:h3"]
        assert await search("x:spam") == ["x:spam"]
        assert await search("follow") == []  # a word, not the start of "followers"
        assert await search("followers cheap") == ["x:spam"]
        assert await search("#watch number 2") == ["x:h2"]
        await pilot.press("v")
        await settle(pilot)
        await pick(pilot, "watch two")  # a new name: the filter in force is saved
        await pilot.press("0")  # every filter cleared
        await settle(pilot)
        assert len(table(app).rows_shown) == 5
        await pilot.press("v")
        await settle(pilot)
        await pick(pilot, "watch two")
        assert [r.key for r in table(app).rows_shown] == ["x:h2"]
        assert app.screen.query_one("#inbox-search", Input).value == "#watch number 2"
    assert [v.name for v in lee.views.all() if v.name == "watch two"] == ["watch two"]
