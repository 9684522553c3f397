"""Tool outputs people already have, read through the presets: twarc-csv, Hootsuite and
Sprinklr exports, and Excel workbooks (samples in tests/data/csv/, README.md there)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook

from crisis_console.core.errors import Problem
from crisis_console.core.intake.csv_ingest import CsvRefused, CsvTable, open_csv
from crisis_console.core.intake.csv_mapping import preset
from crisis_console.core.intake.ingest import Parsed
from crisis_console.core.intake.xlsx import open_xlsx
from crisis_console.core.models import Kind, Mention, Platform
from tests.test_cli import run

SAMPLES = Path(__file__).parent / "data" / "csv"
REAL_TWARC = Path(__file__).parent / "data" / "platforms" / "real" / "twarc_csv.csv"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def outcome(table: CsvTable) -> tuple[dict[str, Mention], list[str]]:
    """(the good mentions by id, each problem as the CLI prints it)."""
    records = list(table.records(NOW))
    good = {r.mention.native_id: r.mention for r in records if isinstance(r, Parsed)}
    return good, [str(r) for r in records if isinstance(r, Problem)]


def csv_file(path: Path, **overrides: str) -> CsvTable:
    with path.open("rb") as lines:
        adjust = (lambda m: m.with_overrides(**overrides)) if overrides else None
        return open_csv(list(lines), path.name, adjust=adjust)


def test_twarc_csv_maps_the_author_and_the_dotted_columns() -> None:
    table = csv_file(SAMPLES / "twarc.csv")
    assert table.layout.mapping.name == "twarc"
    good, problems = outcome(table)
    first = good["1861000000000000101"]
    assert (first.author, first.author_name, first.followers, first.verified) == (
        "dee_r",
        "Dee R",
        12400,
        False,
    )
    assert first.platform is Platform.X and first.created_at == datetime(
        2026, 11, 20, 14, 3, tzinfo=UTC
    )
    assert first.text.endswith("burned my hand.\nWhat now?")  # twarc-csv writes \\n out
    assert (first.engagement.likes, first.engagement.shares, first.engagement.replies) == (
        88,
        31,
        4,
    )
    assert first.url == "https://x.com/dee_r/status/1861000000000000101"
    assert good["1861000000000000104"].followers == 1_200_000  # a quote: its own post
    assert problems == [
        "twarc.csv:7: created_at: '2026-11-31T09:00:00.000Z' is not a date and time"
    ]


def test_a_twarc_reply_links_to_its_parent_and_an_edit_is_kept_under_its_first_id() -> None:
    good, _ = outcome(csv_file(SAMPLES / "twarc.csv"))
    reply = good["1861000000000000102"]
    assert (reply.kind, reply.in_reply_to) == (Kind.REPLY, "x:1861000000000000101")
    edited = good["1861000000000000150"]  # edit_history_tweet_ids: [150, 199]
    assert edited.url == "https://x.com/jo_bakes/status/1861000000000000199"  # its own id
    assert "1861000000000000199" not in good


def test_a_retweet_is_a_repost_of_the_original_not_words_the_retweeter_wrote() -> None:
    """As a retweet is read from the X API's JSON (`platforms/x.py`)."""
    good, _ = outcome(csv_file(SAMPLES / "twarc.csv"))
    retweet = good["1861000000000000103"]
    assert retweet.author == "kettlewatch" and retweet.kind is Kind.REPOST
    assert retweet.repost_of == "x:1861000000000000101"
    assert retweet.text.startswith("@AcmeHome the lid of my K2 kettle flew off")
    # twarc-csv gives it the original's counts; they are the original's, not the retweet's.
    assert (retweet.engagement.likes, retweet.engagement.shares) == (0, 0)
    assert retweet.in_reply_to == ""


def test_an_early_twarc_csv_file_with_json_encoded_text_is_read() -> None:
    table = csv_file(REAL_TWARC)
    assert table.layout.mapping.name == "twarc"
    good, problems = outcome(table)
    assert problems == [] and len(good) == 4
    first = good["1170073690492588037"]
    assert first.text.startswith("After a long quest to the Motel; we have arrived safely")
    assert "can\u2019t wait" in first.text and "\n@AlphaXsc2" in first.text
    assert first.author == "aXSniperSC" and first.followers == 453


def test_dotted_author_columns_are_read_by_the_generic_preset_too() -> None:
    text = (
        "id,text,created_at,author.username,author.public_metrics.followers_count\n"
        "1,Lid flew off,2026-11-20T14:03:00Z,dee_r,12400\n"
    )
    table = open_csv(text.encode().splitlines(keepends=True), "flat.csv", preset("generic"))
    good, problems = outcome(table)
    assert problems == [] and (good["1"].author, good["1"].followers) == ("dee_r", 12400)


def test_hootsuite_inbox_messages_export() -> None:
    table = csv_file(SAMPLES / "hootsuite.csv", timezone="Europe/Berlin")
    assert table.layout.mapping.name == "hootsuite"
    good, problems = outcome(table)
    assert [(m.platform, m.author, m.author_name) for m in good.values()] == [
        (Platform.X, "dee_r", "Dee R"),
        (Platform.FACEBOOK, "Sam Ortiz", "Sam Ortiz"),
        (Platform.INSTAGRAM, "noor.k", "Noor"),
    ]
    assert good["m-90001"].created_at == datetime(2026, 11, 20, 13, 3, tzinfo=UTC)  # CET
    assert problems == ["hootsuite.csv:5: Message: must not be empty"]


