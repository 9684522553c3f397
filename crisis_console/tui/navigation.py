"""The console's screens, opened by key or from the command palette (Ctrl+P)."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen

from crisis_console.core.service import ConsoleService
from crisis_console.tui.messages import AuditTrailRequested, LevelChangeRequested
from crisis_console.tui.screens.approvals import ApprovalScreen
from crisis_console.tui.screens.audit import AuditScreen
from crisis_console.tui.screens.crisis import CrisisScreen
from crisis_console.tui.screens.help import HelpScreen
from crisis_console.tui.screens.reports import ReportsScreen


class Navigation(App[None]):
    """Opens each screen once (a second press does not stack it); `service` is the
    console's."""

    service: ConsoleService

    def action_approvals(self) -> None:
        if not isinstance(self.screen, ApprovalScreen):
            self.push_screen(ApprovalScreen(self.service))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette (Ctrl+P) lists the console's own actions first."""
        yield SystemCommand(
            "Crisis screen",
            "Level, checklist with owners and due times, spikes",
            self.action_crisis,
        )
        yield SystemCommand(
            "Approval queue", "Drafts waiting for an approver or a sender", self.action_approvals
        )
        yield SystemCommand(
            "Change the crisis level",
            "Pick a level and give a reason (pr, lead)",
            self.action_change_level,
        )
        yield SystemCommand(
            "Audit log", "Browse and verify the hash-chained archive", self.action_audit
        )
        yield SystemCommand(
            "Reports", "Volume, response times against SLA, escalations", self.action_reports
        )
        yield SystemCommand("Help", "Every key of every screen", self.action_help)
        yield from super().get_system_commands(screen)

    def action_audit(self) -> None:
        if not isinstance(self.screen, AuditScreen):
            self.push_screen(AuditScreen(self.service))

    def on_audit_trail_requested(self, message: AuditTrailRequested) -> None:
        self.push_screen(AuditScreen(self.service, needle=message.key))

    def action_reports(self) -> None:
        if not isinstance(self.screen, ReportsScreen):
            self.push_screen(ReportsScreen(self.service))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_crisis(self) -> None:
        if not isinstance(self.screen, CrisisScreen):
            self.push_screen(CrisisScreen(self.service))

    def action_change_level(self) -> None:
        self.post_message(LevelChangeRequested())
