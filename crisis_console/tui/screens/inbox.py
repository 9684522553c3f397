"""The inbox: a page of mentions by urgency and deadline, filters and search, and the one on
screen in detail. Works the same with two hundred mentions or a hundred thousand: it shows a
page of the sorted, filtered index and reads only the record on screen."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static

from crisis_console.core.crisis.crisis_state import AlarmSummary
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.models import Category, Platform, StoredMention
from crisis_console.core.replies.claims import ClaimDesk
from crisis_console.core.service import ConsoleService
from crisis_console.core.store.inbox import STATUSES, InboxFilter, InboxPage, InboxRow
from crisis_console.core.triage.corrections import Correction
from crisis_console.tui import formatting as fmt
from crisis_console.tui.messages import (
    AcknowledgeRequested,
    AuditTrailRequested,
    ReplyRequested,
    StateChanged,
)
from crisis_console.tui.screens import still_shown
from crisis_console.tui.screens.inbox_work import InboxWork
from crisis_console.tui.screens.pick_dialog import PickDialog
from crisis_console.tui.screens.reclassify_dialog import ReclassifyDialog
from crisis_console.tui.screens.reply import ReplyScreen
from crisis_console.tui.widgets.alarm_banner import AlarmBanner
from crisis_console.tui.widgets.mention_detail import Handling, MentionDetail
from crisis_console.tui.widgets.mention_table import MentionTable

REFRESH_SECONDS = 30  # SLA countdowns move on even when nothing new arrives
PAGE = 100
DETAIL_DELAY = 0.08  # seconds the cursor rests before the full record is read
VIEW = "view:"  # the picker's value for a saved view (what is typed is a name to save)


def _cycle(options: list[str | None], current: str | None) -> str | None:
    return options[(options.index(current) + 1) % len(options)]


class InboxScreen(InboxWork):
    """Owns the filter, the page, the table and the detail pane."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("m", "mine", "My queue"),
        Binding("s", "status", "Status"),
        Binding("u", "urgency", "Urgency", show=False),
        Binding("p", "platform", "Platform", show=False),
        Binding("t", "category", "Category", show=False),
        Binding("0", "clear", "Clear filters", show=False),
        Binding("C", "claim", "Claim"),
        Binding("R", "reply", "Reply"),
        Binding("a", "acknowledge", "Ack alarm"),
        Binding("T", "trail", "Trail", show=False),
        Binding("E", "reclassify", "Reclassify", show=False),
        Binding("right_square_bracket", "page(1)", "Next page", show=False),
        Binding("left_square_bracket", "page(-1)", "Previous page", show=False),
        Binding("r", "reload", "Reload", show=False),
        Binding("asterisk", "mark_filter", "Mark all", show=False),
        Binding("W", "assign", "Assign", show=False),
        Binding("number_sign", "tag", "Tag", show=False),
        Binding("N", "note", "Note", show=False),
        Binding("X", "close", "Close", show=False),
        Binding("v", "views", "Views"),
    ]

    def __init__(self, service: ConsoleService) -> None:
        super().__init__()
        self.service = service
        self.where = InboxFilter()
        self.page_offset = 0
        self.page_total = 0
        self._status = Text("Loading…")  # the status line, before the count of marks
        self._tail = Text()  # and after it: the filter and the open counts
        self._detail_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlarmBanner(id="alarm-banner")
        yield Static("Loading…", id="inbox-status")
        with Container(id="inbox-body"):
            yield MentionTable(id="inbox-table")
            yield MentionDetail(self.service.clock(), id="mention-detail")
        yield Input(
            placeholder="words, #tag, @author, a key (x:123), u:critical,high; "
            "Enter applies, Esc clears",
            id="inbox-search",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(MentionTable).focus()
        self.action_reload()
        self.set_interval(REFRESH_SECONDS, self.action_reload)

    # --- loading -------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.load_page()

    @work(thread=True, exclusive=True, group="inbox")
    def load_page(self) -> None:
        """Filters and pages the index off the UI thread, then hands the rows to the table."""
        page = self.service.inbox_page(self.where, self.page_offset, PAGE)
        claims = self.service.claim_holders()
        alarms = self.service.crisis.alarm_summary()
        empty = not page.total and not self.service_total()
        self.app.call_from_thread(self._show, page, claims, alarms, empty)

    def _show(
        self,
        page: InboxPage,
        claims: dict[str, str],
        alarms: AlarmSummary,
        empty: bool = False,
    ) -> None:
        if not still_shown(self, AlarmBanner):  # the console closed while the worker ran
            return
        self.query_one(AlarmBanner).show(alarms)
        now = self.service.clock()
        self.page_offset, self.page_total = page.offset, page.total
        self.query_one(MentionTable).show(page.rows, claims, now)
        self.query_one(MentionDetail).now = now
        counts = "  ".join(f"{q} {n}" for q, n in sorted(page.queue_counts.items()))
        level = self.service.playbook.level(page.level)
        status = fmt.level_badge(page.level, level.name, level.crisis)
        if page.total:
            last = page.offset + len(page.rows)
            more = "" if page.exact else "+"  # a filtered count stops at 10,000 in team mode
            status.append(f"{page.offset + 1}–{last} of {page.total:,}{more}", style="bold")
        elif empty:
            status.append("No mentions yet. Load some with: crisis-console ingest FILE.jsonl")
        else:
            status.append("Nothing matches the filter (0 clears it)", style="bold")
        self._status = status  # the marks go here, before what a narrow screen cuts
        self._tail = Text(f"  ·  {self.where.describe()}  ·  open: {counts or 'none'}", style="dim")
        self._show_marks()
        if not page.rows:
            self.query_one(MentionDetail).mention = None

    def on_state_changed(self, message: StateChanged) -> None:
        self.action_reload()

    # --- marks: what a bulk action acts on -----------------------------------------------------

    def _show_marks(self) -> None:
        status = self._status.copy()
        marked = len(self.query_one(MentionTable).marked)
        if marked:
            status.append(f"  ·  {marked:,} marked", style="bold yellow")
        status.append_text(self._tail)
        self.query_one("#inbox-status", Static).update(status)

    def on_mention_table_marks_changed(self, message: MentionTable.MarksChanged) -> None:
        self._show_marks()

    def action_views(self) -> None:
        """`v`: the saved views (and the built-in ones) to apply; a name typed saves the
        filter in force under it; -name deletes a saved view."""
        views = self.service.views.all()
        choices = [(f"{v.name}: {v.where.describe()}", f"{VIEW}{v.name}") for v in views]

        def picked(choice: tuple[str, str] | None) -> None:
            if choice is None:
                return
            value = choice[0]
            try:
                if value.startswith(VIEW):
                    name = value.removeprefix(VIEW)
                    where = next(v.where for v in views if v.name == name)
                    self.query_one("#inbox-search", Input).value = where.typed()
                    self._apply(where)
                elif value.startswith("-"):
                    self.service.views.delete(value[1:].strip())
                    self.notify(f"View '{value[1:].strip()}' deleted.")
                else:
                    self.service.views.save(value, self.where)
                    self.notify(f"Saved the filter as '{value}': v applies it.")
            except (CrisisConsoleError, ValueError) as exc:
                self.notify(str(exc), title="Views", severity="error", timeout=8)

        title = "Saved views: pick one, or type a name to save this filter (-name deletes)"
        self.app.push_screen(PickDialog(title, choices, free="a view, or a new name"), picked)

    # --- filters -------------------------------------------------------------------------------

    def _apply(self, where: InboxFilter) -> None:
        self.where, self.page_offset = where, 0
        self.query_one(MentionTable).move_cursor(row=0)  # a new filter starts at its top
        self.load_page()

    def action_mine(self) -> None:
        mine = None if self.where.queues is not None else self.service.my_queues()
        self._apply(replace(self.where, queues=mine, claimed_by=self.service.operator.name))

    def action_status(self) -> None:
        self._apply(replace(self.where, status=str(_cycle(list(STATUSES), self.where.status))))

    def action_urgency(self) -> None:
        self._apply(self.where.next_urgency())

    def action_platform(self) -> None:
        options: list[str | None] = [None, *(p.value for p in Platform)]
        self._apply(replace(self.where, platform=_cycle(options, self.where.platform)))

    def action_category(self) -> None:
        options: list[str | None] = [None, *(c.value for c in Category)]
        self._apply(replace(self.where, category=_cycle(options, self.where.category)))

    def action_clear(self) -> None:
        self.query_one("#inbox-search", Input).value = ""
        self._apply(InboxFilter())

    def action_search(self) -> None:
        box = self.query_one("#inbox-search", Input)
        box.display = True
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.input.display = bool(event.value)
        self.query_one(MentionTable).focus()
        self._apply(self.where.searching(event.value))  # words, #tag, @author, key, u:

    def key_escape(self) -> None:
        box = self.query_one("#inbox-search", Input)
        if box.has_focus:
            box.value, box.display = "", False
            self.query_one(MentionTable).focus()
            self._apply(self.where.searching(""))

    def action_page(self, step: int) -> None:
        offset = self.page_offset + step * PAGE
        if 0 <= offset < self.page_total:
            self.page_offset = offset
            self.load_page()

    # --- the mention on screen -----------------------------------------------------------------

    def on_mention_table_highlighted(self, event: MentionTable.Highlighted) -> None:
        # Read the full record only once the cursor rests: holding a key down stays fast.
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(DETAIL_DELAY, lambda: self.load_detail(event.row))

    @work(thread=True, exclusive=True, group="detail")
    def load_detail(self, row: InboxRow) -> None:
        stored = self.service.mention(row.key)
        earlier = [r for r in self.service.earlier_posts(row.author_key) if r.key != row.key]
        claim = self.service.claims.holder(row.key)
        handling = Handling(
            claim.holder if claim is not None else "",
            self.service.replies.replies(row.key),
            self.service.crisis.alarm(row.key),
            self.service.work.detail(row.key),
            self.service.conversations.thread(row.key),
        )
        self.app.call_from_thread(self._show_detail, stored, earlier, handling)

    def _show_detail(
        self, stored: StoredMention | None, earlier: list[InboxRow], handling: Handling
    ) -> None:
        if not still_shown(self, MentionDetail):  # the console closed while the worker ran
            return
        detail = self.query_one(MentionDetail)
        detail.earlier, detail.handling = earlier, handling
        detail.mention = stored
        detail.mutate_reactive(MentionDetail.mention)

    def shown_key(self) -> str | None:
        """The mention the cursor is on. Not the detail pane's: that is read a moment after
        the cursor rests, and a key pressed just after a search must not act on the mention
        shown before it."""
        return self.query_one(MentionTable).current_key()

    def action_acknowledge(self) -> None:
        marked = sorted(self.query_one(MentionTable).marked)
        if marked:  # 34 alarms: one key, not 68
            self.acknowledge_marked(marked)
            return
        self.post_message(AcknowledgeRequested(self.shown_key()))

    def action_reply(self) -> None:
        marked = sorted(self.query_one(MentionTable).marked)
        if len(marked) > 1:  # one template for them all, approved once as a batch
            self.app.push_screen(ReplyScreen(self.service, marked[0], marked), self._answered)
            return
        key = marked[0] if marked else self.shown_key()
        if key is not None:
            self.post_message(ReplyRequested(key))

    def _answered(self, made: bool | None) -> None:
        if made:
            self.unmark()
        self.action_reload()

    def action_trail(self) -> None:
        key = self.shown_key()
        if key is not None:
            self.post_message(AuditTrailRequested(key))

    def action_reclassify(self) -> None:
        key = self.shown_key()
        stored = self.service.mention(key) if key is not None else None
        if key is None or stored is None:
            return

        def chosen(correction: Correction | None) -> None:
            if correction is None:
                return
            try:
                after = self.service.corrections.reclassify(key, correction)
            except CrisisConsoleError as exc:
                self.notify(str(exc), title="Not reclassified", severity="error", timeout=8)
                return
            c = after.triage.classification
            self.notify(f"{key}: {c.urgency.value}, {c.category.value}, {c.sentiment.label.value}.")
            self.action_reload()

        self.app.push_screen(ReclassifyDialog(key, stored.triage.classification), chosen)

    def action_claim(self) -> None:
        marked = sorted(self.query_one(MentionTable).marked)
        if marked:
            self.claim_marked(marked)
            return
        key = self.shown_key()
        if key is None:
            return
        claims = self.service.claims
        self._claim_or_release(claims, key)
        self.action_reload()

    def _claim_or_release(self, claims: ClaimDesk, key: str) -> None:
        try:
            current = claims.holder(key)
            if current is not None and current.holder == self.service.operator.name:
                claims.release(key)
                self.notify(f"Released {key}.")
            else:
                claim = claims.claim(key)
                self.notify(f"{key} is yours until {claim.expires:%H:%M} UTC.")
        except (CrisisConsoleError, ValueError) as exc:
            self.notify(str(exc), title="Could not claim", severity="error", timeout=8)

    def select_mention(self, key: str) -> None:
        """Show the mention with this key: on this page if it is here, else from the start."""
        table = self.query_one(MentionTable)
        if not table.select(key):
            self._find_everywhere(table, key)

    def _find_everywhere(self, table: MentionTable, key: str) -> None:
        self.where, self.page_offset = InboxFilter(status="all"), 0
        page = self.service.inbox_page(self.where, 0, self.service_total())
        keys = [r.key for r in page.rows]
        if key in keys:
            self.page_offset = (keys.index(key) // PAGE) * PAGE
            self._show(
                self.service.inbox_page(self.where, self.page_offset, PAGE),
                self.service.claim_holders(),
                self.service.crisis.alarm_summary(),
            )
            table.select(key)

    def service_total(self) -> int:
        return self.service.inbox_page(InboxFilter(status="all"), 0, 1).total
