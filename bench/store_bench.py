"""The embedded store at 100,000 mentions, against stdlib sqlite3 in WAL mode doing the same
work in the same run.

Run: python -m bench.store_bench [--stored N] [--ingest N] [--claims N]

Both sides get the same pre-triaged mentions and write the same audit records (hash-chained
in Python, identically), with the same durability: TinyDB batches fsync their files and the
audit log; sqlite commits each batch with synchronous=FULL. Measured:

- ingest: mentions per second stored with their audit events, in batches of 500, into a
  store already holding N mentions;
- claim: one claim recorded (state write + audit event), median and p90 milliseconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crisis_console import config
from crisis_console.core.audit import AUDIT_FILE, AuditEvent, AuditLog, _digest
from crisis_console.core.ingest import Parsed, read_jsonl
from crisis_console.core.models import StoredMention, stored_to_record
from crisis_console.core.playbook_check import load_playbook
from crisis_console.core.routing import Triager
from crisis_console.core.state_tables import Claim
from crisis_console.core.store import TinyDBStore

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
BATCH = 500


def mentions(count: int, start: int = 0) -> Iterator[StoredMention]:
    """Triaged demo mentions with fresh ids: triage once per distinct text, then copy."""
    with config.demo_data_file().open("rb") as handle:
        base = [i.mention for i in read_jsonl(handle, "demo", NOW) if isinstance(i, Parsed)]
    triager = Triager(load_playbook(config.playbook_path(None)))
    triaged = [triager.triage(m) for m in base]
    for n in range(start, start + count):
        t = triaged[n % len(triaged)]
        mention = dataclasses.replace(t.mention, native_id=f"b{n}")
        yield StoredMention(dataclasses.replace(t, mention=mention), NOW)


def events(batch: list[StoredMention]) -> list[AuditEvent]:
    return [AuditEvent("mention.ingested", s.key, "bench", NOW, stored_to_record(s)) for s in batch]


def batches(items: Iterator[StoredMention], size: int) -> Iterator[list[StoredMention]]:
    batch: list[StoredMention] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class SqliteSide:
    """The same work in sqlite: a mentions table keyed by mention, a claims table, and the
    audit chain as rows."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE mentions (key TEXT PRIMARY KEY, doc TEXT)")
        self.db.execute("CREATE TABLE claims (key TEXT PRIMARY KEY, doc TEXT)")
        self.db.execute("CREATE TABLE audit (seq INTEGER PRIMARY KEY, hash TEXT, line TEXT)")
        self.seq, self.prev = 0, "0" * 64

    def _audit_rows(self, evs: list[AuditEvent]) -> list[tuple[int, str, str]]:
        rows = []
        for e in evs:
            self.seq += 1
            record: dict[str, object] = {
                "seq": self.seq,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "data": dict(e.data),
                "prev": self.prev,
            }
            self.prev = _digest(record)
            record["hash"] = self.prev
            rows.append((self.seq, self.prev, json.dumps(record, separators=(",", ":"))))
        return rows

    def save(self, batch: list[StoredMention]) -> None:
        rows = self._audit_rows(events(batch))
        docs = [(s.key, json.dumps(stored_to_record(s), separators=(",", ":"))) for s in batch]
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO audit VALUES (?, ?, ?)", rows)
        self.db.executemany("INSERT OR REPLACE INTO mentions VALUES (?, ?)", docs)
        self.db.execute("COMMIT")

    def claim(self, key: str) -> None:
        rows = self._audit_rows([AuditEvent("claim", key, "bench", NOW, {"expires": "x"})])
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO audit VALUES (?, ?, ?)", rows)
        self.db.execute("INSERT OR REPLACE INTO claims VALUES (?, ?)", (key, '{"holder":"bench"}'))
        self.db.execute("COMMIT")


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def ingest_tiny(store: TinyDBStore, log: AuditLog, chunks: list[list[StoredMention]]) -> None:
    for batch in chunks:
        store.save(batch, applied=log.append(events(batch)))


def ingest_sql(sql: SqliteSide, chunks: list[list[StoredMention]]) -> None:
    for batch in chunks:
        sql.save(batch)


def claim_tiny(store: TinyDBStore, log: AuditLog, key: str) -> None:
    store.state.claims.take(Claim(key, "bench", NOW, NOW + timedelta(minutes=30)))
    log.append([AuditEvent("claim", key, "bench", NOW, {"expires": "x"})])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--ingest", type=int, default=5_000)
    parser.add_argument("--claims", type=int, default=200)
    args = parser.parse_args()
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store, log = TinyDBStore(folder / "tiny"), AuditLog(folder / "tiny" / AUDIT_FILE)
        sql = SqliteSide(folder / "bench.sqlite")
        fill = time.perf_counter()
        for batch in batches(mentions(args.stored), 2_000):
            store.save(batch, applied=log.append(events(batch)))
            sql.save(batch)
        print(
            f"built both stores with {args.stored:,} mentions in {time.perf_counter() - fill:.0f} s"
        )

        fresh = list(mentions(args.ingest, start=args.stored))
        chunks = list(batches(iter(fresh), BATCH))
        tiny_s = timed(lambda: ingest_tiny(store, log, chunks))
        sql_s = timed(lambda: ingest_sql(sql, chunks))
        tiny_rate, sql_rate = len(fresh) / tiny_s, len(fresh) / sql_s
        print(f"\ningest {len(fresh):,} more (batches of {BATCH}), with the audit log")
        print(f"  TinyDB store   {tiny_rate:10,.0f} /s")
        print(f"  sqlite3 WAL    {sql_rate:10,.0f} /s")
        print(f"  ratio          {tiny_rate / sql_rate:10.2f}x sqlite   (target >= 0.5x)")

        keys = [s.key for s in fresh[: args.claims]]
        tiny_ms = [1000 * timed(functools.partial(claim_tiny, store, log, k)) for k in keys]
        sql_ms = [1000 * timed(functools.partial(sql.claim, k)) for k in keys]
        print(f"\nclaim (state write + audit event), {len(keys)} claims, {len(store):,} stored")
        print(
            f"  TinyDB store   median {statistics.median(tiny_ms):6.2f} ms   "
            f"p90 {statistics.quantiles(tiny_ms, n=10)[-1]:6.2f} ms   (target median <= 5 ms)"
        )
        print(
            f"  sqlite3 WAL    median {statistics.median(sql_ms):6.2f} ms   "
            f"p90 {statistics.quantiles(sql_ms, n=10)[-1]:6.2f} ms"
        )
        store.close()


if __name__ == "__main__":
    main()
