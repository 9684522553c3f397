"""The façade every front end calls: the console, the CLI and scripts alike.

Every public call takes the session's one lock (`context.synchronized`), so no front end
holds it. Ingest and its order of durable work live in `intake.pipeline`; the desks behind
it (crisis, claims, replies, timers) check permissions through the shared `OperatorContext`.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from crisis_console.core.actions import Action, Permission
from crisis_console.core.archive.audit import Audit, AuditEvent, VerifyResult
from crisis_console.core.context import OperatorContext, synchronized
from crisis_console.core.conversations import ConversationDesk
from crisis_console.core.crisis.crisis import CrisisDesk
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.crisis.timers import Timers
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.intake.ingest import Read
from crisis_console.core.intake.pipeline import DEFAULT_BATCH, Ingester
from crisis_console.core.intake.report import IngestReport, Progress
from crisis_console.core.intake.webhook import SeenSignatures
from crisis_console.core.models import (
    Clock,
    Role,
    StoredMention,
)
from crisis_console.core.playbook import in_force
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.replies.batch import BatchDesk
from crisis_console.core.replies.claims import DEFAULT_LEASE_MINUTES, ClaimDesk
from crisis_console.core.replies.composing import ComposingDesk
from crisis_console.core.replies.delivery import Delivery
from crisis_console.core.replies.replies import ReplyDesk
from crisis_console.core.replies.reply_model import Reply
from crisis_console.core.replies.senders import OUTBOX_FILE, JsonlOutbox, Sender
from crisis_console.core.replies.templates import ReplyTemplate
from crisis_console.core.reports.incident import Incident, build_incident, crisis_window
from crisis_console.core.reports.report import Report, build_report
from crisis_console.core.roster import Operator, Roster, RosterBook
from crisis_console.core.roster_watch import WatchedRoster
from crisis_console.core.store.contract import MentionStore
from crisis_console.core.store.inbox import InboxFilter, InboxPage, InboxRow
from crisis_console.core.team_setup import TeamSetup
from crisis_console.core.triage.corrections import CorrectionDesk
from crisis_console.core.triage.routing import Triager
from crisis_console.core.triage.second_opinion import SecondOpinion
from crisis_console.core.triage.semantic import SemanticJudge
from crisis_console.core.views import ViewsDesk
from crisis_console.core.work.desk import WorkDesk
from crisis_console.core.work.model import REJECTED

__all__ = ["DEFAULT_BATCH", "ConsoleService", "IngestReport", "Progress", "ReplySetup"]


@dataclass(frozen=True, slots=True)
class ReplySetup:
    """What the reply desk needs from the composition root."""

    templates: MutableMapping[str, ReplyTemplate] = field(default_factory=dict)
    sender: Sender = field(default_factory=lambda: JsonlOutbox(Path(OUTBOX_FILE)))
    brand: str = "the team"
    claim_lease_minutes: int = DEFAULT_LEASE_MINUTES


class ConsoleService:
    """Ingest, triage and read mentions on behalf of one operator. `crisis` is the desk for
    levels, checklists, alarms and timers."""

    def __init__(
        self,
        store: MentionStore,
        audit: Audit,
        triager: Triager,
        clock: Clock,
        operator: Operator,
        notifier: Notifier | None = None,
        replies: ReplySetup | None = None,
        roster: RosterBook | None = None,
        changing_playbook: bool = False,
        second_opinion: Callable[[], SemanticJudge] | None = None,
    ) -> None:
        """`roster`: where the team is kept (none: nobody may change it here).
        `changing_playbook`: this service is to put its playbook in force
        (`playbooks.use`); any other is refused unless its playbook is the store's.
        `second_opinion`: builds the semantic judge (None: the word lists alone)."""
        if not changing_playbook:
            in_force.recorded(store.state.playbook.get(), triager.playbook)
        if triager.playbook.sha256:
            audit = in_force.StampedAudit(audit, triager.playbook)
        self._store, self._audit, self._triager = store, audit, triager
        self.clock, self.operator = clock, operator
        self._roster = roster
        self.notifier = notifier or Notifier(ConsoleSink())
        # The one lock: every public call of the service and its desks takes it (the store's
        # memory is not thread-safe); front ends never hold it themselves.
        self.ctx = OperatorContext(operator, clock, store, audit, self.notifier, triager)
        self.lock = self.ctx.lock
        self.crisis = CrisisDesk(self.ctx)
        self.timers = Timers(self.crisis)
        setup = replies or ReplySetup()
        self.claims = ClaimDesk(self.ctx, setup.claim_lease_minutes)
        self.replies = ReplyDesk(self.ctx, self.claims, setup.templates, setup.sender, setup.brand)
        self.composing = ComposingDesk(self.ctx)  # replies in the writing, kept as typed
        self.batches = BatchDesk(self.ctx, self.replies, self.crisis)  # one template, many
        self._delivery = Delivery(self.lock, self.replies, self.batches, self.notifier, store)
        self._ingester = Ingester(self.ctx, self.crisis)
        self.corrections = CorrectionDesk(self.ctx, self.crisis)
        self.second_opinion = SecondOpinion(
            self.ctx,
            self.crisis,
            second_opinion,
            may_judge_stored=self._may_judge_stored,
        )
        self._ingester.keep_unescalated = self.second_opinion.enabled
        self.playbooks = in_force.PlaybookDesk(self.ctx)
        # Assign, notes, tags, close, reopen; claims and alarms a selection at once.
        self.work = WorkDesk(self.ctx, self.team, self.claims)
        self.views = ViewsDesk(self.ctx, self.my_queues)  # saved inbox filters, per operator
        self.replies.on_rejected = lambda reply, comment: self.work.tell(
            reply.author, [reply.mention], REJECTED, comment
        )  # the draft's author is told in their console
        self.team_setup = TeamSetup(self.ctx, roster)  # `team init`, shared logins
        self.conversations = ConversationDesk(self.ctx)  # threads, our replies in place

    @property
    def actor(self) -> str:
        return self.operator.name

    @property
    def playbook(self) -> Playbook:
        return self._triager.playbook

    @synchronized
    def ingest(
        self,
        records: Iterable[Read],
        batch_size: int = DEFAULT_BATCH,
        on_progress: Progress | None = None,
    ) -> IngestReport:
        """Triage and store every good record; collect every bad one. Durable on return.
        What it stored without escalating is queued for the second opinion, if it is on.
        Refused, before anything is read, to an operator who may not (`_require_ingest`)."""
        self._require_ingest("mentions")
        report = self._ingester.ingest(records, batch_size, on_progress)
        self.second_opinion.submit(report.unescalated)
        return report

    @synchronized
    def ingest_lines(
        self, lines: Iterable[bytes | str], source: str, first_line: int = 1
    ) -> IngestReport:
        """`ingest` of JSON Lines from `source`, numbered from `first_line` (a batch of a
        followed file or a stream starts part-way through). Refused as `ingest` is."""
        self._require_ingest(f"source:{source}")
        report = self._ingester.ingest_lines(lines, source, first_line)
        self.second_opinion.submit(report.unescalated)
        return report

    @synchronized
    def require_ingest(self) -> None:
        """Refuse now (audited), for a front end about to receive mentions (the webhook, a
        followed file), an operator who may not ingest, rather than at every batch."""
        self._require_ingest("mentions")

    def _may_judge_stored(self) -> None:
        with self.lock:
            self._require_ingest("second-opinion")

    def _require_ingest(self, subject: str) -> None:
        """Refuse (audited) an operator who may not bring mentions in or judge stored ones
        again: an auditor, who changes nothing, or someone not on the team. While nobody is
        on the team (a folder being set up, before its team file), anyone may."""
        if self.ctx.may(Permission.INGEST, self.ctx.level_number()):
            return  # the common case, without reading the team (a webhook's every batch)
        if self._roster is not None and not self._roster.load().operators:
            return
        self.ctx.require(Permission.INGEST, subject)

    @synchronized
    def recover(self) -> int:
        """Apply the mention events a crash left logged but not stored; return how many."""
        return self._ingester.recover()

    @synchronized
    def mark_applied(self) -> None:
        """Record that the store holds every mention event logged so far (see `Ingester`)."""
        self._ingester.mark_applied()

    @synchronized
    def inbox(self) -> list[StoredMention]:
        """Every live mention (not deleted), most urgent first, then by the earliest deadline."""
        return sorted(
            (s for s in self._store.all() if s.deleted_at is None),
            key=lambda s: (s.triage.classification.urgency.rank, s.triage.deadline),
        )

    @synchronized
    def mention(self, key: str) -> StoredMention | None:
        """The stored mention, routed as at the crisis level in force."""
        stored = self._store.get(key)
        if stored is None:
            return None
        route = stored.triage.route.at(self.crisis.state().level)
        if route is stored.triage.route:
            return stored
        return dataclasses.replace(stored, triage=dataclasses.replace(stored.triage, route=route))

    @synchronized
    def inbox_page(self, where: InboxFilter, offset: int = 0, limit: int = 200) -> InboxPage:
        """One page of the inbox, filtered and sorted, with each row in its queue at the
        crisis level in force (which the page names)."""
        level = self.crisis.state().level
        page = self._store.inbox.page(where, offset, limit, level, self.clock())
        return dataclasses.replace(page, level=level)

    @synchronized
    def claim_holders(self) -> dict[str, str]:
        return self._store.state.claims.holders(self.clock())

    @synchronized
    def earlier_posts(self, author_key: str, limit: int = 20) -> list[InboxRow]:
        return self._store.inbox.by_author(author_key, limit)

    @synchronized
    def activity(self, hours: int = 6, bucket_minutes: int = 15) -> tuple[list[int], list[float]]:
        """Mentions per interval over the last `hours`, and the negative share of each (from
        the counters kept as mentions arrive)."""
        count = hours * 60 // bucket_minutes
        intervals = self._store.volume.intervals(
            self.clock(), timedelta(minutes=bucket_minutes), count
        )
        volume = [i.count for i in intervals]
        shares = [i.negative / i.count if i.count else 0.0 for i in intervals]
        return volume, shares

    @synchronized
    def report(self, start: datetime, end: datetime) -> Report:
        """The report's figures for [start, end) (reading is open to every operator), in one
        pass over the mentions stored since `start` (less `AHEAD`: a post is stored after it
        is made, give or take a clock) and over the audit records it counts from `start` on."""
        from crisis_console.core.reports.posts import post_from_row
        from crisis_console.core.reports.report import AHEAD, REPORTED

        closed, tags = self.work.for_reports()
        return build_report(
            map(post_from_row, self._store.recent_rows(start - AHEAD)),
            self.replies.replies(),
            self._audit.read(REPORTED, start),
            self.crisis.alarms(),
            start,
            end,
            closed,
            tags,
        )

    @synchronized
    def incident(self, start: datetime | None = None, end: datetime | None = None) -> Incident:
        """The timeline of [start, end); without them, of the latest crisis (see
        `crisis_window`). Reads the mentions and audit records of the window, not the rest."""
        from crisis_console.core.reports.incident import AROUND, INCIDENT_ACTIONS
        from crisis_console.core.reports.report import AHEAD

        if start is None:
            start, until = crisis_window(self._audit.level_changes(), self.clock())
            end = end or until
        return build_incident(
            self._store.recent(start - AROUND - AHEAD),
            self.replies.replies(),
            self._audit.read(INCIDENT_ACTIONS, start),
            self.playbook,
            start,
            end or self.clock(),
        )

    @synchronized
    def record_report(self, kind: str, start: datetime, end: datetime, fmt: str, to: str) -> None:
        """Audit that a report left the console (its window, format and destination): like
        an audit export, a report carries names and figures out of the archive."""
        data = {"from": start.isoformat(), "to": end.isoformat(), "format": fmt, "out": to}
        self._audit.append(
            [AuditEvent(Action.REPORT_EXPORTED, f"report:{kind}", self.actor, self.clock(), data)]
        )

    @synchronized
    def audit_records(self) -> Iterator[dict[str, Any]]:
        """Every audit record, oldest first (reading is open to every operator)."""
        return self._audit.events()

    @synchronized
    def newest_audit_records(self, limit: int, who_or_what: str = "") -> list[dict[str, Any]]:
        """The newest records, newest first; only one mention's or operator's if given."""
        return self._audit.newest(limit, who_or_what)

    @synchronized
    def webhook_signatures(self, tolerance: int) -> SeenSignatures:
        """The webhook's signatures seen inside the window, kept in the store."""
        return SeenSignatures(self._store.state.tables.table("webhook_seen"), tolerance)

    @synchronized
    def audit_count(self) -> int:
        return self._audit.last_seq

    @synchronized
    def verify_audit(self) -> VerifyResult:
        return self._audit.verify()

    @property
    def shared(self) -> bool:
        """Whether other processes change the store too (team mode): see `changes`."""
        return self._store.shared

    def changes(self, stop: threading.Event) -> Iterator[set[str]]:
        """What other processes change, as it happens (team mode); unlocked: it waits."""
        return self._store.changes(stop)

    def work_outbox(self) -> list[Reply]:
        """Deliver the replies and notifications waiting to go (`Delivery.round`); the
        replies it finished or rescheduled."""
        return self._delivery.round()

    @synchronized
    def my_queues(self) -> frozenset[str]:
        """The queues this operator answers: their roles (a lead sees every queue)."""
        if Role.LEAD in self.operator.roles:
            return frozenset(r.value for r in Role)
        return frozenset(r.value for r in self.operator.roles)

    @synchronized
    def team(self) -> Roster:
        """Who is on the team, with which roles (reading is open to every operator)."""
        return self._roster.load() if self._roster is not None else Roster({})

    @synchronized
    def team_edited(self) -> dict[str, Any] | None:
        """How the team file differs from the team as last accepted (None: it does not)."""
        return self._roster.pending() if isinstance(self._roster, WatchedRoster) else None

    @synchronized
    def accept_team(self) -> dict[str, Any] | None:
        """Take a team file changed by hand as the team (lead only), audited with the
        difference; None when there was nothing to accept."""
        self.crisis.require(Permission.CHANGE_ROSTER, "team")
        edited = self.team_edited()
        if edited is None or not isinstance(self._roster, WatchedRoster):
            return None
        self.crisis.ctx.record(Action.ROSTER_ACCEPTED, "team", where=self._roster.where, **edited)
        self._roster.accept_file()
        return edited

    @synchronized
    def change_team(self, name: str, roles: list[Role] | None) -> None:
        """Put an operator on the team with these roles, or take them off (lead only)."""
        self.crisis.require(Permission.CHANGE_ROSTER, f"operator:{name}")
        if self._roster is None:
            raise CrisisConsoleError("this service was opened without a team to change")
        before = sorted(r.value for r in self._roster.load().operators.get(name, ()))
        after = sorted(r.value for r in roles) if roles is not None else []
        self._audit.append(  # the audit record first
            [
                AuditEvent(
                    Action.ROSTER_CHANGED,
                    f"operator:{name}",
                    self.actor,
                    self.clock(),
                    {"before": before, "after": after, "where": self._roster.where},
                )
            ]
        )
        self._roster.change(name, roles)
