"""`crisis-console ingest`: JSONL or CSV files, a stream on standard input, or one file followed
as it grows; `crisis-console csv-presets` lists the CSV presets or prints one."""

from __future__ import annotations

import argparse
import codecs
import functools
import os
import signal
import sys
import threading
from collections.abc import Iterable
from itertools import chain
from pathlib import Path
from typing import IO, Any

from crisis_console.cli.ingest_jobs import WorkerSetup, spread
from crisis_console.cli.io import STDIN, err, open_lines, source_name
from crisis_console.core.errors import CrisisConsoleError, Problem
from crisis_console.core.intake.csv_ingest import CsvRefused, CsvTable, open_csv
from crisis_console.core.intake.csv_mapping import (
    NO_COLUMN,
    ColumnMapping,
    MappingError,
    load_mapping,
    parse_flag,
    preset,
    preset_names,
    preset_text,
)
from crisis_console.core.intake.csv_table import summarised
from crisis_console.core.intake.documents import MAX_DOCUMENT_BYTES, opens_document
from crisis_console.core.intake.follow import follow, stream
from crisis_console.core.intake.ingest import Read, read_jsonl
from crisis_console.core.intake.xlsx import SUFFIXES as WORKBOOK_SUFFIXES
from crisis_console.core.intake.xlsx import open_xlsx
from crisis_console.core.service import DEFAULT_BATCH, ConsoleService, IngestReport, Progress
from crisis_console.core.text import visible
from crisis_console.progress import ImportProgress


def add_commands(commands: Any) -> None:
    ingest = commands.add_parser("ingest", help="triage and store mentions")
    ingest.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="JSON Lines or JSON documents, CSV files or Excel workbooks, or - for stdin",
    )
    ingest.add_argument(
        "--follow",
        action="store_true",
        help="keep reading the (one) file as it grows, surviving rotation; Ctrl+C stops",
    )
    ingest.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="team mode: spread the import over N processes (about N times as fast, up to "
        "the machine's cores)",
    )
    csv_options = ingest.add_argument_group(
        "CSV",
        "files ending .csv or .tsv are CSV, .xlsx Excel workbooks; the preset is recognised "
        "from the header",
    )
    csv_options.add_argument("--csv", action="store_true", help="read the input as CSV")
    csv_options.add_argument("--preset", choices=preset_names(), help="the export's tool")
    csv_options.add_argument("--mapping", metavar="FILE", help="a YAML column mapping")
    csv_options.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FIELD=HEADER",
        help="the column holding a field, e.g. text=Message (repeatable)",
    )
    csv_options.add_argument("--timezone", help="zone of dates written without one")
    csv_options.add_argument(
        "--day-first", action="store_true", default=None, help="03/04/2026 is 3 April"
    )
    csv_options.add_argument("--date-format", help="strptime pattern, e.g. '%%d/%%m/%%Y %%H:%%M'")
    csv_options.add_argument("--platform", help="platform of rows that name none")
    csv_options.add_argument(
        "--encoding", help="the file's encoding if not UTF-8 or UTF-16, e.g. cp1252 (old Excel)"
    )
    csv_options.add_argument("--sheet", help="the workbook's sheet to read (default: the first)")
    presets = commands.add_parser("csv-presets", help="list the CSV presets, or print one")
    presets.add_argument("name", nargs="?", choices=preset_names())


def run_presets(args: argparse.Namespace, out: IO[str]) -> int:
    """List the presets with what each reads, or print one to copy as a mapping file."""
    if args.name:
        out.write(preset_text(args.name))
        return 0
    for name in preset_names():
        out.write(f"{name:<14} {preset(name).title}\n")
    return 0


