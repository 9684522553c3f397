"""A batch of replies as the store keeps it and the approval queue shows it (`batch.py`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crisis_console.core.replies.reply_model import APPROVED, FAILED, PENDING, SENDING, Reply

BATCHES, OPEN, OF_REPLY = "batches", "batches_open", "batch_of"
BATCH_MAX = 1_000  # mentions one batch answers at most: its audit record names them all
SUBMIT, SEND = "submit", "send"
IN_PROGRESS = frozenset({PENDING, APPROVED, FAILED, SENDING})  # waiting for a person or the outbox


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a call over a batch did with each mention: `replies` (key -> the reply as the
    call left it: pending, approved, sending, sent, failed or rejected) and `refused` (key
    -> why, audited). `batch`: its id ("" when no reply was made). `ticked`: the checklist
    steps this call ticked."""

    batch: str
    template: str
    replies: dict[str, Reply] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    ticked: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.refused

    def summary(self, verb: str) -> str:
        counts = Counter(r.status for r in self.replies.values())
        parts = [f"{verb}: {len(self.replies)}"]
        parts += [f"{n} {status}" for status, n in sorted(counts.items())]
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Batch:
    """A batch as the approval queue shows it, in one row."""

    id: str
    template: str
    author: str
    how: str  # submit or send
    created_at: datetime
    variables: Mapping[str, str]
    replies: Mapping[str, str]  # mention key -> reply id
    refused: Mapping[str, str]  # mention key -> why it is not in the batch
    statuses: Mapping[str, str]  # reply id -> its status now
    approved_by: str = ""
    state: str = "open"  # open; sent (every reply sent); closed (rejected, or not all sent)
    late: bool = False  # a reply older than its mention's deadline (`BatchDesk.queue`)

    @property
    def counts(self) -> dict[str, int]:
        """Replies per status: {"pending": 97, "sent": 1}."""
        return dict(Counter(self.statuses.values()))

    @property
    def in_progress(self) -> bool:
        return any(s in IN_PROGRESS for s in self.statuses.values())


def counted(statuses: Iterable[str]) -> str:
    """How many of each status: "3 pending, 1 sent"."""
    counts = Counter(statuses)
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"


def batch_from(record: Mapping[str, Any], statuses: Mapping[str, str]) -> Batch:
    """A stored batch record as a row, with its replies' `statuses` now (reply id -> status)."""
    replies = dict(record["replies"])
    return Batch(
        record["id"],
        record["template"],
        record["author"],
        record["how"],
        datetime.fromisoformat(record["created_at"]),
        dict(record["variables"]),
        replies,
        dict(record["refused"]),
        {rid: statuses.get(rid, "missing") for rid in replies.values()},
        record.get("approved_by", ""),
        record.get("state", "open"),
    )
