"""Team mode at several store sizes: the crisis corpus ingested through the real path
(`service.ingest`, with triage) into a PostgreSQL team database, then what operators do
there, and how soon another process sees it; beside raw psycopg doing the floor of the same
logical work in the same run (`bench/team_raw.py`), as "ours ÷ raw".

    python -m bench.team_bench [--sizes 10000,100000] [--dsn URL] [--keep] [--out FILE]

Each size gets a schema of its own (dropped afterwards; with `--keep`, `bench_team_keep_N`
is kept, and a later `--keep` run reuses it instead of building it again, reporting the
ingest rate its build recorded; `--fresh` rebuilds). Eight database logins are made for the
operators (dropped with the schema). Measured at each size:

- ingest rate: the build's first nine tenths by `ingest --jobs 2` (`spread`), its last
  tenth by one process, and the whole; raw: COPY of the same stored rows;
- a claim by one operator alone (200), and by eight operators in eight processes at the
  same instant, round after round (8 x 50, `bench/team_operators.py`), and at once but each
  at its own pace (a pause of 0-200 ms before each claim, 8 x 50); raw: one upsert;
- an inbox page through the service; raw: the plain indexed SELECT;
- the real console in team mode in a child process, driven by Pilot
  (`bench/team_console_probe.py`): first paint from spawning it, peak RSS, cursor, filters,
  and 100 changes made by another process's service until its table shows them;
- a claim until another process's change feed yields it (100); raw: LISTEN/NOTIFY;
- after the backlog of an hour: a tick every 10 s (as a console's timers run), a tick a
  minute on (as cron would run it), and a tick with nothing due.

Growth is the figure at the largest size over the smallest (a rate: inverted); a per
operation cost growing more than 2x is flagged GROWS. Goals (issue 14) are checked at the
largest size.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench import team_raw
from bench.crisis_bench import LINES, say
from bench.crisis_corpus import write_corpus
from bench.machine import calibrate, machine, neighbours, revision
from bench.measure import BenchClock, pct
from bench.team_console_probe import console
from bench.team_operators import at_once, claimer, feed_delays, paced_claimer, raw_claimer
from bench.team_schema import OPERATORS, drop_schema, open_schema, operators, with_schema
from crisis_console import config
from crisis_console.cli import open_service
from crisis_console.cli.ingest_jobs import WorkerSetup, spread
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.service import ConsoleService
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.postgres.connection import connect
from crisis_console.core.triage.routing import Triager
from crisis_console.tui.app import TIMER_SECONDS

ROUNDS, SAMPLES = 50, 100
JOBS = 2  # `ingest --jobs`: one process a core
# key | section (a new one starts a table) | label | unit | goal at the largest size |
# expect ("flat": a per-operation cost that should not grow; "N": grows with the store)
TABLE = f"""
ingest | ingest | ingest with triage, whole build | /s | | flat
ingest_jobs | | ingest --jobs 2 (two processes), its first nine tenths | /s | >= 5000 | flat
ingest_last | | one process (service.ingest), its last tenth | /s | | flat
raw_ingest | | raw: COPY the same stored rows, a commit a batch | /s | | flat
x_ingest | | ours ÷ raw (time per mention) | x | |
claim1_p50 | claims | one operator alone, median of 200 | ms | | flat
claim1_p99 | | one operator alone, p99 of 200 | ms | | flat
raw_claim1_p50 | | raw: one conditional upsert, median of 200 | ms | | flat
x_claim1_p50 | | ours ÷ raw, median | x | |
claim8_p50 | | {OPERATORS} operators in the same instant, each round, median | ms | <= 5 | flat
claim8_p99 | | {OPERATORS} operators in the same instant, p99 | ms | <= 20 | flat
claim8_rate | | {OPERATORS} operators in the same instant, claims done a second | /s | |
paced_p50 | | {OPERATORS} operators at once, each at its own pace, median | ms | <= 5 | flat
paced_p99 | | {OPERATORS} operators at once, each at its own pace, p99 | ms | <= 20 | flat
paced_rate | | {OPERATORS} operators at once, each at its own pace, claims a second | /s | |
raw_claim8_p50 | | raw: {OPERATORS} connections at once, median | ms | | flat
raw_claim8_p99 | | raw: {OPERATORS} connections at once, p99 | ms | | flat
x_claim8_p50 | | ours ÷ raw, median | x | |
x_claim8_p99 | | ours ÷ raw, p99 | x | |
page | inbox and console | inbox first page, service (50 rows, open), median of 20 | ms | | flat
raw_page | | raw: SELECT ... ORDER BY ... LIMIT 50, median of 20 | ms | | flat
x_page | | ours ÷ raw | x | |
first_paint | | console first paint, from spawning its process | ms | <= 1000 | flat
paint_open | | of which: imports and open_service | ms | | flat
paint_app | | of which: app start to the first page shown | ms | | flat
rss | | console peak RSS (VmHWM), all of its run | MB | <= 250 | flat
cursor_move | | cursor move until the table moved, median of 30 | ms | <= 50 | flat
cursor_detail | | cursor move until the detail shows it, median of 30 | ms | | flat
cursor_net | | less the rest the screen waits first (DETAIL_DELAY) | ms | | flat
filter_u | | filter u (urgency) until the new page, median of 10 | ms | <= 50 | flat
filter_u_max | | the slowest step of its cycle | ms | | flat
raw_filter | | raw: a page of 100 WHERE urgency_rank = ..., median | ms | | flat
x_filter_u | | filter u: ours ÷ raw, median | x | |
filter_s | | filter s (status) until the new page, median of 8 | ms | <= 50 | flat
filter_s_max | | the slowest step of its cycle | ms | | flat
tick10_p50 | timers | tick every 10 s, as a console runs them, median of 6 | ms | <= 50 | flat
tick10_due | | items due at each, median | n | | N
tick_p50 | | tick, clock +1 min each (a cron minute), median of 5 | ms | <= 50 | flat
tick_max | | tick, clock +1 min each, max of 5 | ms | | flat
tick_due | | items due at each, median | n | | N
tick_item | | cost per item due | ms | | flat
tick_idle | | tick with nothing new due, median of 5 | ms | | flat
tick_backlog | | ticks after +60 min, the whole backlog | ms | | N
feed_p50 | change propagation | claim until another process's feed has it, median | ms | | flat
feed_p99 | | claim until another process's feed has it, p99 of {SAMPLES} | ms | <= 1000 | flat
raw_feed_p50 | | raw: upsert + NOTIFY until a LISTEN has it, median | ms | | flat
raw_feed_p99 | | raw: upsert + NOTIFY until a LISTEN has it, p99 | ms | | flat
x_feed_p99 | | ours ÷ raw, p99 | x | |
prop_p50 | | claim/release until another console shows it, median | ms | | flat
prop_p99 | | claim/release until another console shows it, p99 of {SAMPLES} | ms | <= 1000 | flat
x_prop_p99 | | ours ÷ raw LISTEN, p99 | x | |
"""  # noqa: S608 (words, not a query)


def _goal(text: str) -> tuple[str, float] | None:
    return (text[:2], float(text[2:])) if text else None


ROWS = {
    key: (section, label, unit, _goal(goal), expect)
    for key, section, label, unit, goal, expect in (
        [cell.strip() for cell in line.split("|")] for line in TABLE.strip().splitlines()
    )
}
VALUES: dict[str, dict[int, float]] = {key: {} for key in ROWS}
RATIOS = {"x_ingest": ("raw_ingest", "ingest"), "x_claim1_p50": ("claim1_p50", "raw_claim1_p50"),
          "x_claim8_p50": ("claim8_p50", "raw_claim8_p50"),
          "x_claim8_p99": ("claim8_p99", "raw_claim8_p99"), "x_page": ("page", "raw_page"),
          "x_filter_u": ("filter_u", "raw_filter"), "x_feed_p99": ("feed_p99", "raw_feed_p99"),
          "x_prop_p99": ("prop_p99", "raw_feed_p99")}  # fmt: skip


def put(key: str, size: int, value: float) -> None:
    VALUES[key][size] = value
    say(f"  {ROWS[key][1].strip()}: {value:,.2f} {ROWS[key][2]}")


# --- the measures -----------------------------------------------------------------------------


def ingest(lead: ConsoleService, size: int, tmp: Path, clock: BenchClock, team: str) -> float:
    """Build the store: nine tenths of the corpus as `ingest --jobs 2` stores a file (the
    same `spread`), the last tenth through one process's `service.ingest`."""
    corpus = tmp / f"corpus-{size}.jsonl"
    start = time.perf_counter()
    write_corpus(corpus, size, 0.2, clock(), Triager(lead.playbook))
    say(f"  corpus of {size:,} written in {time.perf_counter() - start:.0f} s")
    lines = corpus.read_bytes().splitlines(keepends=True)
    corpus.unlink()
    cut = size - size // 10
    parts = (tmp / "first.jsonl", tmp / "last.jsonl")
    parts[0].write_bytes(b"".join(lines[:cut]))
    parts[1].write_bytes(b"".join(lines[cut:]))
    del lines
    setup = WorkerSetup(JOBS, tmp / "lead", lead.playbook, clock, team)
    start = time.perf_counter()
    with parts[0].open("rb") as first:
        spread_report = spread(read_jsonl(first, str(parts[0]), clock()), setup)
    middle = time.perf_counter()
    with parts[1].open("rb") as last:
        report = lead.ingest(read_jsonl(last, str(parts[1]), clock()))
    end = time.perf_counter()
    report.add(spread_report)
    if report.new != size:
        say(f"  ! ingest: {report.summary()}, expected {size:,} new")
    put("ingest_jobs", size, cut / (middle - start))
    put("ingest_last", size, (size - cut) / (end - middle))
    for part in parts:
        part.unlink()
    return report.new / (end - start)


