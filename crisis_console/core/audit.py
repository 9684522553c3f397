"""The append-only, hash-chained audit log (one JSON object per line).

Each event carries `prev`, the hash of the event before it, and `hash`, the SHA-256 of its own
canonical JSON (everything but `hash`). Changing, removing, inserting or reordering any line
breaks the chain at that line, which `verify` reports. `append` is durable when it returns.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crisis_console.core.errors import AuditError

AUDIT_FILE = "audit.jsonl"
GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """What happened, to what, by whom, when. `data` holds the details as plain JSON."""

    action: str
    subject: str
    actor: str
    at: datetime
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    events: int
    first_bad_line: int = 0
    message: str = ""


def _canonical(record: Mapping[str, Any]) -> bytes:
    body = {k: v for k, v in record.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _digest(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(_canonical(record)).hexdigest()


class AuditLog:
    """Appends events to `path`, continuing the chain found there."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.set_aside: Path | None = None
        self._set_aside_torn_tail()
        self._seq, self._last_hash = 0, GENESIS
        for _, record in self._records():
            self._seq, self._last_hash = record["seq"], record["hash"]

    def _set_aside_torn_tail(self) -> None:
        """A crash inside `append` can leave a last line without its newline. That append never
        returned, so nothing it held was acknowledged; the fragment is moved to a side file
        (kept, never deleted) and the log continues from the last whole record."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        if not raw or raw.endswith(b"\n"):
            return
        cut = raw.rfind(b"\n") + 1
        side = self.path.with_name(f"{self.path.name}.torn-{len(raw)}")
        side.write_bytes(raw[cut:])
        with self.path.open("r+b") as handle:
            handle.truncate(cut)
            handle.flush()
            os.fsync(handle.fileno())
        self.set_aside = side

    def append(self, events: Sequence[AuditEvent]) -> None:
        """Append every event with one write and one fsync."""
        if not events:
            return
        lines: list[str] = []
        seq, prev = self._seq, self._last_hash
        for event in events:
            seq += 1
            record: dict[str, Any] = {
                "seq": seq,
                "at": event.at.isoformat(),
                "actor": event.actor,
                "action": event.action,
                "subject": event.subject,
                "data": dict(event.data),
                "prev": prev,
            }
            record["hash"] = prev = _digest(record)
            lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        try:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise AuditError(f"cannot append to the audit log {self.path}: {exc}") from exc
        self._seq, self._last_hash = seq, prev

    def events(self) -> Iterator[dict[str, Any]]:
        """Every record, oldest first."""
        for _, record in self._records():
            yield record

    def verify(self) -> VerifyResult:
        """Check the whole chain; name the first line that was altered, removed or moved."""
        prev, count, expected_seq = GENESIS, 0, 1
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return VerifyResult(True, 0)
        for number, line in enumerate(lines, start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                return VerifyResult(False, count, number, "not valid JSON")
            if not isinstance(record, dict) or "hash" not in record:
                return VerifyResult(False, count, number, "not an audit record")
            if record.get("prev") != prev:
                return VerifyResult(False, count, number, "does not follow the record before it")
            if record.get("seq") != expected_seq:
                return VerifyResult(
                    False, count, number, f"sequence {record.get('seq')}, expected {expected_seq}"
                )
            if _digest(record) != record["hash"]:
                return VerifyResult(False, count, number, "content does not match its hash")
            prev, count, expected_seq = record["hash"], count + 1, expected_seq + 1
        return VerifyResult(True, count)

    def _records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            handle = self.path.open(encoding="utf-8")
        except FileNotFoundError:
            return
        with handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise AuditError(f"{self.path}:{number}: not valid JSON ({exc.msg})") from exc
