"""The inbox's search at several store sizes, on both backends: words (whole, all of them),
a `#tag`, an `@author` and a mention's key, through `InboxFilter.searching` and the
service's first page, as the console's search box does.

    python -m bench.search_bench [--sizes 10000,100000] [--dsn URL] [--backends folder,postgres]

Each store is built through the real ingest (`service.ingest`: triage, alarms, reminders)
from the crisis corpus (`bench/crisis_corpus.py`, one post in five a risk of harm, a few
prolific authors and a long tail), then one mention in a hundred is tagged through the work
desk. Per search: the first page of 50 and its total. A folder keeps its last few searches:
"first" is the search on a freshly opened store (median of 3 opens), "again" the same
search repeated (median of 5), each store having shown its first page unfiltered first, as
the console does when it opens. PostgreSQL keeps nothing between searches: "first" and
"again" differ only by its caches; its tables are vacuumed and analysed, as autovacuum
would. The ratios are each search over the unfiltered first page at the same size, and each
figure at the largest size over the smallest (growth).
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psycopg import sql

from bench.crisis_corpus import write_corpus
from bench.machine import calibrate, machine, neighbours, revision
from bench.team_schema import with_schema
from crisis_console import config
from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role, system_clock
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.roster import Operator
from crisis_console.core.service import ConsoleService
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.connection import connect, named
from crisis_console.core.store.postgres.team import open_team
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from crisis_console.core.work.model import SELECTION_MAX

DSN = "postgresql://postgres@127.0.0.1:5432/test"
TAG = "refund-request"
PAGE = 50
Opener = Callable[[], Any]  # a fresh store: (store, audit)


def searches(key: str, lone_author: str) -> dict[str, str]:
    """What is measured: a label -> what is typed. The corpus's most prolific author is
    `fan7` (its authors are `fan` and a Pareto draw times seven)."""
    return {
        "first page, no search": "",
        "word: refund": "refund",
        "words: service customer": "service customer",
        'phrase: "customer service"': '"customer service"',
        "rare word: lawyer": "lawyer",
        f"tag: #{TAG}": f"#{TAG}",
        "author, prolific: @fan7": "@fan7",
        "author, one post": "@" + lone_author,
        "key": key,
        "word + author: refund @fan7": "refund @fan7",
    }


def service(store: Any, audit: Any, triager: Triager) -> ConsoleService:
    lead = Operator("bench", frozenset({Role.LEAD}))
    return ConsoleService(store, audit, triager, system_clock, lead, Notifier(ConsoleSink()))


def build(opener: Opener, size: int, triager: Triager, tmp: Path) -> tuple[str, str, float]:
    """Ingest the corpus and tag one mention in a hundred; a key to look up, an author with
    one post, and the ingest's rate."""
    corpus = tmp / f"corpus-{size}.jsonl"
    write_corpus(corpus, size, 0.2, system_clock(), triager)
    store, audit = opener()
    lead = service(store, audit, triager)
    start = time.perf_counter()
    with corpus.open("rb") as lines:
        report = lead.ingest(read_jsonl(lines, str(corpus), system_clock()))
    rate = report.new / (time.perf_counter() - start)
    page = lead.inbox_page(InboxFilter(status="all"), 0, size)
    rnd = random.Random(size)
    keys = [r.key for r in page.rows]
    tagged = rnd.sample(keys, size // 100)
    for at in range(0, len(tagged), SELECTION_MAX):
        lead.work.tag(tagged[at : at + SELECTION_MAX], TAG)
    posts = Counter(r.author.lower() for r in page.rows)
    store.close()
    corpus.unlink()
    return rnd.choice(keys), min(a for a, n in posts.items() if n == 1), rate


def timed(lead: ConsoleService, typed: str) -> tuple[float, int]:
    start = time.perf_counter()
    page = lead.inbox_page(InboxFilter(status="all").searching(typed), 0, PAGE)
    return (time.perf_counter() - start) * 1000, page.total


def measure(opener: Opener, triager: Triager, asked: dict[str, str]) -> dict[str, list[float]]:
    """label -> [first ms, again ms, total found]. Each store opened shows its first page
    before the search, as the console does (that page is the first row's "first")."""
    out: dict[str, list[float]] = {}
    for label, typed in asked.items():
        firsts, agains, total = [], [], 0
        for _ in range(3):
            store, audit = opener()
            lead = service(store, audit, triager)
            opening = timed(lead, "")[0]
            ms, total = timed(lead, typed) if typed else (opening, timed(lead, typed)[1])
            firsts.append(ms)
            agains += [timed(lead, typed)[0] for _ in range(5)]
            store.close()
        out[label] = [statistics.median(firsts), statistics.median(agains), total]
    return out


@contextmanager
def folder_store(tmp: Path) -> Iterator[tuple[Opener, Callable[[], None]]]:
    """Opens the store in a data folder; the build leaves nothing to settle."""
    folder = tmp / "data"
    folder.mkdir()
    yield (lambda: (TinyDBStore(folder), AuditLog(folder / AUDIT_FILE))), lambda: None


@contextmanager
def team_store(dsn: str) -> Iterator[tuple[Opener, Callable[[], None]]]:
    """Opens a team database in a schema of its own (dropped afterwards); and settles it:
    VACUUM ANALYZE of its tables, as autovacuum would after the build."""
    schema = f"bench_search_{uuid.uuid4().hex[:8]}"
    with connect(dsn, autocommit=True) as conn:
        conn.execute(named("CREATE SCHEMA {s}", s=schema))
    team = with_schema(dsn, schema)
    with connect(team) as conn:
        migrations.migrate(conn)

    def opened() -> tuple[Any, Any]:
        got = open_team(team, pool_size=2)
        return got.store, got.audit

    def settle() -> None:
        with connect(dsn, autocommit=True) as conn:
            tables = "SELECT tablename FROM pg_tables WHERE schemaname = %s"
            for (name,) in conn.execute(tables, (schema,)).fetchall():
                vacuum = sql.SQL("VACUUM ANALYZE {}.{}")
                conn.execute(vacuum.format(sql.Identifier(schema), sql.Identifier(name)))

    try:
        yield opened, settle
    finally:
        with connect(dsn, autocommit=True) as conn:
            conn.execute(named("DROP SCHEMA {s} CASCADE", s=schema))


def report(backend: str, sizes: list[int], figures: dict[int, dict[str, list[float]]]) -> None:
    small, large = sizes[0], sizes[-1]
    print(f"\n{backend}: first / again, ms (found); ÷ first page; growth {small:,} → {large:,}")
    base = {s: figures[s]["first page, no search"] for s in sizes}
    for label in figures[large]:
        cells = []
        for s in sizes:
            first, again, total = figures[s][label]
            cells.append(f"{first:7.1f} / {again:6.1f} ({total:,.0f}) ×{first / base[s][0]:.1f}")
        growth = figures[large][label][0] / figures[small][label][0]
        print(f"  {label:32} " + " | ".join(cells) + f" | growth {growth:.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--dsn", default=DSN)
    parser.add_argument("--backends", default="folder,postgres")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    logging.getLogger("crisis_console").setLevel(logging.ERROR)  # a thousand harm alarms
    print(f"{machine()}; code {revision()}; {calibrate()}; {neighbours()}")
    triager = Triager(load_playbook(config.playbook_path(None)))
    for backend in args.backends.split(","):
        figures: dict[int, dict[str, list[float]]] = {}
        for size in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                stores = folder_store(Path(tmp)) if backend == "folder" else team_store(args.dsn)
                with stores as (opener, settle):
                    key, author, rate = build(opener, size, triager, Path(tmp))
                    print(f"{backend} {size:,}: ingested at {rate:,.0f} /s", flush=True)
                    settle()
                    figures[size] = measure(opener, triager, searches(key, author))
        report(backend, sizes, figures)


if __name__ == "__main__":
    main()
