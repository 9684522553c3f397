"""`crisis-console ingest`: files, a stream on standard input, or one file followed as it grows."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import IO, Any

from crisis_console.cli_io import STDIN, err, open_lines, source_name
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.follow import follow, stream
from crisis_console.core.ingest import read_jsonl
from crisis_console.core.service import DEFAULT_BATCH, ConsoleService, IngestReport
from crisis_console.core.text import visible
from crisis_console.progress import ImportProgress


def add_commands(commands: Any) -> None:
    ingest = commands.add_parser("ingest", help="triage and store mentions")
    ingest.add_argument("files", nargs="+", metavar="FILE", help="JSONL files, or - for stdin")
    ingest.add_argument(
        "--follow",
        action="store_true",
        help="keep reading the (one) file as it grows, surviving rotation; Ctrl+C stops",
    )


def check(args: argparse.Namespace) -> None:
    """Refuse a command line that cannot work, before the data folder is opened."""
    if args.follow and (len(args.files) != 1 or args.files[0] == STDIN):
        raise CrisisConsoleError("--follow takes one file (standard input is read as it comes)")


def run(args: argparse.Namespace, service: ConsoleService, folder: Path) -> int:
    if args.follow:
        return _follow(Path(args.files[0]), service, folder)
    total = IngestReport()
    for name in args.files:
        source = source_name(name)
        if name == STDIN:
            # A stream: each batch is stored (and so acknowledged) as soon as the pipe pauses,
            # so `collector | crisis-console ingest -` keeps up without waiting for the end.
            report = IngestReport()
            for batch in stream(sys.stdin.buffer, most=DEFAULT_BATCH):
                report.add(service.ingest_lines(batch.lines, source, batch.first_line))
        else:
            with open_lines(name) as lines:
                report = _ingest_file(service, lines, source)
        print(f"{visible(source)}: {report.summary()}")
        for problem in report.problems:
            err(f"  {problem}")
        total.add(report)
    if len(args.files) > 1:
        print(f"total: {total.summary()}")
    print(f"stored in {folder}")
    return 1 if total.rejected else 0


def _ingest_file(service: ConsoleService, lines: IO[bytes], source: str) -> IngestReport:
    if not sys.stderr.isatty():
        return service.ingest_lines(lines, source)
    progress = ImportProgress(visible(source), os.fstat(lines.fileno()).st_size, sys.stderr)
    try:
        records = read_jsonl(progress.counted(lines), source, service.clock())
        return service.ingest(records, on_progress=progress)
    finally:
        progress.finish()


def _follow(path: Path, service: ConsoleService, folder: Path) -> int:
    stop = threading.Event()
    # Ctrl+C asks the loop to stop between batches, never in the middle of a write.
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        print(f"following {path} into {folder}; Ctrl+C stops", flush=True)
        for batch in follow(path, stop):
            report = service.ingest_lines(batch.lines, str(path), batch.first_line)
            for problem in report.problems:
                err(f"  {problem}")
            print(f"{visible(str(path))}: {report.summary()}", flush=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    return 0
