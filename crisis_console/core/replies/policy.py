"""The outgoing policy guard: every reply is checked before it is sent or queued (the one
module that imports phonenumbers).

Each finding names what it found and why it matters. A `block` finding stops the reply;
a `warn` finding needs an approver. No front end can skip a check: the service runs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from crisis_console.core.models import Platform
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.replies.templates import ReplyTemplate

BLOCK, WARN = "block", "warn"
# Characters a reply may have on each platform (the public limits for a reply or comment).
LENGTH_LIMITS = {
    Platform.X: 280,
    Platform.FACEBOOK: 8000,
    Platform.INSTAGRAM: 2200,
    Platform.TIKTOK: 150,
    Platform.YOUTUBE: 10000,
    Platform.REDDIT: 10000,
    Platform.LINKEDIN: 1250,
    Platform.MASTODON: 500,
    Platform.BLUESKY: 300,
    Platform.REVIEW: 5000,
    Platform.OTHER: 5000,
}
PHONE_REGIONS = ("GB", "US")  # numbers without +country are read as these

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_STREET = re.compile(
    r"\b\d{1,5}[a-z]?\s+(?:[A-Z][\w'-]*\s+){1,3}(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|"
    r"close|way|court|ct|place|pl|crescent|terrace|boulevard|blvd|square|sq|gardens|grove)\b\.?",
    re.IGNORECASE,
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
_ORDER = re.compile(
    r"\b(?:order|account|acct|booking|reference|ref|ticket|case|customer)\s*"
    r"(?:number|no\.?|num|id|#)?\s*[:#]?\s*(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{4,}\b",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\[\[?[A-Z][A-Z _]{2,}\]?\]|<<[^>]*>>|\bTODO\b|\bXXX+\b"
)


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: str  # block or warn
    message: str


_POSSIBLE = phonenumbers.Leniency.POSSIBLE


def _looks_like_phone(raw: str) -> bool:
    """Seven to twelve digits, written like a phone number: with separators, a +, or ten or
    more digits (an amount like 42.50 or a bare order number is not a phone number)."""
    digits = sum(ch.isdigit() for ch in raw)
    spaced = any(ch in raw for ch in " -()+") or digits >= 10
    # Thirteen digits or more is a card number's length, checked (with Luhn) below.
    return 7 <= digits < 13 and spaced and "." not in raw


def luhn_ok(digits: str) -> bool:
    total, double = 0, False
    for ch in reversed(digits):
        d = int(ch)
        if double:
            d = d * 2 - 9 if d > 4 else d * 2
        total, double = total + d, not double
    return total % 10 == 0


def _terms(text: str, terms: tuple[str, ...]) -> list[str]:
    lowered = text.lower()
    return [t for t in terms if re.search(r"(?<!\w)" + re.escape(t) + r"(?!\w)", lowered)]


def check_reply(
    text: str,
    platform: Platform,
    playbook: Playbook,
    level: int,
    template: ReplyTemplate | None,
) -> list[Finding]:
    """Every finding for `text` as a reply on `platform` at crisis `level`."""
    found: list[Finding] = []
    allow = template.allow if template else frozenset()
    # A number or address written into the approved template itself (a helpline, the press
    # office) is public; only what came in through variables or edits is personal data.
    own = template.body if template else ""
    # POSSIBLE, not VALID: reserved and fictional ranges (07700 900xxx) are still somebody's
    # number to a reader, and the cost of a false alarm is one look by an approver.
    phones = {
        m.raw_string
        for region in PHONE_REGIONS
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=_POSSIBLE)
        if _looks_like_phone(m.raw_string)
    }  # fmt: skip
    for phone in sorted(p for p in phones if p not in own):
        found.append(Finding("phone", BLOCK, f"phone number '{phone}': personal data"))
    for email in _EMAIL.findall(text):
        if email not in own:
            found.append(Finding("email", BLOCK, f"email address '{email}': personal data"))
    for card in _CARD.findall(text):
        digits = re.sub(r"\D", "", card)
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            found.append(Finding("card", BLOCK, "payment card number (passes the Luhn check)"))
    if "street_address" not in allow:
        for place in [*_STREET.findall(text), *_POSTCODE.findall(text)]:
            found.append(Finding("address", WARN, f"looks like an address: '{place.strip()}'"))
    if "order_number" not in allow:
        for ref in _ORDER.findall(text):
            found.append(Finding("order_number", WARN, f"order or account number '{ref.strip()}'"))
    for term in _terms(text, playbook.confidential_terms):
        found.append(Finding("confidential", BLOCK, f"confidential term '{term}'"))
    for term in _terms(text, playbook.embargoed_terms):
        found.append(Finding("embargoed", BLOCK, f"embargoed term '{term}': not public yet"))
    limit = LENGTH_LIMITS[platform]
    if len(text) > limit:
        found.append(
            Finding("length", BLOCK, f"{len(text)} characters; {platform.value} allows {limit}")
        )
    for left in _PLACEHOLDER.findall(text):
        found.append(Finding("placeholder", BLOCK, f"unfilled placeholder {left!r}"))
    lv = playbook.level(level)
    if lv.disclaimer and lv.disclaimer.lower() not in text.lower():
        found.append(
            Finding(
                "disclaimer", BLOCK, f"level {level} requires the disclaimer: {lv.disclaimer!r}"
            )
        )
    if template is not None:
        allowed = lv.templates
        if "*" not in allowed and template.id not in allowed:
            found.append(
                Finding(
                    "level",
                    BLOCK,
                    f"template '{template.id}' is not allowed at level {level} ({lv.name})",
                )
            )
        if template.levels is not None and level not in template.levels:
            found.append(
                Finding(
                    "level",
                    BLOCK,
                    f"template '{template.id}' is for levels {sorted(template.levels)}, "
                    f"not {level}",
                )
            )
    if not text.strip():
        found.append(Finding("empty", BLOCK, "the reply is empty"))
    return found


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == BLOCK]
