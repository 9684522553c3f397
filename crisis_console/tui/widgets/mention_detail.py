"""The detail pane: everything about one mention, and why it was ranked as it was."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from crisis_console.core.models import StoredMention
from crisis_console.core.store.inbox import InboxRow
from crisis_console.tui import formatting as fmt


def describe(
    item: StoredMention, now: datetime, earlier: Sequence[InboxRow] = (), holder: str = ""
) -> Text:
    """The pane's content as one `Text`; every outside value goes through `fmt.plain`."""
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
    out.append(f"\nRespond by {fmt.timestamp(t.deadline)} (")
    out.append_text(fmt.due(t.deadline, now))
    out.append(f", SLA {fmt.duration(r.respond_within_minutes)})")
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


class MentionDetail(VerticalScroll):
    """Shows `mention` (set by the screen); empty until a row is highlighted."""

    mention: reactive[StoredMention | None] = reactive(None)

    def __init__(self, now: datetime, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.now = now
        self.earlier: Sequence[InboxRow] = ()
        self.holder = ""

    def compose(self) -> ComposeResult:
        yield Static(Text("No mention selected.", style="dim"), id="detail-body")

    def watch_mention(self, mention: StoredMention | None) -> None:
        body = next(self.query("#detail-body").results(Static), None)
        if body is None:  # the console closed while the record was being read
            return
        shown = describe(mention, self.now, self.earlier, self.holder) if mention else None
        body.update(shown or Text("No mention selected."))
        self.scroll_home(animate=False)
