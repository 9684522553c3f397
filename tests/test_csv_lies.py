"""Exports that lie, and exports of other tools: refused whole with one reason that names the
column, shows its values and says which flag settles it, never read wrongly row by row."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crisis_console.core.errors import Problem
from crisis_console.core.intake.csv_ids import rounded_column, unsafe_id
from crisis_console.core.intake.csv_ingest import CsvTable, open_csv
from crisis_console.core.intake.csv_table import summarised
from crisis_console.core.intake.ingest import Parsed
from crisis_console.core.models import Mention
from crisis_console.core.service import ConsoleService
from tests.test_cli import run

SAMPLES = Path(__file__).parent / "data" / "csv"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def table_of(source: str | Path, **overrides: Any) -> CsvTable:
    if isinstance(source, Path):
        lines, name = source.read_bytes().splitlines(keepends=True), source.name
    else:
        lines, name = source.encode().splitlines(keepends=True), "sheet.csv"
    adjust = (lambda m: m.with_overrides(**overrides)) if overrides else None
    return open_csv(lines, name, adjust=adjust)


def outcome(table: CsvTable) -> tuple[list[Mention], list[str]]:
    records = list(table.records(NOW))
    good = [r.mention for r in records if isinstance(r, Parsed)]
    return good, [str(r) for r in records if isinstance(r, Problem)]


def test_a_date_column_the_preset_does_not_know_refuses_the_file_naming_it() -> None:
    table = table_of(SAMPLES / "received-column.csv")
    good, problems = outcome(table)
    assert good == [] and table.layout.refused and len(problems) == 3  # one for each post
    assert problems[0].startswith(
        "received-column.csv:2: no date column that the generic spreadsheet reads "
        "(created_at, date, datetime, timestamp, published, posted, tweet_created, created), "
        "yet dates are in Received (UTC) ('2026-11-20 09:12'): name the post's time with "
        "--column 'created_at=Received (UTC)'"
    )
    named = table_of(SAMPLES / "received-column.csv", columns={"created_at": "Received (UTC)"})
    good, problems = outcome(named)
    assert problems == [] and good[0].created_at == datetime(2026, 11, 20, 9, 12, tzinfo=UTC)


def test_the_airline_sentiment_data_sets_columns_are_read() -> None:
    good, problems = outcome(table_of(SAMPLES / "airline-sentiment.csv"))
    assert problems == [] and len(good) == 4
    assert good[0].native_id == "570306133677760513"  # tweet_id, to the last digit
    assert good[0].created_at == datetime(2015, 2, 24, 19, 35, 52, tzinfo=UTC)  # tweet_created
    assert good[0].author_name == "cairdin_t"


def test_a_sheet_without_any_date_column_says_once_that_posts_get_the_import_time() -> None:
    table = table_of(SAMPLES / "no-dates.csv")
    assert table.layout.describe().endswith(
        "; no date column: each post is given the time of the import"
    )
    good, problems = outcome(table)
    assert problems == [] and {m.created_at for m in good} == {NOW}


def test_counts_and_scores_are_not_taken_for_dates() -> None:
    table = table_of('text,score,retweet_count,tweet_coord\nhi,0.6771,12,"[40.7, -73.9]"\n')
    assert not table.layout.refused and "no date column" in table.layout.describe()


def test_ids_excel_rounded_refuse_the_file_with_one_reason_and_its_rows_folded() -> None:
    table = table_of(SAMPLES / "airline-sentiment-excel.csv")
    good, problems = outcome(table)
    assert good == [] and len(problems) == 4
    assert problems[0].startswith(
        "airline-sentiment-excel.csv:2: tweet_id: '5,70306E+17' is in scientific notation: "
        "the id's last digits are lost (line 2), as are 3 more of the first 4 ids; a spreadsheet "
        "rounded these ids, so different posts would be stored as one: format the id column as "
        "text before exporting, or import the tool's original file"
    )
    assert problems[1] == (
        "airline-sentiment-excel.csv:3: tweet_created: '24-02-2015 11.35' (line 2) and 3 more "
        "of the first 4 dates are in a shape that is not read: name it with --date-format "
        "'%d-%m-%Y %H.%M'"
    )
    records = [r for r in table_of(SAMPLES / "airline-sentiment-excel.csv").records(NOW)]
    assert list(summarised(r for r in records if isinstance(r, Problem)))[2:] == [
        "airline-sentiment-excel.csv:4: refused with the whole file (see lines 2, 3)",
        "... and 1 more row(s) the same, to line 5",
    ]


def test_ids_rounded_to_fifteen_digits_and_written_out_refuse_the_file() -> None:
    rows = ["570306114120000000", "570301130880000000", "570301083670000000"]
    sheet = "id,text\n" + "".join(f"{i},post {n}\n" for n, i in enumerate(rows))
    good, problems = outcome(table_of(sheet))
    assert good == [] and "all end in zeros, as numbers rounded to 15 digits do" in problems[0]


def test_one_odd_id_among_good_ones_is_refused_alone() -> None:
    sheet = "id,text\n1861000000000000001,one\n5.70306E+17,two\n1861000000000000003,three\n"
    good, problems = outcome(table_of(sheet))
    assert [m.native_id for m in good] == ["1861000000000000001", "1861000000000000003"]
    assert problems == [
        "sheet.csv:3: id: '5.70306E+17' is in scientific notation: the id's last digits are "
        "lost; a spreadsheet rounded these ids, so different posts would be stored as one: "
        "format the id column as text before exporting, or import the tool's original file"
    ]


@pytest.mark.parametrize(
    "cell", ["5.70306E+17", "5,70306E+17", "1e18", "570306133677760513.0", 5.703061336777605e17]
)
def test_an_id_that_went_through_a_float_is_unsafe(cell: str | float) -> None:
    assert unsafe_id(cell) is not None


@pytest.mark.parametrize("cell", ["570306133677760513", "t3_1abc", "12.5", "fb-7001", 4411.0])
def test_an_id_that_can_be_whole_is_safe(cell: str | float) -> None:
    assert unsafe_id(cell) is None


def test_real_snowflake_ids_ending_in_zeros_are_not_taken_for_rounded_ones() -> None:
    # Snowflake ids whose low bits are zero end in zeros more often than chance; a column of
    # them is judged rounded only when chance says less than one in a million.
    assert not rounded_column(["1861000000000004000", "1861000000000008192"])
    assert not rounded_column(["1861000000000004000", "1861000000000008000"])
    assert rounded_column(["1861000000000000000", "1862000000000000000"])
    assert not rounded_column(["1", "2", "3", "1000000000000000000000"])  # one odd row


def test_identical_posts_of_unknown_authors_never_merge(service: ConsoleService) -> None:
    for expected in [(5, 0), (0, 5)]:  # imported twice: the second time, all duplicates
        report = service.ingest(table_of(SAMPLES / "thank-you.csv").records(NOW))
        assert (report.new, report.duplicates) == expected
    same_author = "author,date,text\nann,2026-11-20 14:00,Thanks!\nann,2026-11-20 14:00,Thanks!\n"
    ids = {m.native_id for m in outcome(table_of(same_author))[0]}
    assert len(ids) == 1  # one author, one moment, the same words: the same post twice


def test_dates_in_an_odd_shape_are_one_error_that_names_the_format() -> None:
    good, problems = outcome(table_of(SAMPLES / "odd-dates.csv"))
    assert good == [] and problems[0] == (
        "odd-dates.csv:2: Date: '20-11-2026 14.03' (line 2) and 2 more of the first 3 dates are "
        "in a shape that is not read: name it with --date-format '%d-%m-%Y %H.%M'"
    )
    good, problems = outcome(table_of(SAMPLES / "odd-dates.csv", date_format="%d-%m-%Y %H.%M"))
    assert problems == [] and good[2].created_at == datetime(2026, 11, 5, 9, 30, tzinfo=UTC)


def test_day_first_dates_read_month_first_refuse_the_file() -> None:
    good, problems = outcome(table_of(SAMPLES / "day-first.csv"))
    assert good == [] and problems[0] == (
        "day-first.csv:2: Date: '24/11/2026 09:30' (line 2) puts the day first, but the dates "
        "are read month first (03/04 as 4 March, not 3 April): add --day-first (day_first: true "
        "in a mapping file)"
    )
    good, problems = outcome(table_of(SAMPLES / "day-first.csv", day_first=True))
    assert problems == [] and good[1].created_at == datetime(2026, 11, 5, 10, 15, tzinfo=UTC)
    month_first = "date,text\n11/24/2026 09:30,a\n11/05/2026 10:15,b\n"
    _, problems = outcome(table_of(month_first, day_first=True))
    assert "puts the month first, but the dates are read day first: drop --day-first" in problems[0]


def test_another_tools_export_is_named_for_what_it_is() -> None:
    table = table_of(SAMPLES / "x-analytics.csv")
    good, problems = outcome(table)
    assert good == [] and problems == [
        "x-analytics.csv:2: this is an X (Twitter) Analytics tweet activity export, which is not "
        "read: it holds your own account's posts and their statistics, not mentions of you; to "
        "import them anyway: --column text='Tweet text' --column id='Tweet id' --column "
        "created_at=time --platform x",
        "x-analytics.csv:3: refused with the whole file (see line 2)",
    ]
    chosen = table_of(
        SAMPLES / "x-analytics.csv",
        columns={"text": "Tweet text", "id": "Tweet id", "created_at": "time"},
    )
    assert "this looks like an X (Twitter) Analytics tweet activity export" in (
        chosen.layout.describe()
    )
    assert len(outcome(chosen)[0]) == 2


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (
            "id,username,name,pinned_tweet_id,public_metrics.followers_count",
            "twarc-csv file of users",
        ),
        ("start,end,tweet_count", "twarc-csv file of tweet counts"),
        ("Conversation ID,Medium,Channel,Contact Primary Identifier,Created at", "conversations"),
    ],
)
def test_exports_that_hold_no_posts_are_named(header: str, name: str) -> None:
    table = table_of(f"{header}\n{','.join('1' for _ in header.split(','))}\n")
    _, problems = outcome(table)
    assert table.layout.refused and name in problems[0]


def test_the_command_line_prints_a_refused_files_rows_as_one_line(tmp_path: Path) -> None:
    sample = str(SAMPLES / "airline-sentiment-excel.csv")
    out = run("--data-dir", str(tmp_path / "data"), "ingest", sample)
    assert out.returncode == 1
    assert "refused whole, nothing in it is stored (why: below)" in out.stdout
    assert f"{sample}: 0 new, 0 updated, 0 deleted, 0 duplicate(s), 4 rejected" in out.stdout
    assert out.stderr.splitlines()[-2:] == [
        f"  {sample}:4: refused with the whole file (see lines 2, 3)",
        "  ... and 1 more row(s) the same, to line 5",
    ]
