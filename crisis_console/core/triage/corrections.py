"""A person's correction of a mention's urgency, category or sentiment ("reclassify").

The correction is stored as a new record of the mention: the classification the person set,
routed afresh at every level (a post newly judged harm goes to the lead, with an alarm), and
a reason that says who changed what, from what, and why. Its audit record carries the whole
stored mention, as an ingest's does (recovery replays it), and the correction itself, which
`corrections_from` turns into labelled rows that `crisis-console eval` reads.

Anyone who answers mentions may correct one; taking a post out of the lead's hands (a post
that escalates judged one that does not) is the lead's alone, as is every refusal audited.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from crisis_console.core.actions import Action, Permission
from crisis_console.core.archive.audit import AuditEvent
from crisis_console.core.context import OperatorContext, synchronized
from crisis_console.core.crisis.crisis import CrisisDesk
from crisis_console.core.crisis.crisis_state import Alarm
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.models import (
    Category,
    Classification,
    SentimentLabel,
    StoredMention,
    Urgency,
    stored_to_record,
)
from crisis_console.core.store.due import Due
from crisis_console.core.triage.routing import Triager

MAX_NOTE = 500  # characters of a correction's note
CORRECTED_BY = "reclassified by "


@dataclass(frozen=True, slots=True)
class Correction:
    """What a person sets; None leaves a field as triage had it."""

    urgency: Urgency | None = None
    category: Category | None = None
    sentiment: SentimentLabel | None = None
    note: str = ""

    def fields(self) -> dict[str, str]:
        """The fields set, by name, as their values."""
        return {
            name: value.value
            for name, value in (
                ("urgency", self.urgency),
                ("category", self.category),
                ("sentiment", self.sentiment),
            )
            if value is not None
        }


def corrected(
    c: Classification, correction: Correction, triager: Triager, who: str
) -> Classification:
    """`c` as the person set it, with a reason saying who changed what. The playbook's rule
    for the category it ends in says whether it escalates and, when the person changed the
    category but not the urgency, the urgency it carries."""
    category = correction.category or c.category
    sentiment = c.sentiment
    if correction.sentiment is not None:
        sentiment = dataclasses.replace(sentiment, label=correction.sentiment)
    urgency = correction.urgency or c.urgency
    if correction.urgency is None and category is not c.category:
        urgency = triager.urgency_of(category, sentiment.label)
    rule = triager.rule_for(category)
    changes = [
        f"{name} {old.value} → {new.value}"
        for name, old, new in (
            ("urgency", c.urgency, urgency),
            ("category", c.category, category),
            ("sentiment", c.sentiment.label, sentiment.label),
        )
        if old is not new
    ]
    said = f'; note: "{correction.note}"' if correction.note else ""
    reason = f"{CORRECTED_BY}{who}: {', '.join(changes) or 'confirmed as it was'}{said}"
    escalates = rule is not None and rule.escalate
    # The latest correction only: the audit log keeps every one (a reason each would make
    # each record longer than the last).
    kept = tuple(r for r in c.reasons if not r.startswith(CORRECTED_BY))
    return Classification(sentiment, urgency, category, escalates, (*kept, reason))


class _LeadsCall(Exception):
    """The correction needs the lead's permission, which the operator lacks."""


