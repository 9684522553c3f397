"""What a review of the refusals found: a short file's one bad row never refuses the good
ones, a date that reads only the other way is never swapped quietly, a run of problems never
hides another row, and a date-like column that is not the post's time can be set aside."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

from crisis_console.core.errors import Problem
from crisis_console.core.intake.csv_table import summarised
from crisis_console.core.intake.xlsx import open_xlsx
from tests.test_cli import run
from tests.test_csv_lies import outcome, table_of


def test_one_bad_date_in_a_two_row_file_refuses_only_its_row() -> None:
    good, problems = outcome(
        table_of(
            "id,text,author,date\n"
            "1,my kettle burned my hand,dee,2026-11-20 14:03\n"
            "2,lid flew off,sam,20-11-2026 zz\n"
        )
    )
    assert [m.native_id for m in good] == ["1"]
    assert problems == ["sheet.csv:3: date: '20-11-2026 zz' is not a date and time"]


def test_a_day_first_date_past_the_first_rows_is_refused_not_swapped() -> None:
    rows = [f"{n},post {n},user{n},{1 + n % 12:02d}/05/2026 09:00" for n in range(250)]
    rows.append("250,my kettle exploded,dee,13/11/2026 09:00")
    good, problems = outcome(table_of("id,text,author,date\n" + "\n".join(rows) + "\n"))
    assert len(good) == 250
    assert problems == [
        "sheet.csv:252: date: '13/11/2026 09:00' puts the day first, but this file is read "
        "month first: add --day-first, and import it again"
    ]


def test_one_day_first_date_among_the_first_rows_refuses_the_file() -> None:
    """`04/11` beside `13/11` is 4 November: read month first it would be 11 April."""
    rows = [f"{n},post {n},user{n},{1 + n % 12:02d}/11/2026 09:00" for n in range(30)]
    rows.append("30,my kettle exploded,dee,13/11/2026 09:00")
    table = table_of("id,text,author,date\n" + "\n".join(rows) + "\n")
    good, problems = outcome(table)
    assert good == [] and table.layout.refused and len(problems) == 31
    assert "add --day-first" in problems[0]


def test_a_run_of_the_same_problem_never_hides_a_row_between() -> None:
    same = "text: must not be empty"
    problems = [Problem("f.csv", line, "", same) for line in (4, 5, 6, 18, 39)]
    assert list(summarised(problems)) == [
        f"f.csv:4: {same}",
        "... and 2 more row(s) the same, to line 6",
        f"f.csv:18: {same}",
        f"f.csv:39: {same}",
    ]


def test_a_date_like_column_that_is_not_the_posts_time_can_be_set_aside() -> None:
    sheet = "text,author,Account created\nmy kettle lid flew off,dee,2011-03-04\n" * 1
    refused = table_of(sheet)
    good, problems = outcome(refused)
    assert good == [] and "--column created_at=-" in problems[0]
    good, problems = outcome(table_of(sheet, columns={"created_at": "-"}))
    assert problems == [] and good[0].text == "my kettle lid flew off"


def test_a_column_whose_header_names_no_time_is_never_taken_for_dates() -> None:
    good, problems = outcome(
        table_of("text,author,Case ref\nmy kettle lid flew off,dee,2026-11-0457\n")
    )
    assert problems == [] and len(good) == 1


def test_two_authors_under_one_id_are_never_stored_as_an_edit() -> None:
    """Ids a script rounded to 17 digits (String(Number(id))): ...457 and ...458 both become
    ...500, past what a look at the first rows can tell."""
    good, problems = outcome(
        table_of(
            "id,text,author,created_at\n"
            "1861234567890123500,my kettle exploded and burned my child,alice,2026-11-20T14:00Z\n"
            "1861234567890123500,love the new kettle,bob,2026-11-20T14:00Z\n"
        )
    )
    assert [m.author for m in good] == ["alice"]
    assert problems[0].startswith(
        "sheet.csv:3: id '1861234567890123500' is line 2's too, by another author"
    )


def test_a_rounded_id_in_a_reply_or_repost_link_is_refused() -> None:
    header = "id,text,created_at,author_id,author.username,referenced_tweets.replied_to.id\n"
    row = "1861000000000000101,lid flew off,2026-11-20T14:00Z,42,dee,1.861e+18\n"
    table = table_of(header + row)
    assert table.layout.mapping.title == "twarc-csv tweets"
    good, problems = outcome(table)
    assert good == [] and "scientific notation" in problems[0]


def workbook(rows: Sequence[Sequence[object]], title: str = "Mentions") -> Workbook:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    return book


def test_an_excel_error_cell_refuses_its_row_instead_of_becoming_an_id(tmp_path: Path) -> None:
    """A VLOOKUP that found nothing: '#N/A' in three rows' ids would make three people's
    posts one mention."""
    header = ["id", "text", "author", "created_at"]
    rows = [[f"=VLOOKUP(B{n},X:Y,2)", f"post {n}", f"u{n}", "2026-11-20 14:00"] for n in (2, 3)]
    book = workbook([header, *rows, ["7", "fine", "u7", "2026-11-20 14:00"]])
    book["Mentions"]["A2"].value, book["Mentions"]["A3"].value = "#N/A", "#N/A"  # as cached
    book.save(tmp_path / "b.xlsx")
    good, problems = outcome(open_xlsx(tmp_path / "b.xlsx", "b.xlsx"))
    assert [m.native_id for m in good] == ["7"]
    assert problems == [
        "b.xlsx[Mentions]:2: cell A2 holds the Excel error #N/A: fix it in the workbook",
        "b.xlsx[Mentions]:3: cell A3 holds the Excel error #N/A: fix it in the workbook",
    ]


def test_a_hidden_first_sheet_is_not_taken_for_the_data(tmp_path: Path) -> None:
    book = workbook([["code", "name"], ["a", "b"]], title="Lookup")
    book["Lookup"].sheet_state = "hidden"
    data = book.create_sheet("Mentions")
    data.append(["id", "text", "author", "created_at"])
    data.append(["1", "my kettle lid flew off", "dee", "2026-11-20 14:00"])
    book.save(tmp_path / "h.xlsx")
    table = open_xlsx(tmp_path / "h.xlsx", "h.xlsx")
    good, _ = outcome(table)
    assert table.layout.sheet == "Mentions" and [m.text for m in good] == ["my kettle lid flew off"]


def test_a_column_flag_naming_a_header_the_file_lacks_is_an_error(tmp_path: Path) -> None:
    sheet = tmp_path / "s.csv"
    sheet.write_text("text,author,date\nmy lid flew off,dee,2026-11-20 14:00\n")
    args = ["--data-dir", str(tmp_path / "data"), "ingest", str(sheet)]
    done = run(*args, "--column", "author=Whoo")
    assert done.returncode == 1
    assert f"{sheet}:1: --column author=Whoo: the file has no such column (text, author, date)" in (
        done.stderr
    )
    assert run(*args, "--column", "author=AUTHOR").returncode == 0  # headers match in any case


def test_rows_without_an_author_keep_their_ids_when_a_row_is_added_above() -> None:
    """Their copies are numbered, not their lines: importing next week's sheet, with a new
    row on top, stores that row alone."""
    rows = "text,date\nThank you!,2026-11-20 14:00\nThank you!,2026-11-20 14:00\nlid broke,\n"
    first, _ = outcome(table_of(rows))
    again, _ = outcome(table_of(rows.replace("text,date\n", "text,date\nnew post,\n")))
    keys = [m.native_id for m in first]
    assert len(set(keys)) == 3  # two people's identical thanks stay two posts
    assert set(keys) < {m.native_id for m in again}
