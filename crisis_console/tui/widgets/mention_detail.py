"""The detail pane: everything about one mention, and why it was ranked as it was."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from crisis_console.core.conversations import Thread
from crisis_console.core.crisis.crisis_state import Alarm
from crisis_console.core.models import StoredMention
from crisis_console.core.replies.reply_model import SENT, Reply
from crisis_console.core.store.inbox import InboxRow
from crisis_console.core.work.model import MentionWork
from crisis_console.tui import formatting as fmt

THREAD_SHOWN = 40  # posts of a conversation in the detail; the CLI's `thread` shows them all
REPLY_STYLES = {"sent": "bold green", "rejected": "bold red", "failed": "bold red"}


@dataclass(frozen=True)
class Handling:
    """What the team has done about a mention: its replies (sent, drafts, rejected), its
    alarm and who acknowledged it, who holds the claim."""

    holder: str = ""
    replies: Sequence[Reply] = ()
    alarm: Alarm | None = None
    work: MentionWork | None = None  # assigned, tagged, closed, notes
    thread: Thread | None = None  # the conversation it is part of

    @property
    def answer(self) -> Reply | None:
        return next((r for r in self.replies if r.status == SENT), None)


def describe(
    item: StoredMention,
    now: datetime,
    earlier: Sequence[InboxRow] = (),
    handling: Handling = Handling(),
) -> Text:
    """The pane's content as one `Text`; every outside value goes through `fmt.plain`."""
    holder = handling.holder
    t = item.triage
    m, c, r = t.mention, t.classification, t.route
    out = Text()
    out.append_text(fmt.plain(f"@{m.author}" if m.author else "(no handle)"))
    out.stylize("bold")
    if m.author_name:
        out.append("  ")
        out.append_text(fmt.plain(m.author_name))
    out.append(f"  ·  {m.followers:,} followers")
    if m.verified:
        out.append("  ·  verified", style="bold cyan")
    out.append(f"\n{m.platform.value} {m.kind.value}  ·  {fmt.timestamp(m.created_at)}  ·  ")
    out.append_text(fmt.plain(m.key))
    if m.url:
        out.append("\n")
        out.append_text(fmt.plain(m.url))
    if item.deleted_at is not None:
        out.append(f"\nDELETED by its author (tombstone since {fmt.timestamp(item.deleted_at)}); "
                   "kept in the archive", style="bold white on grey37")  # fmt: skip
    if m.repost_of:
        out.append("\nA repost of ")
        out.append_text(fmt.plain(m.repost_of))
        out.append(": the text below is that post's")
    out.append("\n\n")
    if m.content_warning:
        out.append("Content warning: ", style="bold")
        out.append_text(fmt.plain(m.content_warning))
        out.append("\n")
    out.append_text(fmt.plain(m.text))
    out.append("\n\n")
    out.append_text(fmt.urgency_badge(c.urgency))
    out.append(f" {c.urgency.value}  ·  {c.category.value}  ·  sentiment ")
    out.append_text(fmt.sentiment_badge(c.sentiment.label, c.sentiment.compound))
    out.append(f" {c.sentiment.label.value}")
    if c.sentiment.vader != c.sentiment.compound:
        out.append(f" (VADER alone {c.sentiment.vader:+.2f})", style="dim")
    if r.escalate:
        out.append("\nESCALATED to the lead: risk of harm", style="bold white on red")
    out.append(f"\nQueue {r.queue.value}  ·  rule: {r.rule}")
    out.append(
        f"  ·  claimed by {holder}" if holder else "  ·  unclaimed",
        style="bold" if holder else "dim",
    )
    answer = handling.answer
    closed = handling.work is not None and handling.work.closed
    if closed:
        pass  # closed without a reply: no clock (why and by whom follow)
    elif answer is not None and answer.sent_at is not None:  # the clock has stopped
        late = answer.sent_at > t.deadline
        out.append(f"\nAnswered {fmt.timestamp(answer.sent_at)} by {answer.sent_by}", style="bold")
        out.append(
            " (after its SLA)" if late else " (within its SLA)", style="red" if late else "green"
        )
    else:
        out.append(f"\nRespond by {fmt.timestamp(t.deadline)} (")
        out.append_text(fmt.due(t.deadline, now))
        out.append(f", SLA {fmt.duration(r.respond_within_minutes)})")
    _handling(out, handling)
    if handling.thread is not None and len(handling.thread.posts) > 1:
        _conversation(out, handling.thread, m.key)
    out.append("\n\nWhy", style="bold underline")
    for reason in c.reasons:
        out.append("\n • ")
        out.append_text(fmt.plain(reason))
    if earlier:
        out.append(f"\n\nEarlier from this author ({len(earlier)})", style="bold underline")
        for row in earlier[:8]:
            out.append(f"\n {fmt.timestamp(row.created_at)}  {row.urgency:<8} ")
            out.append_text(fmt.snippet(row.snippet, 70))
    if item.history:
        out.append("\n\nEarlier versions", style="bold underline")
        for version in item.history:
            out.append(f"\n {fmt.timestamp(version.seen_at)}: ")
            out.append_text(fmt.plain(version.text))
    return out


