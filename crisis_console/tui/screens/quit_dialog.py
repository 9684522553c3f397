"""Asked before the console closes on work that would be left: a reply not yet submitted,
alarms nobody has acknowledged."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class QuitDialog(ModalScreen[bool]):
    """Returns True to quit (y, Enter; Ctrl+Q again quits too), False to stay (n, Esc)."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Quit"),
        Binding("n,escape", "answer(False)", "Stay"),
    ]

    def __init__(self, reasons: list[str]) -> None:
        super().__init__()
        self.reasons = reasons

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-dialog"):
            yield Label("Quit the console?", id="quit-title")
            # The reasons name mention keys, which come from strangers' platforms: plain text.
            yield Static(Text("\n".join(f"• {r}" for r in self.reasons)), id="quit-reasons")
            yield Label("y / Enter quit  ·  n / Esc stay", id="quit-help")

    def action_answer(self, quit_now: bool) -> None:
        self.dismiss(quit_now)
