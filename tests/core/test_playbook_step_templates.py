"""A checklist step may name the reply template that does it (`template:`): the shipped
playbooks name their holding statements, and a step naming a template that does not exist,
or one its level does not allow, is refused at load with its file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis_console.core.errors import PlaybookError
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.replies.templates import load_templates
from tests.conftest import ROOT

SHIPPED = sorted((ROOT / "playbooks").glob("*.yaml"))


@pytest.fixture(scope="module")
def template_ids() -> set[str]:
    templates, problems = load_templates(ROOT / "templates")
    assert not problems
    return set(templates)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_crisis_holding_statement_step_names_a_shipped_template_its_level_allows(
    path: Path, template_ids: set[str]
) -> None:
    playbook = load_playbook(path, templates=template_ids)  # refused if one is unknown
    for level in (lv for lv in playbook.levels if lv.crisis):
        [step] = [s for s in level.checklist if s.id == "holding-statement"]
        assert step.template.startswith("holding-statement"), (level.number, step)
        assert step.template in template_ids and step.template in level.templates
    named = [s for lv in playbook.levels for s in lv.checklist if s.template]
    assert {s.id for s in named} == {"holding-statement"}  # no other step claims a template


BROKEN = """\
extends: general.yaml
levels:
  - level: 0
    name: normal
  - level: 2
    name: crisis
    crisis: true
    templates: [investigating, holding-statement]
    checklist:
      - id: typo
        step: Publish the holding statement
        owner: pr
        due_minutes: 30
        template: holding-statment
      - id: not-here
        step: Publish the recall statement
        owner: pr
        due_minutes: 30
        template: holding-statement-recall
      - id: not-text
        step: Publish it
        owner: pr
        due_minutes: 30
        template: [holding-statement]
"""


def test_a_step_naming_an_unknown_or_disallowed_template_is_refused_with_its_line(
    tmp_path: Path, template_ids: set[str]
) -> None:
    (tmp_path / "general.yaml").write_text((ROOT / "playbooks" / "general.yaml").read_text())
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path, templates=template_ids)
    found = [(p.file, p.line, p.field, p.message) for p in caught.value.problems]
    assert found == [
        (str(path), 14, "levels[1].checklist[0].template",
         "no template 'holding-statment' in templates/"),
        (str(path), 19, "levels[1].checklist[1].template",
         "'holding-statement-recall' is not one of this level's templates"),
        (str(path), 24, "levels[1].checklist[2].template", "must be a text"),
    ]  # fmt: skip
    # Without the templates known (the console loads the playbook before them), what the
    # playbook itself says is checked: the level's own list, and the field's type.
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    lines = [(p.line, p.message) for p in caught.value.problems]
    assert lines[0] == (14, "'holding-statment' is not one of this level's templates")
    assert [line for line, _ in lines] == [14, 19, 24]
