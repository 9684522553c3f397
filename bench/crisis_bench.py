"""What operators do, at several store sizes, through the real path: a data folder set up as
the demo does, `cli.open_service`, `service.ingest` of a JSONL file (triage, alarms, due
reminders), claims, replies, alarm acknowledgements, a level change, timer ticks, and the
one-shot CLI commands as subprocesses; beside a sqlite3 WAL pipeline doing the same logical
work in the same run (`SqliteReference`, in `bench/crisis_corpus.py` with the corpus).

Run: python -m bench.crisis_bench [--sizes 10000,100000] [--harm 0.2] [--out FILE]

Growth is the cost at the largest size over the cost at the smallest (for a rate, the
smallest size's rate over the largest's); a per-operation cost growing more than 2x is
flagged GROWS.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from bench.crisis_corpus import SqliteReference, write_corpus
from bench.machine import machine, peak_mb, revision
from bench.measure import BenchClock, pct, timed_ms
from crisis_console import config
from crisis_console.cli import open_service
from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Category, Role
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.roster import TEAM_FILE, write_roster
from crisis_console.core.service import ConsoleService, IngestReport
from crisis_console.core.triage.routing import Triager

CLI = str(Path(sys.executable).with_name("crisis-console"))
LAST = 5_000
SYNC = "FULL"  # sqlite's synchronous setting: an fsync per commit, like the store's batches
SQL = "sqlite3 WAL (synchronous=FULL) doing the same work"
ROWS = {  # key: (section, label, unit, expect); a unit of ms or /s is a cost that may GROW
    "ingest": ("ingest (service.ingest of the JSONL file)", "whole build", "/s", "flat"),
    "ingest_last": ("", f"last {LAST:,} mentions (all, if fewer)", "/s", "flat"),
    "escalated": ("", "escalated share (alarms / mentions)", "%", "flat"),
    "claim_p50": ("operations in a running service", "claim, median of 200 keys", "ms", "flat"),
    "claim_p99": ("", "claim, p99 of 200", "ms", "flat"),
    "send_p50": ("", "send a reply (claim + send), median of 20", "ms", "flat"),
    "ack_p50": ("", "acknowledge an alarm, median of 20", "ms", "flat"),
    "level": ("", "level change to 2 (every mention re-routed)", "ms", "flat"),
    "tick_backlog": ("", "ticks after +60 min, the whole backlog", "ms", "N"),
    "tick_chunk": ("", "the longest chunk of it (the lock held)", "ms", "flat"),
    "tick_p50": ("", "tick, clock +1 min each, median of 5", "ms", "flat"),
    "tick_max": ("", "tick, clock +1 min each, max of 5", "ms", "flat"),
    "tick_due": ("", "  items due at each of those ticks, median", "items", "N"),
    "tick_per_item": ("", "  their cost per item due", "ms", "flat"),
    "tick_idle": ("", "tick with nothing new due, median of 5", "ms", "flat"),
    "cli_version": ("one-shot CLI (subprocess, median)", "crisis-console --version", "ms", "flat"),
    "cli_claim": ("", "claim KEY", "ms", "flat"),
    "cli_status": ("", "crisis status", "ms", "flat"),
    "cli_report": ("", "report --from (30 days before now)", "ms", "N"),
    "cli_verify": ("", "audit verify", "ms", "N"),
    "open": ("the store and the audit log", "open_service, first after the session", "ms", "flat"),
    "open_child": ("", "open_service, the next open (in a child)", "ms", "flat"),
    "rss_base": ("", "child peak RSS (VmHWM) after imports", "MB", "flat"),
    "rss_open": ("", "child peak RSS (VmHWM) after opening", "MB", "N"),
    "audit_mb": ("", "audit log size", "MB", "N"),
    "verify": ("", "AuditLog.verify, in process", "ms", "N"),
    "sha": ("", "sha256 over the same bytes (read included)", "ms", "N"),
    "verify_ratio": ("", "verify / sha256", "x", "flat"),
    "sql_ingest": (SQL, "sqlite ingest, whole build", "/s", "flat"),
    "sql_ingest_last": ("", f"sqlite ingest, last {LAST:,}", "/s", "flat"),
    "sql_claim_p50": ("", "sqlite claim, median of 200", "ms", "flat"),
    "ratio_ingest": ("", "ingest rate: ours / sqlite (>1: ours faster)", "x", ""),
    "ratio_claim": ("", "claim median: ours / sqlite (>1: ours slower)", "x", ""),
}
VALUES: dict[str, dict[int, float]] = {key: {} for key in ROWS}
LINES: list[str] = []


def say(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


def put(key: str, size: int, value: float) -> None:
    VALUES[key][size] = value


def attempt(label: str, work: Callable[[], object]) -> None:
    """Run one measure; report its failure without stopping the others."""
    try:
        work()
    except Exception as exc:
        say(f"  ! {label} failed: {type(exc).__name__}: {exc}")


class Progress:
    """(mentions done, time) after each batch, for the whole rate and the last stretch's."""

    def __init__(self) -> None:
        self.marks = [(0, time.perf_counter())]

    def __call__(self, report: IngestReport) -> None:
        done = report.new + report.updated + report.duplicates + report.deleted + report.rejected
        self.marks.append((done, time.perf_counter()))

    def mark(self, more: int) -> None:
        self.marks.append((self.marks[-1][0] + more, time.perf_counter()))

    def put(self, prefix: str, size: int) -> None:
        (_, start), (total, end) = self.marks[0], self.marks[-1]
        put(prefix, size, total / (end - start))
        count, since = min(self.marks, key=lambda m: abs(m[0] - (total - min(LAST, total))))
        put(f"{prefix}_last", size, (total - count) / (end - since))


