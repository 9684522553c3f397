"""The reply flow in the console: support drafts, social approves and it goes out once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.service import ConsoleService
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.screens.approvals import ApprovalScreen
from crisis_console.tui.screens.reply import ReplyScreen
from tests.conftest import NOW, ServiceFactory, jsonl, record
from tests.tui.test_inbox import settle

FEED = jsonl(
    record(
        "1",
        "My delivery is three days late and I'm still waiting",
        author="dan",
        author_name="Dan",
        platform="facebook",
    )
)


def prepared(make_service: ServiceFactory) -> None:
    lead = make_service(name="lee")
    lead.ingest(read_jsonl(FEED, "feed", NOW))
    for template_id in lead.replies.templates:
        lead.replies.approve_template(template_id)


def app_for(service: ConsoleService) -> CrisisConsoleApp:
    return CrisisConsoleApp(service, "test-store", run_timers=False)


async def compose_delay(pilot: Pilot[None], app: CrisisConsoleApp, date: str) -> None:
    await settle(pilot)
    await pilot.press("R")
    await settle(pilot)
    assert isinstance(app.screen, ReplyScreen)
    options = app.screen.query_one(OptionList)
    ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
    assert "delivery-delay" in ids and "thanks-praise" not in ids  # only templates that fit
    options.highlighted = ids.index("delivery-delay")
    await settle(pilot)
    app.screen.query_one("#var-new_date", Input).focus()
    await pilot.press(*date)
    await settle(pilot)


async def test_support_drafts_and_sees_the_policy_guard(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    prepared(make_service)
    sam = make_service(Role.SUPPORT, name="sam")
    app = app_for(sam)
    async with app.run_test(size=(120, 36)) as pilot:
        await compose_delay(pilot, app, "Friday, call 07700 900123")
        findings = str(app.screen.query_one("#reply-findings", Static).content)
        assert "BLOCK" in findings and "07700 900123" in findings
        preview = str(app.screen.query_one("#reply-preview", Static).content)
        assert preview.startswith("Hi Dan, sorry your delivery is running late")
        await pilot.press("ctrl+s")  # blocked: stays on the composer
        await settle(pilot)
        assert isinstance(app.screen, ReplyScreen) and sam.replies.replies() == []
        app.screen.query_one("#var-new_date", Input).value = "Friday"
        await settle(pilot)
        await pilot.press("ctrl+e")  # support may not send
        await settle(pilot)
        assert sam.replies.replies() == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ReplyScreen)
        [draft] = sam.replies.replies()
        assert (draft.status, draft.author) == ("pending", "sam")
    assert not (tmp_path / "outbox.jsonl").exists()


async def test_social_approves_from_the_queue_and_it_goes_out_once(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    prepared(make_service)
    sam = make_service(Role.SUPPORT, name="sam")
    draft = sam.replies.submit("facebook:1", "delivery-delay", {"new_date": "Friday"})
    maya = make_service(Role.SOCIAL, name="maya")
    app = app_for(maya)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalScreen)
        detail = str(app.screen.query_one("#approval-detail", Static).content)
        assert "by sam" in detail and "Friday" in detail
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("y")  # a second press finds nothing left to approve
        await settle(pilot)
    [line] = (tmp_path / "outbox.jsonl").read_text().splitlines()
    assert json.loads(line)["idempotency_key"] == draft.id
    assert maya.replies.reply(draft.id).sent_by == "maya"


async def test_social_sends_directly_from_the_composer(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    prepared(make_service)
    maya = make_service(Role.SOCIAL, name="maya")
    app = app_for(maya)
    async with app.run_test(size=(120, 36)) as pilot:
        await compose_delay(pilot, app, "Friday")
        await pilot.press("ctrl+e")
        await settle(pilot)
    [line] = (tmp_path / "outbox.jsonl").read_text().splitlines()
    assert json.loads(line)["text"].startswith("Hi Dan, sorry your delivery is running late")


def test_composer_snapshot(make_service: ServiceFactory, snap_compare: Callable[..., bool]) -> None:
    prepared(make_service)
    maya = make_service(Role.SOCIAL, name="maya")

    async def compose(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrisisConsoleApp)
        await compose_delay(pilot, app, "Friday, ring 07700 900123")

    assert snap_compare(app_for(maya), terminal_size=(110, 32), run_before=compose)


async def test_tab_and_enter_go_from_the_template_list_into_its_first_variable(
    make_service: ServiceFactory,
) -> None:
    prepared(make_service)
    app = app_for(make_service(Role.SUPPORT, name="sam"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        options.highlighted = ids.index("delivery-delay")
        await settle(pilot)
        await pilot.press("tab")  # not into the form's scrolling container
        assert focused_id(app) == "var-new_date"
        await pilot.press("shift+tab")
        assert focused_id(app) == "reply-filter"  # the filter, a text field: never the list
        await pilot.press("enter")  # picking the template goes on to its first variable
        await settle(pilot)
        assert focused_id(app) == "var-new_date"


def focused_id(app: CrisisConsoleApp) -> str | None:
    return app.focused.id if app.focused is not None else None
