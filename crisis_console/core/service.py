"""The façade every front end calls: the console, the CLI and scripts alike.

It owns the order of durable work — the audit event is written before the store changes, so
a crash between the two can leave a re-ingestable mention but never an unarchived one — and
it is the place where permission checks will live.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from crisis_console.core.actions import REPLAYED, Action, Permission
from crisis_console.core.archive.audit import AuditEvent, AuditLog, VerifyResult
from crisis_console.core.context import OperatorContext, synchronized
from crisis_console.core.crisis.crisis import CrisisDesk
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.crisis.timers import Timers
from crisis_console.core.errors import Problem
from crisis_console.core.intake.ingest import Parsed, read_jsonl
from crisis_console.core.models import (
    Clock,
    MentionVersion,
    Role,
    SentimentLabel,
    StoredMention,
    stored_from_record,
    stored_to_record,
)
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.replies.claims import DEFAULT_LEASE_MINUTES, ClaimDesk
from crisis_console.core.replies.outbox import NotificationOutbox
from crisis_console.core.replies.replies import ReplyDesk
from crisis_console.core.replies.reply_model import Reply
from crisis_console.core.replies.senders import OUTBOX_FILE, JsonlOutbox, Sender
from crisis_console.core.replies.templates import ReplyTemplate
from crisis_console.core.reports.incident import Incident, build_incident, crisis_window
from crisis_console.core.reports.report import Report, build_report
from crisis_console.core.roster import Operator, change_roster, load_roster
from crisis_console.core.store.due import Due
from crisis_console.core.store.inbox import InboxFilter, InboxPage, InboxRow
from crisis_console.core.store.store import MentionStore, fingerprint
from crisis_console.core.triage.routing import Triager
from crisis_console.core.triage.spikes import trigger_keywords

DEFAULT_BATCH = 500


@dataclass(frozen=True, slots=True)
class ReplySetup:
    """What the reply desk needs from the composition root."""

    templates: Mapping[str, ReplyTemplate] = field(default_factory=dict)
    sender: Sender = field(default_factory=lambda: JsonlOutbox(Path(OUTBOX_FILE)))
    brand: str = "the team"
    claim_lease_minutes: int = DEFAULT_LEASE_MINUTES


@dataclass(slots=True)
class IngestReport:
    """What one ingest did: counts, and every rejected record with its source and line."""

    new: int = 0
    updated: int = 0
    duplicates: int = 0
    deleted: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.problems)

    def add(self, other: IngestReport) -> None:
        """Count `other` in too: one report for an ingest done in parts."""
        self.new += other.new
        self.updated += other.updated
        self.duplicates += other.duplicates
        self.deleted += other.deleted
        self.problems += other.problems

    def summary(self) -> str:
        return (
            f"{self.new} new, {self.updated} updated, {self.deleted} deleted, "
            f"{self.duplicates} duplicate(s), {self.rejected} rejected"
        )


Progress = Callable[[IngestReport], None]


class ConsoleService:
    """Ingest, triage and read mentions on behalf of one operator. `crisis` is the desk for
    levels, checklists, alarms and timers."""

    def __init__(
        self,
        store: MentionStore,
        audit: AuditLog,
        triager: Triager,
        clock: Clock,
        operator: Operator,
        notifier: Notifier | None = None,
        replies: ReplySetup | None = None,
    ) -> None:
        self._store, self._audit, self._triager = store, audit, triager
        self.clock, self.operator = clock, operator
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
        self._pending_authors: Counter[str] = Counter()  # new posts per author, not yet saved
        self._fresh: list[StoredMention] = []  # mentions new to the store in this batch
        self._level = 0  # the crisis level in force during one ingest

    @property
    def actor(self) -> str:
        return self.operator.name

    @property
    def playbook(self) -> Playbook:
        return self._triager.playbook

    def ingest(
        self,
        records: Iterable[Parsed | Problem],
        batch_size: int = DEFAULT_BATCH,
        on_progress: Progress | None = None,
    ) -> IngestReport:
        """Triage and store every good record; collect every bad one. Durable on return."""
        report = IngestReport()
        self._level = self.crisis.state().level
        pending: dict[str, StoredMention] = {}
        self._pending_authors.clear()
        self._fresh = []
        events: list[AuditEvent] = []
        for item in records:
            if isinstance(item, Problem):
                report.problems.append(item)
                continue
            event = self._accept(item, pending, report)
            if event is not None:
                events.append(event)
            if len(pending) >= batch_size:
                self._commit(pending, events)
                pending, events = {}, []
                self._pending_authors.clear()
                self._fresh = []
                if on_progress is not None:
                    on_progress(report)
        self._commit(pending, events)
        if on_progress is not None:
            on_progress(report)
        return report

    def ingest_lines(
        self, lines: Iterable[bytes | str], source: str, first_line: int = 1
    ) -> IngestReport:
        """`ingest` of JSON Lines from `source`, numbered from `first_line` (a batch of a
        followed file or a stream starts part-way through)."""
        return self.ingest(read_jsonl(lines, source, self.clock(), first_line))

    def _accept(
        self, parsed: Parsed, pending: dict[str, StoredMention], report: IngestReport
    ) -> AuditEvent | None:
        mention = parsed.mention
        now = self.clock()
        if not parsed.deleted and mention.key not in pending:
            # The common repeat is caught from the store's index, without reading the record.
            known = self._store.fingerprint(mention.key)
            if known is not None and known == fingerprint({"mention": {"text": mention.text}}):
                report.duplicates += 1
                return None
        existing = pending.get(mention.key) or self._store.get(mention.key)
        if parsed.deleted:
            return self._tombstone(parsed, existing, pending, report)
        if existing is not None and existing.triage.mention.text == mention.text:
            report.duplicates += 1
            return None
        author = f"{mention.platform.value}:{mention.author}"
        earlier = self._store.author_posts(author) + self._pending_authors[author]
        if existing is not None:
            earlier -= 1  # an edit is not another post
        triage = self._triager.triage(mention, max(earlier, 0), self._level)
        history: tuple[MentionVersion, ...] = ()
        action = Action.MENTION_INGESTED
        if existing is not None:
            old = existing.triage.mention
            history = (*existing.history, MentionVersion(old.text, existing.ingested_at))
            action = Action.MENTION_VERSION
            report.updated += 1
        else:
            report.new += 1
            self._pending_authors[author] += 1
        stored = StoredMention(triage, now, history)
        if existing is None:
            self._fresh.append(stored)
        pending[mention.key] = stored
        return self._stored_event(action, stored, parsed)

    def _tombstone(
        self,
        parsed: Parsed,
        existing: StoredMention | None,
        pending: dict[str, StoredMention],
        report: IngestReport,
    ) -> AuditEvent | None:
        """A deletion hides the mention from the queues; its content stays in the archive."""
        if existing is not None and existing.deleted_at is not None:
            report.duplicates += 1
            return None
        now = self.clock()
        if existing is None:
            triage = self._triager.triage(parsed.mention, 0, self._level)
            stored = StoredMention(triage, now, (), now)
            self._pending_authors[f"{parsed.mention.platform.value}:{parsed.mention.author}"] += 1
        else:
            stored = dataclasses.replace(existing, deleted_at=now)
        report.deleted += 1
        pending[stored.key] = stored
        return self._stored_event("mention.deleted", stored, parsed)

    def _stored_event(self, action: str, stored: StoredMention, parsed: Parsed) -> AuditEvent:
        # The whole stored record: the archive keeps every version and deleted content, and
        # recovery after a crash rebuilds the store from these events.
        data = {"source": f"{parsed.source}:{parsed.line}", **stored_to_record(stored)}
        return AuditEvent(action, stored.key, self.actor, self.clock(), data)

    @synchronized
    def recover(self) -> int:
        """Apply the mention events a crash left logged but not stored; return how many."""
        events = self._audit.events_after(self._store.applied)
        restored = [stored_from_record(e["data"]) for e in events if e["action"] in REPLAYED]
        if events:
            if not self._store.read_only:
                self._remind(restored)
            self._store.replay(restored, applied=self._audit.last_seq)
        return len(restored)

    @synchronized
    def mark_applied(self) -> None:
        """Record that the store holds every mention event logged so far. Under the lock that
        is always true for this, the one writer: claims, ticks and sends log events that are
        not mentions, and without this a restart would read back through all of them."""
        if not self._store.read_only:
            self._store.save([], applied=self._audit.last_seq)

    def _remind(self, stored: Iterable[StoredMention]) -> None:
        """File each live mention's response deadline in the due index, for the timers."""
        self._store.due.add(
            Due(s.triage.deadline, "sla", s.key) for s in stored if s.deleted_at is None
        )

    def _commit(self, pending: dict[str, StoredMention], events: list[AuditEvent]) -> None:
        # The audit log is the write-ahead log: the events (holding everything stored) go
        # first, then the store records how far it has applied them, in the same write.
        seq = self._audit.append(events)
        self._remind(pending.values())  # a reminder about a mention a crash lost is harmless
        self._store.save(list(pending.values()), applied=seq)
        self._store.volume.add(
            (
                (
                    s.triage.mention.created_at,
                    s.triage.classification.sentiment.label is SentimentLabel.NEGATIVE,
                    s.triage.mention.text.lower(),
                )
                for s in self._fresh
            ),
            trigger_keywords(self.playbook),
        )
        # Only once the mentions are safely stored does anyone get woken for them.
        self.crisis.raise_alarms([s for s in pending.values() if s.triage.classification.escalate])

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
        """One page of the inbox, filtered and sorted, from the in-memory index."""
        return self._store.inbox.page(
            where,
            offset,
            limit,
            self.claim_holders(),
            self.replies.answered(),
            self.crisis.state().level,
        )

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
        from crisis_console.core.reports.incident import read_events
        from crisis_console.core.reports.report import AHEAD, REPORTED, post_from_row

        return build_report(
            map(post_from_row, self._store.recent_rows(start - AHEAD)),
            self.replies.replies(),
            read_events(self._audit.files(), REPORTED, start),
            self.crisis.alarms(),
            start,
            end,
        )

    @synchronized
    def incident(self, start: datetime | None = None, end: datetime | None = None) -> Incident:
        """The timeline of [start, end); without them, of the latest crisis (see
        `crisis_window`). Reads the mentions and audit records of the window, not the rest."""
        from crisis_console.core.reports.incident import (
            AROUND,
            INCIDENT_ACTIONS,
            crisis_changes,
            read_events,
        )
        from crisis_console.core.reports.report import AHEAD

        if start is None:
            start, until = crisis_window(crisis_changes(self._audit.files()), self.clock())
            end = end or until
        return build_incident(
            self._store.recent(start - AROUND - AHEAD),
            self.replies.replies(),
            read_events(self._audit.files(), INCIDENT_ACTIONS, start),
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
    def verify_audit(self) -> VerifyResult:
        return self._audit.verify()

    def work_outbox(self) -> list[Reply]:
        """Deliver the replies waiting to go, each network call outside the service lock (so
        no screen and no other operator waits on a slow or dead endpoint); a failed attempt
        is tried again after a backoff. Returns the replies it finished or rescheduled."""
        outbox = self.replies.outbox
        with self.lock:
            due = outbox.due()
        done = []
        for reply, outgoing in due:
            error = outbox.deliver(outgoing)
            with self.lock:
                done.append(outbox.record(reply, error))
        self._deliver_notifications()
        return done

    def _deliver_notifications(self) -> None:
        """Queued notifications to the network sinks, each call outside the lock. A sink that
        failed is not tried again in the same round: a dead endpoint costs one timeout."""
        queue = self.notifier.queue
        if not isinstance(queue, NotificationOutbox):
            return
        with self.lock:
            due = queue.due()
        failed: set[str] = set()
        for queued in due:
            sink = self.notifier.sink(queued.sink)
            if queued.sink in failed:
                continue
            delivered = sink is None or self.notifier.deliver(sink, queued.notification)
            if not delivered:
                failed.add(queued.sink)
            with self.lock:
                queue.record(queued, delivered)

    @synchronized
    def my_queues(self) -> frozenset[str]:
        """The queues this operator answers: their roles (a lead sees every queue)."""
        if Role.LEAD in self.operator.roles:
            return frozenset(r.value for r in Role)
        return frozenset(r.value for r in self.operator.roles)

    @synchronized
    def change_team(self, team_file: Path, name: str, roles: list[Role] | None) -> None:
        """Put an operator on the team with these roles, or take them off (lead only)."""
        self.crisis.require(Permission.CHANGE_ROSTER, f"operator:{name}")
        before = sorted(r.value for r in load_roster(team_file).operators.get(name, ()))
        change_roster(team_file, name, roles)
        after = sorted(r.value for r in roles) if roles is not None else []
        self._audit.append(
            [
                AuditEvent(
                    Action.ROSTER_CHANGED,
                    f"operator:{name}",
                    self.actor,
                    self.clock(),
                    {"before": before, "after": after},
                )
            ]
        )
