"""Sentiment, urgency and category with reasons (the one module that imports vaderSentiment).

The vocabulary comes from the playbook: categories are tried in the playbook's order and the
first with a term that is present, not negated and not part of a harmless idiom wins. Every
decision adds a reason in plain words, so a person can see why a post was ranked as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from crisis_console.core.models import (
    Category,
    Classification,
    Mention,
    Sentiment,
    SentimentLabel,
    Urgency,
)
from crisis_console.core.playbook import CategoryRule, Playbook

_WORD = re.compile(r"[\w']+")
_NEGATION_WINDOW = 3  # words before a term that can negate it: "not going to sue"


def _term_pattern(term: str) -> str:
    """A term as a regex: whole words only, `*` as a word-suffix wildcard (`refund*`)."""
    body = re.escape(term).replace(r"\*", r"\w*")
    start = r"(?<!\w)" if term[0].isalnum() else ""
    end = r"(?!\w)" if term[-1].isalnum() or term[-1] == "*" else ""
    return start + body + end


@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    literal: str  # the part before any wildcard: a cheap substring test before the regex
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class _CompiledCategory:
    category: Category
    urgency: Urgency
    escalate: bool
    terms: tuple[_Term, ...]

    @classmethod
    def build(cls, rule: CategoryRule) -> _CompiledCategory:
        terms = tuple(
            _Term(t, t.split("*", 1)[0], re.compile(_term_pattern(t))) for t in rule.terms
        )
        return cls(rule.category, rule.urgency, rule.escalate, terms)


class Classifier:
    """Classifies mentions under one playbook. Build once; `classify` is pure and thread-safe."""

    def __init__(self, playbook: Playbook) -> None:
        self._playbook = playbook
        self._vader = SentimentIntensityAnalyzer()
        self._benign = (
            re.compile("|".join(_term_pattern(p) for p in playbook.benign_phrases))
            if playbook.benign_phrases
            else None
        )
        self._categories = tuple(_CompiledCategory.build(r) for r in playbook.categories)

    def sentiment(self, text: str) -> Sentiment:
        compound = round(float(self._vader.polarity_scores(text)["compound"]), 4)
        if compound <= self._playbook.negative_below:
            label = SentimentLabel.NEGATIVE
        elif compound >= self._playbook.positive_above:
            label = SentimentLabel.POSITIVE
        else:
            label = SentimentLabel.NEUTRAL
        return Sentiment(label, compound)

    def classify(self, mention: Mention) -> Classification:
        reasons: list[str] = []
        text = self._blank_benign(_normalise(mention.text), reasons)
        # Scored without the idioms: VADER reads "killer" in "this game is killer" as hostile.
        sentiment = self.sentiment(text if text != _normalise(mention.text) else mention.text)

        category, urgency, escalate = None, Urgency.LOW, False
        for compiled in self._categories:
            matched = self._matches(compiled, text, reasons)
            if matched:
                category, urgency, escalate = compiled.category, compiled.urgency, compiled.escalate
                terms = ", ".join(f"'{t}'" for t in matched)
                reasons.insert(0, f"{compiled.category.value}: matched {terms}")
                break
        if category is None:
            category, urgency = self._playbook.fallback[sentiment.label]
            reasons.insert(
                0, f"{category.value}: no category term matched; {sentiment.label.value} tone"
            )

        reasons.append(f"sentiment {sentiment.label.value} (VADER {sentiment.compound:+.2f})")
        urgency = self._raise_for_reach(mention, sentiment, category, urgency, reasons)
        if escalate:
            reasons.append("risk of harm: escalates to the lead")
        return Classification(sentiment, urgency, category, escalate, tuple(reasons))

    def _blank_benign(self, text: str, reasons: list[str]) -> str:
        """Replace harmless idioms with spaces, so 'this game is killer' cannot match 'kill'."""
        if self._benign is None:
            return text
        found: list[str] = []

        def blank(match: re.Match[str]) -> str:
            found.append(match.group(0))
            return " " * len(match.group(0))

        text = self._benign.sub(blank, text)
        if found:
            idioms = ", ".join(f"'{f}'" for f in dict.fromkeys(found))
            reasons.append(f"harmless idiom ignored: {idioms}")
        return text

    def _matches(self, compiled: _CompiledCategory, text: str, reasons: list[str]) -> list[str]:
        """The category's terms present in `text` and not negated, in order of appearance."""
        found: list[tuple[int, str]] = []
        for term in compiled.terms:
            if term.literal not in text:  # most terms are absent; skip the regex for them
                continue
            for match in term.pattern.finditer(text):
                before = _WORD.findall(text[: match.start()])[-_NEGATION_WINDOW:]
                if self._negated(before):
                    reasons.append(f"negated, ignored: '{' '.join([*before, match.group(0)])}'")
                    continue
                found.append((match.start(), term.text))
                break
        return [term for _, term in sorted(found)]

    def _negated(self, words: list[str]) -> bool:
        negations = self._playbook.negations
        return any(w in negations or ("n't" in negations and w.endswith("n't")) for w in words)

    def _raise_for_reach(
        self,
        mention: Mention,
        sentiment: Sentiment,
        category: Category,
        urgency: Urgency,
        reasons: list[str],
    ) -> Urgency:
        threshold = self._playbook.high_reach_followers
        high_reach = mention.verified or mention.followers >= threshold
        if high_reach:
            who = f"{mention.followers:,} followers" + (", verified" if mention.verified else "")
            reasons.append(f"reach: {who}")
        negative = sentiment.label is SentimentLabel.NEGATIVE or category is Category.COMPLAINT
        if high_reach and negative and urgency.rank > Urgency.HIGH.rank:
            reasons.append("raised to high: negative post from a high-reach author")
            return Urgency.HIGH
        return urgency


def _normalise(text: str) -> str:
    # Curly apostrophes are common on phones; terms are written with straight ones.
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")
