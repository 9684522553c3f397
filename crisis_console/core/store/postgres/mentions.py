"""Mentions on PostgreSQL (team mode, in progress): the mention part of the store's contract
(`store/contract.py`) on the `mentions` table of migration 0001.

Each mention is one row: its whole stored record as JSON, beside the columns the inbox sorts
and filters on. A batch is saved in one transaction, an upsert per mention keyed by the
mention's key, so two processes saving the same mention leave one row. The inbox is
`postgres/inbox.py`; the rest of the store, `postgres/store.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from crisis_console.core.archive.audit_verify import canonical_json, json_object
from crisis_console.core.models import StoredMention, stored_from_record, stored_to_record
from crisis_console.core.store.contract import Encoded, stored_fingerprint
from crisis_console.core.store.inbox import SEARCH_CHARS, URGENCY_RANK, searchable
from crisis_console.core.store.postgres.connection import Jsonb, autocommit
from crisis_console.core.store.postgres.inbox import PgInbox
from crisis_console.core.store.postgres.session import PgSession

# A mention event logged this long ago and still not stored was left by a writer that died:
# a batch goes from its audit commit to its store commit in well under a second.
STRANDED = timedelta(seconds=60)
_SIGN = 1 << 63  # fingerprints are unsigned 64-bit; bigint is signed


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= _SIGN else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


_COLUMNS = (
    ("key", "text"),
    ("platform", "text"),
    ("author_key", "text"),
    ("fingerprint", "bigint"),
    ("urgency_rank", "smallint"),
    ("deadline", "timestamptz"),
    ("created_at", "timestamptz"),
    ("ingested_at", "timestamptz"),
    ("category", "text"),
    ("queue", "text"),
    ("level_queues", "text"),
    ("deleted", "boolean"),
    ("search", "text"),
    ("record", "jsonb"),
)
_NAMES = ", ".join(c for c, _ in _COLUMNS)
# A whole batch copied into a scratch table, then one upsert from it (an upsert per row was a
# third of ingest's time). Every name here is one of this module's constants.
_STAGE = f"CREATE TEMP TABLE mentions_in ON COMMIT DROP AS SELECT {_NAMES} FROM mentions LIMIT 0"  # noqa: S608
_UPSERT = (
    f"INSERT INTO mentions ({_NAMES}) SELECT {_NAMES} FROM mentions_in "  # noqa: S608
    "ON CONFLICT (key) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c, _ in _COLUMNS[1:])
)


def _row(stored: StoredMention, encoded: Mapping[str, str] | None) -> tuple[Any, ...]:
    """The mention's row, in the order of `_COLUMNS`: its record (from `encoded`, its
    values' JSON, if the caller made them), and the columns the inbox reads (what
    `segment_index.entry` takes from a record), taken from the mention itself."""
    t = stored.triage
    m, c, route = t.mention, t.classification, t.route
    platform = m.platform.value
    record = canonical_json(stored_to_record(stored)) if encoded is None else json_object(encoded)
    return (
        m.key,
        platform,
        f"{platform}:{m.author}",
        _signed(stored_fingerprint(stored)),
        URGENCY_RANK[c.urgency.value],
        t.deadline,
        m.created_at,
        stored.ingested_at,
        c.category.value,
        route.queue.value,
        ",".join(f"{n}:{q.value}" for n, q, _ in route.levels),
        stored.deleted_at is not None,
        searchable(f"{m.text[:SEARCH_CHARS]} @{m.author} {m.author_name}"),
        Jsonb(record, dumps=_as_is),
    )


def _as_is(text: str) -> str:
    return text


class PgMentions:
    """Stored mentions in the team database, through a connection pool."""

    def __init__(self, session: PgSession) -> None:
        self._session, self._pool = session, session.pool
        self.inbox = PgInbox(session.pool)

    def save(
        self,
        items: Sequence[StoredMention],
        applied: int | None = None,
        everything: bool = False,
        encoded: Encoded | None = None,
    ) -> None:
        """Insert or replace each item by key in one transaction, and clear the marks of
        their audit events up to `applied` (`everything`: every mark up to it, recovery's).
        `encoded`: records' JSON by key, as `MentionStore.save` takes it."""
        encoded = encoded or {}
        # A key saved twice in one batch (a replay): the last wins. In key order, so that
        # two processes saving the same mentions lock their rows in one order: neither
        # waits on the other while holding what the other waits for.
        latest = sorted({i.key: i for i in items}.values(), key=lambda i: i.key)
        # The thread's unit of work if it is in one (`PgStore.together`: a batch of ingest
        # and its audit records commit as one), else a pool connection's own transaction,
        # committed at the block's end. Never `conn.transaction()`: on a unit's connection
        # with nothing sent yet it would BEGIN and COMMIT on its own, outside the unit.
        with self._session.connection() as conn, conn.cursor() as cur:
            if latest:
                cur.execute(_STAGE)
                with cur.copy(f"COPY mentions_in ({_NAMES}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types([t for _, t in _COLUMNS])
                    # Each row made as it is sent: a batch's records are never all held at
                    # once (they would all outlive the collector's youngest generation).
                    for item in latest:
                        copy.write_row(_row(item, encoded.get(item.key)))
                cur.execute(_UPSERT)
            # 0: the events are appended in the caller's transaction, and left no marks.
            if applied and (latest or everything):
                keys = None if everything else [i.key for i in latest]
                cur.execute(
                    "DELETE FROM audit_unapplied WHERE seq <= %s "
                    "AND (%b::text[] IS NULL OR key = ANY(%b::text[]))",
                    (applied, keys, keys),
                )

    def get(self, key: str) -> StoredMention | None:
        found = self.get_many([key])
        return found.get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, StoredMention]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        with autocommit(self._pool) as conn:
            rows = conn.execute(
                "SELECT key, record FROM mentions WHERE key = ANY(%b)", (wanted,)
            ).fetchall()
        return {key: stored_from_record(record) for key, record in rows}

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.fingerprint(key) is not None

    def fingerprint(self, key: str) -> int | None:
        with autocommit(self._pool) as conn:
            row = conn.execute("SELECT fingerprint FROM mentions WHERE key = %s", (key,)).fetchone()
        return None if row is None else _unsigned(row[0])

    def fingerprints(self, keys: Iterable[str]) -> dict[str, int]:
        with autocommit(self._pool) as conn:
            rows = conn.execute(
                "SELECT key, fingerprint FROM mentions WHERE key = ANY(%b)", (list(set(keys)),)
            ).fetchall()
        return {key: _unsigned(print_) for key, print_ in rows}

    def author_posts(self, author_key: str) -> int:
        return self.author_counts([author_key]).get(author_key, 0)

    def author_counts(self, author_keys: Iterable[str]) -> dict[str, int]:
        with autocommit(self._pool) as conn:
            rows = conn.execute(  # kept by a trigger (migration 0004): never a count of rows
                "SELECT author_key, n FROM author_posts WHERE author_key = ANY(%b)",
                (list(set(author_keys)),),
            ).fetchall()
        return {author: int(n) for author, n in rows}

    @property
    def applied(self) -> int:
        """The sequence number before the oldest mention event a writer left unstored (for
        longer than `STRANDED` — a batch in flight in another process is not recovery's),
        or the last one logged: recovery replays what comes after it."""
        with autocommit(self._pool) as conn:
            row = conn.execute(
                "SELECT coalesce((SELECT min(seq) - 1 FROM audit_unapplied "
                "WHERE logged_at < now() - %s), (SELECT max(seq) FROM audit), 0)",
                (STRANDED,),
            ).fetchone()
        return int(row[0]) if row else 0

    def iter_all(self) -> Iterator[StoredMention]:
        """Every mention, read through a server-side cursor a thousand at a time."""
        yield from self._stream("SELECT record FROM mentions ORDER BY seq", ())

    def all(self) -> list[StoredMention]:
        return list(self.iter_all())

    def recent(self, since: datetime) -> Iterator[StoredMention]:
        yield from self._stream(
            "SELECT record FROM mentions WHERE ingested_at >= %s ORDER BY seq", (since,)
        )

    def recent_records(self, since: datetime) -> Iterator[tuple[dict[str, Any], int]]:
        """(record, fingerprint) of the mentions stored at or after `since` (reports)."""
        with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(name="mentions_rows") as cur,
        ):
            cur.itersize = 1_000
            cur.execute(
                "SELECT record, fingerprint FROM mentions WHERE ingested_at >= %s ORDER BY seq",
                (since,),
            )
            for record, print_ in cur:
                yield record, _unsigned(print_)

    def _stream(self, query: str, params: tuple[Any, ...]) -> Iterator[StoredMention]:
        with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(name="mentions_stream") as cur,
        ):
            cur.itersize = 1_000
            cur.execute(query, params)
            for (record,) in cur:
                yield stored_from_record(record)
