"""A worker's result that arrives while the console closes is dropped, not shown on widgets
that are gone (`screens.still_shown`): the approvals screen once failed a test's shutdown
with NoMatches, its screen still attached and its table already removed."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from crisis_console.tui.screens import still_shown


class _Two(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable(id="table")
        yield Static(id="detail")


async def test_a_screen_whose_widget_was_removed_is_no_longer_shown() -> None:
    app = _Two()
    async with app.run_test() as pilot:
        screen = app.screen
        assert still_shown(screen, DataTable) and still_shown(screen, "#detail")
        await screen.query_one(DataTable).remove()
        await pilot.pause()
        assert screen.is_attached  # attached still, as during a shutdown
        assert not still_shown(screen, DataTable) and still_shown(screen, "#detail")
    assert not still_shown(screen, "#detail")  # the app has exited
