"""`crisis-console triage -` against plain VADER on the same unseen posts, each as a whole
process (interpreter start, imports and reading the lines included), as issue 16 asks.

Run: python -m bench.triage_cli_bench [--dir ../shared/data/crisislext26] [--rounds 3]

The posts are CrisisLexT26's public tweets (MIT; see the data's README): real posts the
classifier has never seen, nearly all different from each other, so the text cache cannot
help. Plain VADER is `vaderSentiment`'s `polarity_scores` on each line's text, reading the
same JSONL; ours is the full triage (sentiment, harm, language, category, route, reasons)
writing its JSON result per line, as it runs by default on a file (one worker process a
core) and in one process (`--jobs 1`, as on a pipe). Plain VADER uses one core. Rounds
alternate the three; the best of each is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.crisislex_report import rows

PLAIN_VADER = """
import json, sys
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
score = SentimentIntensityAnalyzer().polarity_scores
for line in sys.stdin:
    print(json.dumps(score(json.loads(line)["text"])))
"""


def timed(argv: list[str], corpus: Path) -> float:
    with corpus.open("rb") as feed:
        start = time.perf_counter()
        subprocess.run(argv, stdin=feed, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, default=Path("../shared/data/crisislext26"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = list(dict.fromkeys(r["Tweet Text"] for r in rows(args.dir) if r.get("Tweet Text")))
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "posts.jsonl"
        with corpus.open("w", encoding="utf-8") as out:
            for i, text in enumerate(texts):
                out.write(json.dumps({"id": str(i), "platform": "x", "text": text}) + "\n")
        ours = [sys.executable, "-m", "crisis_console", "--data-dir", tmp, "triage", "-"]
        commands = {
            "vader": [sys.executable, "-c", PLAIN_VADER],
            "ours": ours,
            "one": [*ours[:-1], "--jobs", "1", "-"],
        }
        best = dict.fromkeys(commands, float("inf"))
        for _ in range(args.rounds):
            for name, argv in commands.items():
                best[name] = min(best[name], timed(argv, corpus))
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"{len(texts):,} distinct CrisisLexT26 posts, best of {args.rounds} rounds each")
    labels = {
        "vader": "plain vaderSentiment",
        "ours": f"triage - ({os.cpu_count()} workers)",
        "one": "triage --jobs 1 -",
    }
    for name, label in labels.items():
        seconds = best[name]
        print(f"  {label:<26} {seconds:6.2f} s  {len(texts) / seconds:8,.0f} posts/s")
    for name in ("ours", "one"):
        ratio = best["vader"] / best[name]
        print(f"  {labels[name]} ÷ plain VADER (speed)  {ratio:.2f}x  (goal >= 1.0x)")


if __name__ == "__main__":
    main()
