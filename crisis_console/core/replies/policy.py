"""The outgoing policy guard: every reply is checked before it is sent or queued (the one
module that imports phonenumbers and python-stdnum). It reads the text as a reader sees it
(`guard_text.seen`): look-alike letters, full-width digits and invisible characters do not
hide a number or a term.

Each finding names what it found and why it matters. A `block` finding stops the reply;
a `warn` finding needs an approver. No front end can skip a check: the service runs them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from stdnum import iban

from crisis_console.core.models import Platform
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.replies.guard_text import seen
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
# An address written round the filter: `jane [at] example (dot) com`, `jane at example dot
# com`. A bracketed `at` is enough; a bare one needs a spelled `dot` too ("us at shop.com"
# in a template is a place, not an address).
_BRACKETED = r"\s*[\[({<]\s*WORD\s*[\])}>]\s*"
_AT, _DOT = _BRACKETED.replace("WORD", "at"), _BRACKETED.replace("WORD", "dot")
_SPELLED_DOT = rf"(?:{_DOT}|\s+dot\s+)"
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]+(?:{_AT}[\w-]+(?:(?:{_SPELLED_DOT}|\.)[\w-]+)+"
    rf"|\s+at\s+[\w-]+(?:(?:{_SPELLED_DOT}|\.)[\w-]+)*{_SPELLED_DOT}[\w-]+)",
    re.IGNORECASE,
)
# Digits with anything a writer puts between them: spaces, dashes, dots, slashes.
_CARD = re.compile(r"(?<!\d)(?:\d[\s./_-]{0,2}){12,18}\d(?!\d)")
_DIGIT_RUN = re.compile(r"(?<![\w+])\+?(?:\d[\s./_()-]{0,2}){9,14}\d(?![\w])")
# Dates and times are not phone numbers: 2026-03-14, 14/03/2026, 14.03.26, 10:30.
_DATE_OR_TIME = re.compile(
    r"(?<!\d)(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"
    r"|\d{1,2}:\d{2}(?::\d{2})?)(?!\d)"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[\s.-]?[A-Z0-9]){11,30}\b", re.IGNORECASE)
_STREET = re.compile(
    r"\b\d{1,5}[a-z]?\s+(?:[A-Z][\w'-]*\s+){1,3}(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|"
    r"close|way|court|ct|place|pl|crescent|terrace|boulevard|blvd|square|sq|gardens|grove)\b\.?",
    re.IGNORECASE,
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
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
    """The terms `text` holds however they are written: any case, look-alike letters (the
    text is `seen` already), any separators or none between their words, in the plural."""
    lowered = text.lower()
    found = []
    for term in terms:
        words = seen(term).lower().split()
        between = r"[\s\-_./]*"
        pattern = r"(?<!\w)" + between.join(re.escape(w) for w in words) + r"(?:s|es)?(?!\w)"
        if re.search(pattern, lowered):
            found.append(term)
    return found


def _phones(text: str) -> set[str]:
    """Phone numbers as libphonenumber finds them, and runs of ten or more digits split by
    dots or slashes that it would read as a possible number once joined; dates and times
    are left out first (each digit of them becomes a letter, so nothing runs across)."""
    text = _DATE_OR_TIME.sub(lambda m: "d" * len(m[0]), text)
    found = {
        m.raw_string
        for region in PHONE_REGIONS
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=_POSSIBLE)
        if _looks_like_phone(m.raw_string) and not (m.start and text[m.start - 1].isalnum())
    }  # (a run of digits inside a tracking code such as 1Z999AA10123456784 is not one)
    for run in _DIGIT_RUN.findall(text):
        joined = ("+" if run.startswith("+") else "") + re.sub(r"\D", "", run)
        for region in PHONE_REGIONS:
            try:
                number = phonenumbers.parse(joined, region)
            except phonenumbers.NumberParseException:
                continue
            if 10 <= len(joined.lstrip("+")) <= 13 and phonenumbers.is_possible_number(number):
                found.add(run.strip())
                break
    return found


def check_reply(
    text: str,
    platform: Platform,
    playbook: Playbook,
    level: int,
    template: ReplyTemplate | None,
    data: Iterable[str] = (),
    author: str = "",
) -> list[Finding]:
    """Every finding for `text` as a reply on `platform` at crisis `level`. `data`: the
    values filled into the template (the author's name, the variables); `author`: the handle
    of the mention answered, which is never personal data in a reply to its owner (a
    Mastodon handle, `sam@a.social`, has an email address's shape)."""
    found: list[Finding] = []
    raw, text = text, seen(text)  # what a reader sees, not the code points chosen
    allow = template.allow if template else frozenset()
    # A number or address written into the approved template itself (a helpline, the press
    # office) is public; only what came in through variables or edits is personal data.
    own = seen(template.body) if template else ""
    # POSSIBLE, not VALID: reserved and fictional ranges (07700 900xxx) are still somebody's
    # number to a reader, and the cost of a false alarm is one look by an approver.
    for phone in sorted(p for p in _phones(text) if p not in own):
        found.append(Finding("phone", BLOCK, f"phone number '{phone}': personal data"))
    emails = [*_EMAIL.findall(text), *_SPELLED_EMAIL.findall(text)]
    handle = author.lstrip("@").casefold()
    for email in dict.fromkeys(e for e in emails if e not in own and e.casefold() != handle):
        found.append(Finding("email", BLOCK, f"email address '{email}': personal data"))
    for card in _CARD.findall(text):
        digits = re.sub(r"\D", "", card)
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            found.append(Finding("card", BLOCK, "payment card number (passes the Luhn check)"))
    for candidate in _IBAN.findall(text):
        # The match runs on into the next words ("... 32 tomorrow"): the IBAN is the longest
        # start of it that checks out.
        compact = re.sub(r"[\s.-]", "", candidate).upper()
        if any(iban.is_valid(compact[:n]) for n in range(len(compact), 14, -1)):
            found.append(Finding("iban", BLOCK, "a bank account number (a valid IBAN)"))
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
    if len(raw) > limit:
        found.append(
            Finding("length", BLOCK, f"{len(raw)} characters; {platform.value} allows {limit}")
        )
    # What came in as data (the author's name, a variable) is never a leftover placeholder:
    # a customer called "{{ name }}" or "TODO" must not block every reply that greets them.
    template_text = text
    for value in sorted({seen(v) for v in data if len(v.strip()) > 1}, key=len, reverse=True):
        template_text = template_text.replace(value, " ")
    for left in _PLACEHOLDER.findall(template_text):
        found.append(Finding("placeholder", BLOCK, f"unfilled placeholder {left!r}"))
    lv = playbook.level(level)
    if lv.disclaimer and lv.disclaimer.lower() not in text.lower():
        found.append(
            Finding(
                "disclaimer", BLOCK, f"level {level} requires the disclaimer: {lv.disclaimer!r}"
            )
        )
    if template is not None:
        found += level_findings(template, lv.templates, level, lv.name)
    if not text.strip():
        found.append(Finding("empty", BLOCK, "the reply is empty"))
    return found


def level_findings(
    template: ReplyTemplate, allowed: Iterable[str], level: int, name: str
) -> list[Finding]:
    """Why `template` may not be used at crisis level `level` (called `name`), whose
    templates are `allowed`: not among them, or not one of the template's own levels."""
    found = []
    if "*" not in allowed and template.id not in allowed:
        why = f"template '{template.id}' is not allowed at level {level} ({name})"
        found.append(Finding("level", BLOCK, why))
    if template.levels is not None and level not in template.levels:
        why = f"template '{template.id}' is for levels {sorted(template.levels)}, not {level}"
        found.append(Finding("level", BLOCK, why))
    return found


def level_refusal(template: ReplyTemplate, playbook: Playbook, level: int) -> str:
    """Why the template may not be used at the level in force ("" if it may): the one rule
    the composer's list, a batch and every reply's guard share."""
    lv = playbook.level(level)
    found = level_findings(template, lv.templates, level, lv.name)
    return found[0].message if found else ""


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == BLOCK]
