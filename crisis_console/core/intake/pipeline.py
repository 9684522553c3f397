"""The ingest pipeline: triage each record, store it, archive it, raise its alarms.

It owns the order of durable work: the audit events (which carry every stored record) are
appended before the store changes, so a crash between the two leaves a mention that
recovery replays (`recover`), never an unarchived one. Only once mentions are stored are
reminders filed, counters kept and alarms raised.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice

from crisis_console.core.actions import REPLAYED, Action
from crisis_console.core.archive.audit import Audit, AuditEvent
from crisis_console.core.archive.audit_verify import canonical_json
from crisis_console.core.context import OperatorContext
from crisis_console.core.crisis.crisis import CrisisDesk
from crisis_console.core.crisis.crisis_state import Alarm
from crisis_console.core.errors import Notice, Problem
from crisis_console.core.intake.ingest import Parsed, Read, read_jsonl
from crisis_console.core.intake.report import IngestReport, Progress
from crisis_console.core.intake.writer import BatchWriter
from crisis_console.core.models import (
    Classification,
    MentionVersion,
    SentimentLabel,
    StoredMention,
    Triage,
    stored_from_record,
    stored_to_record,
)
from crisis_console.core.store.contract import fingerprint, stored_fingerprint
from crisis_console.core.store.due import Due
from crisis_console.core.store.threads import edges
from crisis_console.core.triage.corrections import CORRECTED_BY
from crisis_console.core.triage.harm import HARM_REASON
from crisis_console.core.triage.spikes import trigger_keywords

DEFAULT_BATCH = 500


def logged_past(
    audit: Audit, applied: int, through: int | None = None
) -> tuple[list[StoredMention], bool]:
    """The stored mentions the chain logged after record `applied` (a store's checkpoint),
    and up to record `through` if given, as recovery replays them, and whether any record
    at all followed it."""
    events = audit.events_after(applied)
    if through is not None:
        events = [e for e in events if e["seq"] <= through]
    return [stored_from_record(e["data"]) for e in events if e["action"] in REPLAYED], bool(events)


def _text_print(parsed: Parsed) -> int:
    return fingerprint({"mention": {"text": parsed.mention.text}})


@dataclass(slots=True)
class _Batch:
    """One batch, read and triaged: what it stores and logs, and what it counted."""

    report: IngestReport = field(default_factory=IngestReport)
    pending: dict[str, StoredMention] = field(default_factory=dict)  # by key, the last wins
    events: list[AuditEvent] = field(default_factory=list)
    fresh: list[StoredMention] = field(default_factory=list)  # mentions new to the store
    harm_now: list[str] = field(default_factory=list)  # edits that escalate what did not
    authors: Counter[str] = field(default_factory=Counter)  # new posts per author
    encoded: dict[str, dict[str, str]] = field(default_factory=dict)  # records' values' JSON

    @property
    def escalated(self) -> list[StoredMention]:
        """The posts that raise an alarm (an edit that now escalates among them)."""
        return [s for s in self.pending.values() if s.triage.classification.escalate]


@dataclass(slots=True)
class _Known:
    """What the store holds of a batch's mentions and authors, as far as ingest can know it
    before the batch: read from the store, with the batch before it (not yet written) laid
    over what was read."""

    prints: dict[str, int]
    authors: dict[str, int]
    existing: dict[str, StoredMention]


class Ingester:
    """Ingest for one operator's session; the service calls it under its lock.

    Batches are pipelined on a shared store (team mode): while one batch is written, on a
    thread of its own, the next is read and triaged. The order of durable work within each
    batch stays as the module docstring says; a batch's alarms are raised, and its progress
    reported, only once it is written; and `ingest` returns only once every batch is."""

    def __init__(self, ctx: OperatorContext, crisis: CrisisDesk) -> None:
        self._ctx, self._crisis = ctx, crisis
        self._store, self._audit, self._triager = ctx.store, ctx.audit, ctx.triager
        self._level = 0  # the crisis level in force during one ingest
        self.keep_unescalated = False  # list them in the report (for a second opinion)

    def ingest(
        self,
        records: Iterable[Read],
        batch_size: int = DEFAULT_BATCH,
        on_progress: Progress | None = None,
    ) -> IngestReport:
        """Triage and store every good record; collect every bad one. Durable on return."""
        report = IngestReport()
        self._level = self._crisis.state().level
        items, read_any = iter(records), False
        writer = BatchWriter(self._write, threaded=self._store.shared)
        ahead: _Batch | None = None  # triaged, not yet handed to the writer
        try:
            while chunk := list(islice(items, batch_size)):
                read_any = True
                parsed = [item for item in chunk if isinstance(item, Parsed)]
                # The batch before `ahead` is written once collected, and `ahead` is not yet
                # submitted: what the store says now, with `ahead` laid over it, is exact.
                done = writer.collect()
                known = self._look_ahead(parsed, ahead)
                if ahead is not None:
                    writer.submit(ahead)
                self._finish(done, report, on_progress)
                ahead = self._triaged(parsed, known)
                ahead.report.problems += [item for item in chunk if isinstance(item, Problem)]
                ahead.report.notices += [item for item in chunk if isinstance(item, Notice)]
            done = writer.collect()
            if ahead is not None:
                writer.submit(ahead, last=True)
            self._finish(done, report, on_progress)
            self._finish(writer.collect(), report, on_progress)
        finally:
            writer.close()  # never return, nor raise, with a write still in flight
        if on_progress is not None and not read_any:
            on_progress(report)
        return report

    def _look_ahead(self, batch: list[Parsed], before: _Batch | None) -> _Known:
        """Read what the store knows about a batch in a few bulk reads, not one per record
        (a round trip each would be most of an ingest's time on a database server), and lay
        the batch `before` it, triaged but not yet stored, over what was read."""
        prints = self._store.fingerprints(p.mention.key for p in batch)
        wanted = {f"{p.mention.platform.value}:{p.mention.author}" for p in batch}
        authors = self._store.author_counts(wanted)
        earlier = before.pending if before is not None else {}
        if before is not None:
            for author, posts in before.authors.items():
                if author in wanted:
                    authors[author] = authors.get(author, 0) + posts
            prints.update(
                (p.mention.key, stored_fingerprint(earlier[p.mention.key]))
                for p in batch
                if p.mention.key in earlier
            )
        changed = {
            p.mention.key
            for p in batch
            if p.mention.key in prints and (p.deleted or prints[p.mention.key] != _text_print(p))
        }
        existing = self._store.get_many(changed - earlier.keys())
        existing.update((key, earlier[key]) for key in changed & earlier.keys())
        return _Known(prints, authors, existing)

    def _triaged(self, parsed: list[Parsed], known: _Known) -> _Batch:
        batch = _Batch()
        for item in parsed:
            event = self._accept(item, known, batch)
            if event is not None:
                batch.events.append(event)
        return batch

    def ingest_lines(
        self, lines: Iterable[bytes | str], source: str, first_line: int = 1
    ) -> IngestReport:
        """`ingest` of JSON Lines from `source`, numbered from `first_line` (a batch of a
        followed file or a stream starts part-way through)."""
        return self.ingest(read_jsonl(lines, source, self._ctx.clock(), first_line))

    def _accept(self, parsed: Parsed, known: _Known, batch: _Batch) -> AuditEvent | None:
        mention, pending, report = parsed.mention, batch.pending, batch.report
        now = self._ctx.clock()
        # The common repeat is caught from the store's index, without reading the record.
        repeat = known.prints.get(mention.key) == _text_print(parsed)
        if repeat and not parsed.deleted and mention.key not in pending:
            report.duplicates += 1
            return None
        existing = pending.get(mention.key) or known.existing.get(mention.key)
        if parsed.deleted:
            return self._tombstone(parsed, existing, batch)
        if existing is not None and existing.triage.mention.text == mention.text:
            report.duplicates += 1
            return None
        author = f"{mention.platform.value}:{mention.author}"
        earlier = known.authors.get(author, 0) + batch.authors[author]
        level = self._level
        if existing is not None:
            earlier -= 1  # an edit is not another post
            # An edit keeps the SLA in force when the post arrived, whatever the level now.
            level = self._triager.arrival_level(existing.triage)
        triage = self._triager.triage(mention, max(earlier, 0), level)
        history: tuple[MentionVersion, ...] = ()
        action = Action.MENTION_INGESTED
        if existing is not None:
            triage = self._edited(existing, triage)
            if triage.classification.escalate and not existing.triage.classification.escalate:
                batch.harm_now.append(mention.key)
            old = existing.triage.mention
            history = (*existing.history, MentionVersion(old.text, existing.ingested_at))
            action = Action.MENTION_VERSION
            report.updated += 1
        else:
            report.new += 1
            batch.authors[author] += 1
        stored = StoredMention(triage, now, history)
        if existing is None:
            batch.fresh.append(stored)
        pending[mention.key] = stored
        return self._stored_event(action, stored, parsed, batch)

    def _edited(self, existing: StoredMention, triage: Triage) -> Triage:
        """The triage of an author's edit. A person's correction holds across edits unless
        the edit shows a sign of harm the corrected post did not carry (then triage's own
        stands: the post goes to the lead again, and says why). An edit never takes a post
        out of the lead's hands (only the lead does, by reclassifying it): a version of an
        escalated post that would not escalate keeps the earlier category and urgency."""
        before, now = existing.triage.classification, triage.classification
        level = self._triager.arrival_level(triage)  # the post's, as `triage` was routed
        person = next((r for r in reversed(before.reasons) if r.startswith(CORRECTED_BY)), "")
        if person:
            unseen = [
                r for r in now.reasons if r.startswith(HARM_REASON) and r not in before.reasons
            ]
            if unseen and now.escalate and not before.escalate:
                why = f"the edit shows harm the correction had not seen ({person})"
                kept = dataclasses.replace(now, reasons=(*now.reasons, why))
                return self._triager.routed(triage.mention, kept, level)
            if not unseen:
                sentiment = dataclasses.replace(now.sentiment, label=before.sentiment.label)
                why = "an edit: kept as a person corrected it (nothing new of harm in it)"
                kept = Classification(sentiment, before.urgency, before.category,
                                      before.escalate, (*now.reasons, why, person))  # fmt: skip
                return self._triager.routed(triage.mention, kept, level)
        if not before.escalate or now.escalate:
            return triage
        why = "kept with the lead: an edit does not take a post about harm out of the lead's hands"
        kept = Classification(now.sentiment, before.urgency, before.category, True,
                              (*now.reasons, why))  # fmt: skip
        return self._triager.routed(triage.mention, kept, level)

    def _tombstone(
        self, parsed: Parsed, existing: StoredMention | None, batch: _Batch
    ) -> AuditEvent | None:
        """A deletion hides the mention from the queues; its content stays in the archive."""
        if existing is not None and existing.deleted_at is not None:
            batch.report.duplicates += 1
            return None
        now = self._ctx.clock()
        if existing is None:
            triage = self._triager.triage(parsed.mention, 0, self._level)
            stored = StoredMention(triage, now, (), now)
            batch.authors[f"{parsed.mention.platform.value}:{parsed.mention.author}"] += 1
        else:
            stored = dataclasses.replace(existing, deleted_at=now)
        batch.report.deleted += 1
        batch.pending[stored.key] = stored
        return self._stored_event("mention.deleted", stored, parsed, batch)

    def _stored_event(
        self, action: str, stored: StoredMention, parsed: Parsed, batch: _Batch
    ) -> AuditEvent:
        # The whole stored record: the archive keeps every version and deleted content, and
        # recovery after a crash rebuilds the store from these events. Its JSON is made once,
        # for the store and the chain both.
        record = stored_to_record(stored)
        members = batch.encoded[stored.key] = {k: canonical_json(v) for k, v in record.items()}
        data = {"source": f"{parsed.source}:{parsed.line}", **record}
        return AuditEvent(action, stored.key, self._ctx.me, self._ctx.clock(), data, members)

    def recover(self) -> int:
        """Apply the mention events a crash left logged but not stored; return how many."""
        # The chain's end is read before the store's mark: on a shared store, what another
        # process commits after this is stored by that process (in the same transaction, or
        # marked until it is), and is not recovery's to replay.
        through = self._audit.last_seq
        restored, logged = logged_past(self._audit, self._store.applied, through)
        self._store.threads.backfill(self._store.iter_all)  # a folder from before threads
        if logged:
            # Filed again (a reader keeps them in memory): those filed before the crash stay.
            self._store.threads.add(edges(restored))
            if not self._store.read_only:
                self._remind(restored)
                # Their alarms, where the crash came first (each is raised once per mention:
                # one raised, or acknowledged, before the crash is left as it is).
                live = [s for s in restored if s.deleted_at is None]
                self._crisis.raise_alarms_for_ingest(
                    [s for s in live if s.triage.classification.escalate]
                )
            self._store.replay(restored, applied=through)
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

    def _write(self, batch: _Batch) -> None:
        """Store one batch, then raise its alarms (on the writer's thread in team mode:
        nothing here may take the service's lock, which the ingest holds throughout)."""
        if not batch.pending and not batch.events:
            return
        # The audit log is the write-ahead log: the events (holding everything stored) go
        # first, then (in a folder) the alarms of those that escalate, then the store
        # records how far it has applied them: a crash before that leaves them logged, and
        # the next open stores them and raises what alarms are missing (`recover`). On a
        # database server the batch is one transaction (`together`) and its alarms the
        # next: alarms take the state's lock, which a reclassify or a second opinion takes
        # before the mention's row, so a batch holding its rows must not wait for it (a
        # deadlock), nor hold it through its save (the other workers would wait on it).
        # The batch notes its escalated posts and the alarms' transaction clears the note:
        # a process killed between the two leaves it to the leader's timers
        # (`Timers._mend_pending_alarms`).
        raised: list[Alarm] = []
        note: str | None = None
        with self._store.together():
            seq = self._audit.append(batch.events)
            if not self._store.atomic:
                raised = self._file_alarms(batch)
            else:  # noted with the batch, cleared with its alarms: a kill between is mended
                note = self._store.pending_alarms.note([s.key for s in batch.escalated])
            self._remind(batch.pending.values())  # a reminder of a mention lost is harmless
            self._store.threads.add(edges(batch.pending.values()))  # likewise an entry
            self._store.save(list(batch.pending.values()), applied=seq, encoded=batch.encoded)
            self._store.volume.add(
                (
                    (
                        s.triage.mention.created_at,
                        s.triage.classification.sentiment.label is SentimentLabel.NEGATIVE,
                        s.triage.mention.text.lower(),
                    )
                    for s in batch.fresh
                ),
                trigger_keywords(self._ctx.playbook),
            )
        if note is not None:  # (on a database server, when any post escalates)
            with self._store.together():
                raised = self._file_alarms(batch)
                self._store.pending_alarms.clear(note)
        # Only once the mentions are safely stored does anyone get woken for them.
        self._crisis.ring(raised)
        if self.keep_unescalated:
            batch.report.unescalated += [
                s.key
                for s in batch.pending.values()
                if s.deleted_at is None and not s.triage.classification.escalate
            ]

    def _file_alarms(self, batch: _Batch) -> list[Alarm]:
        """The batch's new alarms written, not yet rung (`CrisisDesk.file_alarms`)."""
        raised = self._crisis.file_alarms(batch.escalated)
        for key in batch.harm_now:  # an alarm acknowledged before rings again
            raised += self._crisis.file_again(batch.pending[key])
        return raised

    def _finish(
        self, batch: _Batch | None, report: IngestReport, on_progress: Progress | None
    ) -> None:
        """What follows a batch's write, on the caller's thread: its progress."""
        if batch is None:
            return
        report.add(batch.report)
        if on_progress is not None:
            on_progress(report)
