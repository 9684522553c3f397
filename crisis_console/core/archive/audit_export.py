"""Exporting the audit archive for compliance and e-discovery, as JSON Lines or CSV.

The export reads every audit file (closed and live) without a lock, so an auditor can export
while a console runs; it is itself a permissioned, audited action.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from crisis_console.core.actions import Action, Permission
from crisis_console.core.archive.audit import Audit, AuditEvent
from crisis_console.core.archive.audit_read import concerns
from crisis_console.core.archive.seal import Checkpoint
from crisis_console.core.models import Clock
from crisis_console.core.roster import Operator, PermissionDenied, may

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ("seq", "at", "actor", "action", "subject", "data", "prev", "hash")


@dataclass(frozen=True, slots=True)
class ExportFilter:
    start: datetime | None = None
    end: datetime | None = None
    mention: str | None = None
    operator: str | None = None

    def keeps(self, record: dict[str, Any]) -> bool:
        at = datetime.fromisoformat(record["at"])
        return (
            (self.start is None or at >= self.start)
            and (self.end is None or at < self.end)
            and (self.mention is None or concerns(record, self.mention))
            and (self.operator is None or record["actor"] == self.operator)
        )

    def describe(self) -> dict[str, str]:
        return {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in (
                ("from", self.start),
                ("to", self.end),
                ("mention", self.mention),
                ("operator", self.operator),
            )
            if v is not None
        }


def export_audit(
    log: Audit, operator: Operator, clock: Clock, out: IO[str], fmt: str, where: ExportFilter
) -> int:
    """Write the matching records to `out`; refuse (and audit the refusal) unless the operator
    may export. Returns how many records were written; the export itself is audited."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    _require_export(log, operator, clock, "export")
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    count = 0
    for record in log.events():
        if not where.keeps(record):
            continue
        count += 1
        if writer is not None:
            row = {**record, "data": json.dumps(record["data"], ensure_ascii=False, sort_keys=True)}
            writer.writerow([row[c] for c in CSV_COLUMNS])
        else:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    log.append(
        [
            AuditEvent(
                Action.AUDIT_EXPORTED,
                "audit:export",
                operator.name,
                clock(),
                {"format": fmt, "records": count, **where.describe()},
            )
        ]
    )
    return count


def checkpoint_audit(log: Audit, operator: Operator, clock: Clock) -> Checkpoint:
    """A signed digest of the chain as it ends now (`seal.Checkpoint`), for an auditor or a
    lead to keep outside the system; the checkpoint is itself audited (after the record it
    covers), and so is a refusal."""
    _require_export(log, operator, clock, "checkpoint")
    checkpoint = log.checkpoint()
    log.append(
        [
            AuditEvent(
                Action.AUDIT_CHECKPOINT,
                "audit:checkpoint",
                operator.name,
                clock(),
                {"checkpoint": str(checkpoint), "seq": checkpoint.seq},
            )
        ]
    )
    return checkpoint


def _require_export(log: Audit, operator: Operator, clock: Clock, what: str) -> None:
    if may(operator, Permission.EXPORT):
        return
    log.append(
        [
            AuditEvent(
                Action.REFUSED,
                f"audit:{what}",
                operator.name,
                clock(),
                {"action": what, "operator": operator.describe()},
            )
        ]
    )
    raise PermissionDenied(
        f"{operator.describe()} may not {what} the audit log: it needs auditor or lead"
    )
