"""Finding a playbook's terms in a text quickly, as whole words, with negation.

A playbook has hundreds of terms and a spike brings thousands of posts a second, so running
every term's regex on every post is too slow. `TermIndex` files each term under its first
word; a text's own words pick out the few terms worth a regex. Terms that start with a
wildcard word (`refund*`), a number (`<n> times`) or a symbol (`?`, `❤`) are checked by a
plain substring test of their longest fixed piece first. The text given to `find` must
already be lower-cased.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# A word, with inner apostrophes ("don't") but not trailing ones ("customers'").
WORD = re.compile(r"\w+(?:'\w+)*")
# Words before a term that can negate it, within its clause: "won't be contacting a solicitor".
NEGATION_WINDOW = 4
_CLAUSE_END = re.compile(r"[.!?;,:\n]")


NUMBER = "<n>"
NUMBER_PATTERN = (
    r"(?:\d+(?:[.,]\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|several|a few|a couple of)"
)


def term_pattern(term: str) -> str:
    """A term as a regex: whole words only; `*` is a word-suffix wildcard (`refund*`) and
    `<n>` any number, in digits or words (`for <n> hours`). A match is a whole word at its
    start only as `word_starts` finds it: the regex does not say so (see there)."""
    body = re.escape(term).replace(r"\*", r"\w*").replace(re.escape(NUMBER), NUMBER_PATTERN)
    end = r"(?!\w)" if term[-1].isalnum() or term[-1] == "*" or term.endswith(NUMBER) else ""
    return body + end


def word_starts(
    regex: re.Pattern[str], text: str, apostrophe: bool = False
) -> Iterator[re.Match[str]]:
    """`regex.finditer(text)`, but a match that begins with a letter or digit must begin a
    word (`apostrophe`: one joined to a word by an apostrophe does not either). This is the
    regex's own look-behind, checked here: written at the start of a regex, it kept `re`
    from skipping quickly to where one could begin, and every position was tried."""
    pos = 0
    while (match := regex.search(text, pos)) is not None:
        start = match.start()
        if start and text[start].isalnum():
            before = text[start - 1]
            if before.isalnum() or before == "_" or (apostrophe and before == "'"):
                pos = start + 1
                continue
        yield match
        pos = max(match.end(), start + 1)


def _key(term: str) -> str | tuple[str, str] | None:
    """Where a term is filed: its first two words when both are plain words, else its first
    word when that is plain, else nowhere (None: found by substring test)."""
    first = WORD.match(term)
    if not first or term[first.end() : first.end() + 1] == "*":
        return None  # starts with a symbol, a number placeholder or a wildcard word
    rest = term[first.end() :]
    second = re.match(r"\s+(" + WORD.pattern + ")", rest)
    if second and rest[second.end() : second.end() + 1] not in ("*",) and second.group(1) != "n":
        return (first.group(0), second.group(1))
    return first.group(0)


def _literal(term: str) -> str:
    """The longest fixed piece of a term: a cheap substring test before its regex."""
    return max(re.split(r"\*|" + re.escape(NUMBER), term), key=len)


@dataclass(frozen=True, slots=True)
class Hit(Generic[T]):
    """One occurrence of a term: where, what it matched, and the payload it was filed with."""

    start: int
    end: int
    term: str
    payload: T
    negated_by: str = ""  # the words before it that negate it, if any


@functools.cache
def _compiled(source: str) -> re.Pattern[str]:
    """A term's regex, compiled the first time a text holds its words: a playbook has nearly
    a thousand, and compiling them all took a quarter of a second of every process's start
    (a console that only reads paid it too). Kept for the process: `re`'s own cache holds
    512, fewer than one playbook's terms."""
    return re.compile(source)


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    term: str
    literal: str
    source: str  # the regex (`term_pattern`), compiled on first use (`_compiled`)
    payload: T


@dataclass(frozen=True, slots=True)
class Words:
    """A text's words and adjacent word pairs, made once per text and shared by every index
    that reads it. Only a filter: each candidate term is then confirmed by its regex."""

    words: frozenset[str]
    pairs: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, text: str) -> Words:
        words = WORD.findall(text)
        return cls(frozenset(words), frozenset(itertools.pairwise(words)))


class TermIndex(Generic[T]):
    """Terms filed under their first word, or first two words; `find` returns every hit in
    text order, each confirmed by the term's regex."""

    def __init__(self, terms: Iterable[tuple[str, T]], negations: Sequence[str] = ()) -> None:
        self._by_word: dict[str, list[_Entry[T]]] = {}
        self._by_pair: dict[tuple[str, str], list[_Entry[T]]] = {}
        self._by_substring: list[_Entry[T]] = []
        self._negations = frozenset(negations)
        self._negate_nt = "n't" in self._negations
        for term, payload in terms:
            key = _key(term)
            entry = _Entry(term, _literal(term), term_pattern(term), payload)
            if isinstance(key, tuple):
                self._by_pair.setdefault(key, []).append(entry)
            elif key:
                self._by_word.setdefault(key, []).append(entry)
            else:
                self._by_substring.append(entry)
        self._words = frozenset(self._by_word)
        self._pairs = frozenset(self._by_pair)

    def find(
        self, text: str, words: Words | None = None, *, with_negation: bool = True
    ) -> list[Hit[T]]:
        """Every occurrence of every term in `text` (lower-cased), marked if negated.
        `words` is `Words.of(text)`, passed in when several indexes read the same text."""
        words = words or Words.of(text)
        candidates = [e for w in self._words.intersection(words.words) for e in self._by_word[w]]
        candidates.extend(
            e for p in self._pairs.intersection(words.pairs) for e in self._by_pair[p]
        )
        candidates.extend(e for e in self._by_substring if e.literal in text)
        hits: list[Hit[T]] = []
        # Most posts hold no negation at all: then no hit needs its words looked at.
        negating = with_negation and (
            not self._negations.isdisjoint(words.words) or (self._negate_nt and "n't" in text)
        )
        for entry in candidates:
            for match in word_starts(_compiled(entry.source), text):
                negated_by = self._negation_before(text, match.start()) if negating else ""
                hits.append(Hit(match.start(), match.end(), entry.term, entry.payload, negated_by))
        hits.sort(key=lambda h: (h.start, -h.end))
        return hits

    def _negation_before(self, text: str, start: int) -> str:
        """The words before `start` that negate it, as written ("not going to "), or ""."""
        # Only the last few words of the same clause matter: "not going to sue, just sad".
        offset = max(0, start - 80)
        clause_start = offset
        for end in _CLAUSE_END.finditer(text, offset, start):
            clause_start = end.end()
        words = list(WORD.finditer(text, clause_start, start))[-NEGATION_WINDOW:]
        for word in words:
            w = word.group(0)
            if w in self._negations or (self._negate_nt and w.endswith("n't")):
                return text[words[0].start() : start]
        return ""


def blank(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with each span (start, end) replaced by spaces of the same length, so offsets
    still line up."""
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
