"""What colleagues left this operator to be told, and what this operator left unsent: shown
as the console starts, and (notices) whenever the state changes."""

from __future__ import annotations

from textual.app import App

from crisis_console.core.service import ConsoleService
from crisis_console.core.work.model import REJECTED

UNSENT_NAMED = 5  # unsent replies (or mentions assigned) named in a toast; the rest counted


class Telling(App[None]):
    """The console's toasts of notices and unsent replies; `service` is the console's."""

    service: ConsoleService

    def _tell_notices(self) -> None:
        """What colleagues assigned to this operator since it was last told: a toast each,
        then marked seen (told once, in whichever of their consoles saw it first)."""
        notices = self.service.work.notices()
        for notice in notices:
            if notice.what == REJECTED:
                self.notify(
                    notice.text,
                    title=f"{notice.by} rejected your draft to {', '.join(notice.keys)}",
                    severity="warning",
                    timeout=20,
                )
                continue
            keys = ", ".join(notice.keys[:UNSENT_NAMED])
            more = f" and {notice.count - UNSENT_NAMED} more" if notice.count > UNSENT_NAMED else ""
            self.notify(
                f"{keys}{more}: in your queue (m).",
                title=f"{notice.by} assigned you {notice.count:,} mention"
                + ("s" if notice.count > 1 else ""),
                timeout=15,
            )
        if notices:
            self.service.work.seen_notices(notices[-1].number)

    def _tell_unsent(self) -> None:
        """Replies this operator left in the composer (a quit, a crash): told at start."""
        unsent = self.service.composing.mine()
        if unsent:
            keys = ", ".join(c.key for c in unsent[:UNSENT_NAMED])
            more = f" and {len(unsent) - UNSENT_NAMED} more" if len(unsent) > UNSENT_NAMED else ""
            self.notify(
                f"{keys}{more}: press R on the mention to finish.",
                title=f"{len(unsent)} unsent repl{'ies' if len(unsent) > 1 else 'y'} kept",
                timeout=15,
            )