def check(args: argparse.Namespace) -> None:
    """Refuse a command line that cannot work, before the data folder is opened."""
    if args.follow and (len(args.files) != 1 or args.files[0] == STDIN):
        raise CrisisConsoleError("--follow takes one file (standard input is read as it comes)")
    if args.jobs < 1:
        raise CrisisConsoleError("--jobs: at least 1")
    if args.jobs > 1 and (args.follow or STDIN in args.files):
        raise CrisisConsoleError("--jobs reads files whole: not with --follow or standard input")
    args.csv_mapping, args.csv_adjust = _csv_settings(args)
    if args.follow and (_is_workbook(args.files[0]) or _is_csv(args.files[0], args)):
        raise CrisisConsoleError("--follow reads JSON Lines; import a CSV export whole")


def _csv_settings(
    args: argparse.Namespace,
) -> tuple[ColumnMapping | None, functools.partial[ColumnMapping]]:
    """The mapping chosen (None: recognise from the header) and the flags' overrides."""
    if args.encoding:
        try:
            codecs.lookup(args.encoding)
        except LookupError:
            raise CrisisConsoleError(
                f"--encoding: '{args.encoding}' is not an encoding (e.g. utf-8, cp1252)"
            ) from None
    columns = dict(parse_flag(flag) for flag in args.column)
    mapping: ColumnMapping | None = None
    if args.mapping:
        path = Path(args.mapping)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise MappingError([Problem(args.mapping, 0, "", f"cannot read: {exc}")]) from exc
        mapping = load_mapping(text, args.mapping, path.stem)
    elif args.preset:
        mapping = preset(args.preset)
    elif "text" in columns:
        mapping = preset("generic")  # the text column is named: no need to recognise a tool
    adjust = functools.partial(
        ColumnMapping.with_overrides,
        columns=columns,
        timezone=args.timezone,
        day_first=args.day_first,
        date_format=args.date_format,
        platform=args.platform,
    )
    if mapping is not None:
        adjust(mapping)  # a bad --timezone or --platform is refused before anything is read
    else:
        adjust(preset("generic"))
    return mapping, adjust


def _is_workbook(name: str) -> bool:
    return Path(name).suffix.lower() in WORKBOOK_SUFFIXES


def _is_csv(name: str, args: argparse.Namespace) -> bool:
    chosen = args.csv or args.preset or args.mapping or args.column or args.encoding
    return bool(chosen) or Path(name).suffix.lower() in (".csv", ".tsv")


def run(
    args: argparse.Namespace,
    service: ConsoleService,
    folder: Path,
    where: str,
    workers: WorkerSetup | None = None,
) -> int:
    """`where`: the store, as the summary names it (the folder, or the team database);
    `workers`: `--jobs` above 1, and how its workers open their services (team mode)."""
    if args.follow:
        return _follow(Path(args.files[0]), service, folder)
    total = IngestReport()
    for name in args.files:
        source = source_name(name)
        if _is_workbook(name):
            report = _ingest_workbook(service, Path(name), source, args, workers)
        elif _is_csv(name, args):
            with open_lines(name) as lines:
                report = _ingest_csv(service, lines, source, args, workers)
        elif name == STDIN:
            # A stream: each batch is stored (and so acknowledged) as soon as the pipe pauses,
            # so `collector | crisis-console ingest -` keeps up without waiting for the end.
            report = _ingest_stream(service, source)
        else:
            with open_lines(name) as lines:
                report = _ingest_file(service, lines, source, workers)
        print(f"{visible(source)}: {report.summary()}")
        for line in summarised(report.problems):  # a refused file's rows: one line
            err(f"  {line}")
        for notice in report.notices:
            err(f"  note: {notice}")
        total.add(report)
    if len(args.files) > 1:
        print(f"total: {total.summary()}")
    print(f"stored in {where}")
    return 1 if total.rejected else 0


def _ingest(
    service: ConsoleService,
    records: Iterable[Read],
    progress: Progress | None,
    workers: WorkerSetup | None,
) -> IngestReport:
    if workers is None:
        return service.ingest(records, on_progress=progress)
    return spread(records, workers, on_progress=progress)


