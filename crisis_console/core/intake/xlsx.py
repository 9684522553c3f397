"""Reads mentions from Excel workbooks (.xlsx, .xlsm) through the same column mappings, presets
and checks as CSV files (the one module that imports openpyxl).

The workbook is opened read-only, so rows are streamed rather than the sheet held in memory,
and with the values Excel last computed: a formula is never evaluated, its cached result is
read, and a macro never runs. The first sheet is read unless one is named. A cell keeps what
Excel stored: text; a real date, read as it is (no parsing, in the mapping's zone when it has
none); a number, written as text, except one too large to be exact (2**53 and past), kept as
a float so that an id holding it is refused for the rounded number it is. Problems name the
sheet's own row numbers, under the source `book.xlsx[Sheet]`.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from itertools import chain, islice
from pathlib import Path
from typing import Any

from crisis_console.core.errors import Problem
from crisis_console.core.intake.csv_ids import SAFE_INTEGER
from crisis_console.core.intake.csv_mapping import ColumnMapping
from crisis_console.core.intake.csv_row import Cell, text_of
from crisis_console.core.intake.csv_table import (
    HEADER_SEARCH_ROWS,
    CsvLayout,
    CsvRefused,
    CsvTable,
    candidate_mappings,
    find_header,
    find_other,
    no_header,
    refused_as_other,
    start_table,
)
from crisis_console.core.text import visible

SUFFIXES = (".xlsx", ".xlsm", ".xls")  # .xls only to be told how to convert it


def open_xlsx(
    path: Path,
    source: str,
    mapping: ColumnMapping | None = None,
    adjust: Callable[[ColumnMapping], ColumnMapping] | None = None,
    sheet: str | None = None,
) -> CsvTable:
    """Start reading the workbook at `path`, its first sheet or the one named `sheet`, as
    `open_csv` reads a CSV file (the header found among the first rows, the preset recognised
    from it, the first rows checked). `CsvRefused` if it is not a workbook, has no such sheet
    or no header row; the workbook stays open until the table's records are all read."""
    # Imported on first use: openpyxl loads NumPy when it is there, and every command (the
    # console's start among them) imports the CLI that imports this module.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on styles it does not read
            book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except OSError as exc:
        raise CsvRefused([Problem(source, 0, "", f"cannot read: {exc.strerror}")]) from None
    except (InvalidFileException, zipfile.BadZipFile, *_BROKEN) as exc:
        why = f"not an Excel workbook (.xlsx): {visible(str(exc))[:200]}"
        if path.suffix.lower() == ".xls":
            why = "an Excel 97-2003 workbook (.xls) is not read: save it as .xlsx or as CSV"
        raise CsvRefused([Problem(source, 0, "", why)]) from None
    try:
        chosen = _sheet(book, sheet, source)
        chosen.reset_dimensions()  # the size a writer recorded may be wrong: read every cell
        rows = _rows(chosen.iter_rows(), f"{source}[{chosen.title}]")
        named = f"{source}[{chosen.title}]"
        return _table(rows, named, chosen.title, mapping, adjust, book)
    except BaseException:
        book.close()
        raise


def _table(
    rows: Iterator[SheetRow],
    source: str,
    title: str,
    mapping: ColumnMapping | None,
    adjust: Callable[[ColumnMapping], ColumnMapping] | None,
    book: Any,
) -> CsvTable:
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    candidates = candidate_mappings(mapping, adjust)
    texts = [(r[0], [text_of(c).strip() for c in r[1]]) for r in head if not isinstance(r, Problem)]
    found = find_header(texts, candidates, detect=mapping is None)
    if found is not None:
        line, header, chosen = found
        layout = CsvLayout(chosen, line, "", "", mapping is None, sheet=title)
        return start_table(layout, header, _closing(chain(head, rows), book), source)
    other = find_other(texts)
    if other is not None:
        line, header, what = other
        described, refusal = refused_as_other(what, source, line)
        layout = CsvLayout(described, line, "", "", True, sheet=title)
        rows = _closing(chain(head, rows), book)
        return start_table(layout, header, rows, source, [refusal])
    if not head:
        raise CsvRefused([Problem(source, 1, "", "the sheet is empty")])
    raise no_header(source, candidates, texts[0][1])


# What a damaged workbook raises while it is read: its XML (SyntaxError is ElementTree's
# ParseError's base), or parts that are not where they should be.
_BROKEN = (SyntaxError, KeyError, ValueError, IndexError, TypeError, AttributeError)


def _sheet(book: Any, named: str | None, source: str) -> Any:
    """The sheet named, or the first one a person sees (a hidden lookup sheet first in the
    workbook is not the data); `CsvRefused` for none, or for a chart."""
    sheets = book.worksheets
    if named is None:
        shown = [s for s in sheets if getattr(s, "sheet_state", "visible") == "visible"]
        if not (shown or sheets):
            raise CsvRefused([Problem(source, 0, "", "the workbook holds no worksheet")])
        return (shown or sheets)[0]
    if named not in book.sheetnames:
        names = ", ".join(f"'{visible(n)}'" for n in book.sheetnames)
        why = f"no sheet '{visible(named)}' (sheets: {names})"
        raise CsvRefused([Problem(source, 0, "", why)])
    chosen = book[named]
    if not hasattr(chosen, "iter_rows"):
        raise CsvRefused([Problem(source, 0, "", f"'{visible(named)}' is a chart, not a sheet")])
    return chosen


SheetRow = tuple[int, list[Cell]] | Problem


def _rows(cells: Iterator[tuple[Any, ...]], source: str) -> Iterator[SheetRow]:
    """(the sheet's row number, its cells) for every row that is not blank; a `Problem` for
    a row holding an Excel error (`#N/A`: its value is no value), and one where the sheet's
    XML breaks off, after which nothing more can be read."""
    number = 0
    try:
        for number, row in enumerate(cells, start=1):
            errors = [c for c in row if getattr(c, "data_type", None) == "e"]
            if errors:
                where = getattr(errors[0], "coordinate", "")
                why = f"cell {where} holds the Excel error {visible(str(errors[0].value))[:20]}"
                yield Problem(source, number, "", f"{why}: fix it in the workbook")
                continue
            values = [_cell(getattr(c, "value", None)) for c in row]
            if any(not isinstance(v, str) or v.strip() for v in values):
                yield number, values
    except _BROKEN as exc:
        why = f"the sheet cannot be read past row {number}: {visible(str(exc))[:200]}"
        yield Problem(source, number + 1, "", why)


def _closing(rows: Iterator[SheetRow], book: Any) -> Iterator[SheetRow]:
    try:
        yield from rows
    finally:
        book.close()


def _cell(value: Any) -> Cell:
    """What Excel stored, as a cell: text, a date, or a float too large to be exact."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < SAFE_INTEGER:
            return str(int(value))
        return value if value.is_integer() else repr(value)
    if isinstance(value, datetime | time):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    return str(value)
