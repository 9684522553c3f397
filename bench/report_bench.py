"""Report figures and renderings at scale: N stored mentions over 30 days, a reply to one in
three, an approval event for half of those, a harm alarm for one in fifty.

Run: python -m bench.report_bench [--mentions N]
Prints the time of each step and, to compare across machines, each as a ratio of one plain
pass over the mentions (counting negatives), measured in the same run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import platform
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.ingest_bench import corpus
from crisis_console import config
from crisis_console.core.crisis_state import Alarm
from crisis_console.core.incident import build_incident
from crisis_console.core.models import SentimentLabel, StoredMention
from crisis_console.core.playbook_check import load_playbook
from crisis_console.core.reply_model import SENT, Reply
from crisis_console.core.report import build_report
from crisis_console.core.routing import Triager
from crisis_console.report_formats import report_dict, report_text
from crisis_console.report_html import incident_html, report_html

END = datetime(2026, 3, 31, tzinfo=UTC)
START = END - timedelta(days=30)


def world(
    count: int,
) -> tuple[list[StoredMention], list[Reply], list[dict[str, object]], list[Alarm]]:
    playbook = load_playbook(config.playbook_path(None))
    triager = Triager(playbook)
    step = timedelta(days=30) / count
    stored: list[StoredMention] = []
    replies: list[Reply] = []
    events: list[dict[str, Any]] = []
    alarms: list[Alarm] = []
    for n, parsed in enumerate(corpus(count)):
        posted = START + n * step
        mention = dataclasses.replace(parsed.mention, created_at=posted)
        s = StoredMention(triager.triage(mention), posted)
        stored.append(s)
        if n % 3 == 0:
            sent = posted + timedelta(minutes=5 + n % 240)
            replies.append(
                Reply(
                    f"r{n}",
                    s.key,
                    "delivery-delay",
                    "",
                    {},
                    "text",
                    f"op{n % 7}",
                    SENT,
                    posted,
                    sent_by=f"op{n % 7}",
                    sent_at=sent,
                )
            )
            if n % 6 == 0:
                events.append(
                    {
                        "action": "draft",
                        "at": posted.isoformat(),
                        "actor": "op1",
                        "subject": s.key,
                        "data": {"reply": f"r{n}"},
                    }
                )
                events.append(
                    {
                        "action": "approval",
                        "at": sent.isoformat(),
                        "actor": "lee",
                        "subject": s.key,
                        "data": {"reply": f"r{n}"},
                    }
                )
        if n % 50 == 0:
            alarms.append(
                Alarm(
                    s.key,
                    "summary",
                    posted,
                    posted + timedelta(minutes=5),
                    1,
                    "lee",
                    posted + timedelta(minutes=n % 13),
                )
            )
    return stored, replies, events, alarms


def timed(step: object) -> float:
    start = time.perf_counter()
    step()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=100_000)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    stored, replies, events, alarms = world(args.mentions)
    playbook = load_playbook(config.playbook_path(None))
    baseline = timed(
        lambda: sum(
            m.triage.classification.sentiment.label is SentimentLabel.NEGATIVE for m in stored
        )
    )
    report = build_report(stored, replies, events, alarms, START, END)
    steps = {
        "report figures": lambda: build_report(stored, replies, events, alarms, START, END),
        "incident timeline": lambda: build_incident(stored, replies, events, playbook, START, END),
        "text": lambda: report_text(report),
        "json": lambda: json.dumps(report_dict(report)),
        "html (4 charts)": lambda: report_html(report, END),
        "incident html": lambda: incident_html(
            build_incident(stored, replies, events, playbook, START, END), END
        ),
    }
    machine = platform.processor() or platform.machine()
    print(
        f"{machine}, {os.cpu_count()} cores, N = {len(stored):,} mentions, "
        f"{len(replies):,} replies, {len(alarms):,} alarms"
    )
    print(f"{'one pass over the mentions':<28} {baseline * 1000:>9.1f} ms   1.0×")
    for name, step in steps.items():
        seconds = timed(step)
        print(f"{name:<28} {seconds * 1000:>9.1f} ms   {seconds / baseline:,.1f}×")


if __name__ == "__main__":
    main()
