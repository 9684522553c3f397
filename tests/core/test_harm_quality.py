"""Risk-of-harm escalation on the harm sets, with floors, so a regression in the harm
vocabularies or the classifier fails the suite.

harm_dev.jsonl (575 posts) is what the vocabularies are tuned on; harm_holdout.jsonl (141
posts) was written with it, blind to the classifier, split off at random by kind and
language, and is never looked into when tuning (only its totals are read). Its floors are
the figures it gave when first scored after tuning, less a post's worth: they guard against
regressions, they are not the goal (recall 1.00, false escalations <= 2 %; see
bench/README.md).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from crisis_console.core.triage.evaluate import LabelledRow, read_labelled, row_mention
from crisis_console.core.triage.harm import KINDS
from crisis_console.core.triage.harm_eval import (
    HarmEvaluation,
    Scored,
    evaluate_harm,
    kind_of,
    kinds_named,
    language_of,
)
from crisis_console.core.triage.routing import Triager
from tests.conftest import DATA
from tests.core.test_quality import NOW

DEV, HELD_OUT = DATA / "harm_dev.jsonl", DATA / "harm_holdout.jsonl"


@cache
def scored(path: Path, triager: Triager) -> HarmEvaluation:
    found = []
    for row in read_labelled(path, "text", "harm", empty_label=True):
        assert isinstance(row, LabelledRow), row
        c = triager.triage(row_mention(row, NOW)).classification
        kinds = tuple(kinds_named(c))
        found.append(
            (
                str(row.fields["id"]),
                Scored(kind_of(row.label), language_of(row.fields), c.escalate, kinds),
            )
        )
    return evaluate_harm(found)


def test_the_sets_hold_what_issue_16_asks() -> None:
    rows = [json.loads(line) for p in (DEV, HELD_OUT) for line in p.read_text().splitlines()]
    others = sum(1 for p in ("devset", "holdout") for _ in (DATA / f"{p}.jsonl").open())
    harm = [r for r in rows if r["harm"]]
    assert len(rows) + others >= 1_000
    assert len(harm) >= 300 and {r["harm"] for r in harm} == set(KINDS)
    assert min(sum(r["harm"] == k for r in harm) for k in KINDS) >= 25
    assert sum(r["language"] != "en" for r in harm) >= 40
    assert sum(not r["harm"] for r in rows) >= 200  # hard negatives and ordinary posts
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    texts = [r["text"] for r in rows]
    assert len(set(texts)) == len(texts)  # the held-out part repeats nothing of the dev part


@pytest.mark.parametrize(
    ("path", "recall", "false_rate"),
    [(DEV, 0.97, 0.02), (HELD_OUT, 0.50, 0.17)],
    ids=["dev", "held-out"],
)
def test_harm_recall_and_false_escalations_floors(
    triager: Triager, path: Path, recall: float, false_rate: float
) -> None:
    e = scored(path, triager)
    assert e.harm.recall >= recall, (e.harm.recall, e.misses)
    assert e.false_rate <= false_rate, (e.false_rate, e.false_alarms)


def test_every_kind_and_language_is_caught_on_the_dev_set(triager: Triager) -> None:
    e = scored(DEV, triager)
    assert min(r.recall for r in e.kinds.values()) >= 0.9, e.kinds
    assert min(r.recall for r in e.languages.values()) >= 0.95, e.languages
