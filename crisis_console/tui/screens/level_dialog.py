"""The dialog to change the crisis level: a level and a reason, both required."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from crisis_console.core.playbook.playbook import Playbook


class LevelDialog(ModalScreen[tuple[int, str] | None]):
    """Returns (level, reason), or None when cancelled."""

    WRITES = True  # the app\'s single-letter keys stay off (CrisisConsoleApp.check_action)
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # A digit picks its level at once: a Down sent right behind Enter can be lost in the
        # list (seen in a terminal), and a level picked wrong is a crisis misread. In the
        # reason a digit is text, as ever (the field takes it first).
        *(Binding(str(n), f"pick({n})", f"Level {n}", show=False) for n in range(6)),
    ]

    def __init__(self, playbook: Playbook, current: int) -> None:
        super().__init__()
        self.playbook, self.current = playbook, current

    def compose(self) -> ComposeResult:
        options = [
            (f"{lv.number} — {lv.name}{' (crisis mode)' if lv.crisis else ''}", lv.number)
            for lv in self.playbook.levels
        ]
        with Vertical(id="level-dialog"):
            yield Label(f"Change the crisis level (now {self.current})", id="level-title")
            yield Select(options, value=self.current, allow_blank=False, id="level-choice")
            yield Input(placeholder="Reason (kept in the audit log)", id="level-reason")
            yield Label("", id="level-error")
            yield Button("Change level", variant="error", id="level-ok")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def _submit(self) -> None:
        level = self.query_one("#level-choice", Select).value
        reason = self.query_one("#level-reason", Input).value.strip()
        if not reason:
            self.query_one("#level-error", Label).update("A reason is required.")
            return
        assert isinstance(level, int)
        self.dismiss((level, reason))

    def action_pick(self, number: int) -> None:
        if any(lv.number == number for lv in self.playbook.levels):
            self.query_one("#level-choice", Select).value = number
            self.query_one("#level-reason", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
