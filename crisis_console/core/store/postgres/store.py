"""The whole store on PostgreSQL (team mode): mentions and their inbox (`mentions.py`,
`inbox.py`), the typed state repositories over the `state` table (`state.py`), what comes
due and the volume counts (`timing.py`), behind the contract of `store/contract.py`.

Many processes open the same database at once: nothing is cached between calls that another
process could change, and every conditional write is atomic in the database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from crisis_console.core.models import StoredMention
from crisis_console.core.store import segment_index
from crisis_console.core.store.contract import Encoded
from crisis_console.core.store.postgres.connection import (
    Connection,
    DriverError,
    dedicated,
    named,
)
from crisis_console.core.store.postgres.mentions import PgMentions
from crisis_console.core.store.postgres.session import PgSession
from crisis_console.core.store.postgres.state import PgTables
from crisis_console.core.store.postgres.threads import PgThreads
from crisis_console.core.store.postgres.timing import PgDueIndex, PgPendingAlarms, PgVolumeCounts
from crisis_console.core.store.state_tables import StateStore

CHANGE_WINDOW = 0.3  # seconds of changes gathered into one reload of a console
# Each key through the primary key (see `state._GET_MANY`): never a walk of the open inbox
# by deadline, which a planner may prefer for `deadline <= now` when it misjudges the rows.
# A closed mention's clock has stopped; one moved to a queue is that queue's (migration 0011).
_OVERDUE = (
    "SELECT m.key, coalesce(m.assigned_queue, m.queue), m.deadline "
    "FROM unnest(%b::text[]) AS k (key), LATERAL "
    "(SELECT key, queue, assigned_queue, deadline FROM mentions WHERE key = k.key "
    "AND deadline <= %s AND NOT deleted AND NOT answered AND NOT closed OFFSET 0) AS m"
)
LEADER_LOCK = 72_026_114  # advisory lock key (with the schema's): who runs the timers


class PgStore:
    """See the module docstring. `close` closes the pool."""

    read_only = False
    shared = True
    atomic = True  # `together` is a transaction

    def __init__(self, session: PgSession, dsn: str) -> None:
        self.session, self._dsn = session, dsn
        self._leader: Connection | None = None  # holds the leader lock while it lives
        self._leading = False
        self._mentions = PgMentions(session)
        self.inbox = self._mentions.inbox
        self.state = StateStore.over(PgTables(session))
        self.due = PgDueIndex(session)
        self.pending_alarms = PgPendingAlarms(session)
        self.volume = PgVolumeCounts(session)
        self.threads = PgThreads(session)  # the mentions' own in_reply_to (migration 0012)

    def get(self, key: str) -> StoredMention | None:
        return self._mentions.get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, StoredMention]:
        return self._mentions.get_many(keys)

    def __contains__(self, key: object) -> bool:
        return key in self._mentions

    def overdue_among(self, keys: Iterable[str], now: datetime) -> dict[str, tuple[str, datetime]]:
        """One indexed read of three columns (`answered` is kept by migration 0006's
        trigger): no record is decoded."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        with self.session.single() as conn:
            rows = conn.execute(_OVERDUE, (wanted, now)).fetchall()
        return {key: (queue, deadline) for key, queue, deadline in rows}

    def fingerprint(self, key: str) -> int | None:
        return self._mentions.fingerprint(key)

    def fingerprints(self, keys: Iterable[str]) -> dict[str, int]:
        return self._mentions.fingerprints(keys)

    @contextmanager
    def together(self) -> Iterator[None]:
        """One transaction for the block on this thread, the audit's appends joined to it
        and sent with its COMMIT (`PgSession.journaled`): one commit for a whole batch of
        ingest instead of one for each of its writes."""
        with self.session.unit(), self.session.journaled():
            yield

    def save(
        self,
        items: Sequence[StoredMention],
        applied: int | None = None,
        encoded: Encoded | None = None,
    ) -> None:
        self._mentions.save(items, applied, encoded=encoded)

    def replay(self, items: Sequence[StoredMention], applied: int) -> None:
        """Store what the audit log holds past the store's mark (any process's), and clear
        every mark up to `applied`."""
        self._mentions.save(items, applied, everything=True)

    def all(self) -> list[StoredMention]:
        return self._mentions.all()

    def iter_all(self) -> Iterator[StoredMention]:
        return self._mentions.iter_all()

    def recent(self, since: datetime) -> Iterator[StoredMention]:
        return self._mentions.recent(since)

    def recent_rows(self, since: datetime) -> Iterator[Sequence[Any]]:
        for record, print_ in self._mentions.recent_records(since):
            yield segment_index.entry(record, print_)

    def author_posts(self, author_key: str) -> int:
        return self._mentions.author_posts(author_key)

    def author_counts(self, author_keys: Iterable[str]) -> dict[str, int]:
        return self._mentions.author_counts(author_keys)

    @property
    def applied(self) -> int:
        return self._mentions.applied

    def is_leader(self) -> bool:
        """Whether this process holds the leader lock: a session-level advisory lock on a
        connection of its own, tried again on each call until it is had. When the leader
        dies, its connection closes, the server releases the lock, and the next process to
        ask takes over."""
        try:
            if self._leader is None:
                self._leader = dedicated(self._dsn)
            if self._leading:  # held while the connection lives: check that it does
                self._leader.execute("SELECT 1")
                return True
            row = self._leader.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(current_schema()))", (LEADER_LOCK,)
            )
            got = row.fetchone()
        except DriverError:
            self._drop_leader()  # a broken connection holds nothing: ask again next time
            return False
        self._leading = bool(got and got[0])
        return self._leading

    def changes(self, stop: threading.Event, window: float = CHANGE_WINDOW) -> Iterator[set[str]]:
        """The tables other processes (and this one) changed, a set per `window` seconds in
        which anything changed, until `stop` is set: LISTEN on the schema's channel
        (migration 0003), on a connection of its own."""
        conn = dedicated(self._dsn)
        try:
            row = conn.execute("SELECT current_schema()").fetchone()
            conn.execute(
                named("LISTEN {channel}", channel=f"crisis_console_{row[0] if row else ''}")
            )
            while not stop.is_set():
                changed = {n.payload for n in conn.notifies(timeout=window)}
                if changed:
                    yield changed
        finally:
            conn.close()

    def _drop_leader(self) -> None:
        if self._leader is not None:
            self._leader.close()
        self._leader, self._leading = None, False

    def close(self) -> None:
        self._drop_leader()
        self.session.pool.close()
