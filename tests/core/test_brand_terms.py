"""A brand's own terms in its playbook: products, recall codes, harm patterns and slang change
triage, and `playbook validate` names the file, line and field of every problem in them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crisis_console.cli import main
from crisis_console.core.errors import PlaybookError
from crisis_console.core.models import Mention, Platform
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.triage.routing import Triager

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 14, 12, tzinfo=UTC)

BRAND = """\
extends: general.yaml
id: brightwell
title: Brightwell with its own words
version: 1
brand:
  products: [AirCrisp, KettlePro 2]
  recall_codes: [RC-2291]
  harm:
    product_hazard: ["<product> ~2 rattles|hums"]
  slang:
    mid: -2.5
"""


def _brand_playbook(tmp_path: Path, text: str) -> Path:
    (tmp_path / "general.yaml").write_bytes((ROOT / "playbooks" / "general.yaml").read_bytes())
    path = tmp_path / "brightwell.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _judged(triager: Triager, text: str):  # type: ignore[no-untyped-def]
    return triager.triage(Mention("1", Platform.X, text, NOW)).classification


def test_brand_terms_escalate_and_colour_what_the_shipped_words_miss(tmp_path: Path) -> None:
    shipped = Triager(load_playbook(ROOT / "playbooks" / "general.yaml"))
    brand = Triager(load_playbook(_brand_playbook(tmp_path, BRAND)))
    smoking = "my kettlepro 2 rattles like mad since the update"
    assert not _judged(shipped, smoking).escalate  # the shipped words do not know it
    c = _judged(brand, smoking)
    assert c.escalate
    assert 'risk of harm, a dangerous product: "kettlepro 2 rattles"' in c.reasons
    recall = "Is my air fryer part of RC-2291? Serial on the box"
    assert _judged(brand, recall).escalate and not _judged(shipped, recall).escalate
    # A negation still counts against a brand pattern.
    assert not _judged(brand, "no aircrisp rattles here, all good").escalate
    slang = "honestly the new flavour is mid"
    assert _judged(brand, slang).sentiment.compound < _judged(shipped, slang).sentiment.compound


def test_validate_names_every_problem_in_brand_terms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _brand_playbook(
        tmp_path,
        BRAND.replace("  recall_codes: [RC-2291]\n", "  recall_codes: ['££']\n")
        .replace('    product_hazard: ["<product> ~2 rattles|hums"]\n',
                 '    product_hazard: ["my <product> smoking"]\n    explosions: [boom]\n')
        .replace("    mid: -2.5\n", "    mid: -9\n"),
    )  # fmt: skip
    with pytest.raises(PlaybookError) as caught:
        load_playbook(bad)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert found == {
        (7, "brand.recall_codes[0]"),
        (9, "brand.harm.product_hazard[0]"),
        (10, "brand.harm.explosions"),
        (12, "brand.slang.mid"),
    }, caught.value.problems
    assert main(["playbook", "validate", str(bad)]) == 2
    said = capsys.readouterr().err
    assert f"{bad}:9: brand.harm.product_hazard[0]: <product> is a part of its own" in said
    assert f"{bad}:7: brand.recall_codes[0]: '££' has no digit" in said


def test_validate_counts_the_brand_terms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["playbook", "validate", str(_brand_playbook(tmp_path, BRAND))]) == 0
    assert (
        "brand terms: 2 products, 1 recall codes, 1 harm patterns, 1 slang words"
        in capsys.readouterr().out
    )


def test_product_needs_products(tmp_path: Path) -> None:
    text = BRAND.replace("  products: [AirCrisp, KettlePro 2]\n", "")
    with pytest.raises(PlaybookError, match=r"<product> needs brand\.products"):
        load_playbook(_brand_playbook(tmp_path, text))


def test_names_and_codes_are_plain_words_and_items_keep_their_lines(tmp_path: Path) -> None:
    text = BRAND.replace("  products: [AirCrisp, KettlePro 2]\n", '  products: ["*", AirCrisp]\n')
    text = text.replace("  recall_codes: [RC-2291]\n", "  recall_codes: [the, 'RC|1', RC-2291]\n")
    text = text.replace(
        '    product_hazard: ["<product> ~2 rattles|hums"]\n',
        '    product_hazard:\n      - ""\n      - "glass|"\n      - "<product> ~2 hums"\n',
    )
    with pytest.raises(PlaybookError) as caught:
        load_playbook(_brand_playbook(tmp_path, text))
    found = {(p.line, p.field, p.message.split(":")[0]) for p in caught.value.problems}
    assert found == {
        (6, "brand.products[0]", "'*' holds *"),
        (7, "brand.recall_codes[0]", "'the' has no digit"),
        (7, "brand.recall_codes[1]", "'rc|1' holds |"),
        (10, "brand.harm.product_hazard[0]", "must be a non-empty text"),
        (11, "brand.harm.product_hazard[1]", "'glass|'"),
    }, caught.value.problems
