"""Inbox filters, search, claims, paging and help, driven with Pilot, each asserting state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets._toast import Toast

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.tui import app as app_module
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.screens import inbox as inbox_screen
from crisis_console.tui.screens.help import HelpScreen
from crisis_console.tui.screens.inbox import InboxScreen
from crisis_console.tui.widgets.mention_detail import MentionDetail
from crisis_console.tui.widgets.mention_table import MentionTable
from tests.conftest import NOW, ServiceFactory, jsonl, record
from tests.tui.test_inbox import FEED, screen_text, settle


def keys(app: CrisisConsoleApp) -> list[str]:
    return [row.key for row in app.screen.query_one(MentionTable).rows_shown]


def app_for(make_service: ServiceFactory, *roles: Role, name: str = "tester") -> CrisisConsoleApp:
    make_service(name="lee").ingest(read_jsonl(FEED, "feed", NOW))
    return CrisisConsoleApp(make_service(*roles, name=name), "test-store", run_timers=False)


async def test_filters_search_and_clearing(make_service: ServiceFactory) -> None:
    app = app_for(make_service, Role.SUPPORT, name="sam")
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        assert len(keys(app)) == 5
        await pilot.press("m")  # my queue: support
        await settle(pilot)
        assert keys(app) == ["facebook:question"]
        await pilot.press("m", "u")  # all queues again; urgency: critical
        await settle(pilot)
        assert keys(app) == ["x:fire"]
        await pilot.press("0", "p", "p")  # clear; platform: x then facebook
        await settle(pilot)
        assert keys(app) == ["facebook:question"]
        await pilot.press("0", "slash", *"solicitor", "enter")
        await settle(pilot)
        assert keys(app) == ["reddit:legal"]
        assert "search 'solicitor'" in screen_text(app.screen.query_one("#inbox-status"))
        await pilot.press("0", "slash", *"@GrumpyGran", "enter")  # the whole handle, any case
        await settle(pilot)
        assert keys(app) == ["x:markup"]
        await pilot.press("0", "slash", *"nothing like this", "enter")
        await settle(pilot)
        assert keys(app) == [] and "Nothing matches" in screen_text(
            app.screen.query_one("#inbox-status")
        )


async def test_claim_shows_the_holder_and_status_filter(make_service: ServiceFactory) -> None:
    app = app_for(make_service, Role.SOCIAL, name="maya")
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        await pilot.press("C")  # claims the first row
        await settle(pilot)
        assert app.screen.query_one(MentionTable).rows_shown[0].key == "x:fire"
        assert isinstance(app.screen, InboxScreen)
        assert app.screen.service.claim_holders() == {"x:fire": "maya"}
        assert "maya" in screen_text(app.screen.query_one(MentionTable))
        await pilot.press("s")  # status: claimed
        await settle(pilot)
        assert keys(app) == ["x:fire"]
        await pilot.press("C")  # release
        await settle(pilot)
        assert app.screen.service.claim_holders() == {}


async def test_paging_through_more_than_a_page(make_service: ServiceFactory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(inbox_screen, "PAGE", 2)
    app = app_for(make_service)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        assert keys(app) == ["x:fire", "reddit:legal"]
        assert "1–2 of 5" in screen_text(app.screen.query_one("#inbox-status"))
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert keys(app) == ["facebook:question", "x:praise"]
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert keys(app) == ["x:markup"]
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "3–4 of 5" in screen_text(app.screen.query_one("#inbox-status"))


async def test_help_lists_every_screen(make_service: ServiceFactory) -> None:
    app = app_for(make_service)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, InboxScreen)


def test_help_snapshot_80x24(
    make_service: ServiceFactory, snap_compare: Callable[..., bool]
) -> None:
    async def open_help(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app_for(make_service), terminal_size=(80, 24), run_before=open_help)


def test_inbox_snapshot_160x50(
    make_service: ServiceFactory, snap_compare: Callable[..., bool]
) -> None:
    assert snap_compare(app_for(make_service), terminal_size=(160, 50), run_before=settle)


async def test_new_lines_of_a_followed_file_appear_without_a_restart(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    feed = tmp_path / "live.jsonl"
    feed.write_text("\n".join(FEED[:2]) + "\n")
    service = make_service()
    app = CrisisConsoleApp(service, "test-store", run_timers=False, follow=feed)
    async with app.run_test(size=(120, 32)) as pilot:
        for _ in range(100):  # the follower never finishes, so no waiting for idle workers
            await pilot.pause(0.05)
            if len(keys(app)) == 2:
                break
        assert sorted(keys(app)) == ["facebook:question", "x:praise"]
        with feed.open("a") as handle:
            handle.write("\n".join(FEED[2:]) + "\n")
        for _ in range(100):
            await pilot.pause(0.05)
            if len(keys(app)) == 5:
                break
        assert len(keys(app)) == 5 and keys(app)[0] == "x:fire"


async def test_toasts_show_strangers_text_as_it_is(
    make_service: ServiceFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An alarm's toast quotes the post; a followed file's toast names its bad lines. Neither
    is read as markup (which could crash the console or restyle it) nor passes escapes.
    A batch ingested in parts still makes one toast, with the right line numbers."""
    monkeypatch.setattr(app_module, "FOLLOW_CHUNK", 1)
    hostile = "My AirCrisp caught fire [/] [link=http://evil]kids[/link] were there \x1b[2J"
    feed = tmp_path / "live.jsonl"
    feed.write_text(jsonl(record("harm", hostile, author="[b]sam[/b]"))[0] + "\nnot json\n")
    app = CrisisConsoleApp(make_service(), "test-store", run_timers=False, follow=feed)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if len(app.screen.query(Toast)) >= 2:
                break
        await pilot.pause(0.2)  # laid out
        shown = "\n".join(screen_text(toast) for toast in app.screen.query(Toast))
        # A toast is cut to a few lines on screen; what it renders is the whole message.
        whole = " ".join(str(toast.render()) for toast in app.screen.query(Toast))
    assert "caught fire [/] [link=http://evil]kids[/link] were there \\x1b[2J" in whole
    assert "live.jsonl:2: not valid JSON" in whole
    assert whole.count("From live.jsonl") == 1 and "1 new, 0 updated" in whole
    assert "@[b]sam[/b] on x: My AirCrisp caught fire" in " ".join(shown.split())
    assert "\x1b" not in shown


