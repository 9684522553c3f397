"""The alarm banner: unacknowledged risk-of-harm alarms, pinned at the top of every screen."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from crisis_console.core.crisis.crisis_state import AlarmSummary
from crisis_console.core.service import ConsoleService
from crisis_console.tui import formatting as fmt


class AlarmBanner(Static):
    """Hidden while there is nothing to acknowledge; impossible to miss when there is."""

    def show(self, summary: AlarmSummary) -> None:
        """`summary`: how many alarms are open, and the oldest."""
        count, oldest = summary
        self.display = bool(count) and oldest is not None
        if not count or oldest is None:
            return
        plural = "S" if count > 1 else ""
        text = Text(f" ⚠ {count:,} UNACKNOWLEDGED HARM ALARM{plural} ", style="bold")
        text.append("(a: acknowledge)", style="bold reverse")
        text.append(f"  oldest {oldest.raised_at:%H:%M}: ")
        text.append_text(fmt.snippet(oldest.summary, 120))
        self.update(text)

    def show_open(self, service: ConsoleService) -> None:
        """Show the alarms open now: for a screen opening."""
        summary = service.crisis.alarm_summary()
        self.show(summary)