def test_sprinklr_messages_export() -> None:
    table = csv_file(SAMPLES / "sprinklr.csv")
    assert table.layout.mapping.name == "sprinklr"
    good, problems = outcome(table)
    tweet = good["TWITTER_1861000000000000501"]
    assert (tweet.author, tweet.followers, tweet.engagement.shares) == ("dee_r", 12400, 31)
    assert tweet.created_at == datetime(2026, 11, 20, 14, 3, tzinfo=UTC)
    assert good["FACEBOOK_7001_502"].kind is Kind.COMMENT
    assert good["YOUTUBE_abc123_503"].platform is Platform.YOUTUBE
    assert problems == ["sprinklr.csv:5: Sender Followers Count: 'lots' is not a whole number"]


def test_a_workbook_is_read_like_its_csv_export_with_real_dates() -> None:
    table = open_xlsx(SAMPLES / "brandwatch.xlsx", "bw.xlsx")
    assert table.layout.describe().startswith(
        "recognised as Brandwatch Consumer Research mentions export; header on row 5 of sheet "
        "'Mentions'"
    )
    good, problems = outcome(table)
    first = good["1861000000000000001"]
    assert first.created_at == datetime(2026, 11, 20, 14, 3, tzinfo=UTC)
    assert (first.followers, first.verified, first.engagement.likes) == (12400, True, 88)
    assert first.text == "My Acme kettle cracked.\nMy son has a burn."
    assert problems == ["bw.xlsx[Mentions]:8: Full Text: must not be empty"]  # the sheet's row


def test_a_workbooks_dates_without_a_zone_are_in_the_mappings_zone() -> None:
    adjust = lambda m: m.with_overrides(timezone="America/New_York")  # noqa: E731
    good, _ = outcome(open_xlsx(SAMPLES / "brandwatch.xlsx", "bw", adjust=adjust))
    assert good["1861000000000000001"].created_at == datetime(2026, 11, 20, 19, 3, tzinfo=UTC)


def test_a_workbook_date_and_time_in_two_cells_are_joined(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Date", "Time", "Hit Sentence", "Influencer", "Document ID"])
    sheet.append([datetime(2026, 11, 20), time(14, 3), "Lid flew off", "@bo", "d-1"])
    book.save(tmp_path / "melt.xlsx")
    table = open_xlsx(tmp_path / "melt.xlsx", "melt.xlsx")
    assert table.layout.mapping.name == "meltwater"
    good, problems = outcome(table)
    assert problems == [] and good["d-1"].created_at == datetime(2026, 11, 20, 14, 3, tzinfo=UTC)


def test_a_named_sheet_is_read_and_a_missing_one_named(tmp_path: Path) -> None:
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "About"
    notes.append(["This export was made for the weekly review"])
    mentions = book.create_sheet("Mentions")
    mentions.append(["text", "author", "id"])
    mentions.append(["Where is my refund?", "maria", "570306133677760513"])  # as text: exact
    mentions.append(["And mine?", "tom", 4411])  # a number, but a small one: exact too
    book.save(tmp_path / "two.xlsx")
    good, _ = outcome(open_xlsx(tmp_path / "two.xlsx", "two.xlsx", sheet="Mentions"))
    assert list(good) == ["570306133677760513", "4411"]
    with pytest.raises(CsvRefused, match="no header row naming the text column"):
        open_xlsx(tmp_path / "two.xlsx", "two.xlsx")  # the first sheet: About
    with pytest.raises(CsvRefused, match="no sheet 'Tweets' \\(sheets: 'About', 'Mentions'\\)"):
        open_xlsx(tmp_path / "two.xlsx", "two.xlsx", sheet="Tweets")


def test_an_id_excel_holds_as_a_number_refuses_the_workbook() -> None:
    table = open_xlsx(SAMPLES / "excel-ids.xlsx", "ids.xlsx")
    good, problems = outcome(table)
    assert good == {} and table.layout.refused
    assert problems[0].startswith(
        "ids.xlsx[Tweets]:2: id: 5.70306133677761E+17 is an Excel number, exact only to 15 "
        "digits: the id it held is lost (line 2), as are 2 more of the first 3 ids; "
    )
    assert "format the id column as text before exporting" in problems[0]
    assert problems[1:] == [
        "ids.xlsx[Tweets]:3: refused with the whole file (see line 2)",
        "ids.xlsx[Tweets]:4: refused with the whole file (see line 2)",
    ]


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(CsvRefused, match=r"Excel 97-2003 workbook \(\.xls\) is not read"):
        open_xlsx(tmp_path / "old.xls", "old.xls")
    (tmp_path / "fake.xlsx").write_text("text\nhello\n")
    with pytest.raises(CsvRefused, match="not an Excel workbook"):
        open_xlsx(tmp_path / "fake.xlsx", "fake.xlsx")


def test_ingest_reads_a_workbook_from_the_command_line(tmp_path: Path) -> None:
    data, sample = str(tmp_path / "data"), str(SAMPLES / "brandwatch.xlsx")
    out = run("--data-dir", data, "ingest", sample)
    assert out.returncode == 1, out.stderr  # the sample's row without text
    assert "header on row 5 of sheet 'Mentions'" in out.stdout
    assert f"{sample}: 2 new, 0 updated, 0 deleted, 0 duplicate(s), 1 rejected" in out.stdout
    assert f"{sample}[Mentions]:8: Full Text: must not be empty" in out.stderr
    again = run("--data-dir", data, "ingest", sample)
    assert "0 new, 0 updated, 0 deleted, 2 duplicate(s), 1 rejected" in again.stdout
    other = run("--data-dir", data, "ingest", "--sheet", "Query", sample)
    assert "no header row naming the text column" in other.stderr
    follow = run("--data-dir", data, "ingest", "--follow", sample)
    assert follow.returncode == 2 and "--follow reads JSON Lines" in follow.stderr
