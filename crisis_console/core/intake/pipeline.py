"""The ingest pipeline: triage each record, store it, archive it, raise its alarms.

It owns the order of durable work: the audit events (which carry every stored record) are
appended before the store changes, so a crash between the two leaves a mention that
recovery replays (`recover`), never an unarchived one. Only once mentions are stored are
reminders filed, counters kept and alarms raised.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice

from crisis_console.core.actions import REPLAYED, Action
from crisis_console.core.archive.audit import Audit, AuditEvent
from crisis_console.core.context import OperatorContext
from crisis_console.core.crisis.crisis import CrisisDesk
from crisis_console.core.errors import Problem
from crisis_console.core.intake.ingest import Parsed, read_jsonl
from crisis_console.core.models import (
    MentionVersion,
    SentimentLabel,
    StoredMention,
    stored_from_record,
    stored_to_record,
)
from crisis_console.core.store.due import Due
from crisis_console.core.store.store import fingerprint
from crisis_console.core.triage.spikes import trigger_keywords

DEFAULT_BATCH = 500


def logged_past(audit: Audit, applied: int) -> tuple[list[StoredMention], bool]:
    """The stored mentions the chain logged after record `applied` (a store's checkpoint),
    as recovery replays them, and whether any record at all followed it."""
    events = audit.events_after(applied)
    return [stored_from_record(e["data"]) for e in events if e["action"] in REPLAYED], bool(events)


def _text_print(parsed: Parsed) -> int:
    return fingerprint({"mention": {"text": parsed.mention.text}})


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


class Ingester:
    """Ingest for one operator's session; the service calls it under its lock."""

    def __init__(self, ctx: OperatorContext, crisis: CrisisDesk) -> None:
        self._ctx, self._crisis = ctx, crisis
        self._store, self._audit, self._triager = ctx.store, ctx.audit, ctx.triager
        self._pending_authors: Counter[str] = Counter()  # new posts per author, not yet saved
        self._fresh: list[StoredMention] = []  # mentions new to the store in this batch
        self._level = 0  # the crisis level in force during one ingest
        # What the store held before the batch being read (`_look_ahead`).
        self._known: dict[str, int] = {}
        self._authors: dict[str, int] = {}
        self._existing: dict[str, StoredMention] = {}

    def ingest(
        self,
        records: Iterable[Parsed | Problem],
        batch_size: int = DEFAULT_BATCH,
        on_progress: Progress | None = None,
    ) -> IngestReport:
        """Triage and store every good record; collect every bad one. Durable on return."""
        report = IngestReport()
        self._level = self._crisis.state().level
        items, read_any = iter(records), False
        while chunk := list(islice(items, batch_size)):
            pending: dict[str, StoredMention] = {}
            events: list[AuditEvent] = []
            self._pending_authors.clear()
            self._fresh = []
            read_any = True
            parsed = [item for item in chunk if isinstance(item, Parsed)]
            report.problems += [item for item in chunk if isinstance(item, Problem)]
            self._look_ahead(parsed)
            for item in parsed:
                event = self._accept(item, pending, report)
                if event is not None:
                    events.append(event)
            if pending or events:
                self._commit(pending, events)
            if on_progress is not None:
                on_progress(report)
        if on_progress is not None and not read_any:
            on_progress(report)
        return report

    def _look_ahead(self, batch: list[Parsed]) -> None:
        """Read what the store knows about a batch in a few bulk reads, not one per record:
        a round trip each would be most of an ingest's time on a database server."""
        self._known = self._store.fingerprints(p.mention.key for p in batch)
        self._authors = self._store.author_counts(
            f"{p.mention.platform.value}:{p.mention.author}" for p in batch
        )
        changed = {
            p.mention.key
            for p in batch
            if p.mention.key in self._known
            and (p.deleted or self._known[p.mention.key] != _text_print(p))
        }
        self._existing = self._store.get_many(changed)

    def ingest_lines(
        self, lines: Iterable[bytes | str], source: str, first_line: int = 1
    ) -> IngestReport:
        """`ingest` of JSON Lines from `source`, numbered from `first_line` (a batch of a
        followed file or a stream starts part-way through)."""
        return self.ingest(read_jsonl(lines, source, self._ctx.clock(), first_line))

    def _accept(
        self, parsed: Parsed, pending: dict[str, StoredMention], report: IngestReport
    ) -> AuditEvent | None:
        mention = parsed.mention
        now = self._ctx.clock()
        # The common repeat is caught from the store's index, without reading the record.
        repeat = self._known.get(mention.key) == _text_print(parsed)
        if repeat and not parsed.deleted and mention.key not in pending:
            report.duplicates += 1
            return None
        existing = pending.get(mention.key) or self._existing.get(mention.key)
        if parsed.deleted:
            return self._tombstone(parsed, existing, pending, report)
        if existing is not None and existing.triage.mention.text == mention.text:
            report.duplicates += 1
            return None
        author = f"{mention.platform.value}:{mention.author}"
        earlier = self._authors.get(author, 0) + self._pending_authors[author]
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
        now = self._ctx.clock()
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
        return AuditEvent(action, stored.key, self._ctx.me, self._ctx.clock(), data)

    def recover(self) -> int:
        """Apply the mention events a crash left logged but not stored; return how many."""
        restored, logged = logged_past(self._audit, self._store.applied)
        if logged:
            if not self._store.read_only:
                self._remind(restored)
            self._store.replay(restored, applied=self._audit.last_seq)
        return len(restored)

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
            trigger_keywords(self._ctx.playbook),
        )
        # Only once the mentions are safely stored does anyone get woken for them.
        self._crisis.raise_alarms([s for s in pending.values() if s.triage.classification.escalate])
