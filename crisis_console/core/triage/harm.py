"""Risk of harm, however it is worded: the kinds of harm a crisis desk must never leave in a
queue (self-harm, threats, injury, dangerous products, unsafe food, medicine errors,
dangerous staff, children at risk, exposed personal data, fraud, people in danger), each a
family of phrase patterns (`phrases.py`) per language, shipped in `harm_vocab/<lang>.yaml`.

A match does not count when, in its clause and the four words before it, a negation stands
("nobody was hurt") or a hypothetical ("if it caught fire"); idioms and jokes are blanked
before anything is matched ("killer deal", "I'd die for these fries"). Every match, counted
or not, says why in plain words.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from crisis_console.core.errors import PlaybookError, Problem
from crisis_console.core.models import Category
from crisis_console.core.playbook.yamlfile import load_yaml
from crisis_console.core.triage.phrases import PatternError, PhraseIndex, compile_pattern, fold
from crisis_console.core.triage.terms import WORD, Words

COMPLAINT_WEIGHT, PRAISE_WEIGHT = -2.0, 2.0  # in VADER's units (its "bad" is -2.5)
WINDOW = 4  # words before a match that can negate it or make it hypothetical
_CLAUSE_END = re.compile(r"[.!?;,:\n]")
# A negation that negates something else: "can't stop thinking about ending it all".
_NOT_NEGATING = frozenset({"stop", "help", "wait", "sure", "just", "only", "even", "anymore"})
HARM_CATEGORIES = (Category.SELF_HARM, Category.THREAT, Category.SAFETY, Category.DATA_BREACH)


@dataclass(frozen=True, slots=True)
class HarmKind:
    name: str  # self_harm, food_safety, ...
    says: str  # in plain words: "unsafe food (a foreign object, contamination, ...)"
    category: Category


KINDS = {
    kind.name: kind
    for kind in (
        HarmKind("self_harm", "self-harm or suicidal intent", Category.SELF_HARM),
        HarmKind("threat", "a threat of violence", Category.THREAT),
        HarmKind("injury", "someone hurt or made ill", Category.SAFETY),
        HarmKind("product_hazard", "a dangerous product", Category.SAFETY),
        HarmKind("food_safety", "unsafe food", Category.SAFETY),
        HarmKind("medicine", "a medicine error or adverse reaction", Category.SAFETY),
        HarmKind("staff_conduct", "dangerous conduct by staff or contractors", Category.SAFETY),
        HarmKind("child_safety", "a child at risk", Category.SAFETY),
        HarmKind("personal_data", "personal data exposed", Category.DATA_BREACH),
        HarmKind("fraud", "fraud costing a customer money now", Category.DATA_BREACH),
        HarmKind("emergency", "people in danger in an emergency", Category.SAFETY),
    )
}


HARM_REASON = "risk of harm, "  # how each counted sign of harm's reason begins


@dataclass(frozen=True, slots=True)
class HarmMatch:
    kind: HarmKind
    text: str  # what it matched, as the text has it (lower-cased)
    start: int
    end: int
    language: str
    ignored: str = ""  # why it does not count: 'negated by "nobody was"', or ""

    def reason(self) -> str:
        said = self.kind.says + ("" if self.language == "en" else f" ({self.language})")
        if self.ignored:
            return f'{said}: "{self.text}" ignored, {self.ignored}'
        return f'{HARM_REASON}{said}: "{self.text}"'


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """One language's harm vocabulary."""

    language: str
    negations: frozenset[str]
    hypotheticals: frozenset[str]
    benign: tuple[str, ...]
    kinds: tuple[tuple[HarmKind, tuple[str, ...]], ...]  # each kind and its patterns
    complaint: tuple[str, ...] = ()  # a customer's tone, for a language VADER cannot read
    praise: tuple[str, ...] = ()

    @property
    def elided(self) -> tuple[str, ...]:
        """Negations that are part of a word: "n't" ending one, "n'" beginning one."""
        return tuple(n for n in self.negations if "'" in n)