async def test_a_key_pressed_right_after_a_search_acts_on_the_row_the_cursor_is_on(
    make_service: ServiceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The detail pane is read a moment after the cursor rests; a claim pressed before it
    catches up must take the mention the cursor is on, not the one shown before the search
    (seen in a real terminal on a busy machine: the top harm post was claimed instead)."""
    app = app_for(make_service, Role.SUPPORT, name="sam")
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        assert keys(app)[0] == "x:fire"
        detail = app.screen.query_one(MentionDetail)
        assert detail.mention is not None and detail.mention.key == "x:fire"
        monkeypatch.setattr(inbox_screen, "DETAIL_DELAY", 3600)  # the pane never catches up
        await pilot.press("slash", *"subscription", "enter")
        await settle(pilot)
        assert keys(app) == ["facebook:question"] and detail.mention.key == "x:fire"
        await pilot.press("C")
        await settle(pilot)
    holders = app.service.claim_holders()
    assert holders == {"facebook:question": "sam"}


async def test_an_auditors_console_does_not_follow_a_file_and_says_why(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    """Following a file ingests it: an auditor, who changes nothing, is refused once, at the
    start (audited), with a toast; nothing is stored, and the console goes on."""
    feed = tmp_path / "live.jsonl"
    feed.write_text(jsonl(record("1", "found glass in my soup"))[0] + "\n")
    auditor = make_service(Role.AUDITOR, name="ada")
    app = CrisisConsoleApp(auditor, "test-store", run_timers=False, follow=feed)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        for _ in range(40):
            await pilot.pause(0.05)
            if app.screen.query(Toast):
                break
        whole = " ".join(str(toast.render()) for toast in app.screen.query(Toast))
        assert "Could not follow live.jsonl" in whole and "ada (auditor) may not ingest" in whole
        assert isinstance(app.screen, InboxScreen)
    assert auditor.mention("x:1") is None


async def test_a_followed_stream_tells_what_the_platform_said_that_is_no_post(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    """A real X filtered stream, recorded by twarc: its error line (the stream disconnected)
    is told in the follow's toast, never dropped or counted as a rejected post."""
    stream = (
        Path(__file__).parent.parent / "data" / "platforms" / "real" / "x_filtered_stream.jsonl"
    )
    feed = tmp_path / "live.jsonl"
    feed.write_bytes(stream.read_bytes())
    app = CrisisConsoleApp(make_service(), "test-store", run_timers=False, follow=feed)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if app.screen.query(Toast):
                break
        whole = " ".join(str(toast.render()) for toast in app.screen.query(Toast))
    assert "7 new, 0 updated, 0 deleted, 1 duplicate(s), 0 rejected" in whole
    assert f"note: {feed}:5: an API error message, not a post: This stream has been" in whole
