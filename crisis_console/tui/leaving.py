"""Keys that must not fire while the operator writes, and quitting: asked first when a
reply is being written (it is kept, and comes back) or alarms are not acknowledged."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input, TextArea

from crisis_console.core.actions import Permission
from crisis_console.core.service import ConsoleService
from crisis_console.tui.screens.quit_dialog import QuitDialog
from crisis_console.tui.screens.reply import ReplyScreen

# The app's own single-letter keys, off while the operator writes (`check_action`).
LETTER_ACTIONS = frozenset(
    {"help", "leave", "crisis", "approvals", "audit", "reports", "change_level"}
)


class Leaving(App[None]):
    """The console's keys and its way out; `service` is the console's."""

    service: ConsoleService

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The console's single-letter keys are off while the operator writes: on a screen
        that holds a form (`WRITES`), or with a text field focused, a letter is text."""
        writing = getattr(self.screen, "WRITES", False) or isinstance(
            self.focused, (Input, TextArea)
        )
        return not (writing and action in LETTER_ACTIONS)

    def action_help_quit(self) -> None:
        """Ctrl+C: say how to quit, as plain text (Textual's own hint is markup)."""
        self.notify("Press q or Ctrl+Q to quit.", title="Do you want to quit?")

    async def action_leave(self) -> None:
        await self.action_quit()

    async def action_quit(self) -> None:
        """Quit, first asking when work would be left: a reply being written (it is kept
        and comes back), or alarms nobody has acknowledged. Asked already: quit."""
        if isinstance(self.screen, QuitDialog):
            self._quit_now()
            return
        reasons = self._left_undone()
        if not reasons:
            self._quit_now()
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self._quit_now()

        self.push_screen(QuitDialog(reasons), answered)

    def _writing(self) -> list[ReplyScreen]:
        return [s for s in self.screen_stack if isinstance(s, ReplyScreen)]

    def _left_undone(self) -> list[str]:
        reasons = [
            f"Your reply to {s.key} is not submitted. It is kept: press R on {s.key} to finish it."
            for s in self._writing()
            if s.has_text
        ]
        # Only to whoever may acknowledge them: for the others there is nothing to do first.
        count = self.service.crisis.alarm_summary()[0]
        ctx = self.service.ctx
        if count and ctx.may(Permission.ACKNOWLEDGE_ALARM, ctx.level_number()):
            reasons.append(
                f"{count:,} risk-of-harm alarm{'s are' if count > 1 else ' is'} not acknowledged."
            )
        return reasons

    def _quit_now(self) -> None:
        for screen in self._writing():
            screen.keep()
        self.exit()