def shipped_languages() -> list[str]:
    folder = resources.files("crisis_console.core.triage") / "harm_vocab"
    return sorted(e.name[: -len(".yaml")] for e in folder.iterdir() if e.name.endswith(".yaml"))


def load_vocabulary(language: str) -> Vocabulary:
    """The shipped vocabulary of `language` (its file checked whole: every problem named)."""
    entry = resources.files("crisis_console.core.triage") / "harm_vocab" / f"{language}.yaml"
    return read_vocabulary(entry.read_text(encoding="utf-8"), f"harm_vocab/{language}.yaml")


def read_vocabulary(text: str, file: str) -> Vocabulary:
    """The vocabulary in `text`, or `PlaybookError` naming every problem with its line."""
    doc, problems = load_yaml(text, file)
    if doc is None:
        raise PlaybookError(problems)
    data: dict[str, Any] = doc.data if isinstance(doc.data, dict) else {}
    kinds: list[tuple[HarmKind, tuple[str, ...]]] = []
    for name, body in (data.get("kinds") or {}).items():
        where = ("kinds", name)
        if name not in KINDS:
            known = ", ".join(KINDS)
            line = doc.line_of(where)
            problems.append(Problem(file, line, f"kinds.{name}", f"not a kind of harm: {known}"))
            continue
        patterns = [str(p) for p in (body or {}).get("patterns") or []]
        for n, pattern in enumerate(patterns):
            try:
                compile_pattern(pattern)
            except PatternError as exc:
                line = doc.line_of((*where, "patterns", n))
                problems.append(Problem(file, line, f"kinds.{name}.patterns", str(exc)))
        kinds.append((KINDS[name], tuple(patterns)))
    for section in ("benign", "complaint", "praise"):
        for n, pattern in enumerate(data.get(section) or ()):
            try:
                compile_pattern(str(pattern))
            except PatternError as exc:
                problems.append(Problem(file, doc.line_of((section, n)), section, str(exc)))
    if problems:
        raise PlaybookError(problems)
    return Vocabulary(
        str(data.get("language", file)),
        frozenset(fold(str(w).lower()) for w in data.get("negations") or ()),
        frozenset(fold(str(w).lower()) for w in data.get("hypotheticals") or ()),
        tuple(str(b) for b in data.get("benign") or ()),
        tuple(kinds),
        tuple(str(c) for c in data.get("complaint") or ()),
        tuple(str(c) for c in data.get("praise") or ()),
    )


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: HarmKind
    vocabulary: Vocabulary


class HarmDetector:
    """Finds every kind of harm of the given vocabularies in a text. Build once."""

    def __init__(self, vocabularies: Iterable[Vocabulary]) -> None:
        self.vocabularies = tuple(vocabularies)
        self._patterns = PhraseIndex(
            (compile_pattern(pattern), _Entry(kind, vocabulary))
            for vocabulary in self.vocabularies
            for kind, patterns in vocabulary.kinds
            for pattern in patterns
        )
        self._benign = PhraseIndex(
            (compile_pattern(phrase), None) for v in self.vocabularies for phrase in v.benign
        )
        self._tones = {
            v.language: PhraseIndex(
                [(compile_pattern(c), (COMPLAINT_WEIGHT, v)) for c in v.complaint]
                + [(compile_pattern(c), (PRAISE_WEIGHT, v)) for c in v.praise]
            )
            for v in self.vocabularies
            if v.complaint or v.praise
        }

    def tone(self, lowered: str, words: Words, language: str) -> list[tuple[str, float]]:
        """The complaint (negative) and praise (positive) words of `language` in the text,
        each once, not negated: (the words as written, their weight in VADER units)."""
        index = self._tones.get(language)
        if index is None:
            return []
        folded, words = _folded(lowered, words)
        found: dict[str, tuple[str, float]] = {}
        covered_to = -1
        for hit in index.find(folded, words):
            if hit.start < covered_to:
                continue
            covered_to = hit.end
            weight, vocabulary = hit.payload
            if hit.pattern not in found and not _why_not(folded, hit.start, vocabulary):
                found[hit.pattern] = (lowered[hit.start : hit.end], weight)
        return list(found.values())

    def idioms(self, lowered: str, words: Words) -> list[tuple[int, int]]:
        """Where the harmless idioms and jokes are (to blank before matching)."""
        folded, words = _folded(lowered, words)
        return [(h.start, h.end) for h in self._benign.find(folded, words)]

    def find(self, lowered: str, words: Words) -> list[HarmMatch]:
        """Every match in `lowered` (the lower-cased text, its idioms blanked), in text order,
        each marked when it does not count; one match per stretch of text (the longest)."""
        found: list[HarmMatch] = []
        covered_to = -1
        folded, words = _folded(lowered, words)
        for hit in self._patterns.find(folded, words):
            if hit.start < covered_to:
                continue  # inside a longer match already taken
            covered_to = hit.end
            entry = hit.payload
            found.append(
                HarmMatch(
                    entry.kind,
                    lowered[hit.start : hit.end],
                    hit.start,
                    hit.end,
                    entry.vocabulary.language,
                    _why_not(folded, hit.start, entry.vocabulary)
                    or _negated_inside(folded[hit.start : hit.end], hit.pattern, entry.vocabulary),
                )
            )
        return found