# --- the service --------------------------------------------------------------------------


@dataclass
class Run:
    size: int
    folder: Path
    corpus: Path
    playbook: Playbook
    clock: BenchClock
    keys: list[str]  # every mention key, shuffled: claims take the first 200


def build_and_operate(run: Run) -> None:
    size = run.size
    with open_service(run.folder, run.playbook, run.clock) as service:
        for template_id in service.replies.templates:  # the demo's lead approves them all
            service.replies.approve_template(template_id)
        progress = Progress()
        with run.corpus.open("rb") as lines:
            report = service.ingest(
                read_jsonl(lines, str(run.corpus), run.clock()), on_progress=progress
            )
        if report.new != size:
            say(f"  ! ingest: {report.summary()}, expected {size} new")
        progress.put("ingest", size)
        put("escalated", size, 100 * len(service.crisis.alarms()) / report.new)
        claims = partial(median_ms, "claim_p50", size, service.claims.claim, run.keys[:200])
        attempt("claim", lambda: put("claim_p99", size, pct(claims(), 0.99)))
        attempt("send", lambda: replies(service, run))
        alarms = [a.key for a in service.crisis.alarms(open_only=True)]
        acks = random.Random(3).sample(alarms, min(20, len(alarms)))
        attempt("ack", partial(median_ms, "ack_p50", size, service.crisis.acknowledge, acks))
        level = partial(service.crisis.set_level, 2, "bench")
        attempt("level", lambda: put("level", size, timed_ms(level)))
        attempt("tick", lambda: ticks(service, run))


def median_ms(key: str, size: int, work: Callable[[str], object], keys: list[str]) -> list[float]:
    """`work` on each key in turn; its median time is the measure `key`."""
    took = [timed_ms(partial(work, k)) for k in keys]
    put(key, size, statistics.median(took))
    return took


def replies(service: ConsoleService, run: Run) -> None:
    """Send delivery-delay to complaints and questions until 20 go out; count refusals."""
    answerable = {Category.COMPLAINT, Category.QUESTION}
    took: list[float] = []
    refused: Counter[str] = Counter()
    for key in run.keys[200:]:
        stored = service.mention(key)
        if stored is None or stored.triage.classification.category not in answerable:
            continue
        start = time.perf_counter()
        try:
            service.replies.send(key, "delivery-delay", {"new_date": "Thursday"})
            took.append((time.perf_counter() - start) * 1000)
        except Exception as exc:
            refused[f"{type(exc).__name__}: {exc}"[:120]] += 1
        if len(took) >= 20 or sum(refused.values()) >= 40:
            break
    for why, count in refused.most_common(3):
        say(f"  note: send refused {count}x: {why}")
    put("send_p50", run.size, statistics.median(took))


