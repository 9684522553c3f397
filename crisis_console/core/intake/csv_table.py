"""The rows of a CSV file or a worksheet under a header and a column mapping, read as mentions.

`start_table` is where both readers meet once they have found the header: it takes the first
rows as a sample and checks what they show about the whole file (`csv_checks`). Its
`CsvTable.records` yield, in order, a `Parsed` for every good row and a `Problem` for every
bad one. A file whose first rows show it would be read wrongly (rounded ids, dates nobody
reads) is refused whole: each of its rows is then a `Problem`, so that every post is still
counted as reported, the first rows' naming what is wrong and how to fix it and the rest
saying only that they were refused with the file (`summarised` shows those as one line).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import chain, islice

from crisis_console.core.errors import FileRefused, Problem
from crisis_console.core.intake.csv_checks import SAMPLE_ROWS, check_sample
from crisis_console.core.intake.csv_ids import HINT
from crisis_console.core.intake.csv_mapping import ColumnMapping, preset, preset_names
from crisis_console.core.intake.csv_others import OtherExport, other_export
from crisis_console.core.intake.csv_row import UNSURE, Cell, CellError, ColumnIndex, RowReader
from crisis_console.core.intake.ingest import MentionError, Parsed, mention_from_input
from crisis_console.core.text import visible

HEADER_SEARCH_ROWS = 30  # an export's preamble is a handful of lines
Row = tuple[int, Sequence[Cell]]


class CsvRefused(FileRefused):
    """The file cannot be read as a table at all (empty, not a workbook, no header row);
    nothing was stored."""

    what = "CSV file"


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """What the reader found: the mapping used, where the header is, how cells are split."""

    mapping: ColumnMapping
    header_line: int
    delimiter: str
    encoding: str
    detected: bool  # the preset was recognised from the header, not chosen
    sheet: str = ""  # a workbook's sheet; "" for a CSV file
    notes: tuple[str, ...] = ()  # what the first rows showed, said once
    refused: bool = False  # every row is reported, none stored

    def describe(self) -> str:
        how = "recognised as" if self.detected else "read as"
        if self.sheet:
            where = f"header on row {self.header_line} of sheet '{visible(self.sheet)}'"
        else:
            delimiter = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "bar"}[self.delimiter]
            where = f"header on line {self.header_line}, {delimiter}-separated {self.encoding}"
        said = "".join(f"; {note}" for note in self.notes)
        if self.refused:
            said += "; refused whole, nothing in it is stored (why: below)"
        return (
            f"{how} {self.mapping.title}; {where}, dates without a zone in "
            f"{self.mapping.timezone_name}{said}"
        )


def find_header(
    rows: Iterable[tuple[int, Sequence[str]]], candidates: list[ColumnMapping], detect: bool
) -> tuple[int, Sequence[str], ColumnMapping] | None:
    """(its line, the header, its mapping) for the first of the first rows naming a
    candidate's text column (with `detect`, and the preset's `recognise` headers too)."""
    for line, row in islice(rows, HEADER_SEARCH_ROWS):
        names = {cell.strip().casefold() for cell in row}
        for candidate in candidates:
            if _names_header(candidate, names, detect):
                return line, row, candidate
    return None


def find_other(
    rows: Iterable[tuple[int, Sequence[str]]],
) -> tuple[int, Sequence[str], OtherExport] | None:
    """(its line, the header, the export) for the first of the first rows that is the header
    of an export we know but do not read (`csv_others`)."""
    for line, row in islice(rows, HEADER_SEARCH_ROWS):
        other = other_export(row)
        if other is not None:
            return line, row, other
    return None


def refused_as_other(other: OtherExport, source: str, line: int) -> tuple[ColumnMapping, Problem]:
    """The mapping to describe a file that is `other` with, and the problem its rows get."""
    mapping = replace(preset("generic"), title=other.name)
    return mapping, Problem(
        source, line, "", f"this is {other.name}, which is not read: {other.advice}"
    )


def no_header(source: str, candidates: list[ColumnMapping], first: Sequence[str]) -> CsvRefused:
    """The refusal of a file with no header row any candidate knows, naming the text headers
    looked for and the file's first row."""
    # Each header once, whatever its case, in the order the presets name them.
    named = {h.casefold(): h for c in reversed(candidates) for h in c.columns.get("text", ())}
    wanted = list(
        dict.fromkeys(named[h.casefold()] for c in candidates for h in c.columns.get("text", ()))
    )
    message = (
        f"no header row naming the text column ({', '.join(wanted)}) in the first "
        f"{HEADER_SEARCH_ROWS} rows; the first row is: {visible(', '.join(first)[:200])}. "
        "Choose a --preset, a --mapping file or --column text=HEADER"
    )
    return CsvRefused([Problem(source, 1, "", message)])


