"""The inbox table: one page of inbox rows, in the order given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from crisis_console.core.models import Platform, SentimentLabel, Urgency
from crisis_console.core.store.inbox import InboxRow
from crisis_console.core.text import one_line
from crisis_console.tui import formatting as fmt

# (label, width); the text column takes what is left of the table's width.
COLUMNS = (
    ("Urg", 4),
    ("Sent", 5),
    ("Src", 3),
    ("Author", 14),
    ("Reach", 6),
    ("Text", 0),
    ("Queue", 7),
    ("Who", 8),
    ("Due", 5),
)
_MIN_TEXT = 12


class MentionTable(DataTable[object]):
    """Shows `InboxRow`s; posts `Highlighted` as the cursor moves, `PageEnd` past an edge."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("home,g", "first_row", "First", show=False),
        Binding("end,G", "last_row", "Last", show=False),
    ]

    @dataclass
    class Highlighted(Message):
        """The cursor is on this row now."""

        row: InboxRow

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._rows: list[InboxRow] = []
        self._claims: Mapping[str, str] = {}
        self._now: datetime | None = None

    @property
    def rows_shown(self) -> list[InboxRow]:
        return self._rows

    def show(self, rows: Sequence[InboxRow], claims: Mapping[str, str], now: datetime) -> None:
        """Replace the rows, keeping the cursor on the same mention where it still shows."""
        current = (
            self._rows[self.cursor_row].key
            if self._rows and 0 <= self.cursor_row < len(self._rows)
            else None
        )
        self._rows, self._claims, self._now = list(rows), claims, now
        self._render_rows()
        keys = [row.key for row in self._rows]
        if current in keys:
            self.move_cursor(row=keys.index(current))
        elif self._rows:
            self.move_cursor(row=0)

    def _text_width(self) -> int:
        fixed = sum(width + 2 * self.cell_padding for _, width in COLUMNS) + 2
        return max(_MIN_TEXT, self.size.width - fixed)

    def _render_rows(self) -> None:
        self.clear(columns=True)
        text_width = self._text_width()
        for label, width in COLUMNS:
            self.add_column(label, width=width or text_width, key=label.lower())
        now = self._now
        assert now is not None
        for r in self._rows:
            holder = self._claims.get(r.key, "")
            self.add_row(
                fmt.urgency_badge(Urgency(r.urgency)),
                fmt.sentiment_badge(SentimentLabel(r.sentiment), r.compound),
                fmt.PLATFORM_SHORT[Platform(r.platform)],
                fmt.snippet("@" + r.author if r.author else "—", 11),
                fmt.reach(r.followers, r.verified),
                fmt.snippet(r.snippet, text_width),
                r.queue,
                Text(one_line(holder, 6), style="bold") if holder else Text("—", style="dim"),
                fmt.due(r.deadline, now),
                key=r.key,
            )

    def current_key(self) -> str | None:
        """The mention under the cursor: what a key pressed now acts on."""
        if self._rows and 0 <= self.cursor_row < len(self._rows):
            return self._rows[self.cursor_row].key
        return None

    def select(self, key: str) -> bool:
        keys = [row.key for row in self._rows]
        if key in keys:
            self.move_cursor(row=keys.index(key))
            return True
        return False

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=len(self._rows) - 1)

    def on_resize(self) -> None:
        if self._rows and self._now is not None:
            row = self.cursor_row
            self._render_rows()
            self.move_cursor(row=row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self._rows):
            self.post_message(self.Highlighted(self._rows[event.cursor_row]))
