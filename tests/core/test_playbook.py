"""Playbooks: the shipped ones load; a broken one is refused with every problem and its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis_console.core.errors import PlaybookError
from crisis_console.core.models import Category, Role, Urgency
from crisis_console.core.playbook_check import load_playbook
from tests.conftest import ROOT

SHIPPED = sorted((ROOT / "playbooks").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_playbooks_load(path: Path) -> None:
    playbook = load_playbook(path)
    assert playbook.categories and playbook.routing_rules
    assert set(playbook.sla_minutes) == set(Urgency)


def test_general_playbook_maps_harm_categories_to_critical() -> None:
    playbook = load_playbook(ROOT / "playbooks" / "general.yaml")
    by_category = {rule.category: rule for rule in playbook.categories}
    for harm in (Category.SAFETY, Category.SELF_HARM, Category.THREAT, Category.DATA_BREACH):
        assert by_category[harm].urgency is Urgency.CRITICAL and by_category[harm].escalate
    assert playbook.default_queue is Role.SOCIAL


BROKEN = """\
id: broken
title: Broken
version: one
sentiment: {negative_below: -0.05, positive_above: 0.05}
vocabulary:
  negations: [not, no]
  benign_phrases: []
categories:
  - category: safety
    urgency: urgent
    terms: [fire]
  - category: gossip
    urgency: low
    terms: [rumour]
fallback:
  negative: {category: complaint, urgency: normal}
  neutral: {category: other, urgency: low}
  positive: {category: praise, urgency: low}
reach: {high_followers: 50000}
routing:
  default_queue: social
  rules:
    - name: to nowhere
      when: {category: legal, colour: red}
      queue: marketing
sla_minutes: {critical: 15, high: 0, normal: 240}
surprise: true
"""


def test_broken_playbook_lists_every_problem_with_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert all(p.file == str(path) for p in caught.value.problems)
    assert found == {
        (3, "version"),
        (6, "vocabulary.negations[1]"),
        (10, "categories[0].urgency"),
        (12, "categories[1].category"),
        (24, "routing.rules[0].when.colour"),
        (25, "routing.rules[0].queue"),
        (26, "sla_minutes.high"),
        (26, "sla_minutes.low"),
        (27, "surprise"),
    }
    messages = {p.field: p.message for p in caught.value.problems}
    assert "quotes" in messages["vocabulary.negations[1]"]
    assert "'marketing' is not one of" in messages["routing.rules[0].queue"]


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\ntitle: [unclosed\nversion: 1\n")
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    [problem] = caught.value.problems
    assert problem.line in (2, 3, 4) and "not valid YAML" in problem.message


def test_duplicate_key_is_a_problem(tmp_path: Path) -> None:
    text = (ROOT / "playbooks" / "general.yaml").read_text() + "\nid: again\n"
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    assert [(p.field, p.message) for p in caught.value.problems] == [("id", "duplicate key")]
