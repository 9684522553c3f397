"""Reads the dates that exports and spreadsheets write (the one module that imports dateutil).

Social tools write dates every way there is: ISO 8601, `11/20/2026 2:03 PM`, `20-Nov-2026`,
`Fri Nov 20 14:03:00 +0000 2026`, Unix seconds or milliseconds. `parse_when` reads all of
them into an aware UTC `datetime`, or raises `ValueError` with a message a person can act on.
It never guesses silently:

- a date with no zone is read in the zone the caller names (an export's documented zone);
- a zone written as an abbreviation other than UTC/GMT/Z (`EST`, `IST`, `CST` each mean more
  than one zone) is refused, rather than dropped;
- a date without a year is refused, rather than given this year's.

`looks_like_date` and `guess_formats` serve the checks made on a file's first rows: which
columns hold dates, and which `strptime` pattern reads dates in a shape we do not.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_NO_YEAR = 1  # the default year; a real post is never from year 1, so seeing it means "absent"
_DEFAULT = datetime(_NO_YEAR, 1, 1)
_EPOCH_SECONDS = re.compile(r"\d{9,10}(\.\d+)?")
_EPOCH_MILLIS = re.compile(r"\d{12,13}")
_UNAMBIGUOUS_ZONES = {"UTC": UTC, "GMT": UTC, "Z": UTC}
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
# Three groups of digits (24-02-2015, 2015/02/24, 24.02.15), then anything: a date, read or not.
NUMERIC_DATE = re.compile(r"\s*(\d{1,2})[-./](\d{1,2})[-./]\d{2,4}\b")
"""A date written all in numbers, day and month in either order (03/04/2026): its two
first numbers."""


def reads_other_way(text: str, day_first: bool) -> bool:
    """Whether a numeric date can be read only in the other order than `day_first` says
    (24/02 read month first, 11/24 read day first): dateutil would swap it quietly."""
    numeric = NUMERIC_DATE.match(text)
    if numeric is None:
        return False
    first, second = int(numeric[1]), int(numeric[2])
    return second > 12 >= first if day_first else first > 12 >= second


_DATE_SHAPE = re.compile(r"\d{1,4}[-./]\d{1,2}[-./]\d{1,4}(?:[ T].*)?", re.DOTALL)
_ORDERS = (("%d", "%m", "%Y"), ("%m", "%d", "%Y"), ("%Y", "%m", "%d"), ("%d", "%m", "%y"))
_TIMES = ("", " %H:%M", " %H.%M", " %H:%M:%S", " %H.%M.%S", " %I:%M %p", " %I.%M %p")


class UnreadShape(ValueError):
    """A text in none of the shapes of date that are read (rather than a date that is read
    and refused: no year, an ambiguous zone)."""


def zone(name: str) -> tzinfo:
    """The IANA time zone `name` (`Europe/London`, `UTC`); `ValueError` if there is none."""
    if name.strip().upper() in _UNAMBIGUOUS_ZONES:
        return UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{name}' is not a time zone (use a name like Europe/London)") from None


def parse_when(
    text: str, assume: tzinfo = UTC, day_first: bool = False, formats: tuple[str, ...] = ()
) -> datetime:
    """`text` as a UTC time. With `formats` (strptime patterns), only they are tried: a date
    none of them reads is refused (`UnreadShape`), never guessed at. Without, ISO 8601, Unix
    time, and the many shapes dateutil reads, with `day_first` settling `03/04`."""
    value = text.strip()
    if not value:
        raise ValueError("is empty")
    when = _by_formats(value, formats) or _iso(value) or _epoch(value) or _general(value, day_first)
    if when.tzinfo is None:
        when = when.replace(tzinfo=assume)
    return when.astimezone(UTC)


def _by_formats(value: str, formats: tuple[str, ...]) -> datetime | None:
    for pattern in formats:
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    if formats:
        shown = " or ".join(f"'{f}'" for f in formats)
        raise UnreadShape(f"'{value[:40]}' does not match the date format {shown}")
    return None


def _iso(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _epoch(value: str) -> datetime | None:
    if _EPOCH_SECONDS.fullmatch(value):
        return datetime.fromtimestamp(float(value), UTC)
    if _EPOCH_MILLIS.fullmatch(value):
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    return None


def _general(value: str, day_first: bool) -> datetime:
    if value.isdigit():
        raise ValueError(f"'{value[:40]}' is a number, not a date (Unix time has 10 or 13 digits)")
    # Imported on first use: every command loads this module, few read dates in odd shapes.
    from dateutil import parser as date_parser

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            when = date_parser.parse(
                value, default=_DEFAULT, dayfirst=day_first, tzinfos=_UNAMBIGUOUS_ZONES
            )
        except (ValueError, OverflowError):
            raise UnreadShape(f"'{value[:40]}' is not a date and time") from None
    if any(issubclass(w.category, date_parser.UnknownTimezoneWarning) for w in caught):
        raise ValueError(
            f"'{value[:40]}' names a time zone by an abbreviation that means more than one zone; "
            "write an offset (+05:00) or set the mapping's timezone"
        )
    if when.year == _NO_YEAR:
        raise ValueError(f"'{value[:40]}' has no year")
    return when


def looks_like_date(value: str, timestamp_header: bool = False) -> bool:
    """Whether a cell holds a date, in a shape we read or not. A bare number (a count, an id,
    a score) is a date only under a header that names a time (`timestamp_header`), and only
    as Unix time."""
    text = value.strip()
    if not text or len(text) > 60 or not any(c.isdigit() for c in text):
        return False
    if _NUMBER.fullmatch(text):
        return timestamp_header and bool(
            _EPOCH_SECONDS.fullmatch(text) or _EPOCH_MILLIS.fullmatch(text)
        )
    if _DATE_SHAPE.fullmatch(text):
        return True
    try:
        parse_when(text)
    except (ValueError, OverflowError):
        return False
    return True


def guess_formats(values: list[str]) -> list[str]:
    """The `strptime` patterns (day, month and year in each order, with `-` `/` `.`, and a
    time with `:` or `.`) that read every one of `values`; the first is the likeliest."""
    found = []
    for order in _ORDERS:
        for sep in "-/.":
            for time in _TIMES:
                pattern = sep.join(order) + time
                if all(_reads(pattern, v.strip()) for v in values):
                    found.append(pattern)
    return found


def _reads(pattern: str, value: str) -> bool:
    try:
        datetime.strptime(value, pattern)
    except ValueError:
        return False
    return True
