"""`crisis-console eval` from the shell: figures, JSON, label mapping, the harm task, and the
devset's targets."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.test_cli import run


def test_eval_prints_figures_and_json_with_label_mapping(tmp_path: Path) -> None:
    path = tmp_path / "gold.csv"
    path.write_text(
        "text,gold\n"
        "Thanks for the 4 hour delay,neg\n"
        '"The crew were brilliant, thank you",pos\n'
        "Saw your van at the station,neutral\n"
        "no label here,\n"
        "odd one,meh\n",
        encoding="utf-8",
    )
    args = (
        "eval",
        str(path),
        "--text",
        "text",
        "--label",
        "gold",
        "--map",
        "neg=negative",
        "pos=positive",
    )
    text = run(*args)
    assert text.returncode == 0, text.stderr
    assert "task sentiment: 3 rows scored, 2 skipped" in text.stdout
    assert "accuracy 1.000" in text.stdout and "confusion" in text.stdout
    assert "gold.csv:5: gold: missing label" in text.stderr
    assert "label 'meh' is not one of negative, neutral, positive" in text.stderr
    data = json.loads(run(*args, "--json").stdout)
    assert data["rows"] == 3 and data["accuracy"] == 1.0
    assert data["classes"]["negative"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert data["confusion"]["negative"] == {"negative": 1, "neutral": 0, "positive": 0}


def test_eval_of_harm_prints_recall_per_kind_and_language_and_false_escalations(
    tmp_path: Path,
) -> None:
    rows = [
        {"id": "a", "text": "found a shard of glass in my yoghurt", "harm": "food_safety"},
        {"id": "b", "text": "the pharmacy gave me the wrong dose", "harm": "medicine",
         "language": "en"},
        {"id": "c", "text": "Mon fils a avalé une pile bouton", "harm": "child_safety",
         "language": "fr"},
        {"id": "d", "text": "your parcel tracking is a bit slow", "harm": "product_hazard"},
        {"id": "e", "text": "this burger slaps", "harm": None},
        {"id": "f", "text": "the charger caught fire", "harm": ""},
        {"id": "g", "text": "odd", "harm": "flood"},
    ]  # fmt: skip
    path = tmp_path / "harm.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    args = ("eval", str(path), "--text", "text", "--label", "harm", "--task", "harm")
    text = run(*args)
    assert text.returncode == 0, text.stderr
    assert "task harm: 4 risk-of-harm rows, 2 others, 1 skipped" in text.stdout
    assert "risk-of-harm recall 0.750 (3 of 4 escalated); false escalations 1 of 2" in text.stdout
    assert re.search(r"food_safety\s+1\s+1\s+1\.000\s+1", text.stdout)
    assert re.search(r"product_hazard\s+1\s+0\s+0\.000\s+0", text.stdout)
    assert re.search(r"\nfr\s+1\s+1\s+1\.000", text.stdout)
    assert "'flood' is not a kind of harm" in text.stderr
    data = json.loads(run(*args, "--json").stdout)
    assert data["misses"] == ["d"] and data["false_alarms"] == ["f"]
    assert data["kinds"]["medicine"] == {"total": 1, "escalated": 1, "recall": 1.0}


def test_eval_on_the_devset_meets_the_targets() -> None:
    out = run(
        "eval",
        "tests/data/devset.jsonl",
        "--text",
        "text",
        "--label",
        "urgency",
        "--task",
        "urgency",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["macro_f1"] >= 0.9
