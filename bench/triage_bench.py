"""Triage speed against plain vaderSentiment on the same texts.

Run: python -m bench.triage_bench [--texts N]

Prints texts per second for `vaderSentiment`'s own `polarity_scores` and for the full triage
step (adjusted sentiment, urgency, category, reasons and route), and their ratio, twice: on
the whole corpus (with its retweet storms, where a repeated text, or a retweet of it, is
classified once), and on its original texts each once (where the cache cannot help).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bench.corpus import build
from crisis_console import config
from crisis_console.core.intake.ingest import mention_from_input
from crisis_console.core.models import Mention
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.triage.routing import Triager
from crisis_console.core.triage.vader import VaderScorer, reference_analyzer

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def rate(work: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    work()
    return count / (time.perf_counter() - start)


def measure(texts: list[str], label: str) -> None:
    mentions: list[Mention] = [
        mention_from_input({"id": str(i), "platform": "x", "text": t}, NOW)
        for i, t in enumerate(texts)
    ]
    analyzer = reference_analyzer()
    polarity = analyzer.polarity_scores  # type: ignore[attr-defined]
    vader_rate = rate(lambda: [polarity(t) for t in texts], len(texts))
    scorer = VaderScorer()
    fast_rate = rate(lambda: [scorer.compound(t) for t in texts], len(texts))
    triager = Triager(load_playbook(config.playbook_path(None)))  # a cold cache
    triage_rate = rate(lambda: [triager.triage(m) for m in mentions], len(mentions))
    print(f"\n{label}: {len(texts):,} texts")
    print(f"  vaderSentiment polarity_scores {vader_rate:10,.0f} /s")
    for name, value in (
        ("our VADER compound (identical)", fast_rate),
        ("full triage", triage_rate),
    ):
        print(f"  {name:<30} {value:10,.0f} /s   {value / vader_rate:5.2f}x vaderSentiment")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=12_000)
    args = parser.parse_args()
    texts = build(args.texts)
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, python {platform.python_version()}")
    measure(texts, "whole corpus (with retweet storms)")
    originals = [t for t in dict.fromkeys(texts) if not t.startswith("RT @")]
    measure(originals, "no repeats at all (each original text once, no retweets)")


if __name__ == "__main__":
    main()
