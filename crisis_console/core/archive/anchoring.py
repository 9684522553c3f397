"""What a folder's sealed head (`seal.py`) must agree with: the writer's quick check before
every append, and the checks `audit verify` adds to the chain's own.

The quick check costs a read of the head and one HMAC, so every append makes it: a writer
never continues a chain whose end is not the head it sealed (someone appended, cut or
rewrote records), nor one that falls short of the anchor kept outside the folder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from crisis_console.core.archive.audit_verify import digest
from crisis_console.core.archive.seal import Checkpoint, Head, Seal
from crisis_console.core.errors import AuditError

VERIFY_HINT = "run 'crisis-console audit verify' to see where, and restore the log from a backup"


def writer_check(
    seal: Seal,
    head: Head | None,
    tail: tuple[int, str],
    records_back: Callable[[int], Sequence[Mapping[str, Any]]],
    where: str,
) -> Head | None:
    """Refuse (`AuditError`) to append after `tail` (the log's last sequence number and hash)
    unless it is the sealed `head`; return a head to write first when the writer must seal
    one: a log never sealed before (sealed now, as it stands) or an append a crash cut short
    (the head was written, not all its records: those written are checked and kept, as
    nothing they hold was acknowledged). `records_back(n)`: the log's last n records, newest
    first."""
    seq, last = tail
    if head is None and seq == 0 and seal.known:
        # No log and no head: a new chain in a folder made again at the same path (the
        # demo's reset). The old key is kept aside; a store that still holds mentions is
        # named by verify, which finds none of them in the new chain.
        seal.retire()
    if head is None or not head.mac:
        if seal.known:
            what = "is missing" if head is None else "is not signed"
            raise AuditError(
                f"{where}: the head of the audit chain {what}, but this folder's log was "
                f"sealed: records may have been cut, added or rewritten outside "
                f"crisis-console; {VERIFY_HINT}"
            )
        if head is not None and (head.seq, head.hash) != tail:
            raise AuditError(
                f"{where}: the log ends at record {seq}, its head says {head.seq}: it was cut "
                f"short; {VERIFY_HINT}"
            )
        seal.create()  # a log written before sealing existed: sealed as it stands
        _check_anchor(seal, tail, where)
        return Head(seq, last, seq, last)
    if not seal.is_signed(head):
        raise AuditError(
            f"{where}: the head of the audit chain is not signed with this folder's key: it "
            f"was written outside crisis-console; {VERIFY_HINT}"
        )
    _check_anchor(seal, tail, where)
    if (head.seq, head.hash) == tail:
        return None
    cut_short = head.before_seq <= seq < head.seq
    written = records_back(seq - head.before_seq) if seq > head.before_seq else []
    if cut_short and _continues(written, head, tail):
        return Head(seq, last, seq, last)
    raise AuditError(
        f"{where}: the log ends at record {seq}, but its sealed head is record {head.seq}: "
        f"records were cut, added or rewritten outside crisis-console; {VERIFY_HINT}"
    )


def _continues(records: Sequence[Mapping[str, Any]], head: Head, tail: tuple[int, str]) -> bool:
    """Whether the records after the head's `before` (newest first) chain on from it, each
    matching its own hash: the part of a cut-short append that reached the disk."""
    prev = head.before_hash
    for record in reversed(records):
        if record.get("prev") != prev or digest(record) != record.get("hash"):
            return False
        prev = str(record["hash"])
    return prev == tail[1]


def _check_anchor(seal: Seal, tail: tuple[int, str], where: str) -> None:
    anchor = seal.anchor()
    if anchor is None:
        return
    a_seq, a_hash = anchor
    if a_seq > tail[0] or (a_seq == tail[0] and a_hash != tail[1]):
        raise AuditError(
            f"{where}: the log and its head were put back: this account sealed record "
            f"{a_seq} ({a_hash[:12]}…), and the log now ends before it or differs there; "
            f"{VERIFY_HINT}"
        )


def sealing_problem(
    seal: Seal,
    head: Head | None,
    fresh: Callable[[], Head | None],
    count: int,
    last: str,
    marks: Mapping[int, bytes | None],
    against: Checkpoint | None,
) -> str:
    """What `verify` finds wrong with the seal of a chain whose `count` records check out
    and end with hash `last` ("" when nothing). `head`: the head as it was when verify
    began; `fresh()`: the head now, for records appended while verify read; `marks`: the
    hashes verify met at the head's, the anchor's and the checkpoint's sequence numbers."""
    if against is not None:
        if not seal.is_genuine(against):
            return f"{against} is not a checkpoint of this log: its signature does not match"
        seen = marks.get(against.seq)
        if seen is None:
            return f"record {against.seq} of the checkpoint is missing: the log was cut short"
        if not seen.decode().startswith(against.hash):
            return f"record {against.seq} has changed since the checkpoint {against}"
    if head is None or not head.mac:
        if seal.known:
            return "the head of the chain is missing or unsigned, though this log was sealed"
        return ""  # never sealed yet: the next writer seals it as it stands
    if not seal.is_signed(head):
        return "the head of the chain is not signed with this folder's key"
    anchor = seal.anchor()
    if anchor is not None:
        seen = marks.get(anchor[0])
        if seen is None or seen.decode() != anchor[1]:
            return f"record {anchor[0]}, sealed from this account, is missing or has changed"
    if count < head.seq:
        return f"{_records(count + 1, head.seq)} missing: the log was cut short"
    at_head = marks.get(head.seq)
    rewritten = at_head is not None and at_head.decode() != head.hash
    if rewritten or (count == head.seq and last != head.hash):
        return f"record {head.seq} is not the sealed head: the chain was rewritten"
    if count > head.seq:
        now = fresh()
        if now is None or not seal.is_signed(now) or now.seq < count:
            return f"{_records(head.seq + 1, count, 'were', 'was')} added without the seal's key"
    return ""


def _records(first: int, last: int, plural: str = "are", one: str = "is") -> str:
    return f"record {first} {one}" if first == last else f"records {first} to {last} {plural}"
