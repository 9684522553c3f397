"""Playbooks: the shipped ones load; a broken one is refused with every problem and its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis_console.core.errors import PlaybookError
from crisis_console.core.models import Category, Role, Urgency
from crisis_console.core.playbook.playbook_check import load_playbook
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


CRISIS_MISTAKES = """\
extends: general.yaml
id: broken-crisis
levels:
  - level: 1
    name: elevated
    triggers: {negative_share_rise: 40, keywords: [boycott]}
  - level: 1
    name: twice
    colour: red
    checklist:
      - {id: a, step: Do it, owner: intern, due_minutes: 0}
      - {id: a, step: Again, owner: pr, due_minutes: 10}
roles:
  notify: {harm: [lead], gossip: [pr]}
spike: {interval_minutes: 15, baseline_intervals: 2, min_count: 5}
routing:
  default_queue: social
  rules:
    - {name: wartime, when: {levels: [9]}, queue: pr}
"""


def test_each_kind_of_crisis_mistake_is_reported_in_one_pass(tmp_path: Path) -> None:
    (tmp_path / "general.yaml").write_text((ROOT / "playbooks" / "general.yaml").read_text())
    path = tmp_path / "broken.yaml"
    path.write_text(CRISIS_MISTAKES)
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    found = [(p.line, p.field, p.message) for p in caught.value.problems]
    assert [(line, field) for line, field, _ in found] == [
        (6, "levels[0].triggers.negative_share_rise"),
        (6, "levels[0].triggers.keyword_min"),
        (9, "levels[1].colour"),
        (11, "levels[1].checklist[0].owner"),
        (11, "levels[1].checklist[0].due_minutes"),
        (12, "levels[1].checklist[1].id"),
        (4, "levels"),
        (4, "levels"),
        (14, "roles.owner"),
        (14, "roles.notify.gossip"),
        (14, "roles.queue_owners"),
        (15, "spike.baseline_intervals"),
        (19, "routing.rules[0].when.levels"),
    ]
    messages = [message for _, _, message in found]
    assert "must be between 0 and 1 (a share)" in messages
    assert "level numbers must be unique and in rising order" in messages
    assert "a level 0 (normal) is required" in messages
    assert "'a' is used twice in this checklist" in messages
    assert "no such level [9]; levels are [1]" in messages
    assert all(p.file == str(path) for p in caught.value.problems)


def test_a_playbook_extends_another_and_keeps_its_sections(tmp_path: Path) -> None:
    recall = load_playbook(ROOT / "playbooks" / "product-recall.yaml")
    general = load_playbook(ROOT / "playbooks" / "general.yaml")
    assert recall.categories == general.categories  # inherited
    assert recall.alarm_ack_minutes == 3 and general.alarm_ack_minutes == 5  # overridden
    assert [level.name for level in recall.levels] == [
        "normal",
        "safety watch",
        "recall",
        "serious injury",
    ]
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nid: child\n")
    (tmp_path / "base.yaml").write_text("id: base\ntitle: [broken\n")
    with pytest.raises(PlaybookError) as caught:
        load_playbook(child)
    assert caught.value.problems[0].file == str(tmp_path / "base.yaml")
    (tmp_path / "base.yaml").write_text("extends: child.yaml\nid: base\n")
    with pytest.raises(PlaybookError, match="loop"):
        load_playbook(child)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_playbooks_have_real_crisis_content(path: Path) -> None:
    playbook = load_playbook(path)
    crisis = [level for level in playbook.levels if level.crisis]
    assert crisis and playbook.levels[0].number == 0
    for level in crisis:
        steps = {s.id: s for s in level.checklist}
        holding = steps["holding-statement"]
        assert holding.due_minutes <= 60 and holding.owner is Role.PR
        assert steps["legal-review"].owner is Role.LEGAL
        assert steps["legal-review"].due_minutes <= holding.due_minutes  # before any statement
        assert any(s.every_minutes for s in level.checklist)  # an update cadence
        assert "holding-statement" in level.templates
    assert any(level.triggers for level in playbook.levels)
    assert playbook.roles is not None and playbook.spike is not None


def test_yaml_aliases_are_refused_before_they_can_expand(tmp_path: Path) -> None:
    """ "Billion laughs": eight lines of aliases nest into 10^8 items; refused by their
    nodes, never expanded (a 12-line file took 6.5 GB before)."""
    rows = ["id: x", "a0: &a0 [l, l, l, l, l, l, l, l, l, l]"]
    rows += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(rows) + "\n")
    with pytest.raises(PlaybookError) as caught:
        load_playbook(bomb)
    assert {p.message for p in caught.value.problems} == {
        "a YAML alias (*name) is not allowed here"
    }