def sample_keys(lead: ConsoleService, team: str, size: int, count: int) -> list[str]:
    """`count` stored mentions nobody holds, at random (read, never written, here)."""
    with connect(team) as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM mentions ORDER BY key").fetchall()]
    held = lead.claim_holders()
    return random.Random(size).sample([k for k in keys if k not in held], count)


def timed(work: Any, *args: Any) -> float:
    start = time.perf_counter()
    work(*args)
    return (time.perf_counter() - start) * 1000


def settle(dsn: str, schema: str) -> None:
    """VACUUM ANALYZE the store's tables, as autovacuum would have after the build (a
    server may run with it off, as the development machine's does: then the tables carry
    every dead row of the build and the planner has no statistics)."""
    with connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
        for (name,) in rows:
            conn.execute(
                sql.SQL("VACUUM ANALYZE {}.{}").format(sql.Identifier(schema), sql.Identifier(name))
            )
    say(f"  vacuumed and analysed {len(rows)} tables, as autovacuum would")


def measure(size: int, dsn: str, schema: str, built: dict[str, Any], tmp: Path) -> None:
    team = with_schema(dsn, schema)
    playbook = load_playbook(config.playbook_path(None, folder=tmp))
    clock = BenchClock()
    with open_service(tmp / "lead", playbook, clock, db=team) as lead:
        if built:
            say(f"  reusing {schema}, built {built['at']} at code {built['code']}")
            VALUES["ingest"][size] = built["ingest"]
            VALUES["ingest_last"][size] = built["ingest_last"]
            if "ingest_jobs" in built:
                VALUES["ingest_jobs"][size] = built["ingest_jobs"]
        else:
            put("ingest", size, ingest(lead, size, tmp, clock, team))
            record = {"size": size, "ingest": VALUES["ingest"][size], "code": revision(),
                      "ingest_last": VALUES["ingest_last"][size],
                      "ingest_jobs": VALUES["ingest_jobs"][size],
                      "at": f"{datetime.now(UTC):%F %H:%M}"}  # fmt: skip
            comment = sql.SQL("COMMENT ON SCHEMA {} IS {}")
            with connect(dsn, autocommit=True) as conn:
                conn.execute(
                    comment.format(sql.Identifier(schema), sql.Literal(json.dumps(record)))
                )
        settle(dsn, schema)
        team_raw.scratch(team)
        try:
            put("raw_ingest", size, team_raw.ingest(team))
            ops = operators(lead, dsn, team, schema)
            keys = sample_keys(lead, team, size, 200 + 2 * OPERATORS * ROUNDS + 2 * SAMPLES)
            operations(lead, size, team, ops, keys, tmp)
            say(f"  ({neighbours()})")
            consoles(lead, size, team, ops, tmp)
        finally:
            team_raw.drop_scratch(team)
        ticks(lead, size, clock)


