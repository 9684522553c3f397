"""CSV ingest through the shipped presets, on hand-written samples of each tool's export
(tests/data/csv/), plus the awkward files spreadsheets produce."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crisis_console.core.errors import Problem
from crisis_console.core.intake.csv_ingest import CsvRefused, open_csv
from crisis_console.core.intake.csv_mapping import MappingError, load_mapping, preset, preset_names
from crisis_console.core.intake.ingest import Parsed
from crisis_console.core.intake.xlsx import open_xlsx
from crisis_console.core.models import Kind, Mention, Platform
from crisis_console.core.service import ConsoleService

SAMPLES = Path(__file__).parent / "data" / "csv"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def read(
    name: str, mapping_name: str | None = None, **overrides: Any
) -> tuple[str, list[Mention], list[Problem]]:
    """(the preset used, the good mentions, the problems) of one sample file."""
    path = SAMPLES / name
    mapping = preset(mapping_name) if mapping_name else None
    with path.open("rb") as lines:
        table = open_csv(
            lines, name, mapping, (lambda m: m.with_overrides(**overrides)) if overrides else None
        )
        records = list(table.records(NOW))
    good = [r.mention for r in records if isinstance(r, Parsed)]
    return table.layout.mapping.name, good, [r for r in records if isinstance(r, Problem)]


def lines_of(text: str) -> list[bytes]:
    return text.encode().splitlines(keepends=True)


def test_brandwatch_export_skips_its_preamble_and_keeps_quoted_newlines() -> None:
    name, good, problems = read("brandwatch.csv")
    assert name == "brandwatch"
    first, second = good
    assert first.native_id == "1861000000000000001" and first.platform is Platform.X
    assert first.text == (
        "My Acme kettle cracked, boiling water everywhere.\r\n"
        "My son has a burn. @AcmeHome what now?"
    )
    assert (first.author, first.author_name, first.followers, first.verified) == (
        "annp",
        "Ann Page",
        12400,
        True,
    )
    assert (first.engagement.likes, first.engagement.shares) == (88, 31)
    assert first.created_at == datetime(2026, 11, 20, 14, 3, tzinfo=UTC)
    assert second.platform is Platform.REDDIT and second.native_id == "t3_1abc"
    assert second.text.startswith("Is there a recall")  # Full Text is preferred to Title
    # Lines count from the top of the file, preamble and the quoted newline included.
    assert [str(p) for p in problems] == [
        "brandwatch.csv:9: Date: '20-11-2026 zz' is not a date and time",
        "brandwatch.csv:10: Full Text: must not be empty",
    ]


def test_meltwater_export_in_utf16_with_tabs_joins_date_and_time() -> None:
    path = SAMPLES / "meltwater.tsv"
    with path.open("rb") as lines:
        layout = open_csv(lines, "m").layout
    assert (layout.mapping.name, layout.delimiter, layout.encoding) == ("meltwater", "\t", "UTF-16")
    _, good, problems = read("meltwater.tsv")
    complaint, video = good
    assert complaint.created_at == datetime(2026, 11, 20, 14, 3, tzinfo=UTC)
    assert complaint.author == "bo_ng" and complaint.followers == 1200  # "1.2K"
    assert complaint.text == "Acme support hung up on me twice. Never again."
    assert video.platform is Platform.TIKTOK and video.text.endswith("😱")
    assert video.followers == 98500 and video.engagement.replies == 230
    assert [(p.line, p.field) for p in problems] == [(4, "Date")]  # 31 November


def test_sprout_social_export_reads_kinds_and_local_times() -> None:
    name, good, problems = read("sprout-social.csv", timezone="America/New_York")
    assert name == "sprout-social"
    assert [(m.platform, m.kind) for m in good] == [
        (Platform.X, Kind.POST),
        (Platform.FACEBOOK, Kind.DM),
        (Platform.INSTAGRAM, Kind.COMMENT),
    ]
    assert good[0].created_at == datetime(2026, 11, 20, 14, 3, tzinfo=UTC)  # 9:03 EST
    assert good[1].author == "Sam Ortiz" and good[1].native_id == "fb-dm-9001"
    assert [(p.line, p.field) for p in problems] == [(5, "Message")]


def test_talkwalker_export_reads_unix_milliseconds_and_its_source_types() -> None:
    name, good, problems = read("talkwalker.csv")
    assert name == "talkwalker"
    assert [m.platform for m in good] == [Platform.X, Platform.YOUTUBE]
    assert good[0].created_at == datetime(2026, 11, 20, 14, 3, tzinfo=UTC)
    assert (good[1].author, good[1].followers) == ("gadgetlab", 1_500_000)
    assert [str(p) for p in problems] == [
        "talkwalker.csv:4: published: 'yesterday' is not a date and time"
    ]


def test_generic_sheet_with_semicolons_and_day_first_dates_in_a_zone() -> None:
    name, good, problems = read("generic.csv", day_first=True, timezone="Europe/Berlin")
    assert name == "generic"
    assert good[0].text == "Acme Wasserkocher undicht; wer hilft?"
    assert good[0].created_at == datetime(2026, 11, 3, 8, 30, tzinfo=UTC)  # 3 Nov, CET
    assert good[0].followers == 1200 and good[0].verified is False  # "1.200" grouped
    assert good[1].verified is True and good[1].platform is Platform.FACEBOOK
    assert all(m.native_id.startswith("csv-") for m in good)  # no id column: derived
    assert [str(p) for p in problems] == ["generic.csv:4: Followers: 'lots' is not a whole number"]


def test_without_day_first_the_same_sheet_reads_month_first() -> None:
    _, good, _ = read("generic.csv")
    assert good[0].created_at == datetime(2026, 3, 11, 9, 30, tzinfo=UTC)


def test_an_imported_sheet_imported_again_is_stored_once(service: ConsoleService) -> None:
    for _ in range(2):
        with (SAMPLES / "generic.csv").open("rb") as lines:
            report = service.ingest(open_csv(lines, "g").records(NOW))
    assert (report.new, report.duplicates, report.rejected) == (0, 2, 1)


def test_every_preset_has_a_sample_that_it_recognises() -> None:
    recognised = set()
    for sample in SAMPLES.iterdir():
        if sample.suffix == ".xlsx":
            layout = open_xlsx(sample, sample.name).layout
        elif sample.suffix in (".csv", ".tsv"):
            with sample.open("rb") as lines:
                layout = open_csv(lines, sample.name).layout
        else:
            continue  # README.md, the script that writes the workbooks
        if not layout.refused:
            recognised.add(layout.mapping.name)
    assert recognised == set(preset_names())


def test_bad_rows_are_reported_and_the_rest_kept() -> None:
    huge = "x" * 140_000  # past the CSV reader's own cell limit
    text = f'text|author|platform\nfirst|a|x\n"{huge}"|b|x\n\nthird|c|x|surplus|cells\nfourth|d|\n'
    raw = [*lines_of(text)[:4], b"caf\xe9|e|x\n", *lines_of(text)[4:]]
    with_bad_utf8 = open_csv(raw, "s.csv")
    assert with_bad_utf8.layout.delimiter == "|"
    records = list(with_bad_utf8.records(NOW))
    good = [r.mention for r in records if isinstance(r, Parsed)]
    assert [m.text for m in good] == ["first", "fourth"]
    assert good[1].platform is Platform.OTHER  # an empty platform cell
    assert [(p.line, p.message[:24]) for p in records if isinstance(p, Problem)] == [
        (3, "not a valid CSV row: fie"),
        (5, "not valid UTF-8"),
        (6, "has 5 cells but the head"),
    ]


def test_a_file_without_a_text_column_is_refused_naming_its_first_row() -> None:
    with pytest.raises(CsvRefused) as refused:
        open_csv(lines_of("when,who\n2026-11-20,ann\n"), "odd.csv")
    assert "odd.csv:1: no header row naming the text column" in str(refused.value)
    assert "the first row is: when, who" in str(refused.value)


def test_a_column_override_reads_a_sheet_no_preset_knows() -> None:
    generic = preset("generic").with_overrides(columns={"text": "Kommentar", "author": "Wer"})
    table = open_csv(lines_of("Wer,Kommentar\nanna,Der Deckel!\n"), "de.csv", generic)
    (record,) = table.records(NOW)
    assert isinstance(record, Parsed)
    assert (record.mention.author, record.mention.text) == ("anna", "Der Deckel!")


def test_a_mapping_file_reports_every_problem_with_its_line() -> None:
    text = (
        "title: ours\n"
        "columns:\n"
        "  txt: Body\n"
        "  followers: [Fans, {x: 1}]\n"
        "timezone: Mars/Olympus\n"
        "platform: myspace\n"
        "colour: red\n"
    )
    with pytest.raises(MappingError) as refused:
        load_mapping(text, "ours.yaml", "ours")
    assert [(p.line, p.field) for p in refused.value.problems] == [
        (3, "columns.txt"),
        (3, "columns"),  # no text column: named where the columns start
        (4, "columns.followers"),
        (5, "timezone"),
        (6, "platform"),
        (7, "colour"),
    ]


def test_a_mapping_file_is_read_like_a_preset() -> None:
    mapping = load_mapping(
        "columns:\n  text: Body\n  created_at: When\nday_first: true\n"
        "timezone: Asia/Kolkata\nplatform: review\nplatforms: {Trust Pilot: review}\n",
        "m.yaml",
        "m",
    )
    table = open_csv(lines_of("When,Body\n01/02/2026 10:00,Lid broke\n"), "r.csv", mapping)
    (record,) = table.records(NOW)
    assert isinstance(record, Parsed)
    assert record.mention.created_at == datetime(2026, 2, 1, 4, 30, tzinfo=UTC)
    assert record.mention.platform is Platform.REVIEW


@pytest.mark.parametrize(
    ("cell", "count"),
    [("1234", 1234), ("1,234", 1234), ("1.234", 1234), ("1 234", 1234), ("1.2K", 1200)]
    + [("1,5k", 1500), ("3M", 3_000_000), ("", 0), ("n/a", 0), ("-", 0)],
)
def test_counts_are_read_as_exports_write_them(cell: str, count: int) -> None:
    table = open_csv(lines_of(f'text,followers\nhi,"{cell}"\n'), "c.csv")
    (record,) = table.records(NOW)
    assert isinstance(record, Parsed) and record.mention.followers == count


@pytest.mark.parametrize("cell", ["1.5", "12,34", "many", "-3", "1.2345K"])
def test_counts_that_are_not_whole_numbers_are_refused(cell: str) -> None:
    table = open_csv(lines_of(f'text,followers\nhi,"{cell}"\n'), "c.csv")
    (record,) = table.records(NOW)
    assert isinstance(record, Problem) and record.field == "followers"


def test_the_readme_mapping_example_is_a_valid_mapping() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme[readme.index("# ours.yaml:") :].split("```", 1)[0]
    mapping = load_mapping(example, "README.md", "ours")
    assert mapping.columns["text"] == ("Comment", "Title") and mapping.day_first
    table = open_csv(lines_of("When;Comment;Channel\n20.11.2026 14:03;Lid!;Insta\n"), "s", mapping)
    (record,) = table.records(NOW)
    assert isinstance(record, Parsed)
    assert record.mention.platform is Platform.INSTAGRAM
    assert record.mention.created_at == datetime(2026, 11, 20, 13, 3, tzinfo=UTC)


def test_an_old_excel_export_in_cp1252_is_refused_row_by_row_unless_named() -> None:
    raw = "text;author\nCafé kettle broke;ann\nplain ascii;bob\nCost me 40€;cy\n".encode("cp1252")
    table = open_csv(raw.splitlines(keepends=True), "old.csv")
    outcome = [
        (r.line, r.message) if isinstance(r, Problem) else r.mention.text
        for r in table.records(NOW)
    ]
    assert outcome == [(2, "not valid UTF-8"), "plain ascii", (4, "not valid UTF-8")]
    named = open_csv(raw.splitlines(keepends=True), "old.csv", encoding="cp1252")
    assert named.layout.encoding == "CP1252"
    texts = [r.mention.text for r in named.records(NOW) if isinstance(r, Parsed)]
    assert texts == ["Café kettle broke", "plain ascii", "Cost me 40€"]


def test_utf16_lines_split_only_at_newlines() -> None:
    raw = 'text,author\n"one\u2028cell",ann\nnext,bob\n'.encode("utf-16")
    records = list(open_csv([raw], "u.csv").records(NOW))
    assert [(r.line, r.mention.text) for r in records if isinstance(r, Parsed)] == [
        (2, "one\u2028cell"),
        (3, "next"),
    ]


def test_an_empty_file_is_named_as_empty_and_header_names_are_listed_once() -> None:
    with pytest.raises(CsvRefused, match=r"e\.csv:1: the file is empty"):
        open_csv([b"\n", b"  \n"], "e.csv")
    with pytest.raises(CsvRefused) as refused:
        open_csv([b"a,b\n"], "odd.csv")
    listed = str(refused.value).split("(", 1)[1].split(")", 1)[0].split(", ")
    assert len(listed) == len({name.casefold() for name in listed})
