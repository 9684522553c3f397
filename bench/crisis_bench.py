"""What operators do, at several store sizes, through the real path: a data folder set up as
the demo does, `cli.open_service`, `service.ingest` of a JSONL file (triage, alarms, due
reminders), claims, replies, alarm acknowledgements, a level change, timer ticks, and the
one-shot CLI commands as subprocesses; beside a sqlite3 WAL pipeline doing the same logical
work in the same run.

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
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.crisis_corpus import write_corpus
from crisis_console import config
from crisis_console.cli import open_service
from crisis_console.core.audit import AUDIT_FILE, AuditLog, _digest
from crisis_console.core.ingest import Parsed, read_jsonl
from crisis_console.core.models import Category, Role, StoredMention, stored_to_record
from crisis_console.core.playbook import Playbook
from crisis_console.core.playbook_check import load_playbook
from crisis_console.core.roster import TEAM_FILE, write_roster
from crisis_console.core.routing import Triager
from crisis_console.core.service import DEFAULT_BATCH, ConsoleService, IngestReport

CLI = str(Path(sys.executable).with_name("crisis-console"))
LAST = 5_000
SYNC = "FULL"  # sqlite's synchronous setting: an fsync per commit, like the store's batches
REPLY_VARS = {"new_date": "Thursday"}
OPEN_CHILD = """
import resource, sys, time
from pathlib import Path
from crisis_console import config
from crisis_console.cli import open_service
from crisis_console.core.models import system_clock
from crisis_console.core.playbook_check import load_playbook
folder = Path(sys.argv[1])
playbook = load_playbook(config.playbook_path(None, folder=folder))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
with open_service(folder, playbook, system_clock):
    took = time.perf_counter() - start
    print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, took)
"""


class BenchClock:
    """The service's clock: real time plus an offset the benchmark moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, minutes: float) -> None:
        self.offset += timedelta(minutes=minutes)


@dataclass
class Row:
    label: str
    unit: str  # "ms", "s", "/s" (a rate), or anything else: shown, never flagged
    expect: str  # "flat" or "N": what the design promises about growth
    values: dict[int, float] = field(default_factory=dict)


