"""The audit chain in the team database: one chain, many writers (`audit` table, migration
0002). The folder's `AuditLog` methods, the same records byte for byte.

An append is its own transaction, committed before it returns (the audit record first, as in
a folder), or joins the caller's when it asks (`PgSession.journaled`). It is one call of the
server's `audit_append` (migration 0007), which takes the advisory lock that serialises every
appender on the database, checks the last record against its hash and continues the chain
from there: the lock is held for that statement and the commit, never across a round trip
to this process. A mention
event is also noted in `audit_unapplied` until the store holds it (`PgMentions.save`), so
that recovery replays what any process logged but did not store.

`verify` reads the rows in order and checks them as the folder's verify checks a file's
lines (`archive/audit.py`): a changed, removed, inserted or reordered row breaks the chain.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crisis_console.core.actions import REPLAYED, Action
from crisis_console.core.archive.audit import (
    GENESIS,
    AuditEvent,
    VerifyResult,
    chain_parts,
)
from crisis_console.core.archive.audit_read import MENTIONS
from crisis_console.core.archive.audit_verify import digest, verify_lines
from crisis_console.core.archive.seal import Checkpoint
from crisis_console.core.errors import AuditError
from crisis_console.core.store.postgres.session import PgSession

# The chain continued on the server (migration 0007): its advisory lock (key 72026113, with
# the schema's), the check of the last record, hashes and rows in one statement; -1 when the
# last record is not in the layout the server can check.
_TRIES = 5
_APPEND = (
    "SELECT audit_append(%b::text[], %b::text[], %b::timestamptz[], %b::text[], %b::text[], "
    "%s, %s, %s)"
)
WHERE = "the audit table"  # where a bad record is, for `VerifyResult`
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BLOCK = 2_000  # rows fetched at a time when reading the whole chain


class PgAuditLog:
    """See the module docstring."""

    def __init__(self, session: PgSession) -> None:
        self._session = session
        self.set_aside: Path | None = None  # a transaction is whole or absent: never torn
        self._server_checks = False  # whether the server could check the last record

    @property
    def last_seq(self) -> int:
        with self._session.pool.connection() as conn:
            row = conn.execute("SELECT coalesce(max(seq), 0) FROM audit").fetchone()
        return int(row[0]) if row else 0

    def append(self, events: Sequence[AuditEvent]) -> int:
        """Append every event in one transaction; return the last sequence number (0 when
        the append joins the caller's unit of work and is sent with its commit)."""
        if not events:
            return self.last_seq
        parts = [chain_parts(e) for e in events]
        # Not the caller's unit of work, unless it asks (`PgSession.journaled`): a refusal
        # is logged and then raised, and its record must outlive the rollback. A unit that
        # asks stores the mentions it records: none is left for recovery to replay.
        joined = self._session.joins_unit()
        params = [
            [head.decode() for head, _ in parts],
            [tail.decode() for _, tail in parts],
            [e.at for e in events],
            [e.action for e in events],
            [e.subject if e.action in REPLAYED and not joined else None for e in events],
        ]
        if joined and not self._server_checks:
            self._server_checks = self._server_can_check()
        if joined and self._server_checks:
            # Sent with the unit's COMMIT: the chain's lock is held for the two statements
            # only. Its number is not known until then.
            self._session.send_last(_APPEND, [*params, None, None, True])
            return 0
        with self._session.connection() if joined else self._session.single() as conn:
            checked: tuple[int | None, str | None] = (None, None)
            for _ in range(_TRIES):
                last = int(conn.execute(_APPEND, [*params, *checked, False]).fetchone()[0])  # type: ignore[index]
                if last >= 0:
                    # The server could check the chain's last record; every record it
                    # writes is in that layout, so from now on it always can.
                    self._server_checks = self._server_checks or checked == (None, None)
                    return last
                # A last record the server cannot check (an older layout): checked here,
                # then named to the server, which appends if it is still the last.
                checked = self._checked_tail(conn)
        raise AuditError("the audit chain kept moving while its last record was checked")

    def _server_can_check(self) -> bool:
        """Whether the server can check the chain's last record: an append of nothing, in
        a transaction of its own. Asked before an append joins a unit of work for the first
        time, so that the chain's lock is not taken, and held, at the unit's start (while
        the unit goes on to wait on rows another appender holds: a deadlock)."""
        with self._session.pool.connection() as conn:
            row = conn.execute(_APPEND, [[], [], [], [], [], None, None, False]).fetchone()
        return row is not None and int(row[0]) >= 0

    @staticmethod
    def _checked_tail(conn: Any) -> tuple[int, str]:
        row = conn.execute("SELECT seq, hash, line FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        _quick_check(int(row[0]), str(row[1]), str(row[2]))
        return int(row[0]), str(row[1])

    def _lines(self, query: str, params: tuple[Any, ...]) -> Iterator[str]:
        with (
            self._session.pool.connection() as conn,
            conn.transaction(),
            conn.cursor(name="audit_read") as cur,
        ):
            cur.itersize = _BLOCK
            cur.execute(query, params)
            for (line,) in cur:
                yield line

    def newest(self, limit: int, who_or_what: str = "") -> list[dict[str, Any]]:
        """Up to `limit` records, newest first (see `AuditLog.newest`: by subject, actor or
        `MENTIONS`): the sequence's index walked backwards until enough match."""
        query = (  # (each line parsed once: the three tests read the same record)
            "SELECT line FROM audit, LATERAL (SELECT line::jsonb AS r) AS p "
            "WHERE %(who)s = '' OR r->>'subject' = %(who)s OR r->>'actor' = %(who)s "
            "OR r->'data'->%(many)s ? %(who)s ORDER BY seq DESC LIMIT %(limit)s"
        )
        with self._session.pool.connection() as conn:
            rows = conn.execute(
                query, {"who": who_or_what, "many": MENTIONS, "limit": limit}
            ).fetchall()
        return [json.loads(line) for (line,) in rows]

    def events(self) -> Iterator[dict[str, Any]]:
        """Every record, oldest first."""
        for line in self._lines("SELECT line FROM audit ORDER BY seq", ()):
            yield json.loads(line)

    def events_after(self, seq: int) -> list[dict[str, Any]]:
        return [
            json.loads(line)
            for line in self._lines("SELECT line FROM audit WHERE seq > %s ORDER BY seq", (seq,))
        ]

    def read(
        self, actions: Collection[str], since: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """The records of `actions`, oldest first, from `since` on (less a day, as a folder
        reads whole days)."""
        floor = since - timedelta(days=1) if since is not None else _EPOCH
        query = "SELECT line FROM audit WHERE action = ANY(%b) AND at >= %s ORDER BY seq"
        for line in self._lines(query, (list(actions), floor)):
            yield json.loads(line)

    def level_changes(self) -> list[dict[str, Any]]:
        """The crisis level changes since the latest crisis began (`crisis_window`)."""
        changes = list(self.read({Action.LEVEL_CHANGED}))
        starts = [i for i, e in enumerate(changes) if e["data"]["from"] == 0 and e["data"]["to"]]
        return changes[starts[-1] :] if starts else changes

    def verify(self, against: Checkpoint | None = None) -> VerifyResult:
        """Check the whole chain, oldest first, and that the record of `against` (a
        checkpoint) is still the one it signed; name the first bad record."""
        prev, seq = GENESIS.encode(), 0
        marks: dict[int, bytes | None] = {against.seq: None} if against else {}
        block: list[bytes] = []
        for line in self._lines("SELECT line FROM audit ORDER BY seq", ()):
            block.append(line.encode())
            if len(block) >= _BLOCK:
                bad, prev, seq = _check(block, prev, seq, marks)
                if bad:
                    return VerifyResult(False, seq, WHERE, seq + 1, bad)
                block = []
        bad, prev, seq = _check(block, prev, seq, marks)
        if bad:
            return VerifyResult(False, seq, WHERE, seq + 1, bad)
        if against is not None:
            problem = self._against(against, marks.get(against.seq))
            if problem:
                return VerifyResult(False, seq, WHERE, against.seq, problem)
        return VerifyResult(True, seq)

    def checkpoint(self) -> Checkpoint:
        """A checkpoint of the chain's last record, signed by the database's key."""
        with self._session.pool.connection() as conn:
            row = conn.execute(
                "SELECT seq, hash, line FROM audit ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            if row is None:
                raise AuditError("the audit chain is empty: nothing to checkpoint yet")
            _quick_check(int(row[0]), str(row[1]), str(row[2]))
            signed = self._signed(conn, int(row[0]))
        assert signed is not None  # the row is there, and rows are never deleted
        return Checkpoint(int(row[0]), signed[0][:32], signed[1][:32])

    def _signed(self, conn: Any, seq: int) -> tuple[str, str] | None:
        row = conn.execute("SELECT audit_checkpoint_at(%s)", (seq,)).fetchone()
        if not row or row[0] is None:
            return None
        record_hash, signature = str(row[0]).split(":")
        return record_hash, signature

    def _against(self, against: Checkpoint, seen: bytes | None) -> str:
        with self._session.pool.connection() as conn:
            signed = self._signed(conn, against.seq)
        if seen is None or signed is None:
            return f"record {against.seq} of the checkpoint is missing: the chain was cut short"
        if not signed[0].startswith(against.hash) or not seen.decode().startswith(against.hash):
            return f"record {against.seq} has changed since the checkpoint {against}"
        if signed[1][:32] != against.signature:
            return f"{against} is not a checkpoint of this chain: its signature does not match"
        return ""


def _quick_check(seq: int, record_hash: str, line: str) -> None:
    """The writer's check before it continues the chain: its last record is whole and is
    what its hash says (a changed last row is refused, not built on)."""
    try:
        record = json.loads(line)
        whole = record.get("seq") == seq and record.get("hash") == record_hash
    except ValueError:
        whole = False
    if not whole or digest(record) != record_hash:
        raise AuditError(
            f"the audit chain's last record ({seq}) does not match its hash: it was changed "
            "outside crisis-console; nothing more is appended until "
            "'crisis-console audit verify' passes"
        )


def _check(
    lines: list[bytes], prev: bytes, seq: int, marks: dict[int, bytes | None]
) -> tuple[str, bytes, int]:
    if not lines:
        return "", prev, seq
    data = b"\n".join(lines) + b"\n"
    with memoryview(data) as view:
        bad, prev, seq, _ = verify_lines(data, view, prev, seq, marks)
    return bad, prev, seq
