"""Issue 15, point 10, the values named: a 5,000-digit number, a lone surrogate and dates at
the edges of time, in JSON Lines, a platform's JSON and CSV; and a CSV quote never closed.
Each is reported as file:line:field and skipped, and the good records around it are kept."""

from __future__ import annotations

import json

import pytest

from crisis_console.core.errors import Problem
from crisis_console.core.intake.csv_ingest import open_csv
from crisis_console.core.intake.ingest import Parsed, Read, read_jsonl
from tests.conftest import NOW, record

EDGES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00"]


def good_around(middle: list[bytes]) -> list[bytes]:
    first, last = record("a", "Where is my parcel?"), record("z", "Thanks!")
    return [json.dumps(first).encode(), *middle, json.dumps(last).encode()]


def outcome(items: list[Read]) -> tuple[list[str], list[str]]:
    kept = [i.mention.native_id for i in items if isinstance(i, Parsed)]
    problems = [str(i) for i in items if isinstance(i, Problem)]
    return kept, problems


@pytest.mark.parametrize("when", EDGES)
def test_dates_at_the_edges_of_time(when: str) -> None:
    line = json.dumps(record("edge", "old or new", created_at=when)).encode()
    kept, problems = outcome(list(read_jsonl(good_around([line]), "in.jsonl", NOW)))
    assert kept == ["a", "z"]
    assert problems == [
        f"in.jsonl:2: created_at: '{when}' is not a time a post was made: it must be from "
        "1990 to 2099"
    ]


def test_a_five_thousand_digit_number_in_our_records_and_a_platforms() -> None:
    ours = b'{"id": "big", "platform": "x", "text": "t", "followers": ' + b"9" * 5000 + b"}"
    tweet = b'{"data": {"id": "1", "text": "t", "public_metrics": {"like_count": '
    tweet += b"9" * 5000 + b"}}}"
    kept, problems = outcome(list(read_jsonl(good_around([ours, tweet]), "in.jsonl", NOW)))
    assert kept == ["a", "z"]
    assert problems == [
        "in.jsonl:2: not valid JSON: a number with too many digits",
        "in.jsonl:3: not valid JSON: a number with too many digits",
    ]


def test_a_lone_surrogate_never_reaches_the_store_as_one() -> None:
    line = b'{"id": "half", "platform": "x", "text": "half an emoji \\ud83d here"}'
    items = list(read_jsonl(good_around([line]), "in.jsonl", NOW))
    kept = {i.mention.native_id: i.mention.text for i in items if isinstance(i, Parsed)}
    assert set(kept) == {"a", "half", "z"}
    kept["half"].encode("utf-8")  # storable: the half is the replacement character now
    assert "\ufffd" in kept["half"]


def test_csv_edges_and_a_quote_never_closed() -> None:
    rows = [
        "id,platform,author,text,created_at,followers",
        "c1,x,a,fine,2026-03-14T10:00:00Z,10",
        "c2,x,a,big,2026-03-14T10:00:00Z," + "9" * 5000,
        f"c3,x,a,early,{EDGES[0]},1",
        f"c4,x,a,late,{EDGES[1]},1",
        'c5,x,a,"a quote never closed,2026-03-14T10:00:00Z,1',
        "c6,x,a,swallowed,2026-03-14T10:00:00Z,1",
    ]
    lines = [(r + "\n").encode() for r in rows]
    kept, problems = outcome(list(open_csv(lines, "in.csv").records(NOW)))
    assert kept == ["c1"]
    assert problems[0].startswith("in.csv:3: followers: ")
    assert problems[1].startswith("in.csv:4: created_at: ")
    assert problems[2].startswith("in.csv:5: created_at: ")
    assert problems[3] == (
        "in.csv:6: not a valid CSV row: a quote opened on this line is never closed: lines 6 "
        "to 7 were not read (close the quote, or double it inside a cell)"
    )
