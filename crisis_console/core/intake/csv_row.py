"""One row of a CSV file or a worksheet read into our input record through a column mapping.

A cell is text (all of a CSV file, most of a workbook), a `datetime` or `time` (a workbook's
real dates, read as they are rather than parsed), or a float (a workbook's number too large to
be exact, kept as one so that an id holding it is refused for what it is). `RowReader.record`
raises `CellError` naming the file's own column for a cell that cannot be read.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Any

from crisis_console.core.intake.csv_ids import HINT, unsafe_id
from crisis_console.core.intake.csv_mapping import ColumnMapping, kind_of
from crisis_console.core.intake.dates import parse_when, reads_other_way
from crisis_console.core.intake.ingest import MAX_FOLLOWERS
from crisis_console.core.models import Kind, Platform
from crisis_console.core.text import visible

Cell = str | float | datetime | time

_GROUPED = re.compile(r"\d+|\d{1,3}(?:[., ]\d{3})+")  # 1234, 1,234, 1.234, 1 234
_WHOLE_FLOAT = re.compile(r"(\d+)\.0{1,2}")  # 12.0: pandas writes a count column with gaps so
_SCALED = re.compile(r"(\d+(?:[.,]\d+)?)\s*([kKmM])")  # 1.2K, 1,2K, 3M
_SCALE = {"k": 1_000, "m": 1_000_000}
_EMPTY = {"", "-", "n/a", "na", "none", "null"}
_YES = {"true", "yes", "y", "1", "verified"}
_NO = {"false", "no", "n", "0", "unverified"}
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_COUNTS = ("likes", "shares", "replies")


class CellError(ValueError):
    """A cell that cannot be read; `column` is the file's own header for it."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


class ColumnIndex:
    """Where each of our fields is in a row: the positions of the mapping's headers that the
    file's header holds, in the mapping's order of preference."""

    def __init__(self, header: Sequence[str], mapping: ColumnMapping) -> None:
        self.header, self.mapping = header, mapping
        self.assume = mapping.assume  # the zone of dates without one, looked up once
        self.position = {
            name.strip().casefold(): i for i, name in reversed(list(enumerate(header)))
        }
        self.where = {name: self._present(headers) for name, headers in mapping.columns.items()}
        # A column named as the date (--column created_at=time) is not also its time of day.
        dates = {position for position, _ in self.where.get("created_at", [])}
        if "time" in self.where:
            self.where["time"] = [w for w in self.where["time"] if w[0] not in dates]

    def _present(self, headers: Sequence[str]) -> list[tuple[int, str]]:
        """(position, the file's own header) of each of `headers` the file has."""
        found = []
        for name in headers:
            position = self.position.get(name.casefold())
            if position is not None:
                found.append((position, self.header[position].strip()))
        return found

    def has(self, field: str) -> bool:
        return bool(self.where.get(field))

    def column(self, field: str) -> str:
        """The file's header for `field`: the first of the mapping's that it has."""
        where = self.where.get(field)
        return where[0][1] if where else field


