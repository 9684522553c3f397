"""Writes the workbook samples of this folder (run it to remake them; README.md says what each
holds): `python tests/data/csv/workbooks.py`. openpyxl stores what Excel stores: a date as a
date, a number as a double."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent


def brandwatch() -> None:
    """Brandwatch Consumer Research's mentions export, saved as a workbook: the query lines,
    the header on row 5, real dates, ids as text, a row with no text."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Mentions"
    sheet.append(["Report:", "Mentions export"])
    sheet.append(["Brand:", "Acme"])
    sheet.append(["From:", datetime(2026, 11, 20), "To:", datetime(2026, 11, 21)])
    sheet.append([])
    sheet.append(
        ["Query Id", "Query Name", "Date", "Title", "Url", "Domain", "Sentiment", "Page Type"]
        + ["Language", "Author", "Full Name", "Full Text", "Twitter Followers"]
        + ["Twitter Verified", "Twitter Retweets", "Likes", "Resource Id"]
    )
    sheet.append(
        [2001, "Acme brand", datetime(2026, 11, 20, 14, 3), None]
        + ["https://x.com/annp/status/1861000000000000001", "x.com", "negative", "twitter"]
        + ["en", "annp", "Ann Page", "My Acme kettle cracked.\nMy son has a burn.", 12400]
        + [True, 31, 88, "1861000000000000001"]
    )
    sheet.append(
        [2001, "Acme brand", datetime(2026, 11, 20, 14, 10), "Kettle recall?"]
        + ["https://www.reddit.com/r/Appliances/comments/1abc/", "reddit.com", "neutral"]
        + ["reddit", "en", "kettle_q", None, "Is there a recall on the Acme K2 kettle?"]
        + [None, None, None, 4, "t3_1abc"]
    )
    sheet.append(
        [2001, "Acme brand", datetime(2026, 11, 20, 15, 0), None]
        + ["https://www.instagram.com/p/C0abc/", "instagram.com", "neutral", "instagram"]
        + ["en", "lia.loves", "Lia", None, 2300, False, None, 12, "ig-555"]
    )
    query = book.create_sheet("Query")
    query.append(["Query", "Acme OR #AcmeK2"])
    book.save(HERE / "brandwatch.xlsx")


def rounded_ids() -> None:
    """A sheet whose id column Excel holds as numbers: each tweet id a double, its last
    digits lost (5.70306133677761E+17 for 570306133677760513)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Tweets"
    sheet.append(["id", "Date", "Author", "Text"])
    sheet.append([570306133677760513.0, datetime(2015, 2, 24, 19, 35), "cairdin_t", "desk?"])
    sheet.append([570301130888122368.0, datetime(2015, 2, 24, 19, 15), "jnardino_t", "thanks!"])
    sheet.append([570301083672813571.0, datetime(2015, 2, 24, 19, 15), "yvonna_t", "sparks!"])
    book.save(HERE / "excel-ids.xlsx")


if __name__ == "__main__":
    brandwatch()
    rounded_ids()
