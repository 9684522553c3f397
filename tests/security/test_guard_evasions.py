"""Issue 15, point 8: the policy guard cannot be talked round. A corpus of written-round
personal data and confidential or embargoed terms — digits split by zero-width joiners or
dots, `jane at example dot com`, a full-width `＠`, a card with dots, an IBAN with no spaces,
a lower-case postcode, look-alike Cyrillic letters, full-width letters, doubled, no-break,
zero-width spaces, hyphens, line breaks, plurals — is built here, at least 150 variants; at
least 95 % are caught. The shipped templates, rendered as operators fill them, are the
negatives: not one false alarm."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from crisis_console.core.models import Platform
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.replies.policy import BLOCK, WARN, check_reply
from crisis_console.core.replies.templates import load_templates
from tests.conftest import ROOT

ZWJ, ZWSP, NBSP = "\u200d", "\u200b", "\u00a0"
CYRILLIC = str.maketrans("aceopxyABCEHKMOPTX", "асеорхуАВСЕНКМОРТХ")
FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789@.abcdefghijklmnopqrstuvwxyz"}

PHONES = ["07700 900123", "+44 7700 900123", "020 7946 0018", "(202) 555-0143",
          "+1 202 555 0143", "0161 496 0753"]  # fmt: skip
EMAILS = ["jane.doe@example.com", "sam+orders@mail.example.org", "k.ng@example.co.uk"]
CARDS = ["4111 1111 1111 1111", "5555 5555 5555 4444"]
IBANS = ["GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00",
         "FR14 2004 1010 0505 0001 3M02 606"]  # fmt: skip
POSTCODES = ["SW1A 1AA", "M1 1AE", "EC1A 1BB"]
TERMS = ["root cause analysis", "recall date", "compensation scheme", "supplier name",
         "affected batch list", "internal investigation"]  # fmt: skip


def digits_with(sep: str) -> Callable[[str], str]:
    return lambda s: sep.join(ch for ch in s if ch.isdigit() or ch == "+")


def full_width(s: str) -> str:
    return "".join(FULL_WIDTH.get(c, c) for c in s.lower())


NUMBER_TRICKS: dict[str, Callable[[str], str]] = {
    "as is": lambda s: s,
    "zero-width joiners": lambda s: ZWJ.join(s),
    "zero-width spaces": lambda s: ZWSP.join(s),
    "dots": digits_with("."),
    "dot and space": digits_with(". "),
    "slashes": digits_with("/"),
    "full width": full_width,
    "no-break spaces": lambda s: s.replace(" ", NBSP),
    "line breaks": lambda s: s.replace(" ", "\n"),
}
EMAIL_TRICKS: dict[str, Callable[[str], str]] = {
    "as is": lambda s: s,
    "at and dot": lambda s: s.replace("@", " at ").replace(".", " dot "),
    "[at] and [dot]": lambda s: s.replace("@", " [at] ").replace(".", " [dot] "),
    "(at)": lambda s: s.replace("@", "(at)"),
    "full-width @": lambda s: s.replace("@", "＠"),
    "full width": full_width,
    "zero-width": lambda s: ZWSP.join(s),
    "cyrillic": lambda s: s.translate(CYRILLIC),
}
CARD_TRICKS = {
    **{k: NUMBER_TRICKS[k] for k in ("as is", "dots", "zero-width joiners", "full width")},
    "dashes": lambda s: s.replace(" ", "-"),
    "no spaces": lambda s: s.replace(" ", ""),
}
IBAN_TRICKS: dict[str, Callable[[str], str]] = {
    "as is": lambda s: s,
    "no spaces": lambda s: s.replace(" ", ""),
    "lower case": lambda s: s.lower().replace(" ", ""),
    "dots": lambda s: s.replace(" ", "."),
    "zero-width": lambda s: s.replace(" ", ZWSP),
}
POSTCODE_TRICKS: dict[str, Callable[[str], str]] = {
    "as is": lambda s: s,
    "lower case": str.lower,
    "no space": lambda s: s.replace(" ", ""),
    "no-break space": lambda s: s.replace(" ", NBSP),
    "full width": full_width,
}
TERM_TRICKS: dict[str, Callable[[str], str]] = {
    "as is": lambda s: s,
    "capitals": str.upper,
    "cyrillic": lambda s: s.translate(CYRILLIC),
    "full width": full_width,
    "double spaces": lambda s: s.replace(" ", "  "),
    "no-break spaces": lambda s: s.replace(" ", NBSP),
    "zero-width inside": lambda s: s[:3] + ZWSP + s[3:],
    "hyphens": lambda s: s.replace(" ", "-"),
    "line breaks": lambda s: s.replace(" ", "\n"),
    "plural": lambda s: s + "s",
    "run together": lambda s: s.replace(" ", ""),
}


def variants() -> Iterator[tuple[str, str, str]]:
    """(what was hidden, how, the reply text)."""
    for kind, values, tricks, frame in (
        ("phone", PHONES, NUMBER_TRICKS, "Hi Dan, call us back on {} any time."),
        ("email", EMAILS, EMAIL_TRICKS, "Hi Dan, just email {} and we will sort it."),
        ("card", CARDS, CARD_TRICKS, "Hi Dan, we refunded the card {} today."),
        ("iban", IBANS, IBAN_TRICKS, "Hi Dan, the refund goes to {} tomorrow."),
        ("address", POSTCODES, POSTCODE_TRICKS, "Hi Dan, we will collect it from {} soon."),
        ("term", TERMS, TERM_TRICKS, "Hi Dan, the {} is not finished yet."),
    ):
        for value in values:
            for how, trick in tricks.items():
                yield kind, how, frame.format(trick(value))


@pytest.fixture(scope="module")
def recall() -> Playbook:
    return load_playbook(ROOT / "playbooks" / "product-recall.yaml")


def caught(text: str, playbook: Playbook) -> bool:
    findings = check_reply(text, Platform.FACEBOOK, playbook, 0, None)
    return any(f.severity in (BLOCK, WARN) for f in findings)


def test_at_least_95_percent_of_150_evasions_are_caught(recall: Playbook) -> None:
    corpus = list(variants())
    assert len(corpus) >= 150, len(corpus)
    missed = [(kind, how, text) for kind, how, text in corpus if not caught(text, recall)]
    rate = 1 - len(missed) / len(corpus)
    assert rate >= 0.95, (f"{rate:.1%} caught of {len(corpus)}", missed)


# What operators fill the shipped templates' variables with (the negatives).
SAMPLES = {
    "new_date": "Thursday between 8 and 12",
    "order_reference": "",
    "days": "3 to 5",
    "issue": "reports of broken blades",
    "product": "AirCrisp 5L",
    "fix": "a replacement lid",
    "what": "the app update",
    "team": "our delivery team",
}


def test_the_shipped_templates_rendered_as_operators_fill_them_raise_no_alarm(
    recall: Playbook,
) -> None:
    templates, problems = load_templates(ROOT / "templates")
    assert not problems and len(templates) >= 20
    context = {"author": "dan", "author_name": "Dan", "platform": "x", "brand": "Brightwell"}
    for template in templates.values():
        values = {v.name: SAMPLES.get(v.name, "the next few days") for v in template.variables}
        values = {k: v for k, v in values.items() if v}
        text = template.render(context, values)
        findings = check_reply(text, Platform.FACEBOOK, recall, 0, template, context.values())
        alarms = [f for f in findings if f.code not in ("level", "disclaimer")]
        assert not alarms, (template.id, text, alarms)


def test_a_name_with_braces_or_todo_blocks_nothing(recall: Playbook) -> None:
    templates, _ = load_templates(ROOT / "templates")
    template = templates["ack-move-to-dm"]
    for name in ("{{ Dan }}", "TODO Dan", "[CUSTOMER NAME]", "XXX"):
        context = {"author": "dan", "author_name": name, "platform": "x", "brand": "Brightwell"}
        text = template.render(context, {})
        findings = check_reply(text, Platform.X, recall, 0, template, context.values())
        assert not [f for f in findings if f.code == "placeholder"], (name, findings)
    # A placeholder the template itself left is still one.
    findings = check_reply("Hi Dan, TODO: the fix", Platform.X, recall, 0, template, ["Dan"])
    assert [f.code for f in findings] == ["placeholder"]


@pytest.mark.parametrize(
    "text",
    [
        "It is now due 14/03/2026 10:00, sorry for the wait.",
        "Your refund of £1,234.56 was issued on 2026-03-14.",
        "Version 2.10.3.4 of the app fixes it.",
        "Your parcel (tracking 1Z999AA10123456784) is on its way.",
        "We are open from 09:00 to 17:30, Monday to Friday.",
        "Prices from 19.99 to 249.99 this week only.",
        "Please visit us at brightwell.example for the details.",
        "Between 8 and 12 on 14.03.2026, the driver will ring first.",
    ],
)
def test_dates_amounts_and_codes_are_not_personal_data(recall: Playbook, text: str) -> None:
    assert check_reply(text, Platform.FACEBOOK, recall, 0, None) == []
