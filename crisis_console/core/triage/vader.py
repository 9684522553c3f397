"""VADER's compound score, computed faster with identical results (the one module that imports
vaderSentiment).

`vaderSentiment`'s `polarity_scores` rebuilds a lower-cased copy of the whole text for every
word it checks and walks the text character by character for emoji, which makes it slow and
quadratic in the length of a post. `VaderScorer.compound` follows the same rules in the same
order — including its quirks — with the lexicons and constants taken from the installed
package, so the scores are the same; `tests/core/test_vader.py` proves it on thousands of texts.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Sequence

from vaderSentiment import vaderSentiment as _vader

_NEGATE = frozenset(_vader.NEGATE)
_BOOSTERS: dict[str, float] = _vader.BOOSTER_DICT
_SPECIAL: dict[str, float] = _vader.SPECIAL_CASES
_B_INCR_CAPS: float = _vader.C_INCR
_N_SCALAR: float = _vader.N_SCALAR
_PUNCTUATION = string.punctuation


def _negated(word: str) -> bool:
    return word in _NEGATE or "n't" in word


class VaderScorer:
    """Computes VADER's compound score for a text; build once, reuse (it is read-only)."""

    def __init__(self) -> None:
        reference = _vader.SentimentIntensityAnalyzer()
        self._lexicon: dict[str, float] = reference.lexicon
        # VADER looks emoji up one character at a time, so only one-character keys can match.
        self._emojis: dict[str, str] = {k: v for k, v in reference.emojis.items() if len(k) == 1}
        self._emoji_chars = frozenset(self._emojis)

    def _describe_emoji(self, text: str) -> str:
        # Set operations scan the text at C speed; a regex over all ~3,500 emoji does not.
        present = self._emoji_chars.intersection(text)
        if not present:
            return text.strip()
        pattern = re.compile("[" + "".join(re.escape(c) for c in sorted(present)) + "]")

        def describe(match: re.Match[str]) -> str:
            # VADER adds a space before the description unless it starts the text or follows
            # a space; a character after the description is joined to it directly.
            start = match.start()
            space = " " if start > 0 and text[start - 1] != " " else ""
            return space + self._emojis[match.group(0)]

        described: str = pattern.sub(describe, text)
        return described.strip()

    def compound(self, text: str) -> float:
        """The compound score in [-1, 1], rounded to 4 places as vaderSentiment rounds it."""
        text = self._describe_emoji(text)
        words = [_strip_punctuation(w) for w in text.split()]
        if not words:
            return 0.0
        lower = [w.lower() for w in words]
        caps = sum(1 for w in words if w.isupper())
        is_cap_diff = 0 < len(words) - caps < len(words)
        lexicon = self._lexicon
        sentiments: list[float] = []
        last = len(words) - 1
        for i, low in enumerate(lower):
            if low in _BOOSTERS or (i < last and low == "kind" and lower[i + 1] == "of"):
                sentiments.append(0)
                continue
            if low not in lexicon:
                sentiments.append(0)
                continue
            sentiments.append(self._valence(words, lower, i, is_cap_diff))
        if "but" in lower:
            sentiments = _but_check(lower.index("but"), sentiments)
        return _score(sentiments, text)

    def _valence(self, words: list[str], lower: list[str], i: int, is_cap_diff: bool) -> float:
        lexicon = self._lexicon
        low = lower[i]
        valence = lexicon[low]
        if low == "no" and i != len(words) - 1 and lower[i + 1] in lexicon:
            valence = 0.0
        if (
            (i > 0 and lower[i - 1] == "no")
            or (i > 1 and lower[i - 2] == "no")
            or (i > 2 and lower[i - 3] == "no" and lower[i - 1] in ("or", "nor"))
        ):
            valence = lexicon[low] * _N_SCALAR
        if words[i].isupper() and is_cap_diff:
            valence = valence + _B_INCR_CAPS if valence > 0 else valence - _B_INCR_CAPS
        for start_i in range(3):
            j = i - (start_i + 1)
            if i > start_i and lower[j] not in lexicon:
                s = _scalar(words[j], lower[j], valence, is_cap_diff)
                if start_i == 1 and s != 0:
                    s = s * 0.95
                if start_i == 2 and s != 0:
                    s = s * 0.9
                valence = valence + s
                valence = _negation_check(valence, lower, start_i, i)
                if start_i == 2:
                    valence = _special_idioms(valence, lower, i)
        return _least_check(valence, lower, i, lexicon)


