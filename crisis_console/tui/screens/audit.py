"""The audit view: the newest records of the hash-chained log, filtered by mention or operator,
and a verification of the whole chain on demand."""

from __future__ import annotations

import json

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from crisis_console.core.archive.audit_read import MENTIONS
from crisis_console.core.service import ConsoleService
from crisis_console.tui import formatting as fmt
from crisis_console.tui.screens import still_shown
from crisis_console.tui.widgets.alarm_banner import AlarmBanner

SHOWN = 500  # the newest records that match


class AuditScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("slash", "filter", "Filter"),
        Binding("v", "verify", "Verify chain"),
    ]

    def __init__(self, service: ConsoleService, needle: str = "") -> None:
        """`needle`: show only one mention's (or operator's) records from the start."""
        super().__init__()
        self.service = service
        self.needle = needle
        self.records: list[dict[str, object]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlarmBanner(id="alarm-banner")
        yield Static(id="audit-status")
        table: DataTable[object] = DataTable(id="audit-table", cursor_type="row")
        yield table
        yield Static(id="audit-detail")
        yield Input(placeholder="mention key or operator; Enter applies", id="audit-filter")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(AlarmBanner).show_open(self.service)  # pinned until acknowledged
        table = self.query_one(DataTable)
        table.add_columns("Seq", "When", "Who", "Action", "Subject")
        box = self.query_one("#audit-filter", Input)
        box.value, box.display = self.needle, bool(self.needle)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="audit")
    def load(self) -> None:
        """The newest records only: read from the end, never the whole log."""
        newest = self.service.newest_audit_records(SHOWN, self.needle)
        total = len(newest) if self.needle else self.service.audit_count()
        self.app.call_from_thread(self._show, newest, total)

    def _show(self, records: list[dict[str, object]], total: int) -> None:
        if not still_shown(self, DataTable):  # the console closed while the worker ran
            return
        table = self.query_one(DataTable)
        table.clear()
        self.records = records
        for r in records:
            table.add_row(
                str(r["seq"]),
                str(r["at"])[:19].replace("T", " "),
                fmt.plain(str(r["actor"])),
                str(r["action"]),
                fmt.plain(str(r["subject"])),
            )
        if self.needle:  # counted only as far as shown: the log is not read to its start
            more = "+" if total >= SHOWN else ""
            line = f" {total:,}{more} record(s) matching '{self.needle}', newest first."
        else:
            line = f" {total:,} record(s); the newest {min(total, SHOWN)} shown."
        line += " v verifies the chain."
        self.query_one("#audit-status", Static).update(Text(line))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.records):
            record = self.records[event.cursor_row]["data"]
            data = json.dumps(record, ensure_ascii=False, indent=1)
            named = record.get(MENTIONS) if isinstance(record, dict) else None
            if self.needle and isinstance(named, dict) and self.needle in named:
                # A record about many mentions (a tick's breaches): the one filtered for
                # first, which the cut below might otherwise leave out.
                mine = json.dumps({self.needle: named[self.needle]}, ensure_ascii=False)
                data = f"{MENTIONS}: {mine} (one of {len(named):,})\n{data}"
            self.query_one("#audit-detail", Static).update(fmt.plain(data[:3000]))

    def action_filter(self) -> None:
        box = self.query_one("#audit-filter", Input)
        box.display = True
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.needle = event.value.strip()
        event.input.display = bool(self.needle)
        self.query_one(DataTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="verify")
    def action_verify(self) -> None:
        result = self.service.verify_audit()
        style = "bold green" if result.ok else "bold white on red"
        self.app.call_from_thread(
            self.query_one("#audit-status", Static).update,
            Text(" " + result.describe(), style=style),
        )
