"""The dates exports write, read as UTC; the ambiguous ones refused rather than guessed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crisis_console.core.intake.dates import (
    UnreadShape,
    guess_formats,
    looks_like_date,
    parse_when,
    zone,
)

TEN_PAST_TWO = datetime(2026, 11, 20, 14, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-20T14:10:00Z",
        "2026-11-20 14:10:00.0",
        "2026-11-20T15:10:00+01:00",
        "Fri Nov 20 14:10:00 +0000 2026",
        "11/20/2026 2:10 PM",
        "November 20, 2026 14:10 UTC",
        "20 Nov 2026 14:10 GMT",
        "1795183800",
        "1795183800000",
        "  2026-11-20 14:10  ",
    ],
)
def test_the_same_moment_in_the_shapes_exports_use(text: str) -> None:
    assert parse_when(text) == TEN_PAST_TWO


def test_day_first_settles_an_ambiguous_date() -> None:
    assert parse_when("03/04/2026 10:00").month == 3
    assert parse_when("03/04/2026 10:00", day_first=True).month == 4


def test_a_date_without_a_zone_is_read_in_the_zone_named_across_summer_time() -> None:
    london = zone("Europe/London")
    assert parse_when("2026-07-01 12:00", london) == datetime(2026, 7, 1, 11, 0, tzinfo=UTC)
    assert parse_when("2026-12-01 12:00", london) == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    # A written offset wins over the assumed zone.
    assert parse_when("2026-07-01 12:00+00:00", london).hour == 12


def test_explicit_formats_are_tried_first_and_named_when_nothing_matches() -> None:
    assert parse_when("20/11/26 14h10", formats=("%d/%m/%y %Hh%M",)) == TEN_PAST_TWO
    with pytest.raises(ValueError, match="does not match the date format '%d/%m/%y %Hh%M'"):
        parse_when("2026-11-20", formats=("%d/%m/%y %Hh%M",))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Nov 20, 2026 2:10 PM EST", "abbreviation that means more than one zone"),
        ("20 Nov 14:10", "has no year"),
        ("12345", "is a number, not a date"),
        ("soon", "is not a date and time"),
        ("", "is empty"),
    ],
)
def test_dates_that_would_need_a_guess_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_when(text)


def test_zone_names_are_checked() -> None:
    assert zone("utc") is UTC
    with pytest.raises(ValueError, match="not a time zone"):
        zone("Mars/Olympus")


@pytest.mark.parametrize(
    ("text", "reason"),
    [("24-02-2015 11.35", "is not a date and time"), ("soon", "is not a date and time")],
)
def test_a_shape_that_is_not_read_is_told_apart_from_a_date_refused(text: str, reason: str) -> None:
    with pytest.raises(UnreadShape, match=reason):
        parse_when(text)
    with pytest.raises(ValueError) as refused:
        parse_when("20 Nov 14:10")  # read, but has no year
    assert not isinstance(refused.value, UnreadShape)


@pytest.mark.parametrize(
    ("text", "stamp", "is_date"),
    [
        ("2015-02-24 11:35:52 -0800", False, True),
        ("24-02-2015 11.35", False, True),  # a date, though not read as one
        ("Fri Nov 20 14:10:00 +0000 2026", False, True),
        ("0.6771", False, False),
        ("12", False, False),
        ("[40.7, -73.9]", False, False),
        ("Eastern Time (US & Canada)", False, False),
        ("1795183800", False, False),  # a bare number: a count or an id ...
        ("1795183800", True, True),  # ... unless the header names a time
        ("570306133677760513", True, False),
    ],
)
def test_what_looks_like_a_date(text: str, stamp: bool, is_date: bool) -> None:
    assert looks_like_date(text, stamp) is is_date


def test_the_format_of_dates_in_an_odd_shape_is_guessed_day_first_when_it_must_be() -> None:
    assert guess_formats(["24-02-2015 11.35", "05-02-2015 09.10"]) == ["%d-%m-%Y %H.%M"]
    assert guess_formats(["05.02.2015 09:10"]) == ["%d.%m.%Y %H:%M", "%m.%d.%Y %H:%M"]
    assert guess_formats(["around noon"]) == []
