"""What a platform said about a post beyond its words, shown in the detail: a content
warning before the text, and which post a repost passes on."""

from __future__ import annotations

from pathlib import Path

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.service import ConsoleService
from crisis_console.tui.app import CrisisConsoleApp
from crisis_console.tui.widgets.mention_detail import MentionDetail
from tests.conftest import NOW
from tests.tui.test_inbox import detail_text, settle

PLATFORMS = Path(__file__).parent.parent / "data" / "platforms"


def feed(name: str) -> list[bytes]:
    return (PLATFORMS / name).read_bytes().splitlines()


async def test_content_warning_and_repost_are_shown(service: ConsoleService) -> None:
    service.ingest(read_jsonl(feed("mastodon_notifications.json"), "n.json", NOW))
    service.ingest(read_jsonl(feed("x_v2_long_edited_retweet.json"), "x.json", NOW))
    app = CrisisConsoleApp(service, "test-store", run_timers=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        detail = app.screen.query_one(MentionDetail)
        seen: dict[str, str] = {}
        for _ in range(4):
            assert detail.mention is not None
            lines = detail_text(app).splitlines()
            seen[detail.mention.key] = "\n".join(line.rstrip() for line in lines)
            await pilot.press("j")
        warned = seen["mastodon:113600000000000001"]
        assert "Content warning: burn, photo\n[image: a hand with a red burn mark" in warned
        repost = seen["x:1860000000000000120"]
        assert "A repost of x:1859999999999999000: the text below is that post's" in repost