def ticks(service: ConsoleService, run: Run) -> None:
    run.clock.advance(60)  # past claim leases, alarm acks, checklist steps, many SLAs
    did: list[str] = []
    chunks = [timed_ms(lambda: did.extend(service.timers.tick()))]
    while service.timers.backlog:  # as the console and `tick` work it off: chunk by chunk
        chunks.append(timed_ms(lambda: did.extend(service.timers.tick())))
    put("tick_backlog", run.size, sum(chunks))
    put("tick_chunk", run.size, max(chunks))
    say(
        f"  the backlog took {len(chunks)} chunk(s) and did {len(did)} thing(s): "
        f"{'; '.join(did[:3])}{' ...' * (len(did) > 3)}"
    )
    steady, due = [], []
    for _ in range(5):
        run.clock.advance(1)
        due.append(len(service._store.due.due(run.clock())))  # not timed: what the tick faces
        steady.append(timed_ms(service.timers.tick))
    put("tick_p50", run.size, statistics.median(steady))
    put("tick_max", run.size, max(steady))
    put("tick_due", run.size, statistics.median(due))
    put("tick_per_item", run.size, sum(steady) / max(sum(due), 1))
    put("tick_idle", run.size, statistics.median(timed_ms(service.timers.tick) for _ in range(5)))


def reopen(run: Run) -> None:
    manager = open_service(run.folder, run.playbook, run.clock)
    put("open", run.size, timed_ms(manager.__enter__))
    manager.__exit__(None, None, None)


def open_child(folder: Path) -> None:
    """In the child process: open the folder, print peak RSS before and after, and the time."""
    playbook = load_playbook(config.playbook_path(None, folder=folder))
    before, start = peak_mb(), time.perf_counter()
    with open_service(folder, playbook, lambda: datetime.now(UTC)):
        print(before, peak_mb(), time.perf_counter() - start)


def open_in_child(run: Run) -> None:
    argv = [sys.executable, "-m", "bench.crisis_bench", "--open-child", str(run.folder)]
    before, after, took = subprocess.run(
        argv, capture_output=True, text=True, check=True
    ).stdout.split()
    put("rss_base", run.size, float(before))
    put("rss_open", run.size, float(after))
    put("open_child", run.size, float(took) * 1000)


