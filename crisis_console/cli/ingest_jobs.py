"""`ingest --jobs N` in team mode: one import spread over N processes on the team database.

One Python process triages and stores about 4,300 mentions a second, most of it its own
work (triage, JSON, rows), which threads cannot share out. N `ingest` commands run side by
side on the database can, and that is what this is, with one file and one summary: this
process reads and checks the records (every problem is named with its line, as with one
process), and each worker, a process of its own with its own service, triages, stores and
archives its share. The database serialises what they share: the audit chain, alarms and
the counts.

Each record goes to the worker chosen by its mention's key, so every version of a mention
is stored by one process, in the file's order. A worker that fails stops the import: what
every worker had stored stays stored (a batch is durable once written), the error names
the worker, and importing the file again stores the rest (the stored ones are duplicates).
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any

from crisis_console.core.errors import CrisisConsoleError, Notice, Problem
from crisis_console.core.intake.ingest import Parsed, Read
from crisis_console.core.models import Clock
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.service import IngestReport, Progress

CHUNK = 250  # records handed to a worker at a time
AHEAD = 8  # chunks a worker may have waiting: the reader keeps at most this far ahead
_POLL = 0.2  # seconds between checks that the workers are alive while one is waited on


@dataclass(frozen=True)
class WorkerSetup:
    """How many workers, and what each opens its own service with: the same folder,
    playbook, clock and team database as the command (the same login: identity is the
    database's)."""

    jobs: int
    folder: Path
    playbook: Playbook
    clock: Clock
    db: str


def share(key: str, jobs: int) -> int:
    """The worker that stores the mention `key` (the same in every run)."""
    return zlib.crc32(key.encode()) % jobs


def spread(
    records: Iterable[Read], setup: WorkerSetup, on_progress: Progress | None = None
) -> IngestReport:
    """Ingest `records` in `setup.jobs` worker processes; return the summed report once
    every worker has stored its share. Raise `CrisisConsoleError` if a worker fails (once
    the others have stored what they were given)."""
    jobs = setup.jobs
    crew = _Crew(setup, on_progress)
    try:
        crew.wait_until_ready()
        pending: list[list[Parsed]] = [[] for _ in range(jobs)]
        for item in records:
            if isinstance(item, Problem):
                crew.problems.append(item)
                continue
            if isinstance(item, Notice):
                crew.notices.append(item)
                continue
            n = share(item.mention.key, jobs)
            pending[n].append(item)
            if len(pending[n]) >= CHUNK:
                crew.hand(n, pending[n])
                pending[n] = []
            crew.hear()
        for n, chunk in enumerate(pending):
            if chunk:
                crew.hand(n, chunk)
    except _WorkerFailed:
        pass  # said below, once the others have stored what they were given
    finally:
        crew.settle()  # each worker finishes what it was given
    if crew.failed:
        raise CrisisConsoleError(
            "; ".join(crew.failed.values()) + ". What the workers had stored stays stored; "
            "import the file again for the rest (the stored mentions count as duplicates)"
        )
    return crew.report()


class _Crew:
    """The worker processes as the reader sees them: handed their chunks, their answers
    heard, their counts summed."""

    def __init__(self, setup: WorkerSetup, on_progress: Progress | None) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process with threads
        self._answers: Any = context.Queue()
        self._inboxes: list[Any] = [context.Queue(maxsize=AHEAD) for _ in range(setup.jobs)]
        self._workers: list[SpawnProcess] = [
            context.Process(target=_work, args=(setup, inbox, self._answers, n), daemon=True)
            for n, inbox in enumerate(self._inboxes)
        ]
        self._on_progress = on_progress
        self._ready: set[int] = set()
        self._closed: set[int] = set()  # told there is no more
        self._latest: dict[int, IngestReport] = {}
        self.done: set[int] = set()
        self.failed: dict[int, str] = {}
        self.problems: list[Problem] = []
        self.notices: list[Notice] = []
        for worker in self._workers:
            worker.start()

    def report(self) -> IngestReport:
        total = IngestReport(problems=list(self.problems), notices=list(self.notices))
        for part in self._latest.values():
            total.add(part)
        return total

    def wait_until_ready(self) -> None:
        while len(self._ready) < len(self._workers):
            self.hear(timeout=_POLL)
            self._check()

    def hand(self, n: int, chunk: list[Parsed]) -> None:
        """Give worker `n` a chunk, waiting while it has enough ahead of it."""
        while True:
            self._check()
            try:
                self._inboxes[n].put(chunk, timeout=_POLL)
                return
            except queue.Full:
                self.hear()

    def hear(self, timeout: float = 0) -> None:
        """Take in every answer waiting, the first waited for up to `timeout` seconds."""
        while True:
            try:
                if timeout:
                    kind, n, value = self._answers.get(timeout=timeout)
                    timeout = 0
                else:
                    kind, n, value = self._answers.get_nowait()
            except queue.Empty:
                return
            if kind == "ready":
                self._ready.add(n)
            elif kind == "failed":
                self.failed[n] = f"ingest worker {n + 1} failed: {value}"
            else:
                self._latest[n] = value
                if kind == "done":
                    self.done.add(n)
                if self._on_progress is not None:
                    self._on_progress(self.report())

    def settle(self) -> None:
        """Tell every worker there is no more, and wait until each has finished or
        stopped."""
        while True:
            for n, inbox in enumerate(self._inboxes):
                if n not in self._closed:
                    try:
                        inbox.put(None, timeout=_POLL)
                        self._closed.add(n)
                    except queue.Full:
                        pass  # it is still working through its chunks: try again
            self.hear(timeout=_POLL)
            self._note_stopped()
            if len(self.done) + len(self.failed) == len(self._workers):
                break
        for worker in self._workers:
            worker.join(timeout=5)

    def _note_stopped(self) -> None:
        for n, worker in enumerate(self._workers):
            if worker.is_alive() or n in self.done or n in self.failed:
                continue
            self.hear()  # its last words may still be on their way
            if n not in self.done and n not in self.failed:
                self.failed[n] = f"ingest worker {n + 1} stopped (exit code {worker.exitcode})"
                self._closed.add(n)

    def _check(self) -> None:
        """Raise `_WorkerFailed` once a worker has failed or stopped without finishing."""
        self._note_stopped()
        if self.failed:
            raise _WorkerFailed


class _WorkerFailed(Exception):
    """A worker failed: the reader stops handing out records."""


def _work(setup: WorkerSetup, inbox: Any, answers: Any, n: int) -> None:
    """A worker: its own service on the team database, ingesting what it is handed."""
    # Imported here: the worker is a fresh interpreter, and the wiring imports the world.
    from crisis_console.cli.wiring import open_service

    # Ctrl+C is the reader's: it stops handing out records, and each worker finishes (and
    # stores) what it was given, never stopping in the middle of a batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with open_service(setup.folder, setup.playbook, setup.clock, db=setup.db) as service:
            answers.put(("ready", n, None))

            def handed() -> Iterable[Parsed]:
                while (chunk := inbox.get()) is not None:
                    yield from chunk

            report = service.ingest(
                handed(), on_progress=lambda r: answers.put(("progress", n, _counts(r)))
            )
            answers.put(("done", n, _counts(report)))
    except Exception as exc:  # any failure is the reader's to report, whatever it is
        answers.put(("failed", n, f"{type(exc).__name__}: {exc}"))


def _counts(report: IngestReport) -> IngestReport:
    return IngestReport(report.new, report.updated, report.duplicates, report.deleted)