class RowReader:
    """One row's cells looked up by our field names; `line` is where the row starts."""

    def __init__(self, index: ColumnIndex, cells: Sequence[Cell], line: int) -> None:
        self.index, self.cells, self.line = index, cells, line

    def raw(self, field: str) -> tuple[Cell, str]:
        """(the first non-empty cell for `field`, its header) or ("", its first header)."""
        cells = self.cells
        for position, header in self.index.where.get(field, ()):
            value = cells[position] if position < len(cells) else ""
            if type(value) is not str or value.strip():  # `type`: this runs for every cell read
                return value, header
        return "", self.index.column(field)

    def cell(self, field: str) -> tuple[str, str]:
        value, header = self.raw(field)
        return (value if type(value) is str else text_of(value)), header

    def column_of(self, field: str) -> str:
        return self.index.column(field.removeprefix("engagement."))

    def record(self) -> dict[str, Any]:
        """Our input record (the documented JSON fields) for this row."""
        mapping = self.index.mapping
        text = self.cell("text")[0]
        if mapping.escaped_text:
            text = _unescaped(text)
        platform = mapping.platform_of(self.cell("platform")[0])
        author = self.cell("author")[0].strip()
        in_reply_to = _key(platform, self.safe_id("in_reply_to"))
        record: dict[str, Any] = {
            "platform": platform.value,
            "author": author,
            "author_name": self.cell("author_name")[0].strip(),
            "url": self.cell("url")[0].strip() or self.url_from_template(),
            "in_reply_to": in_reply_to,
        }
        kind = self.cell("kind")[0]
        if kind.strip():
            record["kind"] = kind_of(kind).value
        elif in_reply_to:
            record["kind"] = Kind.REPLY.value
        when, written = self.when()
        if when:
            record["created_at"] = when
        native = self.native_id()
        record["id"] = native or derived_id(platform.value, author, written, text)
        record["followers"] = self.count("followers")
        record["verified"] = self.flag("verified")
        record["engagement"] = {k: self.count(k) for k in _COUNTS}
        original = self.safe_id("repost_of").strip()
        if original:
            # A retweet as twarc-csv writes it carries the original's whole text and counts
            # under the retweeter's name: a repost by the retweeter (their reach is what
            # spreads it) of the original, as the platforms' JSON is read; the counts are the
            # original's, not theirs.
            record["kind"] = Kind.REPOST.value
            record["repost_of"] = _key(platform, original) or original
            record["engagement"] = dict.fromkeys(_COUNTS, 0)
        record["text"] = text
        return record

    def written_when(self) -> str | None:
        """The text the row's time is read from (its date and time cells joined; "" for
        none), or None when the row holds a workbook's own date, which needs no reading."""
        date, clock = self.raw("created_at")[0], self.raw("time")[0]
        if isinstance(date, datetime) and (isinstance(clock, time) or not text_of(clock).strip()):
            return None
        return " ".join(p for p in (text_of(date).strip(), text_of(clock).strip()) if p)

    def when(self) -> tuple[str, str]:
        """(the row's time as ISO 8601 UTC, the text it was read from), or ("", "")."""
        written = self.written_when()
        if written is None:
            date, clock = self.raw("created_at")[0], self.raw("time")[0]
            assert isinstance(date, datetime)  # what written_when() None means
            moment = datetime.combine(date.date(), clock) if isinstance(clock, time) else date
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.index.assume)
            iso = moment.astimezone(UTC).isoformat()
            return iso, iso
        if not written:
            return "", ""
        mapping = self.index.mapping
        try:
            moment = parse_when(written, self.index.assume, mapping.day_first, mapping.date_formats)
        except (ValueError, OverflowError) as exc:  # OverflowError: past the year 9999
            raise CellError(self.raw("created_at")[1], visible(str(exc))) from None
        if not mapping.date_formats:
            self._check_order(written)
        return moment.isoformat(), written

    def _check_order(self, written: str) -> None:
        """A numeric date that can be read only the other way round (24/02 in a file read
        month first): dateutil would quietly swap it, and the file's other dates (03/04) are
        then read the wrong way. The first rows are checked for the whole file
        (`csv_checks`); a later row is refused alone."""
        day_first = self.index.mapping.day_first
        if not reads_other_way(written, day_first):
            return
        if day_first:
            why = "puts the month first, but this file is read day first: drop --day-first"
        else:
            why = "puts the day first, but this file is read month first: add --day-first"
        column = self.raw("created_at")[1]
        raise CellError(column, f"'{visible(written[:40])}' {why}, and import it again")

    def id_cell(self) -> Cell:
        """The row's id cell; of a JSON list (twarc-csv's `edit_history_tweet_ids`), its
        first id, the one an edited post is kept under."""
        value = self.raw("id")[0]
        return _first_of_list(value.strip()) if isinstance(value, str) else value

    def native_id(self) -> str:
        """The row's own id, or "" when it has none; `CellError` for one that a spreadsheet
        rounded."""
        value = self.id_cell()
        reason = unsafe_id(value)
        if reason:
            raise CellError(self.raw("id")[1], f"{visible(reason)}; {HINT}")
        return text_of(value).strip()

    def safe_id(self, field: str) -> str:
        """The id in `field` (a reply's parent, a repost's original); `CellError` for one
        that a spreadsheet rounded, which would link the post to some other."""
        value, column = self.raw(field)
        reason = unsafe_id(value) if not isinstance(value, str) or value.strip() else None
        if reason:
            raise CellError(column, f"{visible(reason)}; {HINT}")
        return text_of(value)

    def url_from_template(self) -> str:
        """The mapping's `url_template` filled from this row, or "" if a cell it names is
        empty (a link with a hole in it would lead somewhere else)."""
        template = self.index.mapping.url_template
        if not template:
            return ""
        parts: dict[str, str] = {}
        for name in _PLACEHOLDER.findall(template):
            position = self.index.position.get(name.strip().casefold())
            value = (
                self.cells[position] if position is not None and position < len(self.cells) else ""
            )
            parts[name] = text_of(value).strip()
            if not parts[name]:
                return ""
        return _PLACEHOLDER.sub(lambda m: parts[m[1]], template)

    def count(self, field: str) -> int:
        """A count as exports write it: 1234, 1,234, 1.234 (grouped), 1.2K, 3M, 12.0, blank."""
        value, column = self.cell(field)
        text = value.strip().replace("\u00a0", " ")
        if text.casefold() in _EMPTY:
            return 0
        if _GROUPED.fullmatch(text):
            number = float(re.sub(r"\D", "", text))
        elif whole := _WHOLE_FLOAT.fullmatch(text):
            number = float(whole[1])
        elif match := _SCALED.fullmatch(text):
            number = float(match[1].replace(",", ".")) * _SCALE[match[2].lower()]
        else:
            raise CellError(column, f"'{visible(value[:40])}' is not a whole number")
        if not math.isfinite(number) or number > MAX_FOLLOWERS or number != int(number):
            raise CellError(column, f"'{visible(value[:40])}' is not a whole number in range")
        return int(number)

    def flag(self, field: str) -> bool:
        value, column = self.cell(field)
        text = value.strip().casefold()
        if text in _YES:
            return True
        if text in _NO or text in _EMPTY:
            return False
        raise CellError(column, f"'{visible(value[:40])}' is not yes or no")