def operations(
    lead: ConsoleService, size: int, team: str, ops: list[str], keys: list[str], tmp: Path
) -> None:
    alone = [timed(lead.claims.claim, k) for k in keys[:200]]
    for key in keys[:200]:
        lead.claims.release(key)
    put("claim1_p50", size, statistics.median(alone))
    put("claim1_p99", size, pct(alone, 0.99))
    put("raw_claim1_p50", size, statistics.median(team_raw.claims(team, keys[:200])))
    mine = [keys[200 + n * ROUNDS : 200 + (n + 1) * ROUNDS] for n in range(OPERATORS)]
    took, refused, rate = at_once(claimer, [(op, tmp / f"op{n}", k) for n, (op, k) in
                                            enumerate(zip(ops, mine, strict=True))])  # fmt: skip
    say(f"  {OPERATORS} operators: {len(took)} claims, {refused} refused")
    put("claim8_p50", size, statistics.median(took))
    put("claim8_p99", size, pct(took, 0.99))
    put("claim8_rate", size, rate)
    paced = [keys[200 + (OPERATORS + n) * ROUNDS : 200 + (OPERATORS + n + 1) * ROUNDS]
             for n in range(OPERATORS)]  # fmt: skip
    pacers = [(op, tmp / f"paced{n}", k) for n, (op, k) in enumerate(zip(ops, paced, strict=True))]
    took, refused, rate = at_once(paced_claimer, pacers)
    say(f"  {OPERATORS} operators at their own pace: {len(took)} claims, {refused} refused")
    put("paced_p50", size, statistics.median(took))
    put("paced_p99", size, pct(took, 0.99))
    put("paced_rate", size, rate)
    raw, refused, _ = at_once(raw_claimer, [(team, f"op{n}", k) for n, k in enumerate(mine)])
    put("raw_claim8_p50", size, statistics.median(raw))
    put("raw_claim8_p99", size, pct(raw, 0.99))
    pages = [timed(lead.inbox_page, InboxFilter(), 0, 50) for _ in range(20)]
    put("page", size, statistics.median(pages))
    plain, filtered = team_raw.pages(team)
    put("raw_page", size, plain)
    put("raw_filter", size, filtered)
    feed = keys[-2 * SAMPLES : -SAMPLES]
    delays, missed = feed_delays("feed", ops[1], tmp / "feed", lead.claims.claim, feed)
    for key in feed:
        lead.claims.release(key)
    say(f"  feed: {len(delays)} seen, {missed} missed")
    put("feed_p50", size, statistics.median(delays))
    put("feed_p99", size, pct(delays, 0.99))
    with psycopg.connect(team, autocommit=True) as conn:
        delays, missed = feed_delays(
            "raw-feed", team, tmp, lambda k: team_raw.claim(conn, k, "raw", True), keys[-SAMPLES:]
        )
    say(f"  raw feed: {len(delays)} seen, {missed} missed")
    put("raw_feed_p50", size, statistics.median(delays))
    put("raw_feed_p99", size, pct(delays, 0.99))


