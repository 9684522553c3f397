"""The semantic second opinion (issue 16): how fast it judges, in batches, and the second
pass through the real path at several store sizes.

    python -m bench.semantic_bench [--sizes 2000,10000] [--dir ../shared/data/crisislext26]

1. The model alone on real, unseen posts: CrisisLexT26's tweets (MIT), each once,
   in the pass's batches, as posts a second; and a post at a time, as a stream would.
2. The pass as users meet it: the crisis corpus (one post in five a harm) ingested with
   triage into a TinyDB folder with the second opinion on, then the queue drained
   (`SecondOpinion.drain`): posts judged a second, how many raised, and the cost per post
   at each size (a per-post cost that grows with the store is a bug).
Goal: at least 100 posts a second on two cores (a crisis peak).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.crisis_corpus import write_corpus
from bench.crisislex_report import rows
from bench.machine import machine, revision
from bench.measure import BenchClock
from crisis_console import config
from crisis_console.cli import open_service
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.triage.embedding import BATCH
from crisis_console.core.triage.routing import Triager
from crisis_console.core.triage.semantic import SemanticJudge


def model_rates(judge: SemanticJudge, folder: Path, count: int = 2_000) -> None:
    texts = list(dict.fromkeys(r["Tweet Text"] for r in rows(folder)))[:count]
    start = time.perf_counter()
    judge.opinions(texts)
    batch = time.perf_counter() - start
    judge._memo.clear()
    one = texts[:200]
    start = time.perf_counter()
    for text in one:
        judge.opinions([text])
    single = time.perf_counter() - start
    judge._memo.clear()
    print(f"model on {len(texts):,} distinct CrisisLexT26 tweets, batches of {BATCH}: "
          f"{len(texts) / batch:,.0f} posts/s; one at a time: {len(one) / single:,.0f} posts/s "
          f"(batch ÷ one: {single / len(one) / (batch / len(texts)):.1f}x)")  # fmt: skip


def second_pass(judge: SemanticJudge, size: int, tmp: Path) -> float:
    """Ingest `size` crisis posts with the second opinion on, then drain it; ms per post."""
    clock = BenchClock()
    playbook = load_playbook(config.playbook_path(None, folder=tmp))
    corpus = tmp / f"corpus-{size}.jsonl"
    write_corpus(corpus, size, 0.2, clock(), Triager(playbook))
    with open_service(tmp / f"s{size}", playbook, clock, second_opinion=lambda: judge) as lead:
        start = time.perf_counter()
        with corpus.open("rb") as feed:
            report = lead.ingest(read_jsonl(feed, str(corpus), clock()))
        ingest = time.perf_counter() - start
        queued = lead.second_opinion.progress().pending
        start = time.perf_counter()
        done = lead.second_opinion.drain()
        took = time.perf_counter() - start
    print(f"{size:>9,}: ingest {report.new / ingest:,.0f} /s; second pass over {queued:,} "
          f"unescalated posts in {took:.1f} s: {queued / took:,.0f} posts/s, "
          f"{done.raised:,} raised, {took / max(queued, 1) * 1000:.2f} ms a post")  # fmt: skip
    return took / max(queued, 1) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,10000")
    parser.add_argument("--dir", type=Path, default=Path("../shared/data/crisislext26"))
    args = parser.parse_args()
    print(f"semantic_bench {datetime.now(UTC):%F %H:%M} UTC; {machine()}; code {revision()}")
    start = time.perf_counter()
    judge = SemanticJudge()
    print(f"model load: {time.perf_counter() - start:.1f} s")
    model_rates(judge, args.dir)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        costs = [second_pass(judge, size, Path(tmp)) for size in sizes]
    if len(costs) > 1:
        print(f"cost per post, largest ÷ smallest size: {costs[-1] / costs[0]:.2f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
