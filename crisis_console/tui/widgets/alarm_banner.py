"""The alarm banner: unacknowledged risk-of-harm alarms, pinned at the top of every screen."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from crisis_console.core.crisis_state import Alarm
from crisis_console.core.service import ConsoleService
from crisis_console.tui import formatting as fmt


class AlarmBanner(Static):
    """Hidden while there is nothing to acknowledge; impossible to miss when there is."""

    def show(self, alarms: Sequence[Alarm]) -> None:
        self.display = bool(alarms)
        if not alarms:
            return
        oldest = alarms[0]
        plural = "S" if len(alarms) > 1 else ""
        text = Text(f" ⚠ {len(alarms)} UNACKNOWLEDGED HARM ALARM{plural} ", style="bold")
        text.append("(a: acknowledge)", style="bold reverse")
        text.append(f"  oldest {oldest.raised_at:%H:%M}: ")
        text.append_text(fmt.snippet(oldest.summary, 120))
        self.update(text)

    def show_open(self, service: ConsoleService) -> None:
        """Show the alarms open now (read under the service lock): for a screen opening."""
        with service.lock:
            alarms = service.crisis.alarms(open_only=True)
        self.show(alarms)
