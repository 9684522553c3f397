"""Urgency and category with reasons, on top of the adjusted sentiment.

The vocabulary comes from the playbook. Harmless idioms ("this game is killer") are blanked
first. Categories are tried in the playbook's order and the first with a term that is present
and not negated wins; praise and questions said in a negative tone do not count as such. With
no term, the tone decides. Reach, virality and repeat authors then add to the picture. Every
decision adds a reason in plain words, true of the text it is shown for.

What depends on the text alone is cached, so a retweet storm is classified once.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from crisis_console.core.models import Category, Classification, Mention, SentimentLabel, Urgency
from crisis_console.core.playbook.playbook import CategoryRule, Playbook
from crisis_console.core.triage.harm import (
    HARM_CATEGORIES,
    HarmDetector,
    shipped_detector,
    with_brand,
)
from crisis_console.core.triage.language import SCORED, LanguageDetector, name_of
from crisis_console.core.triage.sentiment import Reading, SentimentModel
from crisis_console.core.triage.terms import Hit, TermIndex, Words, blank
from crisis_console.core.triage.vader import VaderScorer

TEXT_CACHE_SIZE = 16_384
# A retweet says what the original said: "RT @someone: text" is judged (and cached) as "text".
_RETWEET = re.compile(r"^\s*RT @[\w.]+:\s*")


@dataclass(frozen=True, slots=True)
class _Term:
    service: bool  # a service term (value: its weight) or a category term (value: its rank)
    value: float


@dataclass(frozen=True, slots=True)
class _TextVerdict:
    """Everything decided from the text alone."""

    reading: Reading
    category: Category
    urgency: Urgency
    escalate: bool
    reasons: tuple[str, ...]


_WRITTEN_IN, _NO_VOCABULARY = "written in ", "language "


def read_as_english(c: Classification) -> bool:
    """Whether triage read the post as English (no reason names another language)."""
    return not any(r.startswith((_WRITTEN_IN, _NO_VOCABULARY)) for r in c.reasons)


def _language_reason(language: str) -> str:
    if language in SCORED:
        return f"{_WRITTEN_IN}{name_of(language)}: read with its own words"
    return f"{_NO_VOCABULARY}{name_of(language)}: needs a human read (no vocabulary for it)"


def _read_by_a_person(language: str, verdict: _TextVerdict) -> _TextVerdict:
    """A post in a language triage has no words for is never left at low urgency."""
    if language in SCORED or verdict.urgency.rank <= Urgency.NORMAL.rank:
        return verdict
    why = "raised to normal: a person must read it"
    return replace(verdict, urgency=Urgency.NORMAL, reasons=(*verdict.reasons, why))


def _missing_harm_rules(playbook: Playbook) -> list[CategoryRule]:
    have = {rule.category for rule in playbook.categories}
    return [
        CategoryRule(category, Urgency.CRITICAL, True, (), sentiment_weight=-3)
        for category in HARM_CATEGORIES
        if category not in have
    ]


def _quoted(words: list[str]) -> str:
    """'a', 'b' — each once, in order."""
    return ", ".join(f'"{w}"' for w in dict.fromkeys(words))


class Classifier:
    """Classifies mentions under one playbook. Build once; `classify` is pure."""

    def __init__(
        self,
        playbook: Playbook,
        vader: VaderScorer | None = None,
        harm: HarmDetector | None = None,
    ) -> None:
        self._playbook = playbook
        self._sentiment = SentimentModel(playbook, vader)
        self._given_harm = harm
        self._languages = LanguageDetector()
        # Risk of harm is judged in the playbook's order of categories (a journalist asking
        # about a fire is press); a category of harm the playbook lacks still escalates.
        self._rules = [*playbook.categories, *_missing_harm_rules(playbook)]
        self._rank = {rule.category: rank for rank, rule in enumerate(self._rules)}
        self._benign = TermIndex(((p, 0) for p in playbook.benign_phrases), ())
        # Category terms (payload: their rank) and service terms (payload: their weight) in
        # one index, so each post is scanned once for both.
        categories = [
            (term, _Term(False, rank))
            for rank, rule in enumerate(playbook.categories)
            for term in rule.terms
        ]
        slang = playbook.brand.slang if playbook.brand is not None else ()
        service = [(term, _Term(True, w)) for term, w in (*playbook.service_terms, *slang)]
        self._terms = TermIndex([*categories, *service], playbook.negations)
        self._complaint_rank = next(
            (i for i, r in enumerate(playbook.categories) if r.category is Category.COMPLAINT), None
        )
        self._verdict = lru_cache(maxsize=TEXT_CACHE_SIZE)(self._judge_text)

    @functools.cached_property
    def _harm(self) -> HarmDetector:
        """Built when the first post is judged: a process that only reads (a console's
        first paint) never pays for reading six languages' patterns."""
        if self._given_harm is not None:
            return self._given_harm
        brand = self._playbook.brand
        if brand is None or not brand.patterns:
            return shipped_detector()
        return with_brand(brand.patterns)

    def rule_for(self, category: Category) -> CategoryRule | None:
        """The playbook's rule for this category (for a kind of harm it lacks, the shipped
        one), or None: a category with no terms of its own ("other")."""
        return next((rule for rule in self._rules if rule.category is category), None)

    def classify(self, mention: Mention, earlier_posts: int = 0) -> Classification:
        """`earlier_posts`: how many posts this author has already made (for the reasons)."""
        verdict = self._verdict(_RETWEET.sub("", mention.words, count=1))
        reasons = list(verdict.reasons)
        urgency = self._raise_for_reach(mention, verdict, reasons)
        posts = earlier_posts + 1
        if mention.author and posts >= self._playbook.repeat_author_posts > 0:
            reasons.append(f"repeat author: post {posts} from @{mention.author}")
        if verdict.escalate:
            reasons.append("risk of harm: escalates to the lead")
        sentiment = verdict.reading.sentiment
        return Classification(
            sentiment, urgency, verdict.category, verdict.escalate, tuple(reasons)
        )

    def _judge_text(self, text: str) -> _TextVerdict:
        lowered = text.lower().replace("\u2019", "'").replace("\u2018", "'")
        words = Words.of(lowered)
        idioms = [(h.start, h.end) for h in self._benign.find(lowered, words, with_negation=False)]
        idioms += self._harm.idioms(lowered, words)
        reasons: list[str] = []
        if idioms:
            found = _quoted([lowered[start:end] for start, end in sorted(idioms)])
            reasons.append(f"harmless idiom ignored: {found}")
            # Scored and matched without the idioms: VADER reads "killer" as hostile.
            lowered = blank(lowered, idioms)
            words = Words.of(lowered)
        harms = self._harm.find(lowered, words)
        hits = self._terms.find(lowered, words)
        language = self._languages.language(words, lowered)
        service = [
            Hit(h.start, h.end, h.term, h.payload.value, h.negated_by)
            for h in hits
            if h.payload.service
        ]
        reading = self._sentiment.read(lowered if idioms else text, lowered, words, service)
        foreign_failures: list[str] = []
        if language != "en":
            reading, foreign_failures = self._foreign_tone(reading, lowered, words, language)
            reasons.append(_language_reason(language))

        by_rank: dict[int, list[str]] = {}
        for hit in hits:
            if hit.payload.service:
                continue
            if hit.negated_by:
                phrase = hit.negated_by + lowered[hit.start : hit.end]
                reasons.append(f'negated, ignored: "{phrase}"')
            else:
                by_rank.setdefault(int(hit.payload.value), []).append(lowered[hit.start : hit.end])
        for harm in harms:
            reasons.append(harm.reason())
            if not harm.ignored:
                by_rank.setdefault(self._rank[harm.kind.category], []).append(harm.text)
        if self._complaint_rank is not None and (reading.failures or foreign_failures):
            # A service failure ("on hold", "never arrived") is a complaint term too.
            by_rank.setdefault(self._complaint_rank, []).extend(
                [*reading.failures, *foreign_failures]
            )
        tone = reading.sentiment.label
        for rank in sorted(by_rank):
            rule = self._rules[rank]
            matched = _quoted(by_rank[rank])
            if tone not in rule.tones:
                reasons.append(
                    f"{rule.category.value} {matched} set aside: the tone is {tone.value}"
                )
                continue
            if rule.sentiment_weight:
                lean = "negative" if rule.sentiment_weight < 0 else "positive"
                why = f"{rule.category.value} posts count as {lean}"
                reading = self._sentiment.shift(reading, rule.sentiment_weight, why)
            head = f"{rule.category.value}: matched {matched}"
            return _read_by_a_person(language, _TextVerdict(
                reading, rule.category, rule.urgency, rule.escalate,
                (head, *reading.reasons, *reasons),
            ))  # fmt: skip
        category, urgency = self._playbook.fallback[tone]
        head = f"{category.value}: no category term matched; the tone is {tone.value}"
        verdict = _TextVerdict(
            reading, category, urgency, False, (head, *reading.reasons, *reasons)
        )
        return _read_by_a_person(language, verdict)

    def _foreign_tone(
        self, reading: Reading, lowered: str, words: Words, language: str
    ) -> tuple[Reading, list[str]]:
        """VADER reads English only: a post in another language we have words for is scored
        by its complaint and praise words (its complaint words make it a complaint)."""
        tone = self._harm.tone(lowered, words, language)
        if not tone:
            return reading, []
        listed = ", ".join(f'"{shown}"' for shown, _ in tone)
        weight = sum(w for _, w in tone)
        reading = self._sentiment.shift(reading, weight, f"{name_of(language)} tone: {listed}")
        return reading, [shown for shown, w in tone if w < 0]

    def _raise_for_reach(
        self, mention: Mention, verdict: _TextVerdict, reasons: list[str]
    ) -> Urgency:
        playbook, urgency = self._playbook, verdict.urgency
        negative = (
            verdict.reading.sentiment.label is SentimentLabel.NEGATIVE
            or verdict.category is Category.COMPLAINT
        )
        high_reach = mention.verified or mention.followers >= playbook.high_reach_followers
        if high_reach:
            who = f"{mention.followers:,} followers" + (", verified" if mention.verified else "")
            reasons.append(f"reach: {who}")
        viral = mention.engagement.shares >= playbook.viral_shares > 0
        if viral:
            reasons.append(f"going viral: {mention.engagement.shares:,} shares")
        if negative and urgency.rank > Urgency.HIGH.rank:
            if high_reach:
                reasons.append("raised to high: negative post from a high-reach author")
                return Urgency.HIGH
            if viral:
                reasons.append("raised to high: a negative post going viral")
                return Urgency.HIGH
        return urgency