def _negated_inside(matched: str, pattern: str, vocabulary: Vocabulary) -> str:
    """A negation among the words a pattern's gap let in ("found no glass in"), not one of
    the pattern's own words ("couldn't ~ get out"), or ""."""
    for word in WORD.findall(matched):
        if _negates(word, vocabulary) and word not in _own_words(pattern):
            return f'negated by "{word}" inside "{matched}"'
    return ""


@functools.lru_cache(maxsize=4096)
def _own_words(pattern: str) -> frozenset[str]:
    return frozenset(WORD.findall(fold(pattern.lower().replace("\u2019", "'"))))


def _negates(word: str, vocabulary: Vocabulary) -> bool:
    return word in vocabulary.negations or any(
        (n.endswith("'") and word.startswith(n)) or (n == "n't" and word.endswith(n))
        for n in vocabulary.elided
    )


def _folded(lowered: str, words: Words) -> tuple[str, Words]:
    folded = _fold(lowered)
    return (folded, words) if folded is lowered else (folded, Words.of(folded))


@functools.lru_cache(maxsize=16)  # a post is folded for its idioms, its harms and its tone
def _fold(lowered: str) -> str:
    """`fold(lowered)`, or `lowered` itself when it has no accent to fold."""
    folded = fold(lowered)
    return lowered if folded == lowered else folded


def _why_not(text: str, start: int, vocabulary: Vocabulary) -> str:
    """A negation or hypothetical in the words before `start`, in its clause, or ""."""
    offset = max(0, start - 80)
    clause_start = offset
    for end in _CLAUSE_END.finditer(text, offset, start):
        clause_start = end.end()
    before = list(WORD.finditer(text, clause_start, start))[-WINDOW:]
    for i, word in enumerate(before):
        w = word.group(0)
        following = before[i + 1].group(0) if i + 1 < len(before) else ""
        said = text[before[i].start() : start].strip()
        if w in vocabulary.hypotheticals:
            return f'a hypothetical: "{said}"'
        if _negates(w, vocabulary) and following not in _NOT_NEGATING:
            return f'negated by "{said}"'
    return ""


@functools.cache
def shipped_detector(languages: tuple[str, ...] | None = None) -> HarmDetector:
    """The detector of the shipped vocabularies (every language, unless named), built once
    a process: a detector holds no state between texts."""
    return HarmDetector(load_vocabulary(code) for code in languages or shipped_languages())


@functools.cache
def with_brand(patterns: tuple[tuple[str, tuple[str, ...]], ...]) -> HarmDetector:
    """The shipped detector with a brand's own patterns (by kind), read with English's
    negations and hypotheticals ("no fire from the AirCrisp")."""
    english = load_vocabulary("en")
    brand = Vocabulary(
        "en",
        english.negations,
        english.hypotheticals,
        (),
        tuple((KINDS[kind], found) for kind, found in patterns),
    )
    return HarmDetector([*shipped_detector().vocabularies, brand])