def candidate_mappings(
    mapping: ColumnMapping | None, adjust: Callable[[ColumnMapping], ColumnMapping] | None
) -> list[ColumnMapping]:
    """The mappings a header is tried against: the one named, else every preset; with the
    command line's overrides (`adjust`) laid over each."""
    candidates = [mapping] if mapping else [preset(name) for name in preset_names()]
    return [adjust(c) for c in candidates] if adjust is not None else candidates


def start_table(
    layout: CsvLayout,
    header: Sequence[str],
    rows: Iterable[Row | Problem],
    source: str,
    refusal: Sequence[Problem] = (),
) -> CsvTable:
    """The table of the `rows` after the header. Its first rows are checked unless the caller
    already refuses the file (`refusal`: what is wrong with it as a whole)."""
    after = _after(rows, layout.header_line)
    index = ColumnIndex(header, layout.mapping)
    notes: list[str] = []
    if not refusal:
        sample = list(islice(after, SAMPLE_ROWS))
        good = [r for r in sample if not isinstance(r, Problem)]
        refusal, notes = check_sample(index, good, source, layout.header_line)
        after = chain(sample, after)
        other = other_export(header)
        if other and layout.mapping.name == "generic":
            notes.append(f"this looks like {other.name}: {other.advice}")
    changed = replace(layout, notes=tuple(notes), refused=bool(refusal))
    return CsvTable(changed, index, after, source, refusal)


class CsvTable:
    """The rows of one file under its layout; `refusal` refuses every one of them."""

    def __init__(
        self,
        layout: CsvLayout,
        index: ColumnIndex,
        rows: Iterable[Row | Problem],
        source: str,
        refusal: Sequence[Problem] = (),
    ) -> None:
        self.layout, self.index, self.source = layout, index, source
        self.header = index.header
        self.refusal = list(refusal)
        self._rows = rows

    def records(self, now: datetime) -> Iterator[Parsed | Problem]:
        """Every row after the header: `Parsed` or a `Problem` naming its first line."""
        if self.refusal:
            yield from self._refused()
            return
        width = len(self.header)
        authors: dict[str, tuple[str, int]] = {}  # each id's author and line in this file
        copies: Counter[str] = Counter()  # rows of one derived id without author or date
        for row in self._rows:
            if isinstance(row, Problem):
                yield Problem(self.source, row.line, row.field, row.message)
                continue
            line, cells = row
            # In a CSV file, cells past the header are a delimiter in an unquoted cell: the
            # row is refused rather than shifted. A worksheet's are notes beside the table.
            shifted = not self.layout.sheet and len(cells) > width
            if shifted and any(_filled(c) for c in cells[width:]):
                yield Problem(
                    self.source,
                    line,
                    "",
                    f"has {len(cells)} cells but the header on line {self.layout.header_line} "
                    f"has {width} (a {self.layout.delimiter!r} in an unquoted cell?)",
                )
            else:
                yield _one_author(_numbered(self._row(cells, line, now), copies), authors)

    def _refused(self) -> Iterator[Problem]:
        """One problem a row: the first rows carry what is wrong with the file (the last of
        them all that is left, in a file of fewer rows than problems), the rest the same few
        words, which `summarised` folds into one line."""
        pending = list(self.refusal)
        told: list[str] = []  # the lines that carry the reasons
        rows = iter(self._rows)
        row = next(rows, None)
        while row is not None:
            following = next(rows, None)
            line = row.line if isinstance(row, Problem) else row[0]
            if pending:
                problem, pending = pending[0], pending[1:]
                if following is None and pending:  # the last row: all that is left
                    more = "; ".join(
                        f"{p.field}: {p.message}" if p.field else p.message for p in pending
                    )
                    problem = replace(problem, message=f"{problem.message}; and {more}")
                told.append(str(line))
                yield Problem(self.source, line, problem.field, problem.message)
            else:
                see = f"line {told[0]}" if len(told) == 1 else f"lines {', '.join(told)}"
                yield Problem(self.source, line, "", f"refused with the whole file (see {see})")
            row = following

    def _row(self, cells: Sequence[Cell], line: int, now: datetime) -> Parsed | Problem:
        row = RowReader(self.index, cells, line)
        try:
            return Parsed(mention_from_input(row.record(), now), self.source, line)
        except CellError as exc:
            return Problem(self.source, line, exc.column, str(exc))
        except MentionError as exc:
            return Problem(self.source, line, row.column_of(exc.field), str(exc))


