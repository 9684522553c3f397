"""Team mode at several store sizes: the crisis corpus ingested through the real path into a
PostgreSQL team database, then what operators do there, and how soon another process sees it.

    python -m bench.team_bench [--sizes 10000,100000] [--dsn postgresql://postgres@127.0.0.1/test]

Each size gets a schema of its own in the database (dropped afterwards). Measured: ingest
rate; a claim (median, p99) from a second process's service while the first holds the lead;
an inbox page; the delay from one service's claim to another's change feed; a tick a minute
on, per item due. Each figure per size, and its growth from the smallest to the largest.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from bench.crisis_bench import BenchClock, pct, say
from bench.crisis_corpus import write_corpus
from bench.machine import machine, revision
from crisis_console import config
from crisis_console.cli import open_service
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.connection import connect, named
from crisis_console.core.store.postgres.roster import seed_lead
from crisis_console.core.triage.routing import Triager

FIGURES: dict[str, dict[int, float]] = {}
LABELS = {
    "ingest": ("ingest with triage, whole build", "/s"),
    "claim_p50": ("claim from a second process, median of 200", "ms"),
    "claim_p99": ("claim from a second process, p99 of 200", "ms"),
    "page": ("inbox first page (50 rows, status open), median of 20", "ms"),
    "feed": ("a claim, until another process's feed has it, median of 20", "ms"),
    "tick_item": ("tick a minute on, cost per item due", "ms"),
}


def put(key: str, size: int, value: float) -> None:
    FIGURES.setdefault(key, {})[size] = value
    say(f"  {LABELS[key][0]}: {value:,.2f} {LABELS[key][1]}")


def one_size(size: int, dsn: str, tmp: Path) -> None:
    say(f"\n== {size:,} mentions ==")
    schema = f"bench_team_{uuid.uuid4().hex[:8]}"
    with connect(dsn, autocommit=True) as conn:
        conn.execute(named("CREATE SCHEMA {s}", s=schema))
    joiner = "&" if "?" in dsn else "?"
    team = f"{dsn}{joiner}options={quote(f'-csearch_path={schema}')}"
    try:
        with connect(team) as conn:
            migrations.migrate(conn)
            seed_lead(conn)
        measure(size, team, tmp)
    finally:
        with connect(dsn, autocommit=True) as conn:
            conn.execute(named("DROP SCHEMA {s} CASCADE", s=schema))


def measure(size: int, team: str, tmp: Path) -> None:
    playbook = load_playbook(config.playbook_path(None, folder=tmp))
    clock = BenchClock()
    corpus = tmp / f"corpus-{size}.jsonl"
    write_corpus(corpus, size, 0.2, clock(), Triager(playbook))
    with (
        open_service(tmp / "a", playbook, clock, db=team) as lead,
        open_service(tmp / "b", playbook, clock, db=team) as other,
    ):
        start = time.perf_counter()
        with corpus.open("rb") as lines:
            report = lead.ingest(read_jsonl(lines, str(corpus), clock()))
        put("ingest", size, report.new / (time.perf_counter() - start))
        keys = [r.key for r in other.inbox_page(InboxFilter(status="all"), 0, 400).rows]
        took = []
        for key in keys[:200]:
            t = time.perf_counter()
            other.claims.claim(key)
            took.append((time.perf_counter() - t) * 1000)
        put("claim_p50", size, statistics.median(took))
        put("claim_p99", size, pct(took, 0.99))
        pages = []
        for _ in range(20):
            t = time.perf_counter()
            lead.inbox_page(InboxFilter(), 0, 50)
            pages.append((time.perf_counter() - t) * 1000)
        put("page", size, statistics.median(pages))
        put("feed", size, feed_delay(lead, other, keys[200:220]))
        clock.advance(60)
        lead.timers.tick_all()  # the backlog of an hour away, then one minute's worth
        clock.advance(1)
        due = len(lead._store.due.due(clock()))
        t = time.perf_counter()
        lead.timers.tick()
        put("tick_item", size, (time.perf_counter() - t) * 1000 / max(due, 1))


def feed_delay(watcher: object, actor: object, keys: list[str]) -> float:
    """Median ms from `actor`'s claim returning to `watcher`'s feed yielding."""
    stop, seen = threading.Event(), threading.Event()

    def listen() -> None:
        for _ in watcher.changes(stop):  # type: ignore[attr-defined]
            seen.set()

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(1)  # LISTEN is in place
    delays = []
    for key in keys:
        seen.clear()
        actor.claims.claim(key)  # type: ignore[attr-defined]
        t = time.perf_counter()
        if seen.wait(5):
            delays.append((time.perf_counter() - t) * 1000)
    stop.set()
    listener.join(2)
    return statistics.median(delays) if delays else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    say(f"team_bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; code {revision()}")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="team-bench-") as tmp:
            one_size(size, args.dsn, Path(tmp))
    small, large = sizes[0], sizes[-1]
    say(f"\n{'measure':<62} {'unit':>4} " + " ".join(f"{s:>10,}" for s in sizes) + "  growth")
    for key, (label, unit) in LABELS.items():
        cells = [FIGURES.get(key, {}).get(s) for s in sizes]
        a, b = FIGURES.get(key, {}).get(small), FIGURES.get(key, {}).get(large)
        grew = "-" if not (a and b) else f"{(a / b if unit == '/s' else b / a):.2f}x"
        values = " ".join(f"{v:>10,.2f}" if v is not None else f"{'-':>10}" for v in cells)
        say(f"{label:<62} {unit:>4} {values}  {grew}")


if __name__ == "__main__":
    main()
