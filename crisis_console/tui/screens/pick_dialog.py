"""A small dialog to pick one of a list by typing: a colleague or a queue to assign to, a
tag, a reason to close. The keyboard stays in a text field: letters filter the list, Up
and Down move in it, Enter picks; with `free`, what was typed may be picked as it is."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option


class Choices(OptionList, can_focus=False):
    """Moved from the filter above it; never focused, so a letter is always text."""


class PickDialog(ModalScreen[tuple[str, str] | None]):
    """Returns (the value picked, the comment typed), or None (Esc)."""

    WRITES = True  # the app's single-letter keys stay off (CrisisConsoleApp.check_action)
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
    ]

    def __init__(
        self,
        title: str,
        choices: Sequence[tuple[str, str]],
        free: str = "",
        comment: str = "",
    ) -> None:
        """`choices`: (label, value) pairs; `free`: if set, the hint for typing a value of
        one's own (a new tag); `comment`: if set, the placeholder of a comment field."""
        super().__init__()
        self.title_text, self.choices, self.free, self.comment = title, list(choices), free, comment

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-dialog"):
            yield Label(Text(self.title_text), id="pick-title")
            yield Input(placeholder=self.free or "type to filter · ↑↓ · Enter", id="pick-filter")
            yield Choices(id="pick-choices")
            if self.comment:
                yield Input(placeholder=self.comment, id="pick-comment")
            to_comment = " · Tab to the comment" if self.comment else ""
            yield Label(f"Enter picks{to_comment} · Esc cancels", id="pick-help")

    def on_mount(self) -> None:
        self._list()
        self.query_one("#pick-filter", Input).focus()

    def _list(self) -> None:
        words = self.query_one("#pick-filter", Input).value.casefold().split()
        shown = [(label, value) for label, value in self.choices
                 if all(w in f"{label} {value}".casefold() for w in words)]  # fmt: skip
        options = self.query_one(Choices)
        options.clear_options()
        options.add_options([Option(Text(label), id=value) for label, value in shown])
        if shown:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "pick-filter":
            self._list()

    def action_move(self, step: int) -> None:
        options = self.query_one(Choices)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._pick()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._pick()

    def _pick(self) -> None:
        options = self.query_one(Choices)
        typed = self.query_one("#pick-filter", Input).value.strip()
        comment = self.query_one("#pick-comment", Input).value if self.comment else ""
        if options.highlighted is not None and options.option_count:
            value = options.get_option_at_index(options.highlighted).id
            if value is not None:
                self.dismiss((value, comment))
        elif self.free and typed:
            self.dismiss((typed, comment))

    def action_cancel(self) -> None:
        self.dismiss(None)