def _numbered(read: Parsed | Problem, copies: Counter[str]) -> Parsed | Problem:
    """A row whose derived id stands for no known author or date, as its n-th copy in the
    file: fifty "thank you!" rows are fifty posts, and the same again on the next import."""
    if not isinstance(read, Parsed) or not read.mention.native_id.endswith(UNSURE):
        return read
    copies[read.mention.native_id] += 1
    numbered = f"{read.mention.native_id}{copies[read.mention.native_id]}"
    return replace(read, mention=replace(read.mention, native_id=numbered))


def _one_author(read: Parsed | Problem, authors: dict[str, tuple[str, int]]) -> Parsed | Problem:
    """`read`, unless its id is an earlier row's and its author another: two people's posts
    under one id are ids a spreadsheet rounded (to 17 digits, past what the first rows
    show), and storing the second would make it an edit of the first."""
    if not isinstance(read, Parsed):
        return read
    mention = read.mention
    earlier = authors.setdefault(mention.native_id, (mention.author, read.line))
    if earlier[0] == mention.author:
        return read
    return Problem(
        read.source,
        read.line,
        "",
        f"id '{visible(mention.native_id[:40])}' is line {earlier[1]}'s too, by another "
        f"author: different posts under one id would be stored as one; {HINT}",
    )


def summarised(problems: Iterable[Problem]) -> Iterator[str]:
    """`problems` as lines to show, a run of problems that differ only by their line (the rows
    of a refused file) folded into its first and a count."""
    run: list[Problem] = []
    for problem in chain(problems, [None]):
        if run and problem is not None and _same(run[0], problem) and _next(run[-1], problem):
            run.append(problem)
            continue
        if run:
            yield str(run[0])
            if len(run) > 1:
                yield f"... and {len(run) - 1:,} more row(s) the same, to line {run[-1].line}"
        run = [problem] if problem is not None else []


def _next(a: Problem, b: Problem) -> bool:
    """Whether `b` is the row after `a`'s (a quoted newline may make it a few lines on): a
    run folds only rows that follow each other, so no other row hides inside it."""
    return 0 < b.line - a.line <= 3


def _same(a: Problem, b: Problem) -> bool:
    return (a.file, a.field, a.message) == (b.file, b.field, b.message)


def _after(rows: Iterable[Row | Problem], header_line: int) -> Iterator[Row | Problem]:
    """The rows below the header: the preamble's, broken or not, are not records."""
    for row in rows:
        line = row.line if isinstance(row, Problem) else row[0]
        if line > header_line:
            yield row


def _filled(cell: Cell) -> bool:
    return not isinstance(cell, str) or bool(cell.strip())


def _names_header(mapping: ColumnMapping, names: set[str], detect: bool) -> bool:
    text = any(h.casefold() in names for h in mapping.columns.get("text", ()))
    if detect and mapping.recognise:
        return text and all(h.casefold() in names for h in mapping.recognise)
    return text
