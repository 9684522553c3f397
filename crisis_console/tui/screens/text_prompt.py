"""A small dialog that asks for a piece of text: a rejection comment, an edited reply."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea


class TextPrompt(ModalScreen[str | None]):
    """Returns the text (Ctrl+S), or None (Esc). Empty text is not accepted."""

    WRITES = True  # the app\'s single-letter keys stay off (CrisisConsoleApp.check_action)
    BINDINGS = [Binding("ctrl+s", "accept", "Done"), Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, text: str = "") -> None:
        super().__init__()
        self.title_text, self.initial = title, text

    def compose(self) -> ComposeResult:
        with Vertical(id="text-prompt"):
            # Plain text: a title names a mention's key, which strangers' platforms chose.
            yield Label(Text(self.title_text), id="text-prompt-title")
            yield TextArea(self.initial, id="text-prompt-area", soft_wrap=True)
            yield Label("Ctrl+S done · Esc cancel", id="text-prompt-help")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_accept(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if text:
            self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
