"""Reports (`O`, for overview): the report's figures for a window, as terminal charts.

The same `Report` as `crisis-console report`, so the numbers match the text, JSON and HTML
formats. Keys choose the window (1: 24 hours, 2: 7 days, 3: 30 days); the figures are
computed in a worker (the service takes its own lock). The sparklines cover the span of the
window's posts, a bucket per 5 or 15 minutes, an hour… (`reports.series`), and show their
axes: the bucket size, the highest and lowest value, the first and last time.
"""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from crisis_console.core.reports.report import Report, Timing, stamp
from crisis_console.core.service import ConsoleService
from crisis_console.render.formats import minutes, percent
from crisis_console.tui import formatting as fmt
from crisis_console.tui.screens import still_shown
from crisis_console.tui.screens.incident import IncidentScreen
from crisis_console.tui.widgets.alarm_banner import AlarmBanner
from crisis_console.tui.widgets.trend import Trend

WINDOWS = {"1": ("24 hours", timedelta(hours=24)), "2": ("7 days", timedelta(days=7))}
WINDOWS["3"] = ("30 days", timedelta(days=30))
BAR = 20  # characters of the longest median bar


WIDE_TABLE = 100  # from this width the table shows each median's bar and whole headers
WIDE_HEADERS = ("First response", "", "Mentions", "Answered", "Median min", "", "p90",
                "Breaches", "SLA")  # fmt: skip
NARROW_HEADERS = ("First resp.", "", "Posts", "Answ.", "Median", "p90", "Br.", "SLA")


class ReportsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("1", "window('1')", "24 h"),
        Binding("2", "window('2')", "7 days"),
        Binding("3", "window('3')", "30 days"),
        Binding("i", "incident", "Incident timeline"),
    ]

    def __init__(self, service: ConsoleService, window: str = "1") -> None:
        super().__init__()
        self.service = service
        self.window = window

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlarmBanner(id="alarm-banner")
        yield Static(id="report-summary")
        with Horizontal(id="report-trends"):
            yield Trend("Mentions", "report-volume", lambda v: f"{v:,.0f}")
            yield Trend("Negative share", "report-negative", lambda v: f"{v:.0%}")
        table: DataTable[object] = DataTable(id="report-response", cursor_type="row")
        yield table
        yield Static(id="report-other")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(AlarmBanner).show_open(self.service)
        self.query_one(DataTable).focus()
        self.load()

    def action_incident(self) -> None:
        self.app.push_screen(IncidentScreen(self.service))

    def action_window(self, key: str) -> None:
        self.window = key
        self.load()

    @work(thread=True, exclusive=True, group="report")
    def load(self) -> None:
        span = WINDOWS[self.window][1]
        end = self.service.clock() + timedelta(seconds=1)
        report = self.service.report(end - span, end)
        self.app.call_from_thread(self._show, report)

    def _show(self, r: Report) -> None:
        if not still_shown(self, "#report-summary"):  # the console closed while the worker ran
            return
        name = WINDOWS[self.window][0]
        first = r.response_all
        answered = (
            f"First response median {minutes(first.median)} min, p90 {minutes(first.p90)} min"
            if first.median is not None
            else "No replies sent"
        )
        approvals = (
            f"Approval median {minutes(r.approvals.median)} min."
            if r.approvals.median is not None
            else "No approvals."
        )
        summary = (
            f" Last {name}: {stamp(r.start)} to {stamp(r.end)}.  {r.total:,} mentions, "
            f"{percent(r.negative_share)} negative.  {answered}, {first.breaches} SLA breach(es).  "
            f"{approvals}"
        )
        self.query_one("#report-summary", Static).update(Text(summary))
        volume, negative = self.query(Trend)
        since = r.volume[0].start if r.volume else r.start
        volume.show([float(b.volume) for b in r.volume], since, r.bucket)
        negative.show([b.negative_share for b in r.volume], since, r.bucket)
        self._fill_table(r)
        blocks = ", ".join(f"{f} {n}" for f, n in r.policy_blocks) or "none"
        templates = ", ".join(f"{t} {n}" for t, n in r.templates[:6]) or "none"
        e = r.escalation_ack
        speed = (
            f"; to acknowledge median {minutes(e.median)} min, p90 {minutes(e.p90)} min"
            if e.median is not None
            else ""
        )
        other = (
            f" Harm alarms: {e.count}, {e.done} acknowledged, {e.breaches} late or open{speed}.\n"
            f" Templates sent most: {templates}.\n Policy findings that blocked replies: {blocks}."
        )
        closed = ", ".join(f"{c.replace('_', ' ')} {n}" for c, n in r.closed) or "none"
        tags = ", ".join(f"#{t} {n}" for t, n in r.tags[:8]) or "none"
        other += f"\n Closed without a reply (apart from the times above): {closed}.  Tags: {tags}."
        self.query_one("#report-other", Static).update(fmt.plain(other))

    def _fill_table(self, r: Report) -> None:
        table = self.query_one(DataTable)
        # At 80 columns the bar and the long headers pushed SLA off the screen.
        wide = self.size.width >= WIDE_TABLE
        table.clear(columns=True)
        table.add_columns(*(WIDE_HEADERS if wide else NARROW_HEADERS))
        groups: list[tuple[str, list[Timing]]] = [
            ("all", [r.response_all]),
            ("urgency", r.response_by_urgency),
            ("queue", r.response_by_queue),
            ("operator", r.response_by_operator),
        ]
        longest = (
            max((t.median or 0.0 for _, timings in groups for t in timings), default=0.0) or 1.0
        )
        for group, timings in groups:
            for t in timings:
                bar = "█" * round(BAR * (t.median or 0.0) / longest)
                cells = [
                    group,
                    fmt.plain(t.name),
                    str(t.count),
                    str(t.done),
                    minutes(t.median),
                    Text(bar, style="bold"),
                    minutes(t.p90),
                    Text(str(t.breaches), style="bold red" if t.breaches else ""),
                    t.sla_text,
                ]
                table.add_row(*(cells if wide else cells[:5] + cells[6:]))