class CorrectionDesk:
    """Reclassifying mentions, for one operator; the service calls it."""

    def __init__(self, ctx: OperatorContext, crisis: CrisisDesk) -> None:
        self.ctx, self.lock, self._crisis = ctx, ctx.lock, crisis

    @synchronized
    def reclassify(self, key: str, correction: Correction) -> StoredMention:
        """Store `key` with the person's classification, re-routed, audited, and with an
        alarm if it newly escalates; returns the mention as stored."""
        ctx = self.ctx
        ctx.require(Permission.RECLASSIFY, key)  # first: every refusal is audited
        # One line, as every reason is: a line break in a note could pass for a reason.
        note = " ".join(correction.note.split())
        if len(note) > MAX_NOTE:
            raise CrisisConsoleError(f"note: at most {MAX_NOTE} characters, not {len(note)}")
        if not correction.fields():
            raise CrisisConsoleError("reclassify: set at least one of urgency, category, sentiment")
        correction = dataclasses.replace(correction, note=note)
        # Read and written under the store's lock for conditional writes (the database's in
        # team mode), as the second opinion's raise is: neither writes over the other.
        try:
            with ctx.store.state.tables.lock:
                after, before, raised = self._corrected(key, correction)
        except _LeadsCall:
            # Refused outside the lock's transaction, so that the refusal's record stays.
            ctx.require(Permission.DE_ESCALATE, key)
            return self.reclassify(key, correction)  # the level changed, and allows it now
        classification = after.triage.classification
        self._crisis.ring(raised)  # (newly escalated: once it and its alarm are stored)
        if before.escalate and not classification.escalate:
            # The lead judged it no harm: its alarm, seen, need not ring on.
            alarm = self._crisis.alarm(key)
            if alarm is not None and alarm.open:
                self._crisis.acknowledge(key)
        return after

    def _corrected(
        self, key: str, correction: Correction
    ) -> tuple[StoredMention, Classification, list[Alarm]]:
        """Store `key` as `correction` sets it; (the mention as stored, its classification
        before, the alarm raised if it newly escalates, to ring). The lead's permission is
        checked for taking it out of the lead's hands."""
        ctx = self.ctx
        stored = ctx.store.get(key)
        if stored is None or stored.deleted_at is not None:
            raise CrisisConsoleError(f"no mention {key}" + (" (deleted)" if stored else ""))
        before = stored.triage.classification
        classification = corrected(before, correction, ctx.triager, ctx.me)
        if before.escalate and (
            not classification.escalate or classification.urgency.rank > before.urgency.rank
        ):
            # Out of the lead's hands, or down the lead's queue: the lead's call.
            level = ctx.level_number()
            if not ctx.may(Permission.DE_ESCALATE, level):
                raise _LeadsCall
        # Routed as when it arrived: the SLA in force then still judges its answer.
        level = ctx.triager.arrival_level(stored.triage)
        triage = ctx.triager.routed(stored.triage.mention, classification, level)
        after = dataclasses.replace(stored, triage=triage)
        record = stored_to_record(after)
        change = {"set": correction.fields(), "note": correction.note, "was": _labels(before)}
        event = AuditEvent(
            Action.MENTION_RECLASSIFIED, key, ctx.me, ctx.clock(), {**record, "correction": change}
        )
        with ctx.store.together():  # the audit record first, as for every stored mention
            seq = ctx.audit.append([event])
            # Its alarm, if it newly escalates, before it is stored: a crash between leaves
            # it logged, and the next open stores it and raises the alarm (`recover`).
            newly = classification.escalate and not before.escalate
            raised = self._crisis.file_again(after) if newly else []
            ctx.store.due.add([Due(triage.deadline, "sla", key)])  # its deadline, for the timers
            ctx.store.save([after], applied=seq)
        return after, before, raised

    @synchronized
    def corrections(self) -> Iterator[dict[str, Any]]:
        """Every corrected mention as a labelled row (`corrections_from`): posts, handles,
        operators' names and notes leave the console with them, so, as for an audit export,
        the auditor's or the lead's (refusals audited)."""
        self.ctx.require(Permission.EXPORT, "report:corrections")
        return corrections_from(self.ctx.audit.read({Action.MENTION_RECLASSIFIED}))

    @synchronized
    def record_export(self, rows: int, where: str) -> None:
        """Audit that the corrections left the console (posts and names go with them)."""
        self.ctx.record(Action.REPORT_EXPORTED, "report:corrections", rows=rows, out=where)


def _labels(c: Classification) -> dict[str, str]:
    return {
        "urgency": c.urgency.value,
        "category": c.category.value,
        "sentiment": c.sentiment.label.value,
    }


def corrections_from(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Labelled rows, one per corrected mention (as its latest correction left it), in the
    order of the first: the fields `eval` reads (`text`, and `urgency`, `category`,
    `sentiment`), who corrected it last and when, every field a person ever set on it
    (`corrected`: the others are triage's), and the latest note."""
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.get("action") != Action.MENTION_RECLASSIFIED:
            continue
        data = record["data"]
        mention, labels = data["mention"], data["classification"]
        earlier = latest.get(record["subject"], {}).get("corrected", [])
        latest[record["subject"]] = {
            "id": record["subject"],
            "platform": mention.get("platform", ""),
            "author": mention.get("author", ""),
            "text": mention["text"],
            "urgency": labels["urgency"],
            "category": labels["category"],
            "sentiment": labels["sentiment"]["label"],
            "corrected": sorted({*earlier, *data["correction"]["set"]}),
            "note": data["correction"]["note"],
            "by": record["actor"],
            "at": record["at"],
        }
    yield from latest.values()
