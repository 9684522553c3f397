"""Raw psycopg doing the floor of the same logical work as team mode, in the same run and on
the same server, for `bench.team_bench`'s "ours ÷ raw" rows:

- ingest: the stored mention rows (all the columns team mode writes, the record as jsonb),
  read back out of `mentions` (not timed) and COPY'd into a scratch table with the same
  indexes, one transaction per batch of `DEFAULT_BATCH`; no triage, no audit chain;
- claim: one conditional upsert (free, expired or already mine) into a scratch claims table,
  autocommit; no audit record, no reminder, no lock;
- page: a plain indexed `SELECT record ... ORDER BY urgency_rank, deadline, seq LIMIT n`;
- feed: a plain LISTEN in another process, told by `pg_notify` in the claim's transaction.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from crisis_console.core.intake.pipeline import DEFAULT_BATCH
from crisis_console.core.store.postgres.mentions import _COLUMNS

NAMES = ", ".join(c for c, _ in _COLUMNS)
SCRATCH = (
    "CREATE TABLE raw_mentions (LIKE mentions INCLUDING DEFAULTS INCLUDING IDENTITY "
    "INCLUDING INDEXES)",
    "CREATE TABLE raw_claims (key text PRIMARY KEY, holder text NOT NULL, "
    "since timestamptz NOT NULL, expires timestamptz NOT NULL)",
)
DROP = "DROP TABLE IF EXISTS raw_mentions, raw_claims"
CLAIM = (
    "INSERT INTO raw_claims (key, holder, since, expires) "
    "SELECT key, %(me)s, now(), now() + interval '30 minutes' FROM mentions WHERE key = %(key)s "
    "ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, since = EXCLUDED.since, "
    "expires = EXCLUDED.expires "
    "WHERE raw_claims.expires <= EXCLUDED.since OR raw_claims.holder = EXCLUDED.holder "
    "RETURNING key"
)
CHANNEL = "bench_raw_feed"
PAGE = "SELECT record FROM mentions ORDER BY urgency_rank, deadline, seq LIMIT %s"
FILTERED = (
    "SELECT record FROM mentions WHERE urgency_rank = %s "
    "ORDER BY urgency_rank, deadline, seq LIMIT %s"
)


def scratch(dsn: str) -> None:
    """The scratch tables, new (a kept schema may hold a crashed run's)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DROP)
        for statement in SCRATCH:
            conn.execute(statement)


def drop_scratch(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DROP)


def ingest(dsn: str) -> float:
    """Mentions a second: every stored row copied into `raw_mentions`, a batch a commit;
    only the writing is timed."""
    types = [t for _, t in _COLUMNS]
    record = [c for c, _ in _COLUMNS].index("record")
    took, count = 0.0, 0
    with (
        psycopg.connect(dsn) as read,
        psycopg.connect(dsn) as write,
        read.cursor(name="raw_rows") as rows,
    ):
        rows.itersize = DEFAULT_BATCH
        rows.execute(f"SELECT {NAMES} FROM mentions ORDER BY seq")  # noqa: S608
        while batch := rows.fetchmany(DEFAULT_BATCH):
            start = time.perf_counter()
            with (
                write.cursor() as cur,
                cur.copy(f"COPY raw_mentions ({NAMES}) FROM STDIN (FORMAT BINARY)") as copy,
            ):
                copy.set_types(types)
                for row in batch:
                    values = list(row)
                    values[record] = Jsonb(values[record])
                    copy.write_row(values)
            write.commit()
            took += time.perf_counter() - start
            count += len(batch)
    return count / took if took else float("nan")


def claim(conn: psycopg.Connection[Any], key: str, me: str, notify: bool = False) -> bool:
    """One raw claim (with `notify`: and a NOTIFY in its transaction); whether it was had."""
    with conn.transaction():
        got = conn.execute(CLAIM, {"me": me, "key": key}).fetchone()
        if notify:
            conn.execute("SELECT pg_notify(%s, 'raw_claims')", (CHANNEL,))
    return got is not None


def claims(dsn: str, keys: list[str], me: str = "raw") -> list[float]:
    """Each key claimed in turn on one connection: the time of each, in ms."""
    took = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for key in keys:
            start = time.perf_counter()
            claim(conn, key, me)
            took.append((time.perf_counter() - start) * 1000)
    return took


def pages(
    dsn: str, size: int = 50, filtered_size: int = 100, runs: int = 20
) -> tuple[float, float]:
    """(median ms of the plain first page of `size`, median ms of a page of `filtered_size`
    (the console's) filtered by urgency, over the four urgencies in turn)."""
    plain, filtered = [], []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for n in range(runs):
            start = time.perf_counter()
            conn.execute(PAGE, (size,)).fetchall()
            plain.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            conn.execute(FILTERED, (n % 4, filtered_size)).fetchall()
            filtered.append((time.perf_counter() - start) * 1000)
    return statistics.median(plain), statistics.median(filtered)
