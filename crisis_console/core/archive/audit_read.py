"""Reading chosen records from an audit log's files without parsing the rest: what reports
and the incident timeline need (`AuditLog.read`, `AuditLog.level_changes`)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from crisis_console.core.actions import Action
from crisis_console.core.errors import AuditError

_CANONICAL = b'{"action":"'  # how a line of the audit log's canonical layout starts
_TAIL_BLOCK = 64 * 1024  # read from the end a block at a time
_CLOSED = re.compile(r"audit-(\d{4}-\d{2}-\d{2})-\d+\.jsonl")  # named by its newest record
# A record about many mentions at once (a tick's SLA breaches in one queue) names them in
# its data under this key, each with a detail: `newest(key)` finds it as it finds the
# records whose subject the key is.
MENTIONS = "mentions"


def crisis_changes(files: Sequence[Path]) -> list[dict[str, Any]]:
    """The level changes `crisis_window` needs, from an audit log's files (`AuditLog.files()`)
    read newest first only as far back as the file where the latest crisis began: what came
    before it cannot matter."""
    changes: list[dict[str, Any]] = []
    for file in reversed(files):
        found = list(read_events([file], {Action.LEVEL_CHANGED}))
        changes[:0] = found
        if any(e["data"]["from"] == 0 and e["data"]["to"] > 0 for e in found):
            break
    return changes


def read_events(
    files: Iterable[Path], actions: Collection[str], since: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """The audit records whose action is one of `actions`, oldest first, from an audit log's
    files (`AuditLog.files()`), parsing only those. With `since`, a closed file whose newest
    record is more than a day before it is not read (a day: for clocks and time zones).

    A line in the canonical layout starts with its action (`audit.py`): the others are
    skipped unparsed. A line in another layout is parsed unless no action asked for appears
    in it as a JSON string (nor a `\\u` escape that could spell one). Only lines parsed are
    checked for valid JSON; `audit verify` checks them all."""
    wanted = frozenset(a.encode() for a in actions)
    quoted = [b'"%s"' % a for a in wanted]
    first = (since - timedelta(days=1)).astimezone(UTC).date().isoformat() if since else ""
    for file in files:
        closed = _CLOSED.fullmatch(file.name)
        if closed is not None and closed.group(1) < first:
            continue
        with file.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if line.startswith(_CANONICAL):
                    action = line[11 : line.find(b'"', 11)]
                    if action not in wanted and b"\\" not in action:
                        continue
                elif b"\\u" not in line and not any(q in line for q in quoted):
                    continue  # blank, or another layout without those actions
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise AuditError(f"{file}:{number}: not valid JSON ({exc})") from exc
                if record.get("action") in actions:
                    yield record


def record_backwards(line: bytes, file: Path, back: int) -> dict[str, Any]:
    """One record read backwards; a damaged one is an `AuditError` that says where and what
    to do, never a traceback (recovery and the rebuild of a store read this way)."""
    try:
        record = json.loads(line)
    except ValueError as exc:  # not JSON, or not UTF-8
        raise AuditError(
            f"{file}: a damaged record {back} line(s) from its end ({exc}); "
            "'crisis-console audit verify' names it. Nothing is rebuilt past it: restore "
            "the file from a backup"
        ) from None
    if not isinstance(record, dict) or not {"subject", "actor", "seq"} <= record.keys():
        raise AuditError(f"{file}: a record {back} line(s) from its end is not an audit record")
    return record


def lines_backwards(path: Path) -> Iterator[bytes]:
    """The lines of a file, last first, reading blocks from the end."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        end, rest = handle.tell(), b""
        while end > 0:
            start = max(0, end - _TAIL_BLOCK)
            handle.seek(start)
            block = handle.read(end - start) + rest
            end = start
            lines = block.split(b"\n")
            rest = lines.pop(0)  # may continue in the block before
            yield from reversed(lines)
        if rest:
            yield rest


def is_about(record: Mapping[str, Any], who_or_what: str) -> bool:
    """Whether a record's actor is `who_or_what`, or it is about that mention (`concerns`)."""
    return record["actor"] == who_or_what or concerns(record, who_or_what)


def concerns(record: Mapping[str, Any], key: str) -> bool:
    """Whether a record is about the mention `key`: its subject, or among its `MENTIONS`."""
    named = record.get("data", {}).get(MENTIONS)
    return record["subject"] == key or (isinstance(named, dict) and key in named)


def last_line(path: Path) -> bytes:
    """The last complete line of a file, read from the end (cheap on a large log)."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        data = b""
        while end > 0 and data.count(b"\n") < 2:
            start = max(0, end - _TAIL_BLOCK)
            handle.seek(start)
            data = handle.read(end - start) + data
            end = start
    lines = data.rstrip(b"\n").split(b"\n")
    return lines[-1] if lines else b""


def whole_lines_end(handle: IO[bytes], size: int) -> int:
    """Where the file's last whole line ends (0 if it has none): searched back from the end
    a block at a time, however long a torn last record is (one tick's breaches in a queue
    are one record)."""
    end = size
    while end > 0:
        start = max(0, end - 4 * _TAIL_BLOCK)
        handle.seek(start)
        found = handle.read(end - start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0
