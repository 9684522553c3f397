"""`crisis-console triage [FILE|-]`: classify and route mentions to JSON Lines, storing
nothing.

Triage is pure computation, about 200 µs a new post in one process, so a file is shared
out among worker processes, one a core: this process reads and parses the lines, numbers
each author's posts (a repeat author's reason needs the count so far), and hands the
mentions over in chunks; the workers triage them and write each result's JSON; the results
come back in the file's order, so the output is the same, line for line, as one process's.
A pipe or a terminal is triaged here, line by line, so that a stream's reader sees each
result as soon as its line arrives (a chunk would keep it waiting for the lines after it).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import stat
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from itertools import islice
from typing import IO

from crisis_console.cli.io import err
from crisis_console.core.errors import CrisisConsoleError, Notice
from crisis_console.core.intake.ingest import Parsed, read_jsonl
from crisis_console.core.models import Mention, triage_output
from crisis_console.core.triage.routing import Triager

CHUNK = 256  # mentions a hand-over: big enough to pay for it, small enough to share out
MIN_PARALLEL_BYTES = 256 * 1024  # a smaller file is done before the workers would start
MAX_JOBS = 8
IN_FLIGHT = 2  # chunks a worker has queued: one at work, one waiting

Job = tuple[Mention, int]  # a mention and how many posts its author made before it in the input


def auto_jobs(handle: IO[bytes], asked: int | None) -> int:
    """Worker processes to use: as asked, else one a core (at most `MAX_JOBS`) for a
    regular file of some size, else 1 (this process, line by line)."""
    if asked is not None:
        return max(1, min(asked, MAX_JOBS))
    try:
        info = os.fstat(handle.fileno())
    except (OSError, ValueError):  # not a real file (a test's stream)
        return 1
    if not stat.S_ISREG(info.st_mode) or info.st_size < MIN_PARALLEL_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_JOBS))


class _Jobs:
    """The input's mentions in order, each numbered among its author's posts; every record
    that cannot be read is reported on stderr, with its line, and counted."""

    def __init__(self, lines: Iterable[bytes], source: str, now: datetime) -> None:
        self._items = read_jsonl(lines, source, now)
        self.rejected = 0
        self._authors: Counter[str] = Counter()

    def __iter__(self) -> Iterator[Job]:
        for item in self._items:
            if isinstance(item, Notice):
                err(f"note: {item}")  # replies a platform left out: told, not rejected
                continue
            if not isinstance(item, Parsed):
                self.rejected += 1
                err(str(item))
                continue
            mention = item.mention
            author = f"{mention.platform.value}:{mention.author}"
            yield mention, self._authors[author]
            self._authors[author] += 1


def _result(triager: Triager, job: Job, level: int) -> str:
    mention, earlier = job
    return json.dumps(triage_output(triager.triage(mention, earlier, level)), ensure_ascii=False)


def triage_lines(
    triager: Triager,
    lines: Iterable[bytes],
    source: str,
    now: datetime,
    level: int,
    out: IO[str],
    jobs: int = 1,
) -> int:
    """Triage every mention of `lines` to `out`, one JSON line each, in the input's order;
    1 when a record could not be read (each reported on stderr), else 0."""
    reader = _Jobs(lines, source, now)
    if jobs <= 1:
        for job in reader:
            out.write(_result(triager, job, level))
            out.write("\n")
            out.flush()  # a stream's reader sees each result as it is made
        return 1 if reader.rejected else 0
    return _shared_out(triager, reader, level, out, jobs)


def _shared_out(triager: Triager, reader: _Jobs, level: int, out: IO[str], jobs: int) -> int:
    """`triage_lines` over `jobs` worker processes, a few chunks in flight at a time (a
    slow reader of the output never makes the results pile up in memory)."""
    # fork: the workers start with the triager already built (the playbook read, the
    # patterns compiled); only the mentions and the results are pickled.
    pool = ProcessPoolExecutor(
        jobs,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(triager, level),
    )
    in_flight: deque[Future[str]] = deque()
    try:
        for chunk in _chunks(reader):
            in_flight.append(pool.submit(_triage_chunk, chunk))
            if len(in_flight) >= IN_FLIGHT * jobs:
                out.write(in_flight.popleft().result())
        while in_flight:
            out.write(in_flight.popleft().result())
    except BrokenProcessPool as exc:  # a worker killed (out of memory, a signal)
        raise CrisisConsoleError(
            "triage: a worker process died; the results written so far are complete, in "
            "order, up to where it stopped (try --jobs 1)"
        ) from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    out.flush()
    return 1 if reader.rejected else 0


def _chunks(jobs: Iterable[Job]) -> Iterator[list[Job]]:
    iterator = iter(jobs)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


# A worker process's own triager, set once when it starts (a process-local, not shared).
_worker: tuple[Triager, int] | None = None


def _start_worker(triager: Triager, level: int) -> None:
    global _worker  # the one way a pool hands a worker its state
    _worker = (triager, level)
    # Ctrl+C is the parent's to answer (once); a worker just stops when the pool does.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _triage_chunk(chunk: list[Job]) -> str:
    assert _worker is not None, "a worker triages only after _start_worker"
    triager, level = _worker
    return "".join(_result(triager, job, level) + "\n" for job in chunk)
