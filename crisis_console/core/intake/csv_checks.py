"""What a file's first rows show about all of it, checked before any row is stored.

Some ways an export lies show in no single row: a date column the mapping does not know (every
post would quietly get the time of the import), dates in a shape nobody reads (one error a
row, thousands of times), day-first dates that read month-first wherever the day is 12 or
less, ids a spreadsheet rounded (different posts merged as edits of one). `check_sample` looks
at the first `SAMPLE_ROWS` rows and returns one problem for each such finding, naming the
column, showing its values and saying which flag settles it (the table then refuses the whole
file: `csv_table`), plus notes for the layout's description. Rows past the sample are still
checked one by one as they are read.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from datetime import datetime

from crisis_console.core.errors import Problem
from crisis_console.core.intake.csv_ids import HINT, is_long, rounded_column, unsafe_id
from crisis_console.core.intake.csv_mapping import NO_COLUMN
from crisis_console.core.intake.csv_row import Cell, ColumnIndex, RowReader, text_of
from crisis_console.core.intake.dates import (
    UnreadShape,
    guess_formats,
    looks_like_date,
    parse_when,
    reads_other_way,
)
from crisis_console.core.text import visible

SAMPLE_ROWS = 200
# Fewer filled cells than this in the first rows are too few to judge a column by: each row
# is then judged alone, so that one bad row of a two-line file never refuses the good one.
MIN_SAMPLE = 3
Row = tuple[int, Sequence[Cell]]

_TIME_WORDS = ("date", "time", "created", "published", "posted", "stamp", "sent", "received")


def check_sample(
    index: ColumnIndex, rows: Sequence[Row], source: str, header_line: int
) -> tuple[list[Problem], list[str]]:
    """(the problems that refuse the whole file, notes on how it is read) from its first rows;
    `header_line` is where a problem about a missing column is named."""
    readers = [RowReader(index, cells, line) for line, cells in rows]
    notes: list[str] = []
    problems = _ids(index, readers, source)  # first: storing them would merge posts
    if index.has("created_at"):
        problems += _dates(index, readers, source, notes)
    else:
        problems += _no_date_column(index, rows, source, header_line, notes)
    return problems, notes


def _no_date_column(
    index: ColumnIndex, rows: Sequence[Row], source: str, header_line: int, notes: list[str]
) -> list[Problem]:
    found = _date_columns(index, rows)
    if not found or NO_COLUMN in index.mapping.columns.get("created_at", ()):
        notes.append("no date column: each post is given the time of the import")
        return []
    mapping = index.mapping
    known = ", ".join(mapping.columns.get("created_at", ())) or "none"
    shown = ", ".join(f"{name} ('{visible(value[:40])}')" for name, value in found)
    flag = f"created_at={found[0][0]}"
    return [
        Problem(
            source,
            header_line,
            "",
            f"no date column that the {mapping.title} reads ({known}), yet dates are in "
            f"{shown}: name the post's time with --column {shlex.quote(flag)} (or created_at "
            "in a mapping file), rather than give every post the time of the import; if none "
            f"of them is, say so with --column created_at={NO_COLUMN}",
        )
    ]


def _date_columns(index: ColumnIndex, rows: Sequence[Row]) -> list[tuple[str, str]]:
    """(header, a value) of each column not mapped to another field whose filled cells are
    mostly (four in five) dates."""
    taken = {p for name, where in index.where.items() if name != "time" for p, _ in where}
    found = []
    for position, name in enumerate(index.header):
        if position in taken or not name.strip():
            continue
        cells = [row[position] for _, row in rows if position < len(row)]
        filled = [c for c in cells if not isinstance(c, str) or c.strip()]
        stamp = any(word in name.casefold() for word in _TIME_WORDS)
        if not stamp:
            continue  # a case number or a version (2026-11-0457, 2.14.0) is not a post's time
        dates = [c for c in filled if isinstance(c, datetime) or looks_like_date(text_of(c), stamp)]
        if dates and len(dates) * 5 >= len(filled) * 4:
            found.append((name.strip(), text_of(dates[0])))
    return found


def _dates(
    index: ColumnIndex, readers: list[RowReader], source: str, notes: list[str]
) -> list[Problem]:
    column = index.column("created_at")
    written = [(r, w) for r in readers if (w := r.written_when())]
    if not written:
        if readers and all(r.written_when() == "" for r in readers):
            notes.append(
                f"{column} is empty in the first {len(readers)} rows: a post without a date is "
                "given the time of the import"
            )
        return []
    mapping = index.mapping
    failed, unread = [], set()
    for reader, text in written:
        try:
            parse_when(text, index.assume, mapping.day_first, mapping.date_formats)
        except UnreadShape:
            failed.append((reader.line, text))
            unread.add(reader.line)
        except (ValueError, OverflowError):
            unread.add(reader.line)  # a date read and refused (no year): its row says so
    guesses = guess_formats([t for _, t in failed[:20]]) if failed else []
    if guesses and len(failed) * 2 >= len(written) >= MIN_SAMPLE:
        # Most dates unread, and in one shape a pattern reads: one problem naming it, not one
        # for every row. Dates no pattern reads ("yesterday") are each their row's problem.
        line, text = failed[0]
        how = f"--date-format '{guesses[0]}'"
        if len(guesses) > 1:
            how += f" (or '{guesses[1]}')"
        return [
            Problem(
                source,
                line,
                column,
                f"'{visible(text[:40])}' (line {line}) and {len(failed) - 1} more of the first "
                f"{len(written)} dates are in a shape that is not read: name it with {how}",
            )
        ]
    if mapping.date_formats:
        return []  # a pattern was named: it decides which number is the day
    read = [(r.line, t) for r, t in written if r.line not in unread]
    return _day_first(index, read, source, column)


def _day_first(
    index: ColumnIndex, written: list[tuple[int, str]], source: str, column: str
) -> list[Problem]:
    """A day-first date such as 24/02 read month-first elsewhere in the column (03/04 as
    4 March): dateutil reads each date alone, and silently."""
    first_day = index.mapping.day_first
    odd = [(line, text) for line, text in written if reads_other_way(text, first_day)]
    if not odd:
        return []  # one date that reads only the other way decides: the column has one order
    line, text = odd[0]
    if first_day:
        why = "puts the month first, but the dates are read day first: drop --day-first"
        why += " (day_first: false in a mapping file)"
    else:
        why = "puts the day first, but the dates are read month first (03/04 as 4 March, not "
        why += "3 April): add --day-first (day_first: true in a mapping file)"
    return [Problem(source, line, column, f"'{visible(text[:40])}' (line {line}) {why}")]


def _ids(index: ColumnIndex, readers: list[RowReader], source: str) -> list[Problem]:
    if not index.has("id"):
        return []
    cells = [(r.line, c) for r in readers if not _blank(c := r.id_cell())]
    unsafe = [(line, reason) for line, cell in cells if (reason := unsafe_id(cell))]
    column = index.column("id")
    if unsafe and len(unsafe) * 2 >= len(cells) >= MIN_SAMPLE:
        line, reason = unsafe[0]
        more = (
            f", as are {len(unsafe) - 1} more of the first {len(cells)} ids" if unsafe[1:] else ""
        )
        return [Problem(source, line, column, f"{visible(reason)} (line {line}){more}; {HINT}")]
    texts = [c for _, c in cells if isinstance(c, str)]
    if rounded_column(texts):  # it weighs how many ids it was given
        line, value = next((n, c) for n, c in cells if isinstance(c, str) and is_long(c))
        return [
            Problem(
                source,
                line,
                column,
                f"'{visible(value.strip()[:40])}' (line {line}) and the other long ids of the "
                f"first {len(cells)} rows all end in zeros, as numbers rounded to 15 digits do; "
                f"{HINT}",
            )
        ]
    return []


def _blank(cell: Cell) -> bool:
    return isinstance(cell, str) and not cell.strip()
