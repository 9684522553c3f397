"""Sentiment for brand mentions: VADER's compound, adjusted for how complaints are written.

Complaints to a brand are often polite or sarcastic ("thanks for the 4 hour delay") and
VADER scores the polite words. The playbook adds weighted service terms — failures VADER does
not know are bad ("on hold", "never arrived"), and fixes it does not know are good ("sorted
my refund") — and sarcasm cues ("thanks for the", "oh great"). The adjustment works in
VADER's own valence units: the compound is turned back into VADER's sum, the weights are
added (a sarcastic cue beside a complaint turns the polite words against), and the sum is
normalised again. Both scores and every change are reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from crisis_console.core.models import Sentiment, SentimentLabel
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.triage.terms import Hit, TermIndex, Words
from crisis_console.core.triage.vader import VaderScorer

_ALPHA = 15.0  # VADER's normalisation constant
_MAX_COMPOUND = 0.9999  # ±1 would map back to an infinite sum
# Irony needs a real complaint beside it: "thanks again" alone is gratitude.
_SARCASM_NEEDS = -1.0


def _to_valence(compound: float) -> float:
    """Inverse of VADER's normalisation: the sum of valences that gives this compound."""
    c = max(-_MAX_COMPOUND, min(_MAX_COMPOUND, compound))
    return c * math.sqrt(_ALPHA / (1 - c * c))


def _to_compound(valence: float) -> float:
    return round(valence / math.sqrt(valence * valence + _ALPHA), 4)


@dataclass(frozen=True, slots=True)
class Reading:
    """A sentiment, the sentences that explain it, and the service failures found."""

    sentiment: Sentiment
    reasons: tuple[str, ...]
    failures: tuple[str, ...]  # the words of service terms with a negative weight


class SentimentModel:
    """Scores texts under one playbook. Read-only after construction."""

    def __init__(self, playbook: Playbook, vader: VaderScorer | None = None) -> None:
        self._playbook = playbook
        self._vader = vader or VaderScorer()
        self._service = TermIndex(playbook.service_terms, playbook.negations)
        self._sarcasm = TermIndex(((cue, 0.0) for cue in playbook.sarcasm_cues), ())

    def label(self, compound: float) -> SentimentLabel:
        if compound <= self._playbook.negative_below:
            return SentimentLabel.NEGATIVE
        if compound >= self._playbook.positive_above:
            return SentimentLabel.POSITIVE
        return SentimentLabel.NEUTRAL

    def read(
        self,
        text: str,
        lowered: str,
        words: Words | None = None,
        service_hits: Sequence[Hit[float]] | None = None,
    ) -> Reading:
        """Score `text`; `lowered` is the same text lower-cased with harmless idioms blanked.
        `words` (its `Words`) and `service_hits` (the playbook's service terms found in it)
        are passed in by a caller that has them already."""
        raw = self._vader.compound(text)
        words = words or Words.of(lowered)
        if service_hits is None:
            service_hits = self._service.find(lowered, words)
        # Each term counts once; the reasons show the words as the post wrote them.
        hits: dict[str, tuple[str, float]] = {}
        for h in service_hits:
            if not h.negated_by and h.term not in hits:
                hits[h.term] = (lowered[h.start : h.end], h.payload)
        weight = sum(w for _, w in hits.values())
        valence = _to_valence(raw)
        notes: list[str] = []
        if weight <= _SARCASM_NEEDS and valence > 0:
            cues = self._sarcasm.find(lowered, words, with_negation=False)
            if cues:
                valence = -valence
                cue = cues[0].term
                notes.append(f'sarcasm: "{cue}" beside a complaint; the polite words count against')
        if hits:
            listed = ", ".join(f'"{shown}" {w:+g}' for shown, w in hits.values())
            notes.append(f"service terms: {listed}")
            valence += weight
        compound = _to_compound(valence) if notes else raw
        failures = tuple(shown for shown, w in hits.values() if w < 0)
        return self._reading(Sentiment(self.label(compound), compound, raw), notes, failures)

    def shift(self, reading: Reading, weight: float, why: str) -> Reading:
        """`reading` with `weight` (VADER units) added, and `why` said among its reasons."""
        s = reading.sentiment
        compound = _to_compound(_to_valence(s.compound) + weight)
        notes = [*reading.reasons[1:], f"{why} ({weight:+g})"]
        return self._reading(replace(s, label=self.label(compound), compound=compound), notes,
                             reading.failures)  # fmt: skip

    @staticmethod
    def _reading(s: Sentiment, notes: list[str], failures: tuple[str, ...]) -> Reading:
        source = f"VADER alone {s.vader:+.2f}" if s.compound != s.vader else "VADER"
        head = f"sentiment {s.label.value} {s.compound:+.2f} ({source})"
        return Reading(s, (head, *notes), failures)