def text_of(value: Cell) -> str:
    """A cell as text: a workbook's date in ISO 8601, its inexact number as Excel shows it."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:.14E}"
    return value.isoformat()


def derived_id(platform: str, author: str, when: str, text: str) -> str:
    """A stable id for a row that has none, so a sheet imported twice is stored once. Without
    an author or a date, the same words are not known to be the same post (fifty people
    write "thank you!"): the table numbers such rows' copies (`CsvTable`), so they never
    merge, and a row added elsewhere in the sheet shifts none of them."""
    digest = hashlib.sha256("\x1f".join([platform, author, when, text]).encode()).hexdigest()
    return f"csv-{digest[:20]}" + ("" if author and when else UNSURE)


UNSURE = "-n"
"""Ends a derived id whose row has no author or no date; the table adds which copy it is."""


def _key(platform: Platform, value: str) -> str:
    """Another post's key (`x:123`) from a cell holding its bare id; a key or a link as is."""
    text = value.strip()
    if text and platform is not Platform.OTHER and not any(c in text for c in ":/"):
        return f"{platform.value}:{text}"
    return text


def _first_of_list(text: str) -> str:
    if not (text.startswith("[") and text.endswith("]")):
        return text
    try:
        items = json.loads(text)
    except ValueError:
        return text
    first = items[0] if isinstance(items, list) and items else None
    return str(first) if isinstance(first, str | int) and not isinstance(first, bool) else text


def _unescaped(text: str) -> str:
    """Text as twarc-csv escapes it: a JSON string in its quotes (`--json-encode-text`, and
    its early versions), else each new line written out as `\\n`."""
    stripped = text.strip()
    if len(stripped) > 1 and stripped[0] == stripped[-1] == '"':
        try:
            decoded = json.loads(stripped)
        except ValueError:
            decoded = None
        if isinstance(decoded, str):
            return decoded
    return text.replace("\\n", "\n")
