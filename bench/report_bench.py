"""Reports at scale, through the real path: a data folder built by `service.ingest` of a JSONL
corpus (`bench/crisis_corpus.py`: 20 % harm posts by default, so one alarm in five), all
through the service: the first half ingested at level 0, with a reply sent to one mention in
50, a draft approved or rejected for one in 250 and a reply the policy guard blocks for one
in 1,000; a level change to 2; the second half, with a holding statement sent to one in 50;
one alarm in ten acknowledged. Each report is then made in a fresh process that opens the
folder as `crisis-console report` does (`open_reader`).

Run: python -m bench.report_bench [--sizes 10000,100000] [--harm 0.2] [--outside N]
                                  [--keep DIR]

`--outside N` first ingests N more mentions 45 days earlier: outside a 30-day window, so
they show what a report pays for what it does not report on. `--keep DIR` builds the
folders there and reuses them on the next run (building 100,000 takes a few minutes).

Per size: the time of `service.report` for the last 30 days, of `service.incident` (the
latest crisis, and the whole 30 days), the peak resident memory (VmHWM) of the process
after opening the folder and after the report, the peak of Python allocations during the
report alone (tracemalloc, a separate run: tracing slows it), and the wall time of the real
command line, `crisis-console report --from <30 days ago>`. Growth is the figure at the
largest size over the smallest.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from bench.crisis_corpus import write_corpus
from bench.machine import machine, peak_mb
from bench.measure import BenchClock
from crisis_console import config
from crisis_console.cli import open_reader
from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.replies.reply_model import PolicyBlocked
from crisis_console.core.replies.senders import JsonlOutbox
from crisis_console.core.replies.templates import load_templates
from crisis_console.core.roster import TEAM_FILE, Operator, write_roster
from crisis_console.core.service import ConsoleService, ReplySetup
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager

CLI = str(Path(sys.executable).with_name("crisis-console"))
DONE = "bench-built.json"  # written once a folder is complete: `--keep` reuses it
WINDOW = timedelta(days=30)
OUTSIDE_AGO = timedelta(days=45)
SEND_EVERY, DRAFT_EVERY, ACK_EVERY = 50, 250, 10  # mentions per reply sent; per draft; alarms
WRITER = "sue"  # support: drafts go to the approval queue


@contextmanager
def services(folder: Path, clock: BenchClock) -> Iterator[tuple[ConsoleService, ConsoleService]]:
    """The lead (the login, as the demo's team file has it) and a support operator, over one
    store and audit log, as the console's operators share a folder."""
    playbook = load_playbook(config.playbook_path(None, folder=folder))
    store = TinyDBStore(folder)
    try:
        audit = AuditLog(folder / AUDIT_FILE)
        templates, _ = load_templates(config.shipped_dir("templates"))
        setup = ReplySetup(templates, JsonlOutbox(folder / "outbox.jsonl"), "Brightwell")
        notifier = Notifier(ConsoleSink())
        made = [
            ConsoleService(
                store, audit, Triager(playbook), clock, Operator(name, roles), notifier, setup
            )
            for name, roles in [
                (config.operator(), frozenset({Role.LEAD})),
                (WRITER, frozenset({Role.SUPPORT})),
            ]
        ]
        yield made[0], made[1]
    finally:
        store.close()


def corpus_lines(path: Path, size: int, harm: float, now: datetime, prefix: str) -> list[str]:
    """`write_corpus`'s records, oldest first, their ids prefixed (unique across corpora)."""
    write_corpus(path, size, harm, now, Triager(load_playbook(config.playbook_path(None))))
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [json.dumps({**r, "id": prefix + r["id"]}, ensure_ascii=False) for r in records]


def ingest(service: ConsoleService, lines: list[str]) -> list[str]:
    """Ingest the lines; return their mention keys."""
    report = service.ingest(read_jsonl(lines, "bench.jsonl", service.clock()))
    if report.new != len(lines):
        print(f"  ! ingest: {report.summary()}, expected {len(lines)} new", flush=True)
    return [f"{r['platform']}:{r['id']}" for r in map(json.loads, lines)]


def build(folder: Path, size: int, harm: float, outside: int) -> dict[str, int]:
    """Ingest, then the replies, approvals, refusals, acknowledgements and a level change."""
    folder.mkdir(parents=True, exist_ok=True)
    write_roster(folder / TEAM_FILE, {config.operator(): [Role.LEAD], WRITER: [Role.SUPPORT]})
    clock = BenchClock()
    done: dict[str, int] = {"mentions": size, "outside": outside}
    with services(folder, clock) as (lead, sue):
        for template_id in lead.replies.templates:
            lead.replies.approve_template(template_id)
        corpus = folder.parent / f"corpus-{size}.jsonl"
        if outside:
            clock.offset = -OUTSIDE_AGO
            ingest(lead, corpus_lines(corpus, outside, harm, clock(), "old"))
            clock.offset = timedelta()
        lines = corpus_lines(corpus, size, harm, clock(), "")
        for n, key in enumerate(ingest(lead, lines[: size // 2])):  # at level 0
            if n % SEND_EVERY == 0:
                attempt(done, "sent", partial(send, lead, key, "delivery-delay"))
            elif n % DRAFT_EVERY == 1:
                attempt(done, "drafts", partial(draft, lead, sue, key, n))
            elif n % (DRAFT_EVERY * 4) == 2:
                attempt(done, "blocked", partial(block, lead, key))
        lead.crisis.set_level(2, "bench: the second half arrives in a crisis")
        for n, key in enumerate(ingest(lead, lines[size // 2 :])):
            if n % SEND_EVERY == 0:
                attempt(done, "holding", partial(send, lead, key, "holding-statement"))
        alarms = lead.crisis.alarms()
        for alarm in alarms[::ACK_EVERY]:
            attempt(done, "acks", partial(lead.crisis.acknowledge, alarm.key))
        done["alarms"] = len(alarms)
        lead.crisis.tick_step("pause-scheduled")
    (folder / DONE).write_text(json.dumps(done))
    return done


def attempt(done: dict[str, int], what: str, work: Callable[[], object]) -> None:
    try:
        work()
    except Exception as exc:
        if not (what == "blocked" and isinstance(exc, PolicyBlocked)):  # that one is wanted
            done["refused"] = done.get("refused", 0) + 1
            if done["refused"] == 1:
                print(f"  ! {what} refused: {type(exc).__name__}: {exc}"[:200], flush=True)
            return
    done[what] = done.get(what, 0) + 1


VARIABLES = {"delivery-delay": {"new_date": "Thursday"}, "holding-statement": {"issue": "delays"}}


def send(lead: ConsoleService, key: str, template: str) -> None:
    lead.claims.claim(key)
    lead.replies.send(key, template, VARIABLES[template])


def draft(lead: ConsoleService, sue: ConsoleService, key: str, n: int) -> None:
    sue.claims.claim(key)
    reply = sue.replies.submit(key, "refund-in-progress", {"days": "3 to 5"})
    if n % (DRAFT_EVERY * 3) == 1:
        lead.replies.reject(reply.id, "too vague")
    else:
        lead.replies.approve(reply.id)


def block(lead: ConsoleService, key: str) -> None:
    lead.claims.claim(key)
    lead.replies.send(key, "holding-statement", {"issue": "call 07700 900123"})


# --- measured in a fresh process --------------------------------------------------------------


def child(folder: Path, what: str) -> None:
    """Open the folder as the report command does; run one report; print figures as JSON."""
    logging.disable(logging.WARNING)
    playbook = load_playbook(config.playbook_path(None, folder=folder))
    now = datetime.now(UTC)
    start, end = now - WINDOW, now + timedelta(seconds=1)
    steps: dict[str, Callable[[ConsoleService], object]] = {
        "report": lambda s: s.report(start, end),
        "incident": lambda s: s.incident(),
        "incident30": lambda s: s.incident(start, end),
    }
    began = time.perf_counter()
    with open_reader(folder, playbook, lambda: datetime.now(UTC)) as service:
        opened, rss_open = time.perf_counter() - began, peak_mb()
        traced = what.endswith("-traced")
        if traced:
            tracemalloc.start()
        began = time.perf_counter()
        steps[what.removesuffix("-traced")](service)
        took = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else 0.0
    print(json.dumps({"open": opened, "took": took, "rss_open": rss_open,
                      "rss": peak_mb(), "traced": peak}))  # fmt: skip


def in_child(folder: Path, what: str) -> dict[str, float]:
    argv = [sys.executable, "-m", "bench.report_bench", "--child", what, str(folder)]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-500:])
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cli_report(folder: Path) -> float:
    since = (datetime.now(UTC) - WINDOW).isoformat(timespec="seconds")
    began = time.perf_counter()
    done = subprocess.run(
        [CLI, "--data-dir", str(folder), "report", "--from", since], capture_output=True
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace")[-500:])
    return time.perf_counter() - began


ROWS = [  # key, label, unit
    ("report", "service.report, 30 days", "s"),
    ("report_rss", "  peak RSS after the report (VmHWM)", "MB"),
    ("report_grew", "  of which the report added", "MB"),
    ("report_traced", "  peak Python allocations in the report", "MB"),
    ("incident", "service.incident, latest crisis", "s"),
    ("incident_grew", "  RSS it added", "MB"),
    ("incident30", "service.incident, 30 days", "s"),
    ("incident30_grew", "  RSS it added", "MB"),
    ("open", "open_reader (before any report)", "s"),
    ("rss_open", "  peak RSS after opening", "MB"),
    ("cli", "crisis-console report --from (wall, median of 3)", "s"),
]


def measure(folder: Path) -> dict[str, float]:
    """Each step three times in a fresh process: the median time; the memory of the fastest."""
    out: dict[str, float] = {}
    for what in ("report", "incident", "incident30"):
        runs = [in_child(folder, what) for _ in range(3)]
        best = min(runs, key=lambda r: r["took"])
        out[what] = statistics.median(r["took"] for r in runs)
        out[f"{what}_grew"] = best["rss"] - best["rss_open"]
        if what == "report":
            out["report_rss"], out["rss_open"] = best["rss"], best["rss_open"]
            out["open"] = statistics.median(r["open"] for r in runs)
    out["report_traced"] = in_child(folder, "report-traced")["traced"]
    out["cli"] = statistics.median(cli_report(folder) for _ in range(3))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="Reports at several store sizes.")
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated store sizes")
    parser.add_argument("--harm", type=float, default=0.2, help="share of harm posts")
    parser.add_argument("--outside", type=int, default=0, help="mentions 45 days earlier")
    parser.add_argument("--keep", type=Path, help="build the folders here and reuse them")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(Path(args.child[1]), args.child[0])
    logging.disable(logging.WARNING)
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    print(f"report_bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}, "
          f"python {platform.python_version()}; harm {args.harm:.0%}; "
          f"outside the window {args.outside:,}")  # fmt: skip
    figures: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        root = args.keep or Path(tmp)
        for size in sizes:
            folder = root / f"data-{size}-{args.outside}"
            if not (folder / DONE).exists():
                began = time.perf_counter()
                done = build(folder, size, args.harm, args.outside)
                print(f"built {size:,} in {time.perf_counter() - began:.0f} s: {done}", flush=True)
            else:
                print(f"reusing {folder}: {(folder / DONE).read_text()}", flush=True)
            audit = sum(f.stat().st_size for f in AuditLog(folder / AUDIT_FILE).files())
            print(f"  audit log {audit / 2**20:.0f} MB", flush=True)
            figures[size] = measure(folder)
    head = f"{'measure':<50} {'unit':>4} " + " ".join(f"{s:>10,}" for s in sizes)
    print(f"\n{head} {'growth':>7}")
    for key, label, unit in ROWS:
        cells = " ".join(f"{figures[s][key]:>10.{2 if unit == 's' else 0}f}" for s in sizes)
        small, large = figures[sizes[0]][key], figures[sizes[-1]][key]
        growth = f"{large / small:.1f}x" if small > 0 and len(sizes) > 1 else "-"
        print(f"{label:<50} {unit:>4} {cells} {growth:>7}")
    print(f"(cpu count {os.cpu_count()})")


if __name__ == "__main__":
    main()
