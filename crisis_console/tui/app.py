"""The Textual application: holds the service, runs the timers, and turns notifications,
alarms and refusals into what the operator sees and hears."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual import work
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.worker import get_current_worker

from crisis_console.core.crisis.crisis_state import CrisisState
from crisis_console.core.crisis.notify import Notification
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.intake.follow import follow
from crisis_console.core.replies.reply_model import FAILED, SENT, Reply
from crisis_console.core.service import ConsoleService, IngestReport
from crisis_console.core.text import visible
from crisis_console.core.triage.second_opinion import RETRY_SECONDS
from crisis_console.tui import formatting as fmt
from crisis_console.tui.attempt import attempt
from crisis_console.tui.leaving import Leaving
from crisis_console.tui.messages import (
    AcknowledgeRequested,
    LevelChangeRequested,
    NotificationArrived,
    ReplyOnItsWay,
    ReplyRequested,
    StateChanged,
    StepTickRequested,
)
from crisis_console.tui.navigation import Navigation
from crisis_console.tui.screens.crisis import CrisisScreen
from crisis_console.tui.screens.inbox import InboxScreen
from crisis_console.tui.screens.level_dialog import LevelDialog
from crisis_console.tui.screens.reply import ReplyScreen
from crisis_console.tui.telling import Telling
from crisis_console.tui.widgets.alarm_banner import AlarmBanner

TITLE_SECONDS = 30  # how often the header's "level for 1h 5m" is brought up to date
TIMER_SECONDS = 10  # alarms, SLA breaches, checklist and spikes are checked this often
BACKLOG_PAUSE = 0.25  # seconds between two chunks of a backlog (each ~0.1 s of work)
OUTBOX_SECONDS = 1.0  # how soon a queued reply goes out, and a retry is noticed
SECOND_OPINION_SECONDS = 1.0  # how soon posts waiting for a second opinion are taken up
FOLLOW_CHUNK = 500  # lines per ingest call: the service lock is held about a tenth of a second
FOLLOW_PROBLEMS_SHOWN = 3  # a followed file's bad lines in the toast; the rest are counted
TOLD_ONE_BY_ONE = 3  # delivered replies told a toast each; more are told in one


class CrisisConsoleApp(Leaving, Navigation, Telling):
    """The console over one `ConsoleService`, which the composition root builds and injects."""

    # Absolute, so a subclass defined elsewhere (a test's) still finds it.
    CSS_PATH = Path(__file__).parent / "console.tcss"
    TITLE = "Crisis Console"
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("q", "leave", "Quit"),  # ctrl+q quits too (Textual's); both ask first
        Binding("c", "crisis", "Crisis"),
        Binding("A", "approvals", "Approvals"),
        Binding("U", "audit", "Audit", show=False),
        Binding("O", "reports", "Reports", show=False),  # O for overview: g/G move the inbox
        Binding("L", "change_level", "Level", show=False),
    ]

    def __init__(
        self,
        service: ConsoleService,
        location: str,
        run_timers: bool = True,
        follow: Path | None = None,
    ) -> None:
        """`follow`: a JSONL file whose new lines are ingested as they arrive."""
        super().__init__()
        self.service = service
        self._run_timers = run_timers
        self._follow = follow
        self._stop_following = threading.Event()
        self._where = f"{location} · playbook {service.playbook.id} · {service.operator.describe()}"
        self.sub_title = self._where
        self._seen: tuple[int, int] | None = None  # the level and open alarms last shown
        self._on_its_way: set[str] = set()  # replies sent here that another process may deliver
        self._judging = False  # the second opinion's worker is running
        self._waiting = ""  # the sub-title's note of posts waiting for a second opinion
        self._level_shown = ""  # the sub-title's level, when a crisis level is in force
        self._level_since: datetime | None = None  # since when: the header counts it

    def on_mount(self) -> None:
        # The sink may be called from a worker thread; post_message is safe from any thread.
        self.service.notifier.console.listener = self._from_any_thread
        self.push_screen(InboxScreen(self.service))
        self._announce(self.service.crisis.state(), self.service.crisis.alarm_summary()[0])
        self._tell_unsent()
        self._tell_notices()
        self.set_interval(TITLE_SECONDS, self._show_title)  # "for 1h 5m" moves on
        if self._run_timers:
            self.set_interval(TIMER_SECONDS, self.run_timers)
            self.set_interval(OUTBOX_SECONDS, self.work_outbox)
        following = f"follow {self._follow.name}" if self._follow is not None else ""
        if self._follow is not None and attempt(
            self, self.service, following, self.service.require_ingest
        ):
            self.follow_file(self._follow)
        if self.service.second_opinion.enabled:
            self.set_interval(SECOND_OPINION_SECONDS, self._second_opinion_due)
        if self.service.shared:
            self.follow_changes()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast in the console: its text is shown as it is, never parsed as markup and
        with control characters spelled out, because alarm summaries and file problems quote
        what strangers wrote. `markup` is accepted for Textual's own callers and ignored."""
        super().notify(
            visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False
        )

    def on_unmount(self) -> None:
        self._stop_following.set()

    @work(thread=True, exclusive=True, group="follow")
    def follow_file(self, path: Path) -> None:
        """New lines of a followed file are ingested as they arrive, a batch per poll, so a
        burst becomes one update of the screen, not hundreds."""
        for batch in follow(path, self._stop_following):
            report = IngestReport()
            try:
                for start in range(0, len(batch.lines), FOLLOW_CHUNK):
                    # The lock is let go between chunks: the screen never waits long for it.
                    lines = batch.lines[start : start + FOLLOW_CHUNK]
                    first = batch.first_line + start
                    report.add(self.service.ingest_lines(lines, str(path), first))
            except CrisisConsoleError as exc:  # refused since (the team changed): stop here
                self.call_from_thread(self._stopped_following, path, str(exc))
                return
            self.call_from_thread(self._followed, path, report)

    def _stopped_following(self, path: Path, why: str) -> None:
        self.notify(why, title=f"Stopped following {path.name}", severity="error", timeout=30)

    def _followed(self, path: Path, report: IngestReport) -> None:
        if report.new or report.updated or report.deleted or report.rejected or report.notices:
            told = [*report.problems, *(f"note: {n}" for n in report.notices)]
            shown = [str(p) for p in told[:FOLLOW_PROBLEMS_SHOWN]]
            if len(told) > FOLLOW_PROBLEMS_SHOWN:
                shown.append(f"… and {len(told) - FOLLOW_PROBLEMS_SHOWN} more")
            self.notify(
                "\n".join([report.summary(), *shown]),
                title=f"From {path.name}",
                severity="warning" if report.rejected else "information",
            )
            self.refresh_state()

    @work(thread=True, exclusive=True, group="changes")
    def follow_changes(self) -> None:
        """In team mode, what other operators do shows here as they do it: each burst of
        changes in the database reloads the screen once (a folder has no other writer)."""
        for _ in self.service.changes(self._stop_following):
            self.call_from_thread(self.refresh_state, others=True)

    def _from_any_thread(self, notification: Notification) -> None:
        self.post_message(NotificationArrived(notification))

    @work(thread=True, exclusive=True, group="timers")
    def run_timers(self) -> None:
        """The timers, a chunk of what is due at a time (`Timers.tick`): between chunks the
        operator's actions take the service's lock, and a pause leaves the screen the CPU,
        so a console that opens on an hour's backlog works it off without a sluggish
        screen (a filter took 60 ms instead of 22 at a million mentions without it)."""
        worker, timers = get_current_worker(), self.service.timers
        timers.tick()
        while timers.backlog and not worker.is_cancelled:
            if self._stop_following.wait(BACKLOG_PAUSE):
                return  # closing
            timers.tick()
        self.call_from_thread(self.refresh_state)

    def _second_opinion_due(self) -> None:
        if not self._judging and self.service.second_opinion.progress().pending:
            self._judging = True
            self.second_opinion()

    @work(thread=True, exclusive=True, group="second-opinion")
    def second_opinion(self) -> None:
        """The semantic second pass, a batch at a time, off the screen's thread (the model
        is the slow part; the service's lock is taken only to read and to raise). The
        header says how many posts wait for it; a post it raises rings like any alarm."""
        desk, worker = self.service.second_opinion, get_current_worker()
        try:
            while desk.progress().pending and not worker.is_cancelled:
                if self._stop_following.is_set():
                    return  # closing
                raised = desk.work()
                self.call_from_thread(self._judged, bool(raised))
        except Exception as exc:  # the batch is queued again; told, then tried after a pause
            self.call_from_thread(
                self.notify, f"Second opinion: {exc}", title="Retrying", severity="warning"
            )
            self._stop_following.wait(RETRY_SECONDS)
        finally:
            self._judging = False

    def _judged(self, raised: bool) -> None:
        waiting = self.service.second_opinion.progress().pending
        self._waiting = f"second opinion: {waiting:,} waiting · " if waiting else ""
        if raised:
            self.refresh_state()
        else:
            self._show_title()  # (nothing else changed: no read of the store here)

    @work(thread=True, exclusive=True, group="outbox")
    def work_outbox(self) -> None:
        """Replies go out from here, never from the screen's thread."""
        done = self.service.work_outbox()
        if done:
            self.call_from_thread(self._delivered, done)

    def _delivered(self, replies: list[Reply]) -> None:
        """What this process's outbox delivered: its operator's own replies are told; in
        team mode, where the leading console delivers everyone's, others' failures too (their
        senders hear it in their own consoles, which follow their replies)."""
        told = [r for r in replies if r.sent_by == self.service.operator.name or r.status == FAILED]
        if len(told) > TOLD_ONE_BY_ONE:  # a batch: one toast, not a hundred
            sent = [r for r in told if r.status == SENT]
            failed = [r for r in told if r.status == FAILED]
            for reply in told:
                self._on_its_way.discard(reply.id)
            self.notify(
                f"Sent {len(sent):,} replies" + (f"; {len(failed):,} could not be sent "
                f"(the approval queue lists them)" if failed else "."),
                severity="error" if failed else "information",
            )  # fmt: skip
        else:
            for reply in told:
                self._tell(reply)
        self.refresh_state()

    def _tell(self, reply: Reply) -> None:
        self._on_its_way.discard(reply.id)
        if reply.status == SENT:
            self.notify(f"Sent to {reply.mention} ({reply.id[:8]}).")
        elif reply.status == FAILED:
            self.notify(
                f"{reply.error}", title=f"Could not send to {reply.mention}", severity="error"
            )

    def on_reply_on_its_way(self, message: ReplyOnItsWay) -> None:
        self._on_its_way.add(message.reply_id)

    def _follow_replies(self) -> None:
        """Replies sent from here that another process delivered since: told as they land."""
        for reply_id in list(self._on_its_way):
            reply = self.service.replies.reply(reply_id)
            if reply.status in (SENT, FAILED):
                self._tell(reply)

    def refresh_state(self, others: bool = False) -> None:
        """Let the screen on top reload: its rows, its checklist; and its alarm banner and
        the level in the header here, so every screen shows them current. `others`: the
        change came from another process (team mode), so what it raised is announced."""
        alarms = self.service.crisis.alarm_summary()
        self._announce(self.service.crisis.state(), alarms[0], others)
        if others:
            self._follow_replies()
        self._tell_notices()  # one keyed read: what colleagues left this operator to be told
        for banner in self.screen.query(AlarmBanner):
            banner.show(alarms)
        self.screen.post_message(StateChanged())

    def _announce(self, crisis: CrisisState, open_alarms: int, others: bool = False) -> None:
        """The level in every screen's header; a level someone else set, and harm alarms
        another process raised, told as they arrive (this console's own are told already)."""
        level = self.service.playbook.level(crisis.level)
        # First, so that a narrow terminal cuts the folder's name, not the level.
        self._level_shown = f"LEVEL {crisis.level} {level.name.upper()}" if crisis.level else ""
        self._level_since = crisis.since if crisis.level else None
        self._show_title()
        if self._seen is not None:
            seen_level, seen_alarms = self._seen
            if crisis.level != seen_level and crisis.by != self.service.operator.name:
                self.notify(
                    f"{crisis.by or 'The playbook'} set level {crisis.level} ({level.name})"
                    + (f": {crisis.reason}" if crisis.reason else "."),
                    title="Crisis level changed",
                    severity="warning",
                    timeout=15,
                )
            if others and open_alarms > seen_alarms:
                new = open_alarms - seen_alarms
                self.notify(
                    f"{new:,} new risk-of-harm alarm{'s' if new > 1 else ''}: press a.",
                    title="Harm",
                    severity="error",
                    timeout=10,
                )
                self.bell()
        self._seen = (crisis.level, open_alarms)

    def _show_title(self) -> None:
        """The header: the level in force and for how long, on every screen."""
        level = self._level_shown
        if level and self._level_since is not None:
            minutes = int((self.service.clock() - self._level_since).total_seconds() // 60)
            level += f" for {fmt.duration(max(minutes, 0))}"
        self.sub_title = (f"{level} · " if level else "") + self._waiting + self._where

    def on_notification_arrived(self, message: NotificationArrived) -> None:
        n = message.notification
        urgent = n.kind in ("harm", "sla_breach")
        self.notify(n.body, title=n.title, severity="error" if urgent else "warning", timeout=10)
        if n.kind == "harm":
            self.bell()
        self.refresh_state()

    def _attempt(self, what: str, action: Callable[[], object]) -> bool:
        """Run a service call; show a refusal or a mistake instead of crashing."""
        if not attempt(self, self.service, what, action):
            return False
        self.refresh_state()
        return True

    def on_acknowledge_requested(self, message: AcknowledgeRequested) -> None:
        key = message.key
        alarm = self.service.crisis.alarm(key) if key else None
        if key and alarm is not None and alarm.open:
            if self._attempt("acknowledge", lambda: self.service.crisis.acknowledge(key)):
                self.notify(f"Alarm for {key} acknowledged by {self.service.operator.name}.")
            return
        count, oldest = self.service.crisis.alarm_summary()  # not every open alarm: the oldest
        if not count or oldest is None:
            self.notify("No alarm is waiting for acknowledgement.")
            return
        # Never acknowledge what is not on screen: show the oldest alarm first.
        if isinstance(self.screen, CrisisScreen):
            self.pop_screen()
        inbox = self.screen
        if isinstance(inbox, InboxScreen):
            inbox.select_mention(oldest.key)
        self.notify("This is the oldest unacknowledged alarm. Press a again to acknowledge it.")

    def on_step_tick_requested(self, message: StepTickRequested) -> None:
        self._attempt("tick the step", lambda: self.service.crisis.tick_step(message.step_id))

    def on_reply_requested(self, message: ReplyRequested) -> None:
        if self._attempt("claim", lambda: self.service.claims.require_mine(message.key)):
            # Back from the composer, the inbox reloads at once: a sent reply's row must
            # not go on showing as open until the next timer.
            self.push_screen(ReplyScreen(self.service, message.key), lambda _: self.refresh_state())

    def on_level_change_requested(self, message: LevelChangeRequested) -> None:
        def chosen(result: tuple[int, str] | None) -> None:
            if result is not None:
                level, reason = result
                self._attempt(
                    "change the level", lambda: self.service.crisis.set_level(level, reason)
                )

        current = self.service.crisis.state().level
        self.push_screen(LevelDialog(self.service.playbook, current), chosen)
