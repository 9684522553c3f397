"""The dialog to correct a mention's triage: urgency, category, sentiment, and a note."""

from __future__ import annotations

from enum import StrEnum

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select

from crisis_console.core.models import Category, Classification, SentimentLabel, Urgency
from crisis_console.core.triage.corrections import MAX_NOTE, Correction


def _choices(kind: type[StrEnum]) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in kind]


class ReclassifyDialog(ModalScreen[Correction | None]):
    """Returns the fields changed and the note, or None when cancelled. Shows the mention's
    triage as it stands; a field left as it was is not part of the correction."""

    WRITES = True  # the app\'s single-letter keys stay off (CrisisConsoleApp.check_action)
    BINDINGS = [Binding("ctrl+s", "submit", "Reclassify"), Binding("escape", "cancel", "Cancel")]

    def __init__(self, key: str, current: Classification) -> None:
        super().__init__()
        self.key, self.current = key, current

    def compose(self) -> ComposeResult:
        c = self.current
        current = {
            "urgency": (Urgency, c.urgency.value),
            "category": (Category, c.category.value),
            "sentiment": (SentimentLabel, c.sentiment.label.value),
        }
        with Vertical(id="reclassify-dialog"):
            yield Label(f"Reclassify {self.key} (kept in the audit log)", id="reclassify-title")
            for name, (kind, value) in current.items():
                with Horizontal(classes="reclassify-field"):
                    yield Label(name.capitalize())
                    yield Select(_choices(kind), value=value, allow_blank=False, compact=True,
                                 id=f"reclassify-{name}")  # fmt: skip
            yield Input(placeholder="Why (optional, kept with the correction)", compact=True,
                        max_length=MAX_NOTE, id="reclassify-note")  # fmt: skip
            yield Label("", id="reclassify-error")
            yield Label(
                "Tab next · Ctrl+S (or Enter in Why) save · Esc cancel",
                id="reclassify-help",
            )

    def on_mount(self) -> None:
        self.query_one("#reclassify-urgency", Select).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_submit()

    def _value(self, name: str) -> str:
        return str(self.query_one(f"#reclassify-{name}", Select).value)

    def action_submit(self) -> None:
        c = self.current
        urgency, category = Urgency(self._value("urgency")), Category(self._value("category"))
        sentiment = SentimentLabel(self._value("sentiment"))
        correction = Correction(
            urgency if urgency is not c.urgency else None,
            category if category is not c.category else None,
            sentiment if sentiment is not c.sentiment.label else None,
            self.query_one("#reclassify-note", Input).value.strip(),
        )
        if not correction.fields():
            self.query_one("#reclassify-error", Label).update("Change at least one field.")
            return
        self.dismiss(correction)

    def action_cancel(self) -> None:
        self.dismiss(None)
