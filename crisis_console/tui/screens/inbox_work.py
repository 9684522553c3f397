"""The inbox's team actions on the marked mentions, or on the one under the cursor: claim,
assign, tag, note, close or reopen, acknowledge. Each is one call to the service, which
checks every key on its own (`core/work`); what it refused is told, key by key."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.screen import Screen

from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.service import ConsoleService
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.work.model import CLOSE_REASONS, Outcome
from crisis_console.tui.screens import still_shown
from crisis_console.tui.screens.pick_dialog import PickDialog
from crisis_console.tui.screens.text_prompt import TextPrompt
from crisis_console.tui.widgets.mention_table import MentionTable

MARK_ALL_LIMIT = 10_000  # `*` marks at most this many: a bulk action is a batch, not a purge
REFUSALS_SHOWN = 3  # refused keys named in the toast; the rest are counted
REOPEN = "reopen"


def _told(outcome: Outcome, verb: str) -> tuple[str, bool]:
    """The toast's text for an outcome, and whether anything was refused."""
    lines = [outcome.summary(verb)]
    refused = list(outcome.refused.items())
    lines += [f"{key}: {why}" for key, why in refused[:REFUSALS_SHOWN]]
    if len(refused) > REFUSALS_SHOWN:
        lines.append(f"… and {len(refused) - REFUSALS_SHOWN} more refused")
    return "\n".join(lines), bool(refused)


class InboxWork(Screen[None]):
    """The marks and the actions on them; the inbox supplies `where` (the filter in force)
    and `action_reload`."""

    service: ConsoleService
    where: InboxFilter

    def action_reload(self) -> None:
        raise NotImplementedError

    # --- marks: what a bulk action acts on -----------------------------------------------------

    def unmark(self) -> None:
        self.query_one(MentionTable).set_marks(set())

    def targets(self) -> list[str]:
        """What an action applies to: the marked mentions, else the one under the cursor."""
        table = self.query_one(MentionTable)
        if table.marked:
            return sorted(table.marked)
        key = table.current_key()
        return [key] if key is not None else []

    def action_mark_filter(self) -> None:
        """`*`: mark every mention the filter shows, on every page; again: unmark them."""
        table = self.query_one(MentionTable)
        if table.marked:
            table.set_marks(set())
            return
        self._mark_all(self.where)

    @work(thread=True, exclusive=True, group="marks")
    def _mark_all(self, where: InboxFilter) -> None:
        page = self.service.inbox_page(where, 0, MARK_ALL_LIMIT)
        keys = {row.key for row in page.rows}
        self.app.call_from_thread(self._marked_all, keys, page.total)

    def _marked_all(self, keys: set[str], total: int) -> None:
        if not still_shown(self, MentionTable):
            return
        self.query_one(MentionTable).set_marks(keys)
        if total > len(keys):
            self.notify(
                f"Marked the first {len(keys):,} of {total:,}: narrow the filter for the rest.",
                severity="warning",
            )

    def _run(self, verb: str, call: Callable[[], Outcome]) -> None:
        """Run a call over a selection; tell what it did and refused; unmark if all went."""
        try:
            outcome = call()
        except (CrisisConsoleError, ValueError) as exc:
            self.notify(str(exc), title=f"Not {verb.lower()}", severity="error", timeout=10)
            return
        text, refused = _told(outcome, verb)
        self.notify(text, severity="warning" if refused else "information", timeout=10)
        if not refused:
            self.unmark()
        self.action_reload()

    def _about(self, keys: list[str]) -> str:
        return keys[0] if len(keys) == 1 else f"{len(keys):,} marked mentions"

    def action_assign(self) -> None:
        keys = self.targets()
        if not keys:
            return
        team = self.service.team().operators
        people = [(f"{name} ({', '.join(sorted(r.value for r in roles))})", name)
                  for name, roles in sorted(team.items())]  # fmt: skip
        queues = [(f"queue {q}", f"queue:{q}") for q in self.service.work.queues()]

        def picked(choice: tuple[str, str] | None) -> None:
            if choice is not None:
                self._run("Assigned", lambda: self.service.work.assign(keys, choice[0]))

        title = f"Assign {self._about(keys)} to a colleague or a queue"
        self.app.push_screen(PickDialog(title, people + queues), picked)

    def action_tag(self) -> None:
        keys = self.targets()
        if not keys:
            return
        offered = [(f"#{t}", t) for t in self.service.work.offered_tags()]

        def picked(choice: tuple[str, str] | None) -> None:
            if choice is None:
                return
            tag = choice[0]
            if tag.startswith("-"):  # "-refund" takes the tag off
                self._run("Untagged", lambda: self.service.work.untag(keys, tag[1:]))
            else:
                self._run("Tagged", lambda: self.service.work.tag(keys, tag))

        title = f"Tag {self._about(keys)} (a new tag: type it; -tag takes one off)"
        self.app.push_screen(PickDialog(title, offered, free="type a tag, or -tag"), picked)

    def action_close(self) -> None:
        keys = self.targets()
        if not keys:
            return
        reasons = [(r.replace("_", " "), r) for r in CLOSE_REASONS]
        reasons.append(("reopen (closed by mistake, or more to say)", REOPEN))

        def picked(choice: tuple[str, str] | None) -> None:
            if choice is None:
                return
            reason, comment = choice
            if reason == REOPEN:
                self._run("Reopened", lambda: self.service.work.reopen(keys))
            else:
                self._run("Closed", lambda: self.service.work.close(keys, reason, comment.strip()))

        title = f"Close {self._about(keys)} without a reply: why?"
        self.app.push_screen(
            PickDialog(title, reasons, comment="comment (optional, kept in the audit log)"),
            picked,
        )

    def action_note(self) -> None:
        keys = self.targets()
        if len(keys) != 1:
            self.notify("A note is on one mention: unmark the others (*).", severity="warning")
            return
        key = keys[0]

        def written(text: str | None) -> None:
            if not text:
                return
            try:
                self.service.work.note(key, text)
            except (CrisisConsoleError, ValueError) as exc:
                self.notify(str(exc), title="No note", severity="error", timeout=10)
                return
            self.notify(f"Note kept on {key}.")
            self.action_reload()

        prompt = f"Note on {key}: for the team only, never sent, kept in the audit log"
        self.app.push_screen(TextPrompt(prompt), written)

    def claim_marked(self, keys: list[str]) -> None:
        self._run("Claimed", lambda: self.service.work.claim(keys))

    def acknowledge_marked(self, keys: list[str]) -> None:
        self._run("Acknowledged", lambda: self.service.work.acknowledge(keys))
