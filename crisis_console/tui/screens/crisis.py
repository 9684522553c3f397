"""The crisis screen: the level, why and since when, the checklist with owners and due
times, and any spike suggestion with its evidence."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from crisis_console.core.crisis.crisis_state import AlarmSummary, CrisisState, Step
from crisis_console.core.service import ConsoleService
from crisis_console.core.text import one_line
from crisis_console.core.triage.spikes import Suggestion
from crisis_console.tui import formatting as fmt
from crisis_console.tui.messages import (
    AcknowledgeRequested,
    LevelChangeRequested,
    StateChanged,
    StepTickRequested,
)
from crisis_console.tui.screens import still_shown
from crisis_console.tui.widgets.alarm_banner import AlarmBanner
from crisis_console.tui.widgets.trend import Trend


def step_status(step: Step, now: datetime) -> Text:
    if step.done_at is not None:
        return Text(f"done {step.done_at:%H:%M} by {step.done_by}", style="green")
    left = int((step.due - now).total_seconds() // 60)
    if left < 0:
        return Text(f"OVERDUE since {step.due:%H:%M}", style="bold white on red")
    repeat = f", every {fmt.duration(step.every_minutes)}" if step.every_minutes else ""
    text = f"due {step.due:%H:%M} (in {fmt.duration(left)}){repeat}"
    return Text(text, style="yellow" if left < 15 else "")


OWNER_WIDTH, STATUS_WIDTH = 7, 24
TREND_HOURS, TREND_MINUTES = 6, 15  # the trends: the last six hours, a bar a quarter
MAX_STEP_CHARS = 300  # a playbook's step title, as shown


class CrisisScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,c", "app.pop_screen", "Inbox"),
        Binding("space,enter", "tick_step", "Tick step"),
        Binding("L", "change_level", "Change level"),
        Binding("a", "acknowledge", "Ack alarm"),
    ]

    def __init__(self, service: ConsoleService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlarmBanner(id="alarm-banner")
        yield Static(id="crisis-level")
        with Horizontal(id="crisis-trends"):
            yield Trend("Mentions", "volume-trend", lambda v: f"{v:,.0f}")
            yield Trend("Negative share", "negative-trend", lambda v: f"{v:.0%}")
        table: DataTable[object] = DataTable(id="checklist", cursor_type="row")
        yield table
        yield Static(id="spike")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#checklist", DataTable).focus()
        self.reload()

    def on_state_changed(self, message: StateChanged) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="crisis")
    def reload(self) -> None:
        state = self.service.crisis.state()
        volume, negative = self.service.activity(TREND_HOURS, TREND_MINUTES)
        suggestion = self.service.timers.spike_suggestion()
        alarms = self.service.crisis.alarm_summary()  # a count and the oldest, at any size
        self.app.call_from_thread(self._show_trends, volume, negative)
        self.app.call_from_thread(self._show, state, suggestion, alarms)

    def _show(
        self, state: CrisisState, suggestion: Suggestion | None, alarms: AlarmSummary
    ) -> None:
        if not still_shown(self, AlarmBanner):  # the console closed while the worker ran
            return
        self.query_one(AlarmBanner).show(alarms)
        level = self.service.playbook.level(state.level)
        head = Text()
        style = "bold white on red" if level.crisis else "bold"
        head.append(f" Level {state.level}: {level.name} ", style=style)
        if level.crisis:
            head.append("  crisis mode: ordinary sending paused", style="bold")
            # One line, whatever the width: at 80 columns the whole list took five lines and
            # pushed the checklist off the screen (the composer lists them all).
            listed = f"; templates: {', '.join(level.templates)}"
            fits = head.cell_len + len(listed) <= self.size.width - 2
            head.append(listed if fits else f"; {len(level.templates)} templates")
        if state.since is not None:
            head.append(f"\n Raised {fmt.timestamp(state.since)} by {state.by}: ")
            head.append_text(fmt.plain(state.reason))
        self.query_one("#crisis-level", Static).update(head)
        self._show_steps(state)
        spike = self.query_one("#spike", Static)
        if suggestion is None:
            spike.update(Text(" No spike: the last interval is within its baseline.", style="dim"))
        else:
            text = Text()
            text.append(f" SPIKE: consider level {suggestion.level} ({suggestion.level_name})\n ",
                        style="bold yellow")  # fmt: skip
            text.append("; ".join(suggestion.reasons) + "\n " + suggestion.evidence())
            spike.update(text)

    def _show_trends(self, volume: list[int], negative: list[float]) -> None:
        if not still_shown(self, "#volume-trend"):  # the console closed while the worker ran
            return
        size = timedelta(minutes=TREND_MINUTES)
        start = self.service.clock() - size * len(volume)
        volume_trend, negative_trend = self.query(Trend)
        volume_trend.show([float(v) for v in volume], start, size)
        negative_trend.show(negative, start, size)

    def _show_steps(self, state: CrisisState) -> None:
        table = self.query_one("#checklist", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        step_width = max(24, table.size.width - STATUS_WIDTH - OWNER_WIDTH - 8)
        table.add_column("Step", width=step_width)
        table.add_column("Owner", width=OWNER_WIDTH)
        table.add_column("Status", width=STATUS_WIDTH)
        now = self.service.clock()
        for step in state.steps:
            # A step is read whole: a narrow screen wraps it over more lines, never cuts it.
            title = fmt.plain(one_line(step.title, MAX_STEP_CHARS))
            status = step_status(step, now)
            status.overflow = title.overflow = "fold"
            table.add_row(title, step.owner.value, status, key=step.id, height=None)
        if state.steps:
            table.move_cursor(row=min(max(row, 0), len(state.steps) - 1))

    def action_tick_step(self) -> None:
        table = self.query_one("#checklist", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is not None:
            self.post_message(StepTickRequested(key))

    def action_change_level(self) -> None:
        self.post_message(LevelChangeRequested())

    def action_acknowledge(self) -> None:
        self.post_message(AcknowledgeRequested(None))
