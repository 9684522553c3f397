"""Other operators' processes for `bench.team_bench`, each with a service (and a database
login) of its own, as a real operator's would have:

- `at_once`: eight operators claiming different mentions at the same instant, round after
  round (a barrier before each claim), through `service.claims.claim`, or through raw
  psycopg's one conditional upsert (`team_raw.claim`) for the baseline; or, with
  `paced_claimer`, all eight at once but each at its own pace (a pause of 0-200 ms before
  each claim);
- `feed_delays`: from a claim returning in this process to another process's change feed
  (`service.changes`, or a raw LISTEN) yielding it:
  `python -m bench.team_operators feed|raw-feed DSN FOLDER` prints a time per change seen.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench import team_raw
from crisis_console import config
from crisis_console.cli import open_service
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.service import ConsoleService


@contextlib.contextmanager
def service_for(dsn: str, folder: Path) -> Iterator[ConsoleService]:
    """A service as an operator's own process opens it (the real clock, the real path)."""
    playbook = load_playbook(config.playbook_path(None, folder=folder))
    with open_service(folder, playbook, lambda: datetime.now(UTC), db=dsn) as service:
        yield service


def _claim_each(
    dsn: str, folder: Path, keys: list[str], barrier: Any, out: Any, before: Callable[[], object]
) -> None:
    """Open a service, then claim each key after `before()`; report (ms each, how many were
    refused); release them afterwards (not timed). The process's first claim, of the first
    key, released at once, is not timed: a connection's first use of each table and of the
    chain's server function costs about 15 ms once (an operator's console has done other
    work before anyone claims), and eight of them at once were the p99 of 400."""
    with service_for(dsn, folder) as service:
        took, refused = [], 0
        with contextlib.suppress(Exception):
            service.claims.claim(keys[0])
            service.claims.release(keys[0])
        barrier.wait(300)  # every service open
        for key in keys:
            before()
            start = time.perf_counter()
            try:
                service.claims.claim(key)
            except Exception:
                refused += 1
            took.append((time.perf_counter() - start) * 1000)
        barrier.wait(120)  # every operator done
        for key in keys:
            with contextlib.suppress(Exception):
                service.claims.release(key)
        out.put((took, refused))


def claimer(dsn: str, folder: Path, keys: list[str], barrier: Any, out: Any) -> None:
    """Claim each key the moment the other operators claim theirs (`_claim_each`)."""
    _claim_each(dsn, folder, keys, barrier, out, lambda: barrier.wait(60))


def paced_claimer(dsn: str, folder: Path, keys: list[str], barrier: Any, out: Any) -> None:
    """Claim each key after a pause of its own (0-200 ms, at random), while the other
    operators do the same: eight people working at once, each at their own pace (a hundred
    times a person's), rather than all in the same millisecond."""
    pause, started = random.Random(str(folder)), threading.Event()

    def before() -> None:
        if not started.is_set():
            barrier.wait(60)  # all go together
            started.set()
        time.sleep(pause.uniform(0, 0.2))

    _claim_each(dsn, folder, keys, barrier, out, before)


def raw_claimer(dsn: str, me: str, keys: list[str], barrier: Any, out: Any) -> None:
    """`claimer` with raw psycopg: a connection, one conditional upsert a claim."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        took, refused = [], 0
        barrier.wait(300)
        for key in keys:
            barrier.wait(60)
            start = time.perf_counter()
            refused += not team_raw.claim(conn, key, me)
            took.append((time.perf_counter() - start) * 1000)
        barrier.wait(60)
        out.put((took, refused))


def at_once(
    worker: Callable[..., None], args: list[tuple[Any, ...]]
) -> tuple[list[float], int, float]:
    """One spawned process per argument tuple, running `worker(*args, barrier, out)`;
    (every claim's ms, how many were refused, claims a second over the timed rounds)."""
    spawn = multiprocessing.get_context("spawn")
    barrier, out = spawn.Barrier(len(args) + 1), spawn.Queue()
    procs = [spawn.Process(target=worker, args=(*a, barrier, out)) for a in args]
    for proc in procs:
        proc.start()
    barrier.wait(300)  # all open; then each round
    start = time.perf_counter()
    rounds = 1 if worker is paced_claimer else len(args[0][-1])
    for _ in range(rounds):
        barrier.wait(60)
    barrier.wait(120)  # the last round done
    elapsed = time.perf_counter() - start
    took: list[float] = []
    refused = 0
    for _ in procs:
        times, no = out.get(timeout=300)
        took += times
        refused += no
    for proc in procs:
        proc.join(60)
    return took, refused, len(took) / elapsed


# --- the change feed, in another process ----------------------------------------------------


def feed_child(mode: str, dsn: str, folder: Path) -> None:
    """Print "ready", then the wall time each time the feed yields."""
    stop = threading.Event()
    if mode == "feed":
        with service_for(dsn, folder) as service:
            changes = service.changes(stop)
            print("ready", flush=True)
            for _ in changes:
                print(time.time(), flush=True)
        return
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"LISTEN {team_raw.CHANNEL}")
        print("ready", flush=True)
        for _ in conn.notifies():
            print(time.time(), flush=True)


class Child:
    """A child process whose standard output lines are read by a thread (so a wait has a
    timeout)."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def line(self, timeout: float = 120) -> str:
        return self.lines.get(timeout=timeout)

    def drain(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                self.lines.get_nowait()

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def feed_delays(mode: str, dsn: str, folder: Path, claim: Callable[[str], object],
                keys: list[str]) -> tuple[list[float], int]:  # fmt: skip
    """ms from each `claim(key)` being made to the feed child seeing it, a random pause
    (0-350 ms) before each so claims fall anywhere in the feed's gathering window; and how
    many were never seen (5 s)."""
    child = Child([sys.executable, "-m", "bench.team_operators", mode, dsn, str(folder)])
    rnd, delays, missed = random.Random(5), [], 0
    try:
        if child.line() != "ready":
            raise RuntimeError("the feed child did not start")
        time.sleep(1)
        for key in keys:
            time.sleep(rnd.uniform(0, 0.35))
            child.drain()
            asked = time.time()
            claim(key)
            try:
                delays.append((float(child.line(5)) - asked) * 1000)
            except queue.Empty:
                missed += 1
    finally:
        child.stop()
    return delays, missed


if __name__ == "__main__":
    feed_child(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
