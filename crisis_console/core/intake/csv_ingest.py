"""Reads mentions from CSV exports and spreadsheets through a `ColumnMapping`.

`open_csv` finds the header row (exports often start with lines about the query), the
delimiter (`,` `;` tab `|`) and, without a mapping, which shipped preset the file is. It
reads UTF-8 with or without a BOM and UTF-16 with a BOM (Excel and Meltwater write it);
cells may hold quoted newlines. `CsvTable.records` then yields, in order, a `Parsed` for
every good row and a `Problem` for every bad one, naming the row's first line and the
file's own column header. Nothing in a cell is ever evaluated.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import Any

from crisis_console.core.errors import FileRefused, Problem
from crisis_console.core.intake.csv_mapping import ColumnMapping, kind_of, preset, preset_names
from crisis_console.core.intake.dates import parse_when
from crisis_console.core.intake.ingest import (
    MAX_FOLLOWERS,
    MentionError,
    Parsed,
    mention_from_input,
)
from crisis_console.core.text import visible

HEADER_SEARCH_ROWS = 30  # an export's preamble is a handful of lines
SNIFF_LINES = 200
DELIMITERS = ",;\t|"
_GROUPED = re.compile(r"\d+|\d{1,3}(?:[., ]\d{3})+")  # 1234, 1,234, 1.234, 1 234
_SCALED = re.compile(r"(\d+(?:[.,]\d+)?)\s*([kKmM])")  # 1.2K, 1,2K, 3M
_SCALE = {"k": 1_000, "m": 1_000_000}
_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")
_EMPTY = {"", "-", "n/a", "na", "none", "null"}
_YES = {"true", "yes", "y", "1", "verified"}
_NO = {"false", "no", "n", "0", "unverified"}


class CsvRefused(FileRefused):
    """The file cannot be read as CSV at all (no header row found); nothing was stored."""

    what = "CSV file"


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """What `open_csv` found: the mapping used, where the header is, how cells are split."""

    mapping: ColumnMapping
    header_line: int
    delimiter: str
    encoding: str
    detected: bool  # the preset was recognised from the header, not chosen

    def describe(self) -> str:
        how = "recognised as" if self.detected else "read as"
        delimiter = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "bar"}[self.delimiter]
        return (
            f"{how} {self.mapping.title}; header on line {self.header_line}, "
            f"{delimiter}-separated {self.encoding}, dates without a zone in "
            f"{self.mapping.timezone_name}"
        )


def open_csv(
    lines: Iterable[bytes],
    source: str,
    mapping: ColumnMapping | None = None,
    adjust: Callable[[ColumnMapping], ColumnMapping] | None = None,
    encoding: str | None = None,
) -> CsvTable:
    """Start reading `lines` (a binary file's lines). With `mapping`, the header is the first
    row naming its text column; without, the first row holding some preset's `recognise`
    headers picks that preset. `adjust` (command-line overrides) applies to whichever mapping
    is used; `encoding` names the file's encoding when it is neither UTF-8 nor UTF-16 with a
    BOM. `CsvRefused` if no header row is found; nothing has been read as a record then."""
    decoder = _Decoder(lines, encoding)
    head = list(decoder.take(SNIFF_LINES))
    candidates = [mapping] if mapping else [preset(name) for name in preset_names()]
    if adjust is not None:
        candidates = [adjust(c) for c in candidates]
    for delimiter in _delimiters(head):
        found = _find_header(head, delimiter, candidates, detect=mapping is None)
        if found is not None:
            line, header, chosen = found
            layout = CsvLayout(chosen, line, delimiter, decoder.encoding, mapping is None)
            return CsvTable(layout, header, chain(head, decoder.rest()), source, decoder.bad_lines)
    if not any(line.strip() for line in head):
        raise CsvRefused([Problem(source, 1, "", "the file is empty")])
    # Each header once, whatever its case, in the order the presets name them.
    named = {h.casefold(): h for c in reversed(candidates) for h in c.columns.get("text", ())}
    wanted = list(
        dict.fromkeys(named[h.casefold()] for c in candidates for h in c.columns.get("text", ()))
    )
    first = next(csv.reader(head[:1]), []) if head else []
    raise CsvRefused(
        [
            Problem(
                source,
                1,
                "",
                f"no header row naming the text column ({', '.join(wanted)}) in the first "
                f"{HEADER_SEARCH_ROWS} rows; the first row is: {visible(', '.join(first)[:200])}. "
                "Choose a --preset, a --mapping file or --column text=HEADER",
            )
        ]
    )


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


class CsvTable:
    """The rows of one CSV file under its layout."""

    def __init__(
        self,
        layout: CsvLayout,
        header: list[str],
        lines: Iterable[str],
        source: str,
        bad_lines: set[int],
    ) -> None:
        self.layout, self.header, self.source = layout, header, source
        self._lines, self._bad_lines = lines, bad_lines
        self.assume = layout.mapping.assume  # the zone of dates without one, looked up once
        present = {name.strip().casefold(): i for i, name in reversed(list(enumerate(header)))}
        self._where = {
            field: [
                (present[h.casefold()], header[present[h.casefold()]].strip())
                for h in headers
                if h.casefold() in present
            ]
            for field, headers in layout.mapping.columns.items()
        }

    def records(self, now: datetime) -> Iterator[Parsed | Problem]:
        """Every row after the header: `Parsed` or a `Problem` naming its first line."""
        rows = _rows(self._lines, self.layout.delimiter, self._bad_lines, self.layout.encoding)
        for row in rows:
            if isinstance(row, Problem):
                if row.line > self.layout.header_line:
                    yield Problem(self.source, row.line, row.field, row.message)
                continue
            start, cells = row
            if start <= self.layout.header_line:
                continue  # the preamble and the header itself
            if len(cells) > len(self.header) and any(c.strip() for c in cells[len(self.header) :]):
                yield Problem(
                    self.source,
                    start,
                    "",
                    f"has {len(cells)} cells but the header on line {self.layout.header_line} "
                    f"has {len(self.header)} (a {self.layout.delimiter!r} in an unquoted cell?)",
                )
            else:
                yield self._row(cells, start, now)

    def _row(self, cells: list[str], line: int, now: datetime) -> Parsed | Problem:
        row = _Row(self, cells)
        try:
            return Parsed(mention_from_input(row.record(), now), self.source, line)
        except _CellError as exc:
            return Problem(self.source, line, exc.column, str(exc))
        except MentionError as exc:
            return Problem(self.source, line, row.column_of(exc.field), str(exc))


class _CellError(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


class _Row:
    """One row's cells looked up by our field names through the table's mapping."""

    def __init__(self, table: CsvTable, cells: list[str]) -> None:
        self.table, self.cells = table, cells

    def cell(self, field: str) -> tuple[str, str]:
        """(the first non-empty cell for `field`, its header) or ("", first header)."""
        where = self.table._where.get(field, [])
        for index, header in where:
            value = self.cells[index] if index < len(self.cells) else ""
            if value.strip():
                return value, header
        return "", where[0][1] if where else field

    def column_of(self, field: str) -> str:
        return self.cell(field.removeprefix("engagement."))[1]

    def record(self) -> dict[str, Any]:
        mapping = self.table.layout.mapping
        text, _ = self.cell("text")
        date, date_column = self.cell("created_at")
        time, _ = self.cell("time")
        platform = mapping.platform_of(self.cell("platform")[0])
        author = self.cell("author")[0].strip()
        record: dict[str, Any] = {
            "text": text,
            "platform": platform.value,
            "author": author,
            "author_name": self.cell("author_name")[0].strip(),
            "url": self.cell("url")[0].strip(),
            "in_reply_to": self.cell("in_reply_to")[0].strip(),
        }
        kind = self.cell("kind")[0]
        if kind.strip():
            record["kind"] = kind_of(kind).value
        when = " ".join(p.strip() for p in (date, time) if p.strip())
        if when:
            try:
                record["created_at"] = parse_when(
                    when, self.table.assume, mapping.day_first, mapping.date_formats
                ).isoformat()
            except (ValueError, OverflowError) as exc:  # OverflowError: past the year 9999
                raise _CellError(date_column, visible(str(exc))) from None
        record["id"] = self.cell("id")[0].strip() or _derived_id(platform.value, author, when, text)
        record["followers"] = self.count("followers")
        record["verified"] = self.flag("verified")
        record["engagement"] = {k: self.count(k) for k in ("likes", "shares", "replies")}
        return record

    def count(self, field: str) -> int:
        """A count as exports write it: 1234, 1,234, 1.234 (grouped), 1.2K, 3M, or blank."""
        value, column = self.cell(field)
        text = value.strip().replace("\u00a0", " ")
        if text.casefold() in _EMPTY:
            return 0
        if _GROUPED.fullmatch(text):
            number = float(re.sub(r"\D", "", text))
        elif match := _SCALED.fullmatch(text):
            number = float(match[1].replace(",", ".")) * _SCALE[match[2].lower()]
        else:
            raise _CellError(column, f"'{visible(value[:40])}' is not a whole number")
        if not math.isfinite(number) or number > MAX_FOLLOWERS or number != int(number):
            raise _CellError(column, f"'{visible(value[:40])}' is not a whole number in range")
        return int(number)

    def flag(self, field: str) -> bool:
        value, column = self.cell(field)
        text = value.strip().casefold()
        if text in _YES:
            return True
        if text in _NO or text in _EMPTY:
            return False
        raise _CellError(column, f"'{visible(value[:40])}' is not yes or no")


def _derived_id(platform: str, author: str, when: str, text: str) -> str:
    """A stable id for a row that has none, so a sheet imported twice is stored once."""
    digest = hashlib.sha256("\x1f".join((platform, author, when, text)).encode()).hexdigest()
    return f"csv-{digest[:20]}"


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


def _find_header(
    head: list[str], delimiter: str, candidates: list[ColumnMapping], detect: bool
) -> tuple[int, list[str], ColumnMapping] | None:
    reader = csv.reader(head, delimiter=delimiter)
    try:
        for _ in range(HEADER_SEARCH_ROWS):
            row = next(reader)
            names = {cell.strip().casefold() for cell in row}
            for candidate in candidates:
                if _names_header(candidate, names, detect):
                    return reader.line_num, row, candidate
    except (StopIteration, csv.Error):
        return None
    return None


def _names_header(mapping: ColumnMapping, names: set[str], detect: bool) -> bool:
    if detect and mapping.recognise:
        return all(h.casefold() in names for h in mapping.recognise)
    return any(h.casefold() in names for h in mapping.columns.get("text", ()))
