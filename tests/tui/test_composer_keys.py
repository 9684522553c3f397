"""Issue 18, bugs 1, 2, 3 and 7, and the composer's order: a key pressed while writing a
reply never leaves the screen or loses the draft; quitting asks first when work would be
left; a draft survives a quit; the inbox shows a sent reply at once; Textual's own hints
show as text, not as markup."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from crisis_console.core.models import Role
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.screens.approvals import ApprovalScreen
from crisis_console.tui.screens.quit_dialog import QuitDialog
from crisis_console.tui.screens.reply import ReplyScreen
from crisis_console.tui.widgets.mention_table import MentionTable
from tests.conftest import ServiceFactory
from tests.tui.test_inbox import screen_text, settle
from tests.tui.test_reply_console import app_for, compose_delay, prepared


def template_ids(app: CrisisConsoleApp) -> list[str]:
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).id) for i in range(options.option_count)]


async def open_composer(pilot: Pilot[None], app: CrisisConsoleApp) -> ReplyScreen:
    await settle(pilot)
    await pilot.press("R")
    await settle(pilot)
    assert isinstance(app.screen, ReplyScreen)
    return app.screen


async def test_typing_in_the_composer_never_fires_a_hotkey(make_service: ServiceFactory) -> None:
    """Bug 1 as found: R, a template with a variable, Tab, then "quality issue"; q, A and L
    must not quit, open approvals or the level dialog. Focus starts in a text field and
    Tab only ever goes from one text field to another."""
    prepared(make_service)
    app = app_for(make_service(name="lee"))
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_composer(pilot, app)
        assert isinstance(app.focused, Input) and app.focused.id == "reply-filter"
        await pilot.press(*"holding")  # type-to-filter: letters are text here too
        await settle(pilot)
        assert app.screen is screen and "holding-statement" in template_ids(app)
        assert all("holding" in t for t in template_ids(app))
        app.screen.query_one("#reply-filter", Input).value = ""
        await settle(pilot)
        screen.query_one(OptionList).highlighted = template_ids(app).index("holding-statement")
        await settle(pilot)
        # Filter, variable, filter, variable: round the fields, never a list or a container.
        for _ in range(3):
            await pilot.press("tab")
            assert isinstance(app.focused, Input), app.focused
        assert app.focused is not None and app.focused.id == "var-issue"
        await pilot.press(*"quality issue", "A", "L", "c", "O", "U", "question_mark")
        await settle(pilot)
        assert app.is_running and app.screen is screen
        assert screen.query_one("#var-issue", Input).value == "quality issueALcOU?"


async def test_no_letter_fires_from_the_template_list_either(
    make_service: ServiceFactory,
) -> None:
    """A template without variables: the letters go into the filter, not to the app."""
    prepared(make_service)
    app = app_for(make_service(name="lee"))
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_composer(pilot, app)
        await pilot.press("down", "enter", "tab", "q", "A")
        await settle(pilot)
        assert app.is_running and app.screen is screen
        assert not isinstance(app.screen, ApprovalScreen)


async def test_quit_asks_while_a_reply_is_written_and_the_reply_survives_a_restart(
    make_service: ServiceFactory,
) -> None:
    """Bug 2: q (or Ctrl+Q) with a reply in the composer asks first; n stays; y quits and
    the reply comes back in a new console, told at start."""
    prepared(make_service)
    lee = make_service(name="lee")
    app = app_for(lee)
    async with app.run_test(size=(160, 50)) as pilot:
        await compose_delay(pilot, app, "Friday")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, QuitDialog)
        reasons = screen_text(app.screen.query_one("#quit-reasons"))
        assert "facebook:1" in reasons and "not submitted" in reasons
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ReplyScreen) and app.is_running
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
    assert not app.is_running
    kept = lee.composing.get("facebook:1")
    assert kept is not None and kept.template_id == "delivery-delay"
    assert kept.variables == {"new_date": "Friday"}

    again = app_for(make_service(name="lee"))
    async with again.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        told = [n.message for n in again._notifications]
        assert any("facebook:1" in m and "R" in m for m in told), told
        screen = await open_composer(pilot, again)
        assert screen.query_one("#var-new_date", Input).value == "Friday"
        assert screen.template is not None and screen.template.id == "delivery-delay"
        await pilot.press("ctrl+e")  # sent: nothing is kept any more
        await settle(pilot)
    assert lee.composing.get("facebook:1") is None


async def test_a_draft_is_kept_per_operator(make_service: ServiceFactory) -> None:
    """What one operator typed is theirs: another does not find it in their composer."""
    prepared(make_service)
    lee = make_service(name="lee")
    lee.composing.save("facebook:1", "delivery-delay", {"new_date": "Monday"})
    maya = make_service(Role.SOCIAL, name="maya")
    assert maya.composing.get("facebook:1") is None and maya.composing.mine() == []
    assert [c.key for c in lee.composing.mine()] == ["facebook:1"]
    lee.composing.save("facebook:1", "delivery-delay", {"new_date": ""})  # emptied: gone
    assert lee.composing.mine() == []


async def test_quit_asks_while_an_alarm_is_unacknowledged(make_service: ServiceFactory) -> None:
    """Bug 2: open alarms are named before quitting; with nothing left undone, q quits."""
    from crisis_console.core.intake.ingest import read_jsonl
    from tests.conftest import NOW, jsonl, record

    lee = make_service(name="lee")
    lee.ingest(read_jsonl(jsonl(record("1", "I want to kill myself tonight")), "f", NOW))
    app = app_for(lee)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, QuitDialog)
        assert "1 risk-of-harm alarm is not acknowledged" in screen_text(
            app.screen.query_one("#quit-reasons")
        )
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running
        lee.crisis.acknowledge("x:1")
        await pilot.press("q")
        await settle(pilot)
    assert not app.is_running


async def test_the_inbox_shows_a_sent_reply_at_once(make_service: ServiceFactory) -> None:
    """Bug 3: back from the composer, the answered row has left the open inbox and the
    queue counts are new, with no timer run (the console's timers are off here)."""
    prepared(make_service)
    maya = make_service(Role.SOCIAL, name="maya")
    app = app_for(maya)
    async with app.run_test(size=(120, 36)) as pilot:
        await compose_delay(pilot, app, "Friday")
        await pilot.press("ctrl+e")
        await settle(pilot)
        status = screen_text(app.screen.query_one("#inbox-status"))
        assert "open: none" in status, status
        assert app.screen.query_one(MentionTable).rows_shown == []


async def test_ctrl_c_tells_how_to_quit_in_plain_words(make_service: ServiceFactory) -> None:
    """Bug 7: Textual's hint was shown with its markup spelled out ("[b]ctrl+q[/b]")."""
    app = app_for(make_service(name="lee"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await settle(pilot)
        [told] = [n for n in app._notifications]
        assert told.message == "Press q or Ctrl+Q to quit." and "[" not in told.title
        assert app.is_running


async def test_a_digit_picks_the_level_and_is_text_in_the_reason(
    make_service: ServiceFactory,
) -> None:
    """The level dialog: `2` picks level 2 at once (a Down sent behind Enter was seen lost
    in a real terminal); in the reason a digit is text; no letter fires an app key."""
    from textual.widgets import Select

    from crisis_console.tui.screens.level_dialog import LevelDialog

    lee = make_service(name="lee")
    app = app_for(lee)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        assert isinstance(app.screen, LevelDialog)
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.query_one("#level-choice", Select).value == 2
        assert app.focused is not None and app.focused.id == "level-reason"
        await pilot.press(*"3 stores qALc", "enter")
        await settle(pilot)
    assert lee.crisis.state().level == 2 and lee.crisis.state().reason == "3 stores qALc"
