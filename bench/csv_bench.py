"""CSV import: reading a Brandwatch-shaped export against reading the same mentions as JSONL.

Run: python -m bench.csv_bench [--mentions N]
Prints rates and the ratio CSV ÷ JSONL for reading alone (header search, delimiter sniffing,
column lookup, date and count parsing), then the full import of the CSV (triage, store,
audit) into an empty temporary folder.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import platform
import time

from bench.ingest_bench import NOW, corpus, rate, timed_ingest
from crisis_console import config
from crisis_console.core.intake.csv_ingest import open_csv
from crisis_console.core.intake.ingest import Parsed, read_jsonl
from crisis_console.core.models import Mention
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.triage.routing import Triager

HEADER = ["Date", "Url", "Page Type", "Author", "Full Name", "Full Text"]
HEADER += ["Twitter Followers", "Twitter Verified", "Likes", "Resource Id"]


def as_csv(mentions: list[Mention]) -> bytes:
    out = io.StringIO(newline="")
    out.write("Report:,Mentions export\r\nBrand:,Acme\r\n\r\n")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for n, m in enumerate(mentions):
        text = m.text + ("\nsecond line, with a comma" if n % 10 == 0 else "")
        writer.writerow(
            [m.created_at.strftime("%Y-%m-%d %H:%M:%S.0"), m.url, m.platform.value, m.author]
            + [m.author_name, text, f"{m.followers:,}", str(m.verified).lower()]
            + [m.engagement.likes, m.native_id]
        )
    return b"\xef\xbb\xbf" + out.getvalue().encode()


def as_jsonl(mentions: list[Mention]) -> bytes:
    lines = (
        json.dumps(
            {
                "id": m.native_id,
                "platform": m.platform.value,
                "text": m.text,
                "created_at": m.created_at.isoformat(),
                "author": m.author,
                "author_name": m.author_name,
                "followers": m.followers,
                "verified": m.verified,
                "url": m.url,
                "engagement": {"likes": m.engagement.likes},
            }
        )
        for m in mentions
    )
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=50_000)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the demo's harm alarms, once per repeated post
    mentions = [p.mention for p in corpus(args.mentions)]
    csv_bytes, jsonl_bytes = as_csv(mentions), as_jsonl(mentions)

    start = time.perf_counter()
    jsonl_good = sum(isinstance(r, Parsed) for r in read_jsonl(io.BytesIO(jsonl_bytes), "j", NOW))
    jsonl_rate = rate(jsonl_good, time.perf_counter() - start)

    start = time.perf_counter()
    table = open_csv(io.BytesIO(csv_bytes), "c")
    csv_good = sum(isinstance(r, Parsed) for r in table.records(NOW))
    csv_rate = rate(csv_good, time.perf_counter() - start)
    assert csv_good == jsonl_good == len(mentions), (csv_good, jsonl_good)

    triager = Triager(load_playbook(config.playbook_path(None)))
    records = open_csv(io.BytesIO(csv_bytes), "c").records(NOW)
    report, seconds = timed_ingest(triager, records)
    import_rate = rate(report.new, seconds)
    assert report.new == len(mentions) and not report.problems

    machine = platform.processor() or platform.machine()
    print(f"{machine}, {os.cpu_count()} cores, N = {len(mentions):,}")
    print(f"{table.layout.describe()}")
    print(f"read JSONL            {jsonl_rate:>10,.0f} /s")
    print(f"read CSV              {csv_rate:>10,.0f} /s   {csv_rate / jsonl_rate:.2f}× JSONL")
    print(f"import CSV (stored)   {import_rate:>10,.0f} /s   {import_rate / csv_rate:.2f}× reading")


if __name__ == "__main__":
    main()
