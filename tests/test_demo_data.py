"""The bundled demo data is valid and covers what a first look at the console should show."""

from __future__ import annotations

import collections
import json

from crisis_console import config
from crisis_console.core.intake.ingest import Parsed, read_jsonl
from crisis_console.core.models import Category, Platform, Urgency
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW


def test_demo_data_is_all_valid_and_varied(triager: Triager) -> None:
    path = config.demo_data_file()
    with path.open("rb") as handle:
        items = list(read_jsonl(handle, str(path), NOW))
    good = [i for i in items if isinstance(i, Parsed)]
    assert len(good) == len(items) >= 200
    assert len({i.mention.key for i in good}) == len(good)
    results = [triager.triage(i.mention) for i in good]
    assert {r.classification.category for r in results} == set(Category)
    assert {r.classification.urgency for r in results} == set(Urgency)
    assert {r.mention.platform for r in results} == set(Platform)
    authors = collections.Counter(r.mention.author for r in results)
    assert sum(1 for count in authors.values() if count >= 3) >= 5
    idioms = [r for r in results if any("harmless idiom" in x for x in r.classification.reasons)]
    assert len(idioms) >= 8
    # An idiom never escalates: a post with one escalates only for a harm it also names
    # ("Fire brigade came" beside "caught fire").
    for r in idioms:
        named = [x for x in r.classification.reasons if x.startswith("risk of harm, ")]
        assert not r.classification.escalate or named, r.classification.reasons
    lengths = [len(r.mention.text) for r in results]
    assert min(lengths) < 10 and max(lengths) > 500


def test_demo_data_contains_hostile_markup_for_the_console_to_show_literally() -> None:
    lines = config.demo_data_file().read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines]
    assert any("[bold red]" in t and "\x1b[" in t for t in texts)
