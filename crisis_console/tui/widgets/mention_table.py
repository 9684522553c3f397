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
    ("✓", 1),  # marked for a bulk action
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
# On a narrow screen these go first, in this order, until the text has room; urgency, the
# author, who holds it and the deadline always show (at 80 columns Due used to fall off).
DROPPED_FIRST = ("Sent", "Reach", "Src", "Queue")
_MIN_TEXT = 24


def columns_for(width: int, padding: int = 1) -> tuple[list[tuple[str, int]], int]:
    """The columns that fit `width` cells, and the text column's width."""
    shown = list(COLUMNS)

    def text_width() -> int:
        return width - sum(w + 2 * padding for _, w in shown) - 2

    for label in DROPPED_FIRST:
        if text_width() >= _MIN_TEXT:
            break
        shown = [c for c in shown if c[0] != label]
    return shown, max(12, text_width())


def _who(holder: str, assignee: str) -> Text:
    """Who holds the claim (bold) or, unclaimed, who it is assigned to (→name)."""
    if holder:
        return Text(one_line(holder, 6), style="bold")
    if assignee:
        return Text("→" + one_line(assignee, 5), style="italic")
    return Text("—", style="dim")


class MentionTable(DataTable[object]):
    """Shows `InboxRow`s; posts `Highlighted` as the cursor moves, `PageEnd` past an edge."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("home,g", "first_row", "First", show=False),
        Binding("end,G", "last_row", "Last", show=False),
        Binding("space", "mark", "Mark", show=False),
    ]

    @dataclass
    class Highlighted(Message):
        """The cursor is on this row now."""

        row: InboxRow

    class MarksChanged(Message):
        """Rows were marked or unmarked."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._rows: list[InboxRow] = []
        self.marked: set[str] = set()  # mention keys marked for a bulk action, on any page
        self._claims: Mapping[str, str] = {}
        self._now: datetime | None = None

    @property
    def rows_shown(self) -> list[InboxRow]:
        return self._rows

    def show(self, rows: Sequence[InboxRow], claims: Mapping[str, str], now: datetime) -> None:
        """Replace the rows, keeping the cursor on the same mention where it still shows,
        else on the same line (a mention answered or closed leaves the cursor on the next
        one, where the operator's work goes on)."""
        place = self.cursor_row
        current = self._rows[place].key if self._rows and 0 <= place < len(self._rows) else None
        self._rows, self._claims, self._now = list(rows), claims, now
        self._render_rows()
        keys = [row.key for row in self._rows]
        if current in keys:
            self.move_cursor(row=keys.index(current))
        elif self._rows:
            self.move_cursor(row=max(0, min(place, len(self._rows) - 1)))

    def _render_rows(self) -> None:
        self.clear(columns=True)
        shown, text_width = columns_for(self.size.width, self.cell_padding)
        for label, width in shown:
            self.add_column(label, width=width or text_width, key=label.lower())
        labels = [label for label, _ in shown]
        now = self._now
        assert now is not None
        for r in self._rows:
            holder = self._claims.get(r.key, "")
            cells = {
                "✓": Text("●", style="bold yellow") if r.key in self.marked else Text(" "),
                "Urg": fmt.urgency_badge(Urgency(r.urgency)),
                "Sent": fmt.sentiment_badge(SentimentLabel(r.sentiment), r.compound),
                "Src": fmt.PLATFORM_SHORT[Platform(r.platform)],
                "Author": fmt.snippet("@" + r.author if r.author else "—", 11),
                "Reach": fmt.reach(r.followers, r.verified),
                "Text": fmt.snippet(r.snippet, text_width),
                "Queue": r.queue,
                "Who": _who(holder, r.assignee),
                "Due": fmt.due(r.deadline, now),
            }
            self.add_row(*(cells[label] for label in labels), key=r.key)

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

    def action_mark(self) -> None:
        """Space: mark or unmark the row, and go on to the next."""
        key = self.current_key()
        if key is None:
            return
        self.marked.symmetric_difference_update({key})
        self.update_cell(key, "✓", Text("●", style="bold yellow") if key in self.marked else " ")
        self.move_cursor(row=min(self.cursor_row + 1, len(self._rows) - 1))
        self.post_message(self.MarksChanged())

    def set_marks(self, keys: set[str]) -> None:
        """Mark exactly these mentions (a whole filter, or none)."""
        self.marked = set(keys)
        if self._rows and self._now is not None:
            row = self.cursor_row
            self._render_rows()
            self.move_cursor(row=row)
        self.post_message(self.MarksChanged())

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