class Results:
    def __init__(self) -> None:
        self.sections: dict[str, dict[str, Row]] = {}
        self.lines: list[str] = []

    def define(self, section: str, key: str, label: str, unit: str, expect: str = "flat") -> None:
        self.sections.setdefault(section, {})[key] = Row(label, unit, expect)

    def put(self, key: str, size: int, value: float) -> None:
        for rows in self.sections.values():
            if key in rows:
                rows[key].values[size] = value
                return
        raise KeyError(key)

    def say(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


R = Results()
SECTIONS = {
    "ingest (service.ingest of the JSONL file, batches of 500)": [
        ("ingest", "whole build", "/s"),
        ("ingest_last", f"last {LAST:,} mentions (all, if fewer)", "/s"),
        ("escalated", "escalated share (alarms / mentions)", "%"),
    ],
    "operations in a running service": [
        ("claim_p50", "claim, median of 200 distinct keys", "ms"),
        ("claim_p99", "claim, p99", "ms"),
        ("send_p50", "send a reply (delivery-delay), median", "ms"),
        ("ack_p50", "acknowledge an alarm, median of 20", "ms"),
        ("level", "level change to 2 (re-routes every mention)", "ms", "N"),
        ("tick_backlog", "first tick after +60 min (backlog)", "ms", "N"),
        ("tick_p50", "tick, +1 min each, median of 5", "ms"),
        ("tick_max", "tick, +1 min each, max of 5", "ms"),
        ("tick_idle", "tick with nothing new due, median of 5", "ms"),
    ],
    "one-shot CLI commands (subprocess, interpreter start included)": [
        ("cli_version", "crisis-console --version (floor)", "ms"),
        ("cli_claim", "claim KEY", "ms"),
        ("cli_status", "crisis status", "ms"),
        ("cli_report", "report --from (30 days)", "ms", "N"),
        ("cli_verify", "audit verify", "ms", "N"),
    ],
    "the store and the audit log": [
        ("open", "open_service enter, in process", "ms", "N"),
        ("open_child", "open_service enter, in a child", "ms", "N"),
        ("rss_base", "child peak RSS after imports", "MB"),
        ("rss_open", "child peak RSS after opening", "MB"),
        ("audit_mb", "audit log size", "MB"),
        ("verify", "AuditLog.verify in process", "ms", "N"),
        ("sha", "sha256 over the same bytes", "ms", "N"),
        ("verify_ratio", "verify / sha256", "x"),
    ],
    f"sqlite3 WAL (synchronous={SYNC}) doing the same work": [
        ("sql_ingest", "sqlite ingest, whole build", "/s"),
        ("sql_ingest_last", f"sqlite ingest, last {LAST:,}", "/s"),
        ("sql_claim_p50", "sqlite claim, median", "ms"),
        ("ratio_ingest", "ingest rate: ours / sqlite (>1: ours faster)", "x"),
        ("ratio_claim", "claim p50: ours / sqlite (>1: ours slower)", "x"),
    ],
}
for _section, _rows in SECTIONS.items():
    for _row in _rows:
        R.define(_section, *_row)


def attempt(label: str, work: Callable[[], object]) -> None:
    """Run one measure; report its failure without stopping the others."""
    try:
        work()
    except Exception as exc:
        R.say(f"  ! {label} failed: {type(exc).__name__}: {exc}")


def ms(seconds: float) -> float:
    return seconds * 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def tail_rate(marks: list[tuple[int, float]], last: int) -> float:
    """Mentions per second over the last `last` of a build, from (count, time) marks."""
    total, end = marks[-1]
    start_count, start = min(marks, key=lambda m: abs(m[0] - (total - last)))
    return (total - start_count) / (end - start)


class Progress:
    def __init__(self) -> None:
        self.marks = [(0, time.perf_counter())]

    def __call__(self, report: IngestReport) -> None:
        done = report.new + report.updated + report.duplicates + report.deleted + report.rejected
        self.marks.append((done, time.perf_counter()))


# --- the service --------------------------------------------------------------------------


@dataclass
class Run:
    size: int
    folder: Path
    corpus: Path
    playbook: Playbook
    clock: BenchClock
    keys: list[str]
    claimed: list[str] = field(default_factory=list)


def build_and_operate(run: Run) -> None:
    with open_service(run.folder, run.playbook, run.clock) as service:
        for template_id in service.replies.templates:  # the demo's lead approves them all
            service.replies.approve_template(template_id)
        progress = Progress()
        with run.corpus.open("rb") as lines:
            records = read_jsonl(lines, str(run.corpus), run.clock())
            report = service.ingest(records, on_progress=progress)
        if report.new != run.size:
            R.say(f"  ! ingest: {report.summary()}, expected {run.size} new")
        marks, size = progress.marks, run.size
        R.put("ingest", size, size / (marks[-1][1] - marks[0][1]))
        R.put("ingest_last", size, tail_rate(marks, min(LAST, size)))
        R.put("escalated", size, 100 * len(service.crisis.alarms()) / report.new)
        attempt("claim", lambda: claims(service, run))
        attempt("send", lambda: replies(service, run))
        attempt("acknowledge", lambda: acknowledgements(service, run))
        attempt("level", lambda: R.put("level", size, ms(timed(level(service)))))
        attempt("tick", lambda: ticks(service, run))


def claims(service: ConsoleService, run: Run) -> None:
    run.claimed = run.keys[:200]
    took = [ms(timed(lambda k=key: service.claims.claim(k))) for key in run.claimed]  # type: ignore[misc]
    R.put("claim_p50", run.size, statistics.median(took))
    R.put("claim_p99", run.size, pct(took, 0.99))


def replies(service: ConsoleService, run: Run) -> None:
    answerable = {Category.COMPLAINT, Category.QUESTION}
    took: list[float] = []
    refused: Counter[str] = Counter()
    for key in run.keys[200:]:
        stored = service.mention(key)
        if stored is None or stored.triage.classification.category not in answerable:
            continue
        start = time.perf_counter()
        try:
            service.replies.send(key, "delivery-delay", REPLY_VARS)
            took.append(ms(time.perf_counter() - start))
        except Exception as exc:
            refused[f"{type(exc).__name__}: {exc}"[:140]] += 1
        if len(took) >= 20 or sum(refused.values()) >= 40:
            break
    for why, count in refused.most_common(3):
        R.say(f"  note: send refused {count}x: {why}")
    R.put("send_p50", run.size, statistics.median(took))


def acknowledgements(service: ConsoleService, run: Run) -> None:
    open_alarms = [a.key for a in service.crisis.alarms(open_only=True)]
    keys = random.Random(3).sample(open_alarms, min(20, len(open_alarms)))
    took = [ms(timed(lambda k=key: service.crisis.acknowledge(k))) for key in keys]  # type: ignore[misc]
    R.put("ack_p50", run.size, statistics.median(took))


def level(service: ConsoleService) -> Callable[[], object]:
    return lambda: service.crisis.set_level(2, "bench")


def ticks(service: ConsoleService, run: Run) -> None:
    run.clock.advance(60)  # past claim leases, alarm acks, checklist steps, many SLAs
    did: list[str] = []
    R.put("tick_backlog", run.size, ms(timed(lambda: did.extend(service.timers.tick()))))
    R.say(f"  first tick did {len(did)} thing(s): {'; '.join(did[:4])}{' ...' * (len(did) > 4)}")
    steady = []
    for _ in range(5):
        run.clock.advance(1)
        steady.append(ms(timed(service.timers.tick)))
    R.put("tick_p50", run.size, statistics.median(steady))
    R.put("tick_max", run.size, max(steady))
    idle = [ms(timed(service.timers.tick)) for _ in range(5)]
    R.put("tick_idle", run.size, statistics.median(idle))


def reopen(run: Run) -> None:
    manager = open_service(run.folder, run.playbook, run.clock)
    start = time.perf_counter()
    manager.__enter__()
    R.put("open", run.size, ms(time.perf_counter() - start))
    manager.__exit__(None, None, None)


def open_in_child(run: Run) -> None:
    done = subprocess.run(
        [sys.executable, "-c", OPEN_CHILD, str(run.folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    before, after, took = done.stdout.split()
    R.put("rss_base", run.size, int(before) / 1024)
    R.put("rss_open", run.size, int(after) / 1024)
    R.put("open_child", run.size, ms(float(took)))


def cli(run: Run, key: str, argvs: list[list[str]]) -> None:
    """Each command line as a subprocess in turn; the median wall time."""
    took = []
    for args in argvs:
        start = time.perf_counter()
        done = subprocess.run([CLI, "--data-dir", str(run.folder), *args], capture_output=True)
        took.append(ms(time.perf_counter() - start))
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip()[-300:]
            raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {tail}")
    R.put(key, run.size, statistics.median(took))


def cli_commands(run: Run, runs: int) -> None:
    since = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds")
    claims = [["claim", key] for key in run.keys[-runs:]]  # keys nobody has claimed
    commands = {
        "cli_version": [["--version"]] * runs,
        "cli_claim": claims,
        "cli_status": [["crisis", "status"]] * runs,
        "cli_report": [["report", "--from", since]] * runs,
        "cli_verify": [["audit", "verify"]] * runs,
    }
    for key, argvs in commands.items():
        attempt(key, lambda k=key, a=argvs: cli(run, k, a))  # type: ignore[misc]


def audit_check(run: Run) -> None:
    log = AuditLog(run.folder / AUDIT_FILE, repair=False)
    start = time.perf_counter()
    result = log.verify()
    verify = time.perf_counter() - start
    if not result.ok:
        R.say(f"  ! audit verify: {result.describe()}")
    start = time.perf_counter()
    size = 0
    for file in log.files():
        data = file.read_bytes()
        hashlib.sha256(data).hexdigest()
        size += len(data)
    sha = time.perf_counter() - start
    R.put("audit_mb", run.size, size / 2**20)
    R.put("verify", run.size, ms(verify))
    R.put("sha", run.size, ms(sha))
    R.put("verify_ratio", run.size, verify / sha)


# --- sqlite3 ------------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE mentions (key TEXT PRIMARY KEY, author TEXT, doc TEXT NOT NULL);
CREATE TABLE audit (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, line TEXT NOT NULL);
CREATE TABLE alarms (key TEXT PRIMARY KEY, raised_at TEXT, ack_due TEXT, acked_by TEXT);
CREATE TABLE claims (key TEXT PRIMARY KEY, holder TEXT, since TEXT, expires TEXT);
CREATE TABLE due (at TEXT, kind TEXT, key TEXT);
CREATE INDEX due_at ON due (at);
"""


class Sqlite:
    """The same logical work in one sqlite3 file: triage, mention rows, hash-chained audit
    rows, alarm rows and due reminders, one transaction per batch; claims as one conditional
    upsert plus an audit row and a reminder, in one transaction."""

    def __init__(self, path: Path, triager: Triager, clock: BenchClock) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={SYNC}")
        self.db.executescript(SCHEMA)
        self.triager, self.clock = triager, clock
        self.seq, self.prev = 0, "0" * 64
        self.authors: Counter[str] = Counter()

    def _audit(self, action: str, subject: str, data: dict[str, object]) -> None:
        self.seq += 1
        record = {
            "seq": self.seq,
            "at": self.clock().isoformat(),
            "actor": "bench",
            "action": action,
            "subject": subject,
            "data": data,
            "prev": self.prev,
        }
        record["hash"] = self.prev = _digest(record)
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        self.db.execute("INSERT INTO audit VALUES (?, ?, ?)", (self.seq, self.prev, line))

    def ingest(self, corpus: Path, progress: Progress) -> None:
        batch: list[Parsed] = []
        with corpus.open("rb") as lines:
            for item in read_jsonl(lines, str(corpus), self.clock()):
                if isinstance(item, Parsed):
                    batch.append(item)
                if len(batch) == DEFAULT_BATCH:
                    self._batch(batch, progress)
                    batch = []
        self._batch(batch, progress)

    def _batch(self, batch: list[Parsed], progress: Progress) -> None:
        now = self.clock()
        ack = timedelta(minutes=self.triager.playbook.alarm_ack_minutes)
        self.db.execute("BEGIN")
        for parsed in batch:
            mention = parsed.mention
            if self.db.execute("SELECT 1 FROM mentions WHERE key = ?", (mention.key,)).fetchone():
                continue
            author = f"{mention.platform.value}:{mention.author}"
            triage = self.triager.triage(mention, self.authors[author], 0)
            self.authors[author] += 1
            record = stored_to_record(StoredMention(triage, now))
            doc = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            self.db.execute("INSERT INTO mentions VALUES (?, ?, ?)", (mention.key, author, doc))
            self._audit("mention.ingested", mention.key, {"source": parsed.source, **record})
            due = [(triage.deadline.isoformat(), "sla", mention.key)]
            if triage.classification.escalate:
                row = (mention.key, now.isoformat(), (now + ack).isoformat(), "")
                self.db.execute("INSERT INTO alarms VALUES (?, ?, ?, ?)", row)
                self._audit("alarm.raised", mention.key, {"summary": mention.text[:140]})
                due.append(((now + ack).isoformat(), "alarm", mention.key))
            self.db.executemany("INSERT INTO due VALUES (?, ?, ?)", due)
        self.db.execute("COMMIT")
        progress.marks.append((progress.marks[-1][0] + len(batch), time.perf_counter()))

    def claim(self, key: str) -> None:
        now = self.clock()
        expires = (now + timedelta(minutes=30)).isoformat()
        self.db.execute("BEGIN IMMEDIATE")
        if not self.db.execute("SELECT 1 FROM mentions WHERE key = ?", (key,)).fetchone():
            self.db.execute("ROLLBACK")
            raise ValueError(f"no mention {key}")
        taken = self.db.execute(
            "INSERT INTO claims VALUES (?, 'bench', ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "holder = excluded.holder, since = excluded.since, expires = excluded.expires "
            "WHERE claims.expires <= excluded.since OR claims.holder = excluded.holder",
            (key, now.isoformat(), expires),
        ).rowcount
        self._audit("claim" if taken else "refused", key, {"expires": expires})
        self.db.execute("INSERT INTO due VALUES (?, 'claim', ?)", (expires, key))
        self.db.execute("COMMIT")


def sqlite_side(run: Run, folder: Path) -> None:
    sql = Sqlite(folder / f"bench-{run.size}.sqlite", Triager(run.playbook), BenchClock())
    progress = Progress()
    sql.ingest(run.corpus, progress)
    marks = progress.marks
    R.put("sql_ingest", run.size, run.size / (marks[-1][1] - marks[0][1]))
    R.put("sql_ingest_last", run.size, tail_rate(marks, min(LAST, run.size)))
    took = [ms(timed(lambda k=key: sql.claim(k))) for key in run.keys[:200]]  # type: ignore[misc]
    R.put("sql_claim_p50", run.size, statistics.median(took))
    sql.db.close()
    rows = R.sections[f"sqlite3 WAL (synchronous={SYNC}) doing the same work"]
    ours = R.sections["ingest (service.ingest of the JSONL file, batches of 500)"]["ingest"]
    claim = R.sections["operations in a running service"]["claim_p50"]
    if run.size in ours.values:
        R.put("ratio_ingest", run.size, ours.values[run.size] / rows["sql_ingest"].values[run.size])
    if run.size in claim.values:
        ratio = claim.values[run.size] / rows["sql_claim_p50"].values[run.size]
        R.put("ratio_claim", run.size, ratio)


# --- driving it -----------------------------------------------------------------------------


def one_size(size: int, harm: float, runs: int, tmp: Path) -> None:
    R.say(f"\n== {size:,} mentions ==")
    folder, corpus = tmp / f"data-{size}", tmp / f"corpus-{size}.jsonl"
    folder.mkdir()
    write_roster(folder / TEAM_FILE, {config.operator(): [Role.LEAD]})  # as the demo does
    playbook = load_playbook(config.playbook_path(None, folder=folder))
    clock = BenchClock()
    harmful = write_corpus(corpus, size, harm, clock(), Triager(playbook))
    R.say(f"  corpus: {size:,} records, {harmful:,} harm posts ({100 * harmful / size:.1f} %)")
    keys = [json.loads(line)["platform"] + ":" + json.loads(line)["id"]
            for line in corpus.read_text(encoding="utf-8").splitlines()]  # fmt: skip
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
    shutil.rmtree(folder)


def cell(value: float | None) -> str:
    if value is None:
        return "error"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def growth(row: Row, small: int, large: int) -> tuple[str, str]:
    a, b = row.values.get(small), row.values.get(large)
    if a is None or b is None or small == large or not a or not b:
        return "-", ""
    factor = a / b if row.unit == "/s" else b / a
    flagged = row.unit in ("ms", "/s") and factor > 2.0
    return f"{factor:.2f}x", "GROWS" if flagged else ""


def tables(sizes: list[int]) -> None:
    small, large = sizes[0], sizes[-1]
    head = f"{'measure':<46} {'unit':>4} " + " ".join(f"{s:>11,}" for s in sizes)
    for section, rows in R.sections.items():
        R.say(f"\n{section}")
        R.say(f"{head} {'growth':>8}  expect")
        for row in rows.values():
            values = " ".join(f"{cell(row.values.get(s)):>11}" for s in sizes)
            factor, flag = growth(row, small, large)
            R.say(f"{row.label:<46} {row.unit:>4} {values} {factor:>8}  {row.expect:<5} {flag}")


def machine() -> str:
    cpu = platform.processor()
    if not cpu and Path("/proc/cpuinfo").exists():
        models = [line for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")]  # fmt: skip
        cpu = models[0].split(":", 1)[1].strip() if models else ""
    return f"{cpu or platform.machine()} ({platform.machine()}), {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated store sizes")
    parser.add_argument("--harm", type=float, default=0.2, help="share of harm posts")
    parser.add_argument("--cli-runs", type=int, default=3, help="runs of each CLI command")
    parser.add_argument("--out", type=Path, help="also write the output to this file")
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    R.say(f"crisis_bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {machine()}, "
          f"python {platform.python_version()}")  # fmt: skip
    R.say(f"sizes {', '.join(f'{s:,}' for s in sizes)}; harm share asked {args.harm:.0%}; "
          f"operator {config.operator()} (lead); sqlite synchronous={SYNC}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="crisis-bench-") as tmp:
        for size in sizes:
            one_size(size, args.harm, args.cli_runs, Path(tmp))
    tables(sizes)
    if args.out:
        args.out.write_text("\n".join(R.lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
