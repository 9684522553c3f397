"""The Textual application: holds the service and opens the inbox."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from crisis_console.core.service import ConsoleService
from crisis_console.tui.screens.inbox import InboxScreen


class CrisisConsoleApp(App[None]):
    """The console over one `ConsoleService`, which the composition root builds and injects."""

    CSS_PATH = "console.tcss"
    TITLE = "Crisis Console"
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, service: ConsoleService, location: str) -> None:
        super().__init__()
        self.service = service
        self.sub_title = f"{location} · playbook {service.playbook.id} · {service.actor}"

    def on_mount(self) -> None:
        self.push_screen(InboxScreen(self.service))