def consoles(lead: ConsoleService, size: int, team: str, ops: list[str], tmp: Path) -> None:
    playbook = lead.playbook
    with open_service(tmp / "other", playbook, lambda: datetime.now(UTC), db=ops[2]) as other:
        got = console(team, tmp / "console", other, SAMPLES)
    for key in ("first_paint", "paint_open", "paint_app", "rss", "cursor_move", "cursor_detail"):
        put(key, size, got[key])
    put("cursor_net", size, got["cursor_detail"] - got["detail_delay"])
    for name in ("u", "s"):
        put(f"filter_{name}", size, got[f"filter_{name}"])
        put(f"filter_{name}_max", size, got[f"filter_{name}_max"])
        say(f"    (slowest: {got[f'filter_{name}_slowest']})")
    delays = got["propagation"]
    say(f"  console: {len(delays)} changes seen, {got['propagation_missed']} missed")
    put("prop_p50", size, statistics.median(delays))
    put("prop_p99", size, pct(delays, 0.99))


def ticks(lead: ConsoleService, size: int, clock: BenchClock) -> None:
    clock.advance(60)
    put("tick_backlog", size, timed(lead.timers.tick_all))
    console, due = [], []
    for _ in range(6):
        clock.advance(TIMER_SECONDS / 60)
        due.append(len(lead._store.due.due(clock())))
        console.append(timed(lead.timers.tick))
    put("tick10_p50", size, statistics.median(console))
    put("tick10_due", size, statistics.median(due))
    steady, due = [], []
    for _ in range(5):
        clock.advance(1)
        due.append(len(lead._store.due.due(clock())))
        steady.append(timed(lead.timers.tick))
    put("tick_p50", size, statistics.median(steady))
    put("tick_max", size, max(steady))
    put("tick_due", size, statistics.median(due))
    put("tick_item", size, sum(steady) / max(sum(due), 1))
    put("tick_idle", size, statistics.median(timed(lead.timers.tick) for _ in range(5)))


