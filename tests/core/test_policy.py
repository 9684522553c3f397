"""The outgoing policy guard: each finding with a case that trips it and one that does not."""

from __future__ import annotations

import pytest

from crisis_console.core.models import Platform
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.replies.policy import check_reply, luhn_ok
from crisis_console.core.replies.templates import load_templates
from tests.conftest import ROOT

CASES = [
    # code, a text that trips it, a text that must not
    ("phone", "Call me on 07700 900123 today", "Your refund of 42.50 arrives in 3 to 5 days"),
    ("phone", "Ring +1 (555) 123-4567", "Flight 212 leaves at 10:45"),
    ("email", "Write to dan.k@example.com", "Write to us by private message"),
    ("card", "Card 4111 1111 1111 1111 was charged", "Card 4111 1111 1111 1112 is not a card"),
    ("address", "We'll send it to 12 Acacia Avenue", "We'll send it to you this week"),
    ("address", "Postcode LS1 4AB is covered", "Leeds is covered"),
    ("order_number", "Your order number AB12345 is late", "Your order is late"),
    ("confidential", "Our internal investigation found a fault", "We are investigating"),
    ("length", "x" * 281, "x" * 280),
    ("placeholder", "Hi {{ name }}, sorry", "Hi Dan, sorry"),
    ("placeholder", "Hi [CUSTOMER NAME], sorry", "Hi Dan [he/him], sorry"),
    ("empty", "   ", "ok"),
]


@pytest.mark.parametrize(("code", "trips", "passes"), CASES)
def test_each_finding(playbook: Playbook, code: str, trips: str, passes: str) -> None:
    assert code in {f.code for f in check_reply(trips, Platform.X, playbook, 0, None)}
    assert code not in {f.code for f in check_reply(passes, Platform.X, playbook, 0, None)}


def test_severities_block_personal_data_and_warn_on_references(playbook: Playbook) -> None:
    findings = check_reply(
        "Call 07700 900123 about order number AB12345", Platform.X, playbook, 0, None
    )
    assert {(f.code, f.severity) for f in findings} == {
        ("phone", "block"),
        ("order_number", "warn"),
    }


def test_embargoed_terms_disclaimers_and_levels(playbook: Playbook) -> None:
    import dataclasses

    level2 = playbook.level(2)
    strict = dataclasses.replace(
        playbook,
        embargoed_terms=("recall date",),
        levels=tuple(
            dataclasses.replace(lv, disclaimer="Information correct at time of posting")
            if lv.number == 2
            else lv
            for lv in playbook.levels
        ),
    )
    assert "embargoed" in {
        f.code for f in check_reply("The recall date is Monday", Platform.X, strict, 0, None)
    }
    templates, _ = load_templates(ROOT / "templates")
    thanks = templates["thanks-praise"]
    at_crisis = {f.code for f in check_reply("Thanks!", Platform.X, strict, 2, thanks)}
    assert {"disclaimer", "level"} <= at_crisis
    ok = check_reply(
        "Holding. Information correct at time of posting",
        Platform.X,
        strict,
        2,
        templates["holding-statement"],
    )
    assert not ok
    assert "holding-statement" in level2.templates


def test_numbers_written_into_an_approved_template_are_not_personal_data(
    playbook: Playbook,
) -> None:
    templates, _ = load_templates(ROOT / "templates")
    help_text = templates["self-harm-support"].render(
        {"author": "a", "author_name": "A", "platform": "x", "brand": "B"}, {}
    )
    assert not [
        f
        for f in check_reply(
            help_text, Platform.FACEBOOK, playbook, 0, templates["self-harm-support"]
        )
        if f.code == "phone"
    ]


def test_luhn() -> None:
    assert luhn_ok("4111111111111111") and luhn_ok("5555555555554444")
    assert not luhn_ok("4111111111111112")