def _strip_punctuation(token: str) -> str:
    stripped = token.strip(_PUNCTUATION)
    return token if len(stripped) <= 2 else stripped


def _scalar(word: str, low: str, valence: float, is_cap_diff: bool) -> float:
    scalar = 0.0
    if low in _BOOSTERS:
        scalar = _BOOSTERS[low]
        if valence < 0:
            scalar *= -1
        if word.isupper() and is_cap_diff:
            scalar = scalar + _B_INCR_CAPS if valence > 0 else scalar - _B_INCR_CAPS
    return scalar


def _negation_check(valence: float, lower: list[str], start_i: int, i: int) -> float:
    if start_i == 0:
        if _negated(lower[i - 1]):
            valence = valence * _N_SCALAR
    elif start_i == 1:
        if lower[i - 2] == "never" and lower[i - 1] in ("so", "this"):
            valence = valence * 1.25
        elif lower[i - 2] == "without" and lower[i - 1] == "doubt":
            pass
        elif _negated(lower[i - 2]):
            valence = valence * _N_SCALAR
    else:
        if (lower[i - 3] == "never" and lower[i - 2] in ("so", "this")) or lower[i - 1] in (
            "so",
            "this",
        ):
            valence = valence * 1.25
        elif lower[i - 3] == "without" and (lower[i - 2] == "doubt" or lower[i - 1] == "doubt"):
            pass
        elif _negated(lower[i - 3]):
            valence = valence * _N_SCALAR
    return valence


def _special_idioms(valence: float, lower: list[str], i: int) -> float:
    onezero = f"{lower[i - 1]} {lower[i]}"
    twoonezero = f"{lower[i - 2]} {lower[i - 1]} {lower[i]}"
    twoone = f"{lower[i - 2]} {lower[i - 1]}"
    threetwoone = f"{lower[i - 3]} {lower[i - 2]} {lower[i - 1]}"
    threetwo = f"{lower[i - 3]} {lower[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in _SPECIAL:
            valence = _SPECIAL[seq]
            break
    if len(lower) - 1 > i:
        zeroone = f"{lower[i]} {lower[i + 1]}"
        if zeroone in _SPECIAL:
            valence = _SPECIAL[zeroone]
    if len(lower) - 1 > i + 1:
        zeroonetwo = f"{lower[i]} {lower[i + 1]} {lower[i + 2]}"
        if zeroonetwo in _SPECIAL:
            valence = _SPECIAL[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in _BOOSTERS:
            valence = valence + _BOOSTERS[n_gram]
    return valence


def _least_check(valence: float, lower: list[str], i: int, lexicon: dict[str, float]) -> float:
    if i > 1 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
        if lower[i - 2] != "at" and lower[i - 2] != "very":
            valence = valence * _N_SCALAR
    elif i > 0 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
        valence = valence * _N_SCALAR
    return valence


def _but_check(but_index: int, sentiments: list[float]) -> list[float]:
    # VADER finds each value's *first* position with list.index, so equal values are
    # rescaled at the first occurrence; kept as is, because identical scores are the point.
    for sentiment in sentiments:
        si = sentiments.index(sentiment)
        if si < but_index:
            sentiments.pop(si)
            sentiments.insert(si, sentiment * 0.5)
        elif si > but_index:
            sentiments.pop(si)
            sentiments.insert(si, sentiment * 1.5)
    return sentiments


def _score(sentiments: Sequence[float], text: str) -> float:
    sum_s = float(sum(sentiments))
    ep_count = min(text.count("!"), 4)
    qm_count = text.count("?")
    qm = 0.0 if qm_count <= 1 else (qm_count * 0.18 if qm_count <= 3 else 0.96)
    amplifier = ep_count * 0.292 + qm
    if sum_s > 0:
        sum_s += amplifier
    elif sum_s < 0:
        sum_s -= amplifier
    norm = sum_s / math.sqrt((sum_s * sum_s) + 15)
    return round(max(-1.0, min(1.0, norm)), 4)


def reference_compound(analyzer: object, text: str) -> float:
    """vaderSentiment's own score, for the equivalence test and the benchmark."""
    scores: dict[str, float] = analyzer.polarity_scores(text)  # type: ignore[attr-defined]
    return scores["compound"]


def reference_analyzer() -> object:
    return _vader.SentimentIntensityAnalyzer()
