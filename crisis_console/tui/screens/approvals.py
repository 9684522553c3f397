"""The approval queue: drafts waiting for an approver, approved replies waiting for a sender,
and failed sends waiting for a retry. Late ones (past the mention's SLA) are marked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from crisis_console.core.models import StoredMention
from crisis_console.core.replies.batch_model import Batch, BatchResult, counted
from crisis_console.core.replies.reply_model import SENDING, Reply
from crisis_console.core.service import ConsoleService
from crisis_console.tui import formatting as fmt
from crisis_console.tui.attempt import attempt
from crisis_console.tui.messages import ReplyOnItsWay, StateChanged
from crisis_console.tui.screens import still_shown
from crisis_console.tui.screens.reply import findings_text
from crisis_console.tui.screens.text_prompt import TextPrompt
from crisis_console.tui.widgets.alarm_banner import AlarmBanner


def _age(since: datetime, now: datetime) -> str:
    return fmt.duration(max(0, int((now - since).total_seconds() // 60)))


class ApprovalScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("y", "approve", "Approve"),
        Binding("x", "reject", "Reject"),
        Binding("e", "edit", "Edit"),
        Binding("s", "send", "Send approved"),
    ]

    def __init__(self, service: ConsoleService) -> None:
        super().__init__()
        self.service = service
        self.rows: list[Reply | Batch] = []
        self.examples: dict[str, Reply] = {}  # a reply of each batch, shown as its example
        self.posts: dict[str, StoredMention | None] = {}  # the mentions answered, by key

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlarmBanner(id="alarm-banner")
        table: DataTable[object] = DataTable(id="approval-table", cursor_type="row")
        yield table
        yield Static(id="approval-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(AlarmBanner).show_open(self.service)  # pinned until acknowledged
        table = self.query_one(DataTable)
        table.add_columns("Status", "Mention", "Author", "Reach", "By", "Template", "Age", "Late")
        table.focus()
        self.reload()

    @work(thread=True, exclusive=True, group="approvals")
    def reload(self) -> None:
        queue, batches = self.service.batches.queue()  # a batch is one row
        posts = {reply.mention: self.service.mention(reply.mention) for reply, _ in queue}
        examples = {b.id: self.service.replies.reply(next(iter(b.replies.values())))
                    for b in batches if b.replies}  # fmt: skip
        self.app.call_from_thread(self._show, queue, batches, posts, examples)

    def _show(
        self,
        queue: list[tuple[Reply, bool]],
        batches: list[Batch],
        posts: dict[str, StoredMention | None],
        examples: dict[str, Reply],
    ) -> None:
        if not still_shown(self, DataTable):  # the console closed while the worker ran
            return
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        self.rows = [*batches, *(reply for reply, _ in queue)]
        self.posts, self.examples = posts, examples
        now = self.service.clock()
        for batch in batches:
            table.add_row(
                Text(f"batch {len(batch.replies)}", style="bold"),
                Text(counted(batch.statuses.values()), style="dim"),
                "",
                "",
                fmt.snippet(batch.author, 10),
                fmt.snippet(batch.template, 22),
                _age(batch.created_at, now),
                Text("LATE", style="bold white on red") if batch.late else Text(""),
                key=f"batch:{batch.id}",
            )
        for reply, late in queue:
            late_mark = Text("LATE", style="bold white on red") if late else Text("")
            post = posts.get(reply.mention)
            m = post.triage.mention if post is not None else None
            table.add_row(
                reply.status,
                fmt.snippet(reply.mention, 24),
                fmt.snippet(f"@{m.author}" if m is not None else "?", 16),
                fmt.reach(m.followers, m.verified) if m is not None else "",
                fmt.snippet(reply.author, 10),
                fmt.snippet(reply.template, 22),
                _age(reply.created_at, now),
                late_mark,
                key=reply.id,
            )
        if self.rows:
            table.move_cursor(row=min(max(row, 0), len(self.rows) - 1))
        else:
            self.query_one("#approval-detail", Static).update(
                Text("Nothing waits for approval.", style="dim")
            )

    def selected(self) -> Reply | Batch | None:
        table = self.query_one(DataTable)
        return (
            self.rows[table.cursor_row]
            if self.rows and 0 <= table.cursor_row < len(self.rows)
            else None
        )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        reply = self.selected()
        if reply is None:
            return
        if isinstance(reply, Batch):
            self.query_one("#approval-detail", Static).update(
                batch_text(reply, self.examples.get(reply.id), self.service.clock())
            )
            return
        out = Text()
        post = self.posts.get(reply.mention)
        if post is not None:  # what is being answered, so the approver needs no other screen
            m = post.triage.mention
            out.append_text(fmt.plain(f"@{m.author}" if m.author else "(no handle)"))
            out.stylize("bold")
            out.append(f"  ·  {m.followers:,} followers  ·  {m.platform.value}  ·  ")
            out.append_text(fmt.plain(reply.mention))
            out.append(f"  ·  {post.triage.classification.urgency.value}\n")
            out.append_text(fmt.snippet(m.words, 400))
            out.append("\n\n")
        age = _age(reply.created_at, self.service.clock())
        out.append(f"{reply.status} · by {reply.author} · {age} ago · template ", style="bold")
        out.append_text(fmt.plain(reply.template))
        if reply.edited_by:
            out.append(f" · edited by {reply.edited_by}")
        if reply.error:
            out.append(f"\nLast error: {reply.error}", style="red")
        out.append("\n\n")
        out.append_text(fmt.plain(reply.text))
        out.append("\n\n")
        out.append_text(findings_text(list(reply.findings)))
        for step in reply.history:
            out.append(f"\n{step['action']} by {step['by']} {step['comment']}", style="dim")
            if step.get("diff"):
                out.append("\n")
                out.append_text(fmt.plain(step["diff"]))
        self.query_one("#approval-detail", Static).update(out)

    def on_state_changed(self, message: StateChanged) -> None:
        self.reload()  # another operator's draft, approval or send, in team mode

    def _do(self, what: str, action: Callable[[], object]) -> None:
        attempt(self, self.service, what, action, timeout=10)
        self.reload()

    def _send(self, what: str, action: Callable[[], Reply]) -> None:
        """Approve or send; a reply now going out is followed until it is delivered."""

        def sending() -> None:
            reply = action()
            if reply.status == SENDING:
                self.app.post_message(ReplyOnItsWay(reply.id))

        self._do(what, sending)

    def action_approve(self) -> None:
        item = self.selected()
        if isinstance(item, Batch):
            self._batch("approve", lambda: self.service.batches.approve(item.id))
        elif item is not None:
            self._send("approve", lambda: self._settled(self.service.replies.approve(item.id)))

    def action_send(self) -> None:
        item = self.selected()
        if isinstance(item, Batch):
            self._batch("send", lambda: self.service.batches.send(item.id))
        elif item is not None:
            self._send("send", lambda: self._settled(self.service.replies.send_approved(item.id)))

    def _settled(self, reply: Reply) -> Reply:
        """A batch whose last reply was handled on its own closes (and ticks its step)."""
        self.service.batches.settle([reply.id])
        return reply

    def _batch(self, what: str, action: Callable[[], BatchResult]) -> None:
        """Approve, send or reject a batch: each reply checked on its own; told in one toast."""

        def done() -> None:
            result = action()
            for reply in result.replies.values():
                if reply.status == SENDING:
                    self.app.post_message(ReplyOnItsWay(reply.id))
            refused = "".join(f"\n{k}: {why}" for k, why in list(result.refused.items())[:3])
            ticked = f"\nChecklist: {', '.join(result.ticked)} done" if result.ticked else ""
            self.notify(result.summary(what.capitalize()) + refused + ticked, timeout=10)

        self._do(f"{what} the batch", done)

    def action_reject(self) -> None:
        item = self.selected()
        if item is None:
            return

        def rejected(comment: str | None) -> None:
            if not comment:
                return
            if isinstance(item, Batch):
                self._batch("reject", lambda: self.service.batches.reject(item.id, comment))
            else:
                self._do(
                    "reject",
                    lambda: self._settled(self.service.replies.reject(item.id, comment)),
                )

        self.app.push_screen(TextPrompt("Why is it rejected? (the author sees this)"), rejected)

    def action_edit(self) -> None:
        reply = self.selected()
        if reply is None:
            return
        if isinstance(reply, Batch):
            self.notify("A batch is approved or rejected whole; edit the template's variables by "
                        "rejecting it with a comment.", severity="warning")  # fmt: skip
            return

        def edited(text: str | None) -> None:
            if text and text != reply.text:
                self._do("edit", lambda: self.service.replies.edit(reply.id, text))

        self.app.push_screen(TextPrompt("Edit the reply (kept as a diff)", reply.text), edited)


def batch_text(batch: Batch, example: Reply | None, now: datetime) -> Text:
    """A batch in the detail: its size and state, what was refused when it was made, and
    one of its replies as an example (each is filled with its own author)."""
    out = Text()
    out.append(f"Batch of {len(batch.replies):,} replies · by {batch.author} · "
               f"{_age(batch.created_at, now)} ago · template ", style="bold")  # fmt: skip
    out.append_text(fmt.plain(batch.template))
    out.append(f"\nNow: {counted(batch.statuses.values())}")
    if batch.refused:
        out.append(f"\nRefused when it was made ({len(batch.refused)}):", style="yellow")
        for key, why in list(batch.refused.items())[:5]:
            out.append("\n  ")
            out.append_text(fmt.plain(f"{key}: {why}"))
    if example is not None:
        out.append("\n\nFor example, to ")
        out.append_text(fmt.plain(example.mention))
        out.append(":\n")
        out.append_text(fmt.plain(example.text))
        out.append("\n\n")
        out.append_text(findings_text(list(example.findings)))
    out.append("\n\ny approves every reply (each checked again on its own) · x rejects them "
               "all · s sends what was approved", style="dim")  # fmt: skip
    return out
