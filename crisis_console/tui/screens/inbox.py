"""The inbox: mentions by urgency and deadline, with the highlighted one in detail."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from crisis_console.core.crisis_state import Alarm
from crisis_console.core.models import StoredMention
from crisis_console.core.service import ConsoleService
from crisis_console.tui.messages import AcknowledgeRequested, ReplyRequested, StateChanged
from crisis_console.tui.widgets.alarm_banner import AlarmBanner
from crisis_console.tui.widgets.mention_detail import MentionDetail
from crisis_console.tui.widgets.mention_table import MentionTable

REFRESH_SECONDS = 30  # SLA countdowns move on even when nothing new arrives


class InboxScreen(Screen[None]):
    """Owns the table and the detail pane; sets their state, listens to their messages."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    BINDINGS = [
        Binding("r", "reload", "Reload"),
        Binding("a", "acknowledge", "Ack alarm"),
        Binding("R", "reply", "Reply"),
    ]

    def __init__(self, service: ConsoleService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlarmBanner(id="alarm-banner")
        yield Static("Loading…", id="inbox-status")
        with Container(id="inbox-body"):
            yield MentionTable(id="inbox-table")
            yield MentionDetail(self.service.clock(), id="mention-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(MentionTable).focus()
        self.action_reload()
        self.set_interval(REFRESH_SECONDS, self.action_reload)

    def action_reload(self) -> None:
        self.load_inbox()

    @work(thread=True, exclusive=True, group="inbox")
    def load_inbox(self) -> None:
        """Reads the store off the UI thread, then hands the rows to the table."""
        items = self.service.inbox()
        alarms = self.service.crisis.alarms(open_only=True)
        self.app.call_from_thread(self._show, items, alarms)

    def _show(self, items: list[StoredMention], alarms: list[Alarm]) -> None:
        self.query_one(AlarmBanner).show(alarms)
        now = self.service.clock()
        table = self.query_one(MentionTable)
        table.show(items, now)
        self.query_one(MentionDetail).now = now
        critical = sum(1 for i in items if i.triage.classification.escalate)
        status = f"{len(items)} mention(s)"
        if not items:
            status = "No mentions yet. Load some with: crisis-console ingest FILE.jsonl"
        elif critical:
            status += f"  ·  {critical} escalated to the lead"
        self.query_one("#inbox-status", Static).update(status)
        if not items:
            self.query_one(MentionDetail).mention = None

    def on_state_changed(self, message: StateChanged) -> None:
        self.action_reload()

    def action_acknowledge(self) -> None:
        shown = self.query_one(MentionDetail).mention
        self.post_message(AcknowledgeRequested(shown.key if shown else None))

    def action_reply(self) -> None:
        shown = self.query_one(MentionDetail).mention
        if shown is not None:
            self.post_message(ReplyRequested(shown.key))

    def select_mention(self, key: str) -> None:
        """Move the cursor to the mention with this key, if it is in the inbox."""
        self.query_one(MentionTable).select(key)

    def on_mention_table_highlighted(self, event: MentionTable.Highlighted) -> None:
        self.query_one(MentionDetail).mention = event.mention
