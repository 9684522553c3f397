"""Measuring the classifier against labelled posts: accuracy, macro-F1, per-class precision
and recall, and the confusion matrix.

`read_labelled` reads CSV (as ingest reads it: delimiters, BOMs, UTF-16) or JSON Lines;
a row without text or label is reported with its line and skipped. `evaluate` is pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crisis_console.core.errors import Notice, Problem
from crisis_console.core.intake.csv_ingest import csv_rows
from crisis_console.core.intake.documents import json_items
from crisis_console.core.intake.ingest import MentionError, mention_from_input
from crisis_console.core.models import Category, Mention, Platform, SentimentLabel, Urgency
from crisis_console.core.triage.routing import Triager

TASK_LABELS: dict[str, tuple[str, ...]] = {
    "sentiment": tuple(s.value for s in SentimentLabel),
    "urgency": tuple(u.value for u in Urgency),
    "category": tuple(c.value for c in Category),
}
_OPTIONAL = ("author", "followers", "verified", "kind", "engagement", "created_at")


@dataclass(frozen=True, slots=True)
class LabelledRow:
    line: int
    text: str
    label: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ClassScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int  # gold rows of this class


@dataclass(slots=True)
class Evaluation:
    task: str
    rows: int
    accuracy: float
    macro_f1: float
    classes: list[ClassScore]
    confusion: dict[str, dict[str, int]]  # gold -> predicted -> count
    skipped: list[Problem] = field(default_factory=list)

    def score(self, label: str) -> ClassScore:
        return next(c for c in self.classes if c.label == label)

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "rows": self.rows,
            "skipped": [str(p) for p in self.skipped],
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "classes": {
                c.label: {
                    "precision": round(c.precision, 4),
                    "recall": round(c.recall, 4),
                    "f1": round(c.f1, 4),
                    "support": c.support,
                }
                for c in self.classes
            },
            "confusion": self.confusion,
        }


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def evaluate(pairs: Iterable[tuple[str, str]], task: str, labels: Iterable[str] = ()) -> Evaluation:
    """Score (gold, predicted) pairs. Classes are `labels` plus any label seen in the pairs."""
    pairs = list(pairs)
    order = list(dict.fromkeys([*labels, *(g for g, _ in pairs), *(p for _, p in pairs)]))
    seen = {g for g, _ in pairs} | {p for _, p in pairs}
    classes_in_play = [label for label in order if label in seen]
    confusion = {g: {p: 0 for p in classes_in_play} for g in classes_in_play}
    for gold, predicted in pairs:
        confusion[gold][predicted] += 1
    gold_counts = Counter(g for g, _ in pairs)
    predicted_counts = Counter(p for _, p in pairs)
    classes = []
    for label in classes_in_play:
        hits = confusion[label][label]
        precision = _ratio(hits, predicted_counts[label])
        recall = _ratio(hits, gold_counts[label])
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        classes.append(ClassScore(label, precision, recall, f1, gold_counts[label]))
    correct = sum(confusion[label][label] for label in classes_in_play)
    macro = sum(c.f1 for c in classes) / len(classes) if classes else 0.0
    return Evaluation(task, len(pairs), _ratio(correct, len(pairs)), macro, classes, confusion)


def read_labelled(
    path: Path, text_field: str, label_field: str, empty_label: bool = False
) -> Iterator[LabelledRow | Problem]:
    """Rows of a labelled CSV or JSONL file (chosen by extension; `.jsonl`/`.ndjson` = JSONL).
    With `empty_label`, a row without a label is read with the label "" (no harm, say)."""
    file = str(path)
    lines = path.read_bytes().splitlines(keepends=True)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        records: Iterable[tuple[int, Any] | Problem] = _jsonl_records(lines, file)
    else:
        records = csv_rows(lines, file)
    for item in records:
        if isinstance(item, Problem):
            yield item
            continue
        line, record = item
        text, label = record.get(text_field), record.get(label_field)
        if not isinstance(text, str) or not text.strip():
            yield Problem(file, line, text_field, "missing or empty text")
        elif (label is None or str(label).strip() == "") and not empty_label:
            yield Problem(file, line, label_field, "missing label")
        else:
            yield LabelledRow(line, text, str(label or "").strip().lower(), record)


def _jsonl_records(lines: Iterable[bytes], file: str) -> Iterator[tuple[int, Any] | Problem]:
    for item in json_items(lines, file):
        if isinstance(item, Notice):  # a repaired byte: a labelled set must be exact
            yield Problem(item.source, item.line, "", item.message)
        elif isinstance(item, Problem) or isinstance(item[1], dict):
            yield item
        else:
            yield Problem(file, item[0], "", "must be a JSON object")


def row_mention(row: LabelledRow, now: Any) -> Mention:
    """A mention from a labelled row: its text, plus platform, reach and engagement if given
    and valid (CSV cells are text, so numbers and true/false are converted)."""
    base: dict[str, Any] = {"id": str(row.line), "text": row.text}
    platform = str(row.fields.get("platform") or "").strip().lower()
    base["platform"] = platform if platform in {p.value for p in Platform} else "other"
    extra = {k: _cell(row.fields[k]) for k in _OPTIONAL if row.fields.get(k) not in (None, "")}
    try:
        return mention_from_input({**base, **extra}, now)
    except MentionError:
        return mention_from_input(base, now)  # a bad optional cell must not lose the row


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
    return value


def predicted_label(triager: Triager, mention: Mention, task: str) -> str:
    c = triager.triage(mention).classification
    if task == "sentiment":
        return c.sentiment.label.value
    return c.urgency.value if task == "urgency" else c.category.value
