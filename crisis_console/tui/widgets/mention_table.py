"""The inbox table: one row per mention, in the order it is given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from crisis_console.core.models import StoredMention
from crisis_console.tui import formatting as fmt

# (label, width); the text column takes what is left of the table's width.
COLUMNS = (("Urg", 4), ("Sent", 5), ("Src", 3), ("Author", 14), ("Reach", 6),
           ("Text", 0), ("Queue", 7), ("Due", 5))  # fmt: skip
_MIN_TEXT = 16


class MentionTable(DataTable[object]):
    """Shows `StoredMention`s; posts `MentionTable.Highlighted` as the cursor moves."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("home,g", "first_row", "First", show=False),
        Binding("end,G", "last_row", "Last", show=False),
    ]

    @dataclass
    class Highlighted(Message):
        """The cursor is on this mention now."""

        mention: StoredMention

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._items: list[StoredMention] = []
        self._now: datetime | None = None

    def show(self, items: Sequence[StoredMention], now: datetime) -> None:
        """Replace the rows, keeping the cursor on the same mention where it still exists."""
        current = self._items[self.cursor_row].key if self._items and self.cursor_row >= 0 else None
        self._items, self._now = list(items), now
        self._render_rows()
        keys = [item.key for item in self._items]
        if current in keys:
            self.move_cursor(row=keys.index(current))

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
        for item in self._items:
            t = item.triage
            m, c = t.mention, t.classification
            self.add_row(
                fmt.urgency_badge(c.urgency),
                fmt.sentiment_badge(c.sentiment.label, c.sentiment.compound),
                fmt.PLATFORM_SHORT[m.platform],
                fmt.snippet("@" + m.author if m.author else "—", 14),
                fmt.reach(m.followers, m.verified),
                fmt.snippet(m.text, text_width),
                t.route.queue.value,
                fmt.due(t.deadline, now),
                key=item.key,
            )

    def select(self, key: str) -> None:
        keys = [item.key for item in self._items]
        if key in keys:
            self.move_cursor(row=keys.index(key))

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=len(self._items) - 1)

    def on_resize(self) -> None:
        if self._items and self._now is not None:
            row = self.cursor_row
            self._render_rows()
            self.move_cursor(row=row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self._items):
            self.post_message(self.Highlighted(self._items[event.cursor_row]))
