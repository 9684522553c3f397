"""The values of working a mention: what a tag may be, the playbook's own tags (checked at
load with every problem listed), the queues a mention can be moved to, and a closure's
reasons. The desk itself, on both backends: `tests/test_work_contract.py`."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis_console.core.errors import PlaybookError
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.work.desk import playbook_queues
from crisis_console.core.work.model import WorkError, check_reason, normalise_tag
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("refund", "refund"),
        ("#Refund Request", "refund-request"),
        ("  Injury   report ", "injury-report"),
        ("batch_42", "batch_42"),
        ("Rückruf", "rückruf"),
    ],
)
def test_a_tag_is_kept_lower_case_with_dashes_for_spaces(given: str, kept: str) -> None:
    assert normalise_tag(given) == kept


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("", "at least one"),
        ("#", "at least one"),
        ("x" * 33, "at most 32"),
        ("[bold]x[/bold]", "letters, digits"),
        ("{{ evil }}", "letters, digits"),
        ("a\x1b[31mb", "letters, digits"),
        ("ab\u202ecd", "letters, digits"),
        ("-leading", "letters, digits"),
    ],
)
def test_a_tag_that_is_not_words_is_refused_saying_why(given: str, why: str) -> None:
    with pytest.raises(WorkError, match=why):
        normalise_tag(given)


def test_a_closure_takes_only_the_reasons_it_names() -> None:
    assert check_reason("handled_elsewhere") == "handled_elsewhere"
    with pytest.raises(WorkError, match="spam, duplicate, no_reply_needed"):
        check_reason("boring")


def test_the_crisis_playbooks_offer_their_tags_and_the_general_one_none() -> None:
    assert load_playbook(ROOT / "playbooks" / "general.yaml").tags == ()
    recall = load_playbook(ROOT / "playbooks" / "product-recall.yaml")
    assert "injury-report" in recall.tags
    assert all(normalise_tag(t) == t for t in recall.tags)


def test_a_playbook_s_tags_are_checked_with_every_problem_listed(tmp_path: Path) -> None:
    (tmp_path / "general.yaml").write_text((ROOT / "playbooks" / "general.yaml").read_text())
    path = tmp_path / "tagged.yaml"
    path.write_text(
        "extends: general.yaml\nid: tagged\n"
        "tags: [media, Refund Request, media, '[red]x', 7, 'ok-tag']\n"
    )
    with pytest.raises(PlaybookError) as refused:
        load_playbook(path)
    problems = [str(p) for p in refused.value.problems]
    assert len(problems) == 4, problems
    assert any("tags[1]" in p and "'refund-request'" in p for p in problems)
    assert any("tags[2]" in p and "twice" in p for p in problems)
    assert any("tags[3]" in p and "letters, digits" in p for p in problems)
    assert any("tags[4]" in p and "must be a text" in p for p in problems)
    assert all(f"{path}:3" in p for p in problems)  # the file and line of each


def test_the_queues_a_mention_can_be_moved_to_are_the_playbook_s(playbook: Playbook) -> None:
    # The general playbook routes to social and support, harm to the lead, negatives at a
    # crisis level to pr, and names owners for legal too.
    assert playbook_queues(playbook) == ("lead", "legal", "pr", "social", "support")
