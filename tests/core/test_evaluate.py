"""Metrics against hand-computed answers, and labelled files in the shapes teams export."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis_console.core.errors import Problem
from crisis_console.core.triage.evaluate import LabelledRow, evaluate, read_labelled


def test_metrics_match_a_hand_computed_example() -> None:
    # gold a: 3 rows (2 right, 1 called b); gold b: 2 rows (both right); gold c: 1 row (called a)
    pairs = [("a", "a"), ("a", "a"), ("a", "b"), ("b", "b"), ("b", "b"), ("c", "a")]
    result = evaluate(pairs, "sentiment", labels=("a", "b", "c"))
    assert result.rows == 6
    assert result.accuracy == pytest.approx(4 / 6)
    a, b, c = (result.score(x) for x in "abc")
    assert a.precision == pytest.approx(2 / 3) and a.recall == pytest.approx(2 / 3)
    assert a.support == 3
    assert b.precision == pytest.approx(2 / 3) and b.recall == 1.0
    assert (c.precision, c.recall, c.f1) == (0.0, 0.0, 0.0)
    assert b.f1 == pytest.approx(0.8)
    assert result.macro_f1 == pytest.approx((2 / 3 + 0.8 + 0.0) / 3)
    assert result.confusion == {
        "a": {"a": 2, "b": 1, "c": 0},
        "b": {"a": 0, "b": 2, "c": 0},
        "c": {"a": 1, "b": 0, "c": 0},
    }


def test_labels_never_seen_are_left_out_of_the_macro_average() -> None:
    result = evaluate([("x", "x"), ("y", "y")], "sentiment", labels=("x", "y", "z"))
    assert [c.label for c in result.classes] == ["x", "y"]
    assert result.macro_f1 == 1.0


def test_csv_with_bom_semicolons_quoted_newlines_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "labelled.csv"
    path.write_text(
        "\ufefftweet;airline_sentiment;followers\n"
        '"first line\nsecond line";Negative;12\n'
        ";neutral;3\n"
        "great flight;;4\n"
        "ok;positive;5\n",
        encoding="utf-8",
    )
    items = list(read_labelled(path, "tweet", "airline_sentiment"))
    good = [i for i in items if isinstance(i, LabelledRow)]
    bad = [i for i in items if isinstance(i, Problem)]
    assert [(r.text, r.label) for r in good] == [
        ("first line\nsecond line", "negative"),
        ("ok", "positive"),
    ]
    assert good[0].fields["followers"] == "12"
    assert [(p.line, p.field) for p in bad] == [(4, "tweet"), (5, "airline_sentiment")]


def test_jsonl_reports_broken_lines(tmp_path: Path) -> None:
    path = tmp_path / "labelled.jsonl"
    path.write_text('{"t": "a", "l": "x"}\nnope\n[1]\n{"t": "b", "l": "y"}\n')
    items = list(read_labelled(path, "t", "l"))
    assert [type(i).__name__ for i in items] == ["LabelledRow", "Problem", "Problem", "LabelledRow"]
    assert [i.line for i in items] == [1, 2, 3, 4]


def test_a_utf16_tab_separated_export_is_read_like_ingest_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "labelled.csv"
    path.write_bytes(
        "text\tlabel\nLid broke off 😡\tnegative\nLove it\tpositive\n".encode("utf-16")
    )
    items = list(read_labelled(path, "text", "label"))
    assert [(i.line, i.text, i.label) for i in items if not isinstance(i, Problem)] == [
        (2, "Lid broke off 😡", "negative"),
        (3, "Love it", "positive"),
    ]