def _ingest_stream(service: ConsoleService, source: str) -> IngestReport:
    report = IngestReport()
    batches = stream(sys.stdin.buffer, most=DEFAULT_BATCH)
    first = next(batches, None)
    if first is not None and opens_document(first.lines):
        # One whole document (`curl … | jq .`): it can be read only once it has ended.
        whole, size = list(first.lines), sum(map(len, first.lines))
        for batch in batches:
            size += sum(map(len, batch.lines))
            if size > MAX_DOCUMENT_BYTES:
                raise CrisisConsoleError(
                    f"{source}: a JSON document longer than {MAX_DOCUMENT_BYTES // 2**20:,} MB "
                    "on standard input: send it as JSON Lines (jq -c '.[]')"
                )
            whole += batch.lines
        return service.ingest_lines(whole, source, first.first_line)
    for batch in chain([first] if first is not None else [], batches):
        report.add(service.ingest_lines(batch.lines, source, batch.first_line))
    return report


def _ingest_file(
    service: ConsoleService, lines: IO[bytes], source: str, workers: WorkerSetup | None
) -> IngestReport:
    progress = _progress(lines, source)
    try:
        counted = progress.counted(lines) if progress else lines
        return _ingest(service, read_jsonl(counted, source, service.clock()), progress, workers)
    finally:
        if progress:
            progress.finish()


def _ingest_csv(
    service: ConsoleService,
    lines: IO[bytes],
    source: str,
    args: argparse.Namespace,
    workers: WorkerSetup | None,
) -> IngestReport:
    progress = _progress(lines, source)
    try:
        counted = progress.counted(lines) if progress else lines
        table = open_csv(counted, source, args.csv_mapping, args.csv_adjust, args.encoding)
        _check_named_columns(table, args, source)
        print(f"{visible(source)}: {table.layout.describe()}", flush=True)
        return _ingest(service, table.records(service.clock()), progress, workers)
    except CsvRefused as exc:
        return IngestReport(problems=exc.problems)
    finally:
        if progress:
            progress.finish()


def _ingest_workbook(
    service: ConsoleService,
    path: Path,
    source: str,
    args: argparse.Namespace,
    workers: WorkerSetup | None,
) -> IngestReport:
    try:
        table = open_xlsx(path, source, args.csv_mapping, args.csv_adjust, args.sheet)
        _check_named_columns(table, args, source)
    except CsvRefused as exc:
        return IngestReport(problems=exc.problems)
    print(f"{visible(source)}: {table.layout.describe()}", flush=True)
    return _ingest(service, table.records(service.clock()), None, workers)


def _check_named_columns(table: CsvTable, args: argparse.Namespace, source: str) -> None:
    """`CsvRefused` when a `--column` names a header the file does not have: the field would
    quietly be left empty (the author, or the post's time) for every row."""
    present = {name.strip().casefold() for name in table.header}
    for field, header in (parse_flag(flag) for flag in args.column):
        if header != NO_COLUMN and header.casefold() not in present:
            shown = ", ".join(visible(name) for name in table.header if name.strip())
            why = f"--column {field}={visible(header)}: the file has no such column ({shown})"
            raise CsvRefused([Problem(source, table.layout.header_line, "", why)])


def _progress(lines: IO[bytes], source: str) -> ImportProgress | None:
    """A progress line for a file read on a terminal; none for a pipe or a log."""
    if not sys.stderr.isatty() or lines is sys.stdin.buffer:
        return None
    return ImportProgress(visible(source), os.fstat(lines.fileno()).st_size, sys.stderr)


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
            for notice in report.notices:
                err(f"  note: {notice}")
            print(f"{visible(str(path))}: {report.summary()}", flush=True)
            service.work_outbox()  # the notifications the batch raised go out now
    finally:
        signal.signal(signal.SIGINT, previous)
    return 0