def cli(run: Run, key: str, argvs: list[list[str]]) -> None:
    """Each command line as a subprocess in turn; the median wall time."""
    took = []
    for args in argvs:
        start = time.perf_counter()
        done = subprocess.run([CLI, "--data-dir", str(run.folder), *args], capture_output=True)
        took.append((time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip()[-300:]
            raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {tail}")
    put(key, run.size, statistics.median(took))


def cli_commands(run: Run, runs: int) -> None:
    since = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds")
    commands = {
        "cli_version": [["--version"]] * runs,
        "cli_claim": [["claim", key] for key in run.keys[-runs:]],  # keys nobody has claimed
        "cli_status": [["crisis", "status"]] * runs,
        "cli_report": [["report", "--from", since]] * runs,
        "cli_verify": [["audit", "verify"]] * runs,
    }
    for key, argvs in commands.items():
        attempt(key, partial(cli, run, key, argvs))


def audit_check(run: Run) -> None:
    log = AuditLog(run.folder / AUDIT_FILE, repair=False)
    start = time.perf_counter()
    result = log.verify()
    verify = time.perf_counter() - start
    if not result.ok:
        say(f"  ! audit verify: {result.describe()}")
    start, size = time.perf_counter(), 0
    for file in log.files():
        data = file.read_bytes()
        hashlib.sha256(data).hexdigest()
        size += len(data)
    sha = time.perf_counter() - start
    put("audit_mb", run.size, size / 2**20)
    put("verify", run.size, verify * 1000)
    put("sha", run.size, sha * 1000)
    put("verify_ratio", run.size, verify / sha)


def sqlite_side(run: Run, folder: Path) -> None:
    sql = SqliteReference(folder / f"bench-{run.size}.sqlite", Triager(run.playbook), SYNC)
    progress = Progress()
    sql.ingest(run.corpus, progress.mark)
    progress.put("sql_ingest", run.size)
    median_ms("sql_claim_p50", run.size, sql.claim, run.keys[:200])
    sql.db.close()
    for ratio, ours, theirs in [("ratio_ingest", "ingest", "sql_ingest"),
                                ("ratio_claim", "claim_p50", "sql_claim_p50")]:  # fmt: skip
        if run.size in VALUES[ours]:
            put(ratio, run.size, VALUES[ours][run.size] / VALUES[theirs][run.size])


# --- driving it -----------------------------------------------------------------------------


def one_size(size: int, harm: float, runs: int, tmp: Path, keep: bool = False) -> None:
    say(f"\n== {size:,} mentions ==")
    folder, corpus = tmp / f"data-{size}", tmp / f"corpus-{size}.jsonl"
    folder.mkdir()
    write_roster(folder / TEAM_FILE, {config.operator(): [Role.LEAD]})  # as the demo does
    playbook = load_playbook(config.playbook_path(None, folder=folder))
    clock = BenchClock()
    harmful = write_corpus(corpus, size, harm, clock(), Triager(playbook))
    say(f"  corpus: {size:,} records, {harmful:,} harm posts ({100 * harmful / size:.1f} %)")
    records = (json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines())
    keys = [f"{r['platform']}:{r['id']}" for r in records]
    random.Random(size).shuffle(keys)
    run = Run(size, folder, corpus, playbook, clock, keys)
    attempt("build", lambda: build_and_operate(run))
    attempt("open", lambda: reopen(run))
    attempt("open in a child", lambda: open_in_child(run))
    cli_commands(run, runs)
    attempt("audit", lambda: audit_check(run))
    attempt("sqlite", lambda: sqlite_side(run, tmp))
    logger = logging.getLogger("crisis_console")
    for handler in list(logger.handlers):  # open_service's log file for this folder
        if str(folder) in getattr(handler, "baseFilename", ""):
            logger.removeHandler(handler)
            handler.close()
    if not keep:
        shutil.rmtree(folder)


def tables(sizes: list[int]) -> None:
    small, large = sizes[0], sizes[-1]
    head = f"{'measure':<46} {'unit':>4} " + " ".join(f"{s:>10,}" for s in sizes)
    for key, (section, label, unit, expect) in ROWS.items():
        if section:
            say(f"\n{section}\n{head} {'growth':>7}  expect")
        a, b = VALUES[key].get(small), VALUES[key].get(large)
        factor, flag = "-", ""
        if a and b and small != large:
            grew = a / b if unit == "/s" else b / a
            factor, flag = f"{grew:.2f}x", "GROWS" if unit in ("ms", "/s") and grew > 2 else ""
        cells = [VALUES[key].get(s) for s in sizes]
        values = " ".join(f"{'error' if v is None else f'{v:,.{0 if v >= 100 else 2}f}':>10}"
                          for v in cells)  # fmt: skip
        say(f"{label:<46} {unit:>4} {values} {factor:>7}  {expect:<5} {flag}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description="Crisis Console at several store sizes.")
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated store sizes")
    parser.add_argument("--harm", type=float, default=0.2, help="share of harm posts")
    parser.add_argument("--cli-runs", type=int, default=3, help="runs of each CLI command")
    parser.add_argument("--out", type=Path, help="also write the output to this file")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep the stores")
    parser.add_argument("--open-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.open_child:
        return open_child(args.open_child)
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    say(f"crisis_bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {machine()}, "
        f"python {platform.python_version()}; code {revision()}")  # fmt: skip
    say(f"sizes {', '.join(f'{s:,}' for s in sizes)}; harm share asked {args.harm:.0%}; "
        f"operator {config.operator()} (lead); sqlite synchronous={SYNC}; growth = cost at "
        f"{sizes[-1]:,} / cost at {sizes[0]:,} (a rate: inverted)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="crisis-bench-") as tmp:
        where = args.keep or Path(tmp)  # --keep: data-SIZE folders stay there, to profile
        where.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            one_size(size, args.harm, args.cli_runs, where, keep=bool(args.keep))
    tables(sizes)
    if args.out:
        args.out.write_text("\n".join(LINES) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
