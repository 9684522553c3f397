"""Ingest throughput: triage, then the TinyDB store and the audit log.

Run: python -m bench.ingest_bench [--mentions N]
Prints rates and ratios; the ratios are what to compare across machines:
- triage vs raw VADER (the demo texts repeat, so triage's text cache helps here);
- ingest vs triage: what storage and the audit log (fsynced per batch) cost on top.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from crisis_console import config
from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.intake.ingest import Parsed, Read, read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.roster import Operator
from crisis_console.core.service import ConsoleService, IngestReport
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
BENCH_OPERATOR = Operator("bench", frozenset({Role.LEAD}))


def corpus(count: int) -> list[Parsed]:
    """The demo mentions, repeated with fresh ids up to `count`."""
    with config.demo_data_file().open("rb") as handle:
        base = [i for i in read_jsonl(handle, "demo", NOW) if isinstance(i, Parsed)]
    out = []
    for n in range(count):
        item = base[n % len(base)]
        mention = dataclasses.replace(item.mention, native_id=f"{item.mention.native_id}-{n}")
        out.append(dataclasses.replace(item, mention=mention))
    return out


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def timed_ingest(triager: Triager, records: Iterable[Read]) -> tuple[IngestReport, float]:
    """Ingest `records` into an empty temporary folder: the report and the seconds taken."""
    with tempfile.TemporaryDirectory() as tmp:
        store = TinyDBStore(Path(tmp))
        try:
            service = ConsoleService(
                store, AuditLog(Path(tmp) / AUDIT_FILE), triager, lambda: NOW, BENCH_OPERATOR
            )
            start = time.perf_counter()
            report = service.ingest(records)
            return report, time.perf_counter() - start
        finally:
            store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=5000)
    args = parser.parse_args()
    items = corpus(args.mentions)
    playbook = load_playbook(config.playbook_path(None))
    triager = Triager(playbook)
    vader = SentimentIntensityAnalyzer()

    start = time.perf_counter()
    for item in items:
        vader.polarity_scores(item.mention.text)
    vader_rate = rate(len(items), time.perf_counter() - start)

    start = time.perf_counter()
    for item in items:
        triager.triage(item.mention)
    triage_rate = rate(len(items), time.perf_counter() - start)

    report, seconds = timed_ingest(triager, items)
    ingest_rate = rate(len(items), seconds)
    assert report.new == len(items)

    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"mentions: {len(items):,}")
    print(f"raw VADER          {vader_rate:10,.0f} /s")
    print(f"triage             {triage_rate:10,.0f} /s   {triage_rate / vader_rate:.2f}x raw VADER")
    print(f"ingest (store+log) {ingest_rate:10,.0f} /s   {ingest_rate / triage_rate:.2f}x triage")


if __name__ == "__main__":
    main()
