"""The append-only, hash-chained audit log (one JSON object per line).

Each event carries `prev`, the hash of the event before it, and `hash`, the SHA-256 of its own
canonical JSON (everything but `hash`). Changing, removing, inserting or reordering any line
breaks the chain at that line; `audit.head` (the last sequence number and hash, rewritten
atomically after each append) catches lines cut off the end. `verify` names the first record
that fails. `append` is durable when it returns.

When the live file passes `rotate_bytes` it is closed under a dated name in `audit/`; the
chain runs on across files, and verify and export read them all, oldest first.

Layout: a record is written as its canonical JSON (the bytes its hash is taken over) with
`,"hash":"<hex>"` spliced in before the closing brace, so the line is still one JSON object
with the same fields, and `verify` hashes a slice of the line instead of parsing and
re-serialising it. Records written before this layout (fields in insertion order, `hash`
last) verify the slow way, line by line; the hash is defined the same way for both.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, Protocol

from crisis_console.core.archive.anchoring import sealing_problem, writer_check
from crisis_console.core.archive.audit_read import (
    crisis_changes,
    is_about,
    last_line,
    lines_backwards,
    read_events,
    record_backwards,
    whole_lines_end,
)
from crisis_console.core.archive.audit_verify import (
    canonical_json,
    json_object,
    json_string,
    verify_file,
)
from crisis_console.core.archive.seal import Checkpoint, Head, Seal, read_head
from crisis_console.core.errors import AuditError
from crisis_console.core.store.jsonfile import fsync_directory, process_lock, write_atomically

AUDIT_FILE = "audit.jsonl"
HEAD_FILE = "audit.head"
APPEND_LOCK = "audit.lock"
ARCHIVE_DIR = "audit"
GENESIS = "0" * 64
ROTATE_BYTES = 64 * 1024 * 1024
_TAIL_BLOCK = 64 * 1024


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """What happened, to what, by whom, when. `data` holds the details as plain JSON.
    `encoded`: some of `data`'s values as `canonical_json` writes them, by key, where the
    event's maker has them already (an ingest's stored record, whose JSON the store is sent
    too), so that they are not encoded twice; each must be the encoding of `data`'s value
    under its key (a value added later, such as the playbook's stamp, is encoded here)."""

    action: str
    subject: str
    actor: str
    at: datetime
    data: Mapping[str, Any]
    encoded: Mapping[str, str] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    events: int
    file: str = ""
    first_bad_line: int = 0
    message: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"ok: {self.events} events, the chain is whole"
        return (
            f"{self.file}:{self.first_bad_line}: {self.message} "
            f"({self.events} events verified before it)"
        )


class Audit(Protocol):
    """An audit chain: `AuditLog` in a folder, `PgAuditLog` in the team database."""

    set_aside: Path | None  # a torn line a crash left, moved aside at open (folders only)

    @property
    def last_seq(self) -> int: ...
    def append(self, events: Sequence[AuditEvent]) -> int: ...
    def events(self) -> Iterator[dict[str, Any]]: ...
    def events_after(self, seq: int) -> list[dict[str, Any]]: ...
    def read(
        self, actions: Collection[str], since: datetime | None = None
    ) -> Iterator[dict[str, Any]]: ...
    def level_changes(self) -> list[dict[str, Any]]: ...
    def newest(self, limit: int, who_or_what: str = "") -> list[dict[str, Any]]: ...
    def verify(self, against: Checkpoint | None = None) -> VerifyResult: ...
    def checkpoint(self) -> Checkpoint: ...


def chain_parts(event: AuditEvent) -> tuple[bytes, bytes]:
    """A record's canonical JSON (`canonical`) less the two fields only the chain knows,
    `prev` and `seq`, which sort between `data` and `subject`: (head, tail), so that its
    body at (`seq`, `prev`) is head + `"prev":"<prev>","seq":<seq>,` + tail. The team
    database continues the chain from these on the server (migration 0007)."""
    # The keys in their sorted order, written out: `action`, `actor`, `at` and `data` before
    # the chain's two, `subject` after them (each string as `canonical_json` writes it).
    data = canonical_json(dict(event.data)) if not event.encoded else joined(event)
    head = (
        f'{{"action":{json_string(event.action)},"actor":{json_string(event.actor)},'
        f'"at":{json_string(event.at.isoformat())},"data":{data},'
    )
    return head.encode(), f'"subject":{json_string(event.subject)}}}'.encode()


def joined(event: AuditEvent) -> str:
    """`canonical_json(event.data)`, taking the values `event.encoded` has already."""
    known = event.encoded or {}
    return json_object(
        {k: known[k] if k in known else canonical_json(v) for k, v in event.data.items()}
    )


def chain_lines(events: Sequence[AuditEvent], seq: int, prev: str) -> tuple[list[bytes], int, str]:
    """The lines that continue the chain at (`seq`, `prev`) with `events`, and the new
    (last sequence number, last hash): the same bytes on every backend."""
    lines: list[bytes] = []
    for event in events:
        seq += 1
        head, tail = chain_parts(event)
        body = b'%s"prev":"%s","seq":%d,%s' % (head, prev.encode(), seq, tail)
        prev = hashlib.sha256(body).hexdigest()
        # The canonical body with its hash spliced in before the closing brace (see above).
        lines.append(b'%s,"hash":"%s"}' % (body[:-1], prev.encode()))
    return lines, seq, prev


class AuditLog:
    """Appends events to `path`, continuing the chain found there."""

    def __init__(
        self,
        path: Path,
        rotate_bytes: int = ROTATE_BYTES,
        repair: bool = True,
        seal: Seal | None = None,
    ) -> None:
        """`repair`: set aside a torn last line left by a crash. Only the process that holds
        the data folder repairs; a reader (export, verify) never changes the file. `seal`:
        the key outside the folder that signs the head (`seal.py`); every append checks the
        chain's end against it first, and verify checks it. (Without one, as in tests of the
        chain itself, the head is plain and only the chain is checked.)"""
        self.path, self.rotate_bytes, self.seal = path, rotate_bytes, seal
        self.head_path = path.with_name(HEAD_FILE)
        self.archive = path.parent / ARCHIVE_DIR
        # Appends from several processes (the console, an auditor's export) take turns.
        self._append_lock = process_lock(path.with_name(APPEND_LOCK))
        self.set_aside: Path | None = None
        if repair:
            self._set_aside_torn_tail()
        if repair and seal is not None:
            with self._append_lock:
                self._checked_tail()  # reads the tail, and holds it to the seal
        else:
            self._seq, self._last_hash = self._tail()

    def _tail(self) -> tuple[int, str]:
        for file in reversed(self.files()):
            line = last_line(file) if file.stat().st_size else b""
            if line.strip():
                try:
                    record = json.loads(line)
                    return int(record["seq"]), str(record["hash"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise AuditError(
                        f"{file}: the last record is damaged ({exc}); run "
                        "`crisis-console audit verify` to find where"
                    ) from exc
        return 0, GENESIS

    def _set_aside_torn_tail(self) -> None:
        """A crash inside `append` can leave a last line without its newline. That append never
        returned, so nothing it held was acknowledged; the fragment is moved to a side file
        (kept, never deleted) and the log continues from the last whole record."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with self.path.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) == b"\n":
                return
        size = self.path.stat().st_size
        with self.path.open("r+b") as handle:
            cut = whole_lines_end(handle, size)
            handle.seek(cut)
            fragment = handle.read()
            side = self.path.with_name(f"{self.path.name}.torn-{size}")
            side.write_bytes(fragment)
            handle.truncate(cut)
            handle.flush()
            os.fsync(handle.fileno())
        self.set_aside = side

    @property
    def last_seq(self) -> int:
        """The last sequence number on disk (another process may have appended)."""
        self._seq, self._last_hash = self._tail()
        return self._seq

    def append(self, events: Sequence[AuditEvent]) -> int:
        """Append every event with one write and one fsync; return the last sequence number."""
        if not events:
            return self._seq
        with self._append_lock:
            self._checked_tail()  # another process may have appended
            return self._append_locked(events)

    def _checked_tail(self) -> None:
        """Read the chain's end; with a seal, refuse to go on unless it is the sealed head
        (`anchoring.writer_check`), sealing it first where the writer must."""
        self._seq, self._last_hash = self._tail()
        if self.seal is None:
            return
        tail = (self._seq, self._last_hash)
        head = writer_check(
            self.seal, read_head(self.head_path), tail, self._tail_records, str(self.path)
        )
        if head is not None:
            write_atomically(self.head_path, self.seal.signed(head).to_json())
            self.seal.move_anchor(*tail)

    def _append_locked(self, events: Sequence[AuditEvent]) -> int:
        lines, seq, prev = chain_lines(events, self._seq, self._last_hash)
        try:
            if self.seal is not None:  # the head first: see `seal.Head`
                head = Head(seq, prev, self._seq, self._last_hash)
                write_atomically(self.head_path, self.seal.signed(head).to_json())
            with self.path.open("ab") as handle:
                handle.write(b"\n".join(lines) + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            if self.seal is not None:
                self.seal.move_anchor(seq, prev)
            else:
                write_atomically(self.head_path, json.dumps({"seq": seq, "hash": prev}))
        except OSError as exc:
            raise AuditError(f"cannot append to the audit log {self.path}: {exc}") from exc
        self._seq, self._last_hash = seq, prev
        if self.path.stat().st_size >= self.rotate_bytes:
            self._rotate(events[-1].at)
        return seq

    def _rotate(self, at: datetime) -> None:
        self.archive.mkdir(exist_ok=True)
        name = f"audit-{at:%Y-%m-%d}-{len(list(self.archive.glob('audit-*.jsonl'))) + 1:04d}.jsonl"
        os.replace(self.path, self.archive / name)
        fsync_directory(self.archive)
        fsync_directory(self.path.parent)

    def files(self) -> list[Path]:
        """The closed files, oldest first, then the live one."""
        closed = sorted(self.archive.glob("audit-*.jsonl")) if self.archive.is_dir() else []
        return [*closed, self.path] if self.path.exists() else closed

    def read(
        self, actions: Collection[str], since: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """The records of `actions`, oldest first, from `since` on (give or take a day),
        parsing only those (`audit_read.read_events`)."""
        return read_events(self.files(), actions, since)

    def level_changes(self) -> list[dict[str, Any]]:
        """The crisis level changes since the latest crisis began (`crisis_window`)."""
        return crisis_changes(self.files())

    def events(self) -> Iterator[dict[str, Any]]:
        """Every record, oldest first, across all files."""
        for file in self.files():
            with file.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        try:
                            yield json.loads(line)
                        except json.JSONDecodeError as exc:
                            raise AuditError(
                                f"{file}:{number}: not valid JSON ({exc.msg})"
                            ) from exc

    def events_after(self, seq: int) -> list[dict[str, Any]]:
        """The records after `seq`, read from the end of the live file (recovery needs few)."""
        last = self.last_seq
        if seq >= last:
            return []
        found = [e for e in self._tail_records(last - seq) if e["seq"] > seq]
        return sorted(found, key=lambda e: e["seq"])

    def newest(self, limit: int, who_or_what: str = "") -> list[dict[str, Any]]:
        """Up to `limit` records, newest first, read backwards from the end; with
        `who_or_what`, only those whose subject (a mention's key) or actor it is, or that
        name it among their `MENTIONS`. Costs the records read, never the whole log unless
        the matches are that far back."""
        out: list[dict[str, Any]] = []
        # As the line holds it: a key's `"` or `\` is escaped there.
        needle = encode_basestring(who_or_what)[1:-1].encode()
        for file in reversed(self.files()):
            for back, line in enumerate(lines_backwards(file)):
                if not line.strip() or (needle and needle not in line):
                    continue  # most lines are passed over unparsed
                record = record_backwards(line, file, back)
                if not who_or_what or is_about(record, who_or_what):
                    out.append(record)
                    if len(out) >= limit:
                        return out
        return out

    def _tail_records(self, count: int) -> list[dict[str, Any]]:
        """The last `count` records, newest first, read backwards from the end a block at a
        time: recovery after a short interruption reads kilobytes, not the whole log."""
        out: list[dict[str, Any]] = []
        for file in reversed(self.files()):
            for back, line in enumerate(lines_backwards(file)):
                if line.strip():
                    out.append(record_backwards(line, file, back))
                    if len(out) >= count:
                        return out
        return out

    def verify(self, against: Checkpoint | None = None) -> VerifyResult:
        """Check the whole chain across every file, and the head, and with a seal the head's
        signature, the anchor and `against` (a checkpoint); name the first bad record."""
        with self._append_lock:  # a moment, for a head that matches the log's end
            head = self._head()
        marks: dict[int, bytes | None] = {}
        anchor = self.seal.anchor() if self.seal is not None else None
        for seq in (head.seq if head else None, anchor and anchor[0], against and against.seq):
            if seq:
                marks[seq] = None
        chain, count = GENESIS.encode(), 0
        for file in self.files():
            bad, number, chain, seq = verify_file(file, chain, count, marks)
            if bad:
                return VerifyResult(False, seq, str(file), number, bad)
            count = seq
        prev = chain.decode()
        where = str(self.files()[-1]) if self.files() else str(self.path)
        if self.seal is not None:
            problem = sealing_problem(
                self.seal, head, self._fresh_head, count, prev, marks, against
            )
            if problem:
                return VerifyResult(False, count, where, count + 1, problem)
        elif head is not None and (head.seq > count or (head.seq == count and head.hash != prev)):
            return VerifyResult(
                False,
                count,
                where,
                count + 1,
                f"records {count + 1} to {head.seq} are missing: the log was cut short",
            )
        return VerifyResult(True, count)

    def checkpoint(self) -> Checkpoint:
        """A signed digest of the chain as it ends now (`seal.Checkpoint`)."""
        if self.seal is None:
            raise AuditError("a checkpoint needs the audit log's key")
        with self._append_lock:
            self._checked_tail()
            return self.seal.checkpoint(self._seq, self._last_hash)

    def _fresh_head(self) -> Head | None:
        with self._append_lock:
            return self._head()

    def _head(self) -> Head | None:
        try:
            return read_head(self.head_path)
        except AuditError:
            return Head(10**12, "", 0, "")  # a damaged head never passes
