"""Verifying the audit log, against hashing the same bytes raw with SHA-256.

Run: python -m bench.audit_bench [--events N] [--repeat R] [--no-legacy]

Writes N `mention.ingested` events (default 200,000) through `AuditLog.append`, in batches of
500, each carrying the whole stored mention as the ingest does (`service._stored_event`:
triaged demo mentions with fresh ids, about 1.3 KB a record), rotating at the usual size.
Then, best of R runs each:

- raw: read every audit file a block at a time and SHA-256 it, the floor for any check that
  reads and hashes every byte;
- verify: `AuditLog.verify()` on that log, records in the canonical layout;
- verify, legacy: the same records rewritten in the layout used before it (fields in
  insertion order, `hash` last), as in a log written by an earlier version: every line is
  parsed and re-serialised.

The ratio verify / raw is what to compare across machines (target: at most about 3x).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from crisis_console import config
from crisis_console.core.archive.audit import AUDIT_FILE, AuditEvent, AuditLog
from crisis_console.core.intake.ingest import Parsed, read_jsonl
from crisis_console.core.models import StoredMention, stored_to_record
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.triage.routing import Triager

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
BATCH = 500
BLOCKS = (256 * 1024, 1024 * 1024)  # raw gets the faster of two block sizes
LEGACY_ORDER = ("seq", "at", "actor", "action", "subject", "data", "prev", "hash")


def stored_events(count: int) -> Iterator[list[AuditEvent]]:
    """Batches of ingest events: triaged demo mentions (triaged once per text), fresh ids."""
    with config.demo_data_file().open("rb") as handle:
        base = [i for i in read_jsonl(handle, "demo", NOW) if isinstance(i, Parsed)]
    triager = Triager(load_playbook(config.playbook_path(None)))
    triaged = [(item, triager.triage(item.mention)) for item in base]
    batch: list[AuditEvent] = []
    for n in range(count):
        item, t = triaged[n % len(triaged)]
        mention = dataclasses.replace(t.mention, native_id=f"{t.mention.native_id}-{n}")
        stored = StoredMention(dataclasses.replace(t, mention=mention), NOW)
        data = {"source": f"{item.source}:{n + 1}", **stored_to_record(stored)}
        batch.append(AuditEvent("mention.ingested", stored.key, "bench", NOW, data))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def raw_sha256(files: list[Path], block: int) -> None:
    for file in files:
        hasher = hashlib.sha256()
        with file.open("rb") as handle:
            while chunk := handle.read(block):
                hasher.update(chunk)
        hasher.hexdigest()


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def to_legacy(files: list[Path]) -> None:
    """Rewrite every record in the layout used before the canonical one."""
    for file in files:
        lines = []
        for line in file.read_bytes().splitlines():
            record = json.loads(line)
            legacy = {k: record[k] for k in LEGACY_ORDER}
            lines.append(json.dumps(legacy, ensure_ascii=False, separators=(",", ":")))
        file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-legacy", action="store_true", help="skip the legacy layout")
    args = parser.parse_args()
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / AUDIT_FILE
        log = AuditLog(path)
        start = time.perf_counter()
        for batch in stored_events(args.events):
            log.append(batch)
        written = time.perf_counter() - start
        files = log.files()
        size = sum(f.stat().st_size for f in files)
        print(
            f"events: {args.events:,} in {len(files)} file(s), {size / 1e6:,.1f} MB "
            f"({size / max(args.events, 1):,.0f} bytes a record); "
            f"appended in {written:.1f} s"
        )
        raw = min(best(args.repeat, functools.partial(raw_sha256, files, b)) for b in BLOCKS)
        result = AuditLog(path, repair=False).verify()
        assert result.ok and result.events == args.events, result.describe()
        verify = best(args.repeat, AuditLog(path, repair=False).verify)
        print(f"raw sha256 (read + hash)   {raw:7.3f} s   {size / raw / 1e6:7,.0f} MB/s")
        print(f"verify                     {verify:7.3f} s   {verify / raw:7.2f}x raw")
        if not args.no_legacy:
            to_legacy(files)
            result = AuditLog(path, repair=False).verify()
            assert result.ok and result.events == args.events, result.describe()
            legacy = best(max(1, args.repeat - 1), AuditLog(path, repair=False).verify)
            print(f"verify, legacy layout      {legacy:7.3f} s   {legacy / raw:7.2f}x raw")


if __name__ == "__main__":
    main()
