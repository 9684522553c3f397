"""Reads mentions from CSV exports and spreadsheets through a `ColumnMapping`.

`open_csv` finds the header row (exports often start with lines about the query), the
delimiter (`,` `;` tab `|`) and, without a mapping, which shipped preset the file is. It
reads UTF-8 with or without a BOM and UTF-16 with a BOM (Excel and Meltwater write it);
cells may hold quoted newlines. The first rows are checked for what they show about the whole
file (`csv_checks`); `CsvTable.records` then yields, in order, a `Parsed` for every good row
and a `Problem` for every bad one, naming the row's first line and the file's own column
header. Workbooks are read by `xlsx.open_xlsx` into the same table. Nothing in a cell is ever
evaluated.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

from crisis_console.core.errors import Problem
from crisis_console.core.intake.csv_mapping import ColumnMapping
from crisis_console.core.intake.csv_table import (
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

__all__ = ["CsvLayout", "CsvRefused", "CsvTable", "csv_rows", "open_csv"]

SNIFF_LINES = 200
DELIMITERS = ",;\t|"
_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def open_csv(
    lines: Iterable[bytes],
    source: str,
    mapping: ColumnMapping | None = None,
    adjust: Callable[[ColumnMapping], ColumnMapping] | None = None,
    encoding: str | None = None,
) -> CsvTable:
    """Start reading `lines` (a binary file's lines). With `mapping`, the header is the first
    row naming its text column; without, the first row holding some preset's `recognise`
    headers (and one of its text headers) picks that preset. `adjust` (command-line
    overrides) applies to whichever mapping is used; `encoding` names the file's encoding when
    it is neither UTF-8 nor UTF-16 with a BOM. A file whose first rows show it would be read
    wrongly (`csv_checks`), or whose header is another tool's export that is not read
    (`csv_others`), gives a table that reports every row. `CsvRefused` if the file is empty
    or no header row is found."""
    decoder = _Decoder(lines, encoding)
    head = list(decoder.take(SNIFF_LINES))
    candidates = candidate_mappings(mapping, adjust)
    for delimiter in _delimiters(head):
        found = find_header(_header_rows(head, delimiter), candidates, detect=mapping is None)
        if found is not None:
            line, header, chosen = found
            layout = CsvLayout(chosen, line, delimiter, decoder.encoding, mapping is None)
            text = chain(head, decoder.rest())
            rows = _rows(text, delimiter, decoder.bad_lines, decoder.encoding)
            return start_table(layout, [c.strip() for c in header], rows, source)
    if not any(line.strip() for line in head):
        raise CsvRefused([Problem(source, 1, "", "the file is empty")])
    for delimiter in _delimiters(head):
        other = find_other(_header_rows(head, delimiter))
        if other is not None:
            # Another tool's export: each of its rows is reported as what it is.
            line, header, what = other
            described, refusal = refused_as_other(what, source, line)
            layout = CsvLayout(described, line, delimiter, decoder.encoding, True)
            text = chain(head, decoder.rest())
            rows = _rows(text, delimiter, decoder.bad_lines, decoder.encoding)
            return start_table(layout, [c.strip() for c in header], rows, source, [refusal])
    first = next(_header_rows(head[:1], ","), (0, []))[1]
    raise no_header(source, candidates, first)


def csv_rows(lines: Iterable[bytes], source: str) -> Iterator[tuple[int, dict[str, str]] | Problem]:
    """The rows of a plain CSV file whose first row is its header, as (line, header→cell),
    read as `open_csv` reads (encodings, delimiters, quoted newlines); a row that cannot be
    read is a `Problem` with its line."""
    decoder = _Decoder(lines)
    head = list(decoder.take(SNIFF_LINES))
    text = chain(head, decoder.rest())
    header: list[str] | None = None
    for row in _rows(text, _delimiters(head)[0], decoder.bad_lines, decoder.encoding):
        if isinstance(row, Problem):
            yield Problem(source, row.line, row.field, row.message)
        elif header is None:
            header = [c.strip() for c in row[1]]
        else:
            yield row[0], dict(zip(header, row[1], strict=False))


def _rows(
    lines: Iterable[str], delimiter: str, bad_lines: set[int], encoding: str
) -> Iterator[tuple[int, list[str]] | Problem]:
    """(first line, cells) for every row that is not blank, or a `Problem` (with no file
    name yet) for a row the CSV reader or the decoder could not read."""
    # strict: a quote never closed is an error at the end, not the rest of the file quietly
    # read as one cell.
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    ended = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            start, ended = ended + 1, reader.line_num
            why = str(exc)
            if "unexpected end of data" in why:
                why = (
                    f"a quote opened on this line is never closed: lines {start} to {ended} "
                    "were not read (close the quote, or double it inside a cell)"
                )
            yield Problem("", start, "", f"not a valid CSV row: {why}")
            continue
        start, ended = ended + 1, reader.line_num
        if any(n in bad_lines for n in range(start, ended + 1)):
            yield Problem("", start, "", f"not valid {encoding}")
        elif any(c.strip() for c in cells):
            yield start, cells


class _Decoder:
    """Binary lines to text lines: UTF-16 when the file starts with its BOM, else UTF-8 (a
    UTF-8 BOM is dropped), or the `encoding` named (an old Excel export's `cp1252`). Lines
    that are not valid are kept (with replacement characters, so the CSV structure survives)
    and their numbers remembered, so their row is refused rather than altered."""

    def __init__(self, lines: Iterable[bytes], encoding: str | None = None) -> None:
        self._lines = iter(lines)
        self.codec = codecs.lookup(encoding or "utf-8").name
        self.encoding = (encoding or "UTF-8").upper()
        self.bad_lines: set[int] = set()
        self._number = 0
        self._text: Iterator[str] | None = None
        first = next(self._lines, b"")
        if first.startswith((b"\xff\xfe", b"\xfe\xff")) or self.codec.startswith("utf-16"):
            # UTF-16 cannot be split on b"\n" safely; such exports are read whole, and split
            # on newlines only (a cell's U+2028 must not count as a line).
            self.codec, self.encoding = "utf-16", "UTF-16"
            text = b"".join(chain([first], self._lines)).decode("utf-16", errors="replace")
            self._text = iter(_LINE.findall(text))
        elif first:
            self._lines = chain([first.removeprefix(b"\xef\xbb\xbf")], self._lines)

    def take(self, most: int) -> Iterator[str]:
        for _ in range(most):
            line = self._next()
            if line is None:
                return
            yield line

    def rest(self) -> Iterator[str]:
        while (line := self._next()) is not None:
            yield line

    def _next(self) -> str | None:
        if self._text is not None:
            line = next(self._text, None)
            self._number += line is not None
            if line is not None and "\ufffd" in line:
                self.bad_lines.add(self._number)
            return line
        raw = next(self._lines, None)
        if raw is None:
            return None
        self._number += 1
        try:
            return raw.decode(self.codec)
        except UnicodeDecodeError:
            self.bad_lines.add(self._number)
            return raw.decode(self.codec, errors="replace")


def _delimiters(head: list[str]) -> list[str]:
    """The sniffed delimiter first, then the others."""
    try:
        sniffed = csv.Sniffer().sniff("".join(head)[:65536], DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","
    return [sniffed] + [d for d in DELIMITERS if d != sniffed]


def _header_rows(head: list[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(the line a row ends on, its cells) for the rows of `head`, until one cannot be read."""
    reader = csv.reader(head, delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error:
        return
