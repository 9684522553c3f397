"""Classification sanity on the real shipped playbook and real VADER."""

from __future__ import annotations

import pytest

from crisis_console.core.models import Category, SentimentLabel, Urgency
from crisis_console.core.triage.routing import Triager
from tests.conftest import parsed, record


def classify(triager: Triager, text: str, **fields: object):  # type: ignore[no-untyped-def]
    [item] = parsed(record("1", text, **fields))
    return triager.triage(item.mention).classification


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("My air fryer caught fire on the counter last night", Category.SAFETY),
        ("Pretty sure I got food poisoning from your chicken box", Category.SAFETY),
        ("I swear I will burn down your warehouse", Category.THREAT),
        ("honestly i want to die, nothing works out", Category.SELF_HARM),
        (
            "Your app logged me into someone else's account, this is a data breach",
            Category.DATA_BREACH,
        ),
    ],
)
def test_risk_of_harm_is_critical_and_escalates(
    triager: Triager, text: str, category: Category
) -> None:
    c = classify(triager, text)
    assert (c.category, c.urgency, c.escalate) == (category, Urgency.CRITICAL, True)
    assert any("matched" in r for r in c.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "this game is killer",
        "I'm dying laughing at this ad",
        "I could murder a burger right now",
        "this brownie is so good it's criminal",
        "not going to sue, just disappointed",
    ],
)
def test_alarming_idioms_do_not_escalate(triager: Triager, text: str) -> None:
    c = classify(triager, text)
    assert not c.escalate
    assert c.urgency in (Urgency.NORMAL, Urgency.LOW)
    assert c.category not in (Category.THREAT, Category.LEGAL, Category.SELF_HARM)


def test_negated_legal_term_is_reported_as_ignored(triager: Triager) -> None:
    c = classify(triager, "not going to sue, just disappointed")
    assert c.category is Category.COMPLAINT
    assert any("negated" in r and "sue" in r for r in c.reasons)


def test_legal_threat_is_high_and_says_which_terms(triager: Triager) -> None:
    c = classify(triager, "I've spoken to my solicitor and will take you to small claims court")
    assert (c.category, c.urgency) == (Category.LEGAL, Urgency.HIGH)
    assert "solicitor" in c.reasons[0]


def test_praise_is_low_and_positive(triager: Triager) -> None:
    c = classify(triager, "Thank you, the replacement was brilliant and arrived next day!")
    assert (c.category, c.urgency, c.sentiment.label) == (
        Category.PRAISE,
        Urgency.LOW,
        SentimentLabel.POSITIVE,
    )
    assert c.sentiment.compound > 0.5


def test_question_and_spam(triager: Triager) -> None:
    assert classify(triager, "Do you ship to Ireland yet?").category is Category.QUESTION
    spam = classify(triager, "Free crypto airdrop, click the link in bio")
    assert (spam.category, spam.urgency) == (Category.SPAM, Urgency.LOW)


def test_negative_post_from_high_reach_author_is_raised_to_high(triager: Triager) -> None:
    text = "Box arrived late and half of it was missing. Really disappointed."
    small = classify(triager, text, followers=300)
    big = classify(triager, text, followers=250_000)
    verified = classify(triager, text, followers=300, verified=True)
    assert small.urgency is Urgency.NORMAL
    assert big.urgency is Urgency.HIGH and verified.urgency is Urgency.HIGH
    assert any("250,000 followers" in r for r in big.reasons)


def test_no_term_falls_back_on_tone(triager: Triager) -> None:
    c = classify(triager, "Saw your van outside the station this morning.")
    assert (c.category, c.urgency, c.sentiment.label) == (
        Category.OTHER,
        Urgency.LOW,
        SentimentLabel.NEUTRAL,
    )
