"""The incident timeline (`i` on the reports screen): the latest crisis as `report incident`
shows it — events with who and the volume around each, then the checklist against its due
times. Strangers' text (reply texts, alarm summaries) is shown as plain text, never markup."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from crisis_console.core.reports.incident import Incident
from crisis_console.core.reports.report import stamp
from crisis_console.core.service import ConsoleService
from crisis_console.render.formats import around_text
from crisis_console.tui import formatting as fmt
from crisis_console.tui.screens import still_shown
from crisis_console.tui.widgets.alarm_banner import AlarmBanner


class IncidentScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, service: ConsoleService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlarmBanner(id="alarm-banner")
        yield Static(id="incident-summary")
        events: DataTable[object] = DataTable(id="incident-events", cursor_type="row")
        yield events
        steps: DataTable[object] = DataTable(id="incident-checklist", cursor_type="row")
        yield steps
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(AlarmBanner).show_open(self.service)
        self.query_one("#incident-events", DataTable).add_columns(
            "When", "Kind", "Who", "30 min before → after", "Event"
        )
        self.query_one("#incident-checklist", DataTable).add_columns(
            "Level", "Due", "Done", "By", "Status", "Step"
        )
        self.query_one("#incident-events", DataTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="incident")
    def load(self) -> None:
        incident = self.service.incident()
        self.app.call_from_thread(self._show, incident)

    def _show(self, i: Incident) -> None:
        if not still_shown(self, "#incident-summary"):  # the console closed while the worker ran
            return
        on_time = sum(s.status == "on time" for s in i.checklist)
        line = (
            f" Latest crisis: {stamp(i.start)} to {stamp(i.end)}, peak level {i.peak_level}.  "
            f"{len(i.entries)} events; checklist steps on time: {on_time} of {len(i.checklist)}."
        )
        self.query_one("#incident-summary", Static).update(Text(line))
        events = self.query_one("#incident-events", DataTable)
        events.clear()
        for e in i.entries:
            events.add_row(
                e.at.strftime("%m-%d %H:%M"),
                e.kind,
                fmt.plain(e.who),
                around_text(e.around),
                fmt.plain(e.title),
            )
        steps = self.query_one("#incident-checklist", DataTable)
        steps.clear()
        for s in i.checklist:
            steps.add_row(
                str(s.level),
                s.due.strftime("%m-%d %H:%M"),
                s.done_at.strftime("%m-%d %H:%M") if s.done_at else "not done",
                fmt.plain(s.done_by or "—"),
                Text(s.status, "bold red") if s.late else s.status,
                fmt.plain(s.title),
            )
