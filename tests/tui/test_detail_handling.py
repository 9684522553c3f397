"""Issue 18, feature 1: what the team did about a mention is in its detail (our replies,
drafts, a rejection's comment, the alarm's acknowledgement), its countdown stops once it
is answered, and the level in force shows with how long it has been, on every screen."""

from __future__ import annotations

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.tui.app import CrisisConsoleApp
from tests.conftest import NOW, ServiceFactory, jsonl, record
from tests.tui.test_inbox import detail_text, settle
from tests.tui.test_reply_console import app_for, prepared


async def test_the_detail_shows_a_rejected_draft_and_its_comment(
    make_service: ServiceFactory,
) -> None:
    prepared(make_service)
    sam = make_service(Role.SUPPORT, name="sam")
    draft = sam.replies.submit("facebook:1", "delivery-delay", {"new_date": "Friday"})
    maya = make_service(Role.SOCIAL, name="maya")
    maya.replies.reject(draft.id, "Say which courier, please")
    app = app_for(sam)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        shown = detail_text(app)
        assert "Our replies" in shown and "REJECTED" in shown and "delivery-delay by sam" in shown
        assert "rejected by maya: Say which courier, please" in shown
        assert "Respond by" in shown  # not answered yet: the countdown goes on


async def test_an_answered_mention_stops_counting_down(make_service: ServiceFactory) -> None:
    prepared(make_service)
    maya = make_service(Role.SOCIAL, name="maya")
    maya.claims.claim("facebook:1")
    maya.replies.send("facebook:1", "delivery-delay", {"new_date": "Friday"})
    maya.work_outbox()
    app = app_for(maya)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("s", "s")  # open, claimed, answered
        await settle(pilot)
        shown = detail_text(app)
        assert "Answered 2026-03-14 12:00 UTC by maya (within its SLA)" in shown, shown
        assert "Respond by" not in shown and "SENT" in shown


async def test_an_acknowledged_alarm_names_who_and_the_level_shows_for_how_long(
    make_service: ServiceFactory,
) -> None:
    lee = make_service(name="lee")
    lee.ingest(read_jsonl(jsonl(record("1", "I want to kill myself tonight")), "f", NOW))
    lee.crisis.set_level(2, "self-harm posts")
    lee.crisis.acknowledge("x:1")
    app = CrisisConsoleApp(lee, "test-store", run_timers=False)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        assert "acknowledged by lee" in detail_text(app)
        assert app.sub_title.startswith("LEVEL 2 CRISIS for 0m · ")
        for key in ("c", "A", "U", "O"):  # every screen's header
            await pilot.press(key)
            await settle(pilot)
            assert not app.screen.sub_title  # each screen shows the app's header
            assert app.sub_title.startswith("LEVEL 2 CRISIS for")
            await pilot.press("escape")
            await settle(pilot)


async def test_the_approval_queue_shows_the_post_its_author_reach_age_and_template(
    make_service: ServiceFactory,
) -> None:
    """Feature 7: an approver decides from the queue alone."""
    from textual.widgets import DataTable, Static

    from tests.conftest import MovableClock
    from tests.tui.test_inbox import screen_text

    prepared(make_service)
    clock = MovableClock()
    sam = make_service(Role.SUPPORT, name="sam", clock=clock)
    sam.replies.submit("facebook:1", "delivery-delay", {"new_date": "Friday"})
    clock.advance(25)  # minutes
    app = app_for(make_service(Role.SOCIAL, name="maya", clock=clock))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        row = [str(c) for c in app.screen.query_one(DataTable).get_row_at(0)]
        assert row[:7] == ["pending", "facebook:1", "@dan", "0", "sam", "delivery-delay", "25m"]
        shown = screen_text(app.screen.query_one("#approval-detail", Static))
        assert "@dan" in shown and "My delivery is three days late" in shown
        assert "pending · by sam · 25m ago · template delivery-delay" in shown
        assert "Policy guard: nothing found." in shown


async def test_a_rejection_reaches_the_drafts_author_in_their_console(
    make_service: ServiceFactory,
) -> None:
    """Feature 7: the comment is told to the author once, in whichever console they open."""
    prepared(make_service)
    sam = make_service(Role.SUPPORT, name="sam")
    draft = sam.replies.submit("facebook:1", "delivery-delay", {"new_date": "Friday"})
    make_service(Role.SOCIAL, name="maya").replies.reject(draft.id, "Name the courier")
    app = app_for(sam)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        told = [(n.title, n.message) for n in app._notifications]
        assert ("maya rejected your draft to facebook:1", "Name the courier") in told
    assert sam.work.notices() == []


async def test_a_conversation_shows_as_one_thread_with_our_replies_in_place(
    make_service: ServiceFactory,
) -> None:
    """Feature 6: the posts answering each other, indented, our reply under its post."""
    lee = make_service(name="lee")
    lee.ingest(read_jsonl(jsonl(
        record("1", "My delivery is three days late and I'm still waiting", author="dan",
               created_at="2026-03-14T10:00:00Z"),
        record("2", "Still nothing. [b]Hello?[/b]", author="dan", in_reply_to="x:1",
               created_at="2026-03-14T11:00:00Z"),
    ), "feed", NOW))  # fmt: skip
    for template_id in lee.replies.templates:
        lee.replies.approve_template(template_id)
    lee.claims.claim("x:1")
    lee.replies.send("x:1", "delivery-delay", {"new_date": "Friday"})
    app = CrisisConsoleApp(lee, "test-store", run_timers=False)
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        await pilot.press("s", "s", "s", "s")  # all
        await settle(pilot)
        from crisis_console.tui.widgets.mention_table import MentionTable

        app.screen.query_one(MentionTable).select("x:2")
        await settle(pilot)
        shown = detail_text(app)
        assert "Conversation (2 posts)" in shown
        flat = " ".join(shown.split()[shown.split().index("Conversation") :])
        first = flat.index("@dan 2026-03-14 10:00 UTC: My delivery is three days late")
        ours = flat.index("↳ our reply, sent (lee): Hi dan, sorry your delivery")
        then = flat.index("▶ @dan 2026-03-14 11:00 UTC: Still nothing. [b]Hello?[/b]")
        assert first < ours < then  # our reply under the post it answers, then the next