def _work(out: Text, work: MentionWork) -> None:
    """Closed (why, by whom), assigned, tags, and the team's notes, oldest first."""
    if work.closure is not None:
        c = work.closure
        out.append(f"\nCLOSED without a reply: {c.reason.replace('_', ' ')}", style="bold")
        out.append(f" by {c.by} {fmt.timestamp(c.at)}")
        if c.comment:
            out.append(": ")
            out.append_text(fmt.plain(c.comment))
    if work.assignment is not None:
        a = work.assignment
        to = " and ".join(x for x in (a.person, a.queue and f"queue {a.queue}") if x)
        out.append(f"\nAssigned to {to} by {a.by} {fmt.timestamp(a.at)}")
    if work.tags:
        out.append("\nTags: ")
        out.append_text(fmt.plain(" ".join(f"#{t}" for t in work.tags)))
    if work.notes:
        out.append(f"\n\nNotes ({len(work.notes)}, never sent)", style="bold underline")
        for note in work.notes:
            out.append(f"\n {note.by}, {fmt.timestamp(note.at)}: ", style="italic")
            out.append_text(fmt.plain(note.text))


def _conversation(out: Text, thread: Thread, here: str) -> None:
    """The posts that answer each other, in thread order, indented by depth, with our
    replies in place; the mention on screen marked ▶."""
    shown = thread.posts[:THREAD_SHOWN]
    out.append(f"\n\nConversation ({len(thread.posts) + thread.more} posts)",
               style="bold underline")  # fmt: skip
    for post in shown:
        indent = "  " * min(post.depth, 8)
        mark = "▶ " if post.key == here else "  "
        out.append(f"\n{mark}{indent}", style="bold")
        if post.stored is None:
            out.append("(not in the store) ", style="dim")
            out.append_text(fmt.plain(post.key))
            continue
        m = post.stored.triage.mention
        out.append_text(fmt.plain(f"@{m.author}" if m.author else "?"))
        out.append(f" {fmt.timestamp(m.created_at)}: ", style="dim")
        out.append_text(fmt.snippet(m.words, 120))
        for reply in post.replies:
            out.append(f"\n  {indent}  ↳ our reply, {reply.status}", style="bold green")
            out.append(f" ({reply.sent_by or reply.author}): ", style="dim")
            out.append_text(fmt.snippet(reply.text, 120))
    if len(thread.posts) > THREAD_SHOWN or thread.more:
        left = len(thread.posts) - len(shown) + thread.more
        out.append(f"\n  … {left} more in the thread: crisis-console thread {here}", style="dim")


def _handling(out: Text, handling: Handling) -> None:
    """The alarm and its acknowledgement; every reply, with its status and what was said
    of it (a rejection's comment reaches the draft's author here)."""
    if handling.work is not None:
        _work(out, handling.work)
    alarm = handling.alarm
    if alarm is not None:
        out.append("\nHarm alarm ", style="bold")
        out.append(f"raised {fmt.timestamp(alarm.raised_at)}; ")
        if alarm.acknowledged_at is not None:
            out.append(f"acknowledged by {alarm.acknowledged_by} "
                       f"{fmt.timestamp(alarm.acknowledged_at)}", style="green")  # fmt: skip
        else:
            out.append("NOT ACKNOWLEDGED", style="bold white on red")
    if not handling.replies:
        return
    out.append("\n\nOur replies", style="bold underline")
    for reply in handling.replies:
        out.append(f"\n {reply.status.upper()}", style=REPLY_STYLES.get(reply.status, "bold"))
        out.append(f"  {reply.template} by {reply.author}, {fmt.timestamp(reply.created_at)}")
        if reply.sent_at is not None:
            out.append(f"; sent by {reply.sent_by} {fmt.timestamp(reply.sent_at)}")
        out.append("\n   ")
        out.append_text(fmt.snippet(reply.text, 300))
        for step in reply.history:
            if step.get("comment"):
                out.append(
                    f"\n   {step.get('action', '')} by {step.get('by', '')}: ", style="italic"
                )
                out.append_text(fmt.plain(str(step["comment"])))


class MentionDetail(VerticalScroll):
    """Shows `mention` (set by the screen); empty until a row is highlighted."""

    mention: reactive[StoredMention | None] = reactive(None)

    def __init__(self, now: datetime, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.now = now
        self.earlier: Sequence[InboxRow] = ()
        self.handling = Handling()

    def compose(self) -> ComposeResult:
        yield Static(Text("No mention selected.", style="dim"), id="detail-body")

    def watch_mention(self, mention: StoredMention | None) -> None:
        body = next(self.query("#detail-body").results(Static), None)
        if body is None:  # the console closed while the record was being read
            return
        shown = describe(mention, self.now, self.earlier, self.handling) if mention else None
        body.update(shown or Text("No mention selected."))
        self.scroll_home(animate=False)