# --- the table --------------------------------------------------------------------------------


def cell(v: float | None) -> str:
    return f"{'-' if v is None else f'{v:,.{0 if abs(v) >= 100 else 2}f}':>10}"


def table(sizes: list[int]) -> None:
    small, large = sizes[0], sizes[-1]
    for ratio, (top, bottom) in RATIOS.items():
        for s in sizes:
            if s in VALUES[top] and VALUES[bottom].get(s):
                VALUES[ratio][s] = VALUES[top][s] / VALUES[bottom][s]
    head = f"{'measure':<56} {'unit':>4} " + " ".join(f"{s:>10,}" for s in sizes)
    for key, (section, label, unit, goal, expect) in ROWS.items():
        if section:
            say(f"\n{section}\n{head} {'growth':>7}  {'goal':<8} at {large:,}")
        a, b = VALUES[key].get(small), VALUES[key].get(large)
        factor, flag = "-", ""
        if a and b and small != large:
            grew = a / b if unit == "/s" else b / a
            factor = f"{grew:.2f}x"
            flag = "GROWS" if unit in ("ms", "/s") and expect == "flat" and grew > 2 else ""
        verdict = ""
        if goal is not None and b is not None:
            met = b >= goal[1] if goal[0] == ">=" else b <= goal[1]
            verdict = f"{goal[0]} {goal[1]:g}".ljust(8) + (" met" if met else " MISSED")
        values = " ".join(cell(VALUES[key].get(s)) for s in sizes)
        say(f"{label:<56} {unit:>4} {values} {factor:>7}  {verdict} {flag}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) each size's store")
    parser.add_argument("--fresh", action="store_true", help="with --keep: build them again")
    parser.add_argument("--out", type=Path, help="also write the output to this file")
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    say(f"team_bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}, python "
        f"{platform.python_version()}; code {revision()}")  # fmt: skip
    with connect(args.dsn) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    say(f"PostgreSQL {row[0] if row else '?'} at {args.dsn}; {neighbours()}; {calibrate()}")
    for size in sizes:
        say(f"\n== {size:,} mentions ==  ({neighbours()})")
        schema, built = open_schema(args.dsn, size, args.keep, args.fresh)
        try:
            with tempfile.TemporaryDirectory(prefix="team-bench-") as tmp:
                measure(size, args.dsn, schema, built, Path(tmp))
        finally:
            if not args.keep:
                drop_schema(args.dsn, schema)
        say(f"  done  ({neighbours()}; {calibrate()})")
    say(f"\ngrowth = figure at {sizes[-1]:,} / at {sizes[0]:,} (a rate: inverted); "
        "x rows: ours ÷ raw psycopg (>1: ours slower)")  # fmt: skip
    table(sizes)
    if args.out:
        args.out.write_text("\n".join(LINES) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
