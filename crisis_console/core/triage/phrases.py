"""Phrase families: patterns of words with room between them, found quickly in many texts.

A pattern is *parts* separated by gaps:

    found ~ glass|shards of glass|shard* ~2 in|inside

    a|b c|d*     a part: one of the phrases "a", "b c" or "d…" (`*`: any ending, a stem)
    ~  or  ~N    a gap: up to 3 (or N) other words may stand here
    <n>          a number, in digits or words, inside a phrase ("<n> pills")

The words of a phrase are adjacent. So `found ~ glass|shard* ~2 in|inside` matches "found
two shards of glass in", and `glass|shard* ~2 in|inside|into` matches "glass pieces inside".
A match never crosses the end of a sentence or clause (`.`, `!`, `?`, `;`, a line break).

`PhraseIndex` files each pattern under the first words of the phrases of one of its parts
(the rarest, cheapest part), whole words or word beginnings (`stem*`), so a text is tested
only against the patterns whose words it holds. The text given to `find` must be
lower-cased.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from crisis_console.core.triage.terms import NUMBER, NUMBER_PATTERN, WORD, Words, word_starts

T = TypeVar("T")

DEFAULT_GAP = 3
MAX_GAP = 8
_GAP = re.compile(r"^~(\d*)$")
_SEPARATOR = r"[^\w.!?;\n]+"  # between two words of one clause
_ANY_WORD = r"[\w']+"


def _fold_table() -> dict[int, str]:
    """Each accented Latin letter to its plain letter, one character for one, so that
    offsets in a folded text are offsets in the text ("niño" -> "nino", "ü" -> "u")."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        plain = unicodedata.normalize("NFD", chr(code))
        if (
            len(plain) > 1
            and plain[0].isascii()
            and all(unicodedata.combining(c) for c in plain[1:])
        ):
            table[code] = plain[0]
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """`text` without accents on Latin letters, of the same length (see `_fold_table`)."""
    return text.translate(_FOLD)


class PatternError(ValueError):
    """A pattern that cannot be read; the message says what is wrong with it."""


Keys = tuple[frozenset[str], frozenset[str]]  # (whole words, word beginnings)


@dataclass(frozen=True, slots=True)
class Pattern:
    text: str  # as written
    source: str  # its regex
    words: tuple[str, ...]  # a text must hold one of these words...
    prefixes: tuple[str, ...]  # ...or a word that begins with one of these...
    required: tuple[Keys, ...]  # ...and, for every part, one of its words or beginnings

    def possible(self, words: frozenset[str], beginnings: frozenset[str]) -> bool:
        """Whether a text of these words, and of these word beginnings (of the lengths
        patterns use), can hold the pattern: a filter before its regex."""
        for keys, prefixes in self.required:  # a loop, not all(...): ten a post, 40 % faster
            if keys.isdisjoint(words) and prefixes.isdisjoint(beginnings):
                return False
        return True


def _word(word: str) -> str:
    if word == NUMBER:
        return NUMBER_PATTERN
    return re.escape(word[:-1]) + r"\w*" if word.endswith("*") else re.escape(word)


_END = r"(?![\w'])"


def _part(phrases: list[list[str]]) -> str:
    """One of the phrases, each of adjacent words, as whole words where they end with a
    letter or digit (a symbol such as `£` may touch what follows it: "£500"), written once
    around the phrases that share it. That a match begins a word is `terms.word_starts`'s
    to check: a look-behind before every choice had `re` try each at every position."""
    groups: dict[bool, list[str]] = {}
    for words in phrases:
        last = words[-1]
        end = last[-1].isalnum() or last.endswith(("*", NUMBER))
        groups.setdefault(end, []).append(_SEPARATOR.join(map(_word, words)))
    choices = [
        "(?:" + "|".join(bodies) + ")" + (_END if end else "") for end, bodies in groups.items()
    ]
    return "(?:" + "|".join(choices) + ")"


@functools.cache  # a vocabulary's patterns are checked, then indexed
def compile_pattern(pattern: str) -> Pattern:
    """`pattern` (see the module docstring) as a regex over a lower-cased text; a pattern
    that cannot be read raises `PatternError` saying why."""
    tokens = fold(pattern.lower().replace("\u2019", "'")).split()
    parts: list[list[list[str]]] = [[]]  # parts -> phrases -> words
    gaps: list[int] = []
    for token in tokens:
        gap = _GAP.match(token)
        if gap:
            if not parts[-1]:
                raise PatternError(f"{pattern!r}: a gap must stand between two words")
            width = int(gap.group(1) or DEFAULT_GAP)
            if not 1 <= width <= MAX_GAP:
                raise PatternError(f"{pattern!r}: a gap is 1 to {MAX_GAP} words")
            gaps.append(width)
            parts.append([])
            continue
        pieces = token.split("|")
        if not parts[-1]:
            parts[-1].append([])
        parts[-1][-1].append(pieces[0])
        parts[-1].extend([piece] for piece in pieces[1:])
    if not parts[-1]:
        raise PatternError(f"{pattern!r}: must end with a word")
    for part in parts:
        for phrase in part:
            if not all(phrase):
                raise PatternError(f"{pattern!r}: an empty choice in '|'")
    regexes = [_part(part) for part in parts]
    source = regexes[0]
    for width, regex in zip(gaps, regexes[1:], strict=True):
        source += f"(?:{_SEPARATOR}{_ANY_WORD}){{0,{width}}}{_SEPARATOR}{regex}"
    anchor = _anchor(parts)
    if anchor is None:
        raise PatternError(f"{pattern!r}: needs a part of words, not only numbers or symbols")
    (words, prefixes), required = anchor
    return Pattern(pattern, source, tuple(sorted(words)), tuple(sorted(prefixes)), required)


def _phrase_key(phrase: list[str]) -> tuple[str, bool] | None:
    """The rarest word a text must hold for `phrase` to be there, as `terms.WORD` reads a
    text ("e." -> "e", "aidez-nous" -> "aidez"), and whether it is a beginning (`stem*`);
    None when the phrase is only numbers and symbols."""
    keys: list[tuple[str, bool]] = []
    for token in phrase:
        if token == NUMBER:
            continue
        pieces = WORD.findall(token)
        stemmed = token.endswith("*")
        keys += [(piece, stemmed and i == len(pieces) - 1) for i, piece in enumerate(pieces)]
    # A short word ("er") picks out fewer posts than a common one ("the").
    return min(keys, key=lambda k: (_weak(*k), k[0] in COMMON, k[1], -len(k[0]))) if keys else None


def _weak(key: str, prefix: bool) -> bool:
    """A key that is in too many posts to pick a pattern out by."""
    return len(key) < MIN_PREFIX if prefix else key in COMMON or len(key) <= 2


def _keys(part: list[list[str]]) -> Keys | None:
    """What a text must hold for one of the part's phrases to be there, or None."""
    words: set[str] = set()
    prefixes: set[str] = set()
    for phrase in part:
        key = _phrase_key(phrase)
        if key is None:
            return None
        (prefixes if key[1] else words).add(key[0])
    return frozenset(words), frozenset(prefixes)


def _anchor(parts: list[list[list[str]]]) -> tuple[Keys, tuple[Keys, ...]] | None:
    """The keys of the part that is cheapest to test and rarest in posts (the anchor), and
    those of every part (all of which a text must hold)."""
    every = [keys for keys in map(_keys, parts) if keys is not None]
    if not every:
        return None

    def cost(keys: Keys) -> tuple[bool, int]:
        words, prefixes = keys
        weak = any(_weak(w, False) for w in words) or any(_weak(p, True) for p in prefixes)
        return weak, len(words) + 3 * len(prefixes)

    return min(every, key=cost), tuple(every)


# A beginning shorter than this ("in*") is in too many posts to pick a pattern out by.
MIN_PREFIX = 4

# Words too common to pick a pattern out by (almost every post holds one).
COMMON = frozenset(
    "a an the i me my we us our you your he him his she her it its they them their this that "
    "in on at to of for from with by and or but is was are were be been am do did not no so "
    "up out off over into onto as if just all get got".split()
)


@functools.cache
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source)


@dataclass(frozen=True, slots=True)
class PhraseHit(Generic[T]):
    start: int
    end: int
    pattern: str
    payload: T


class PhraseIndex(Generic[T]):
    """Patterns, each with a payload; `find` returns every match in text order."""

    def __init__(self, patterns: Iterable[tuple[Pattern, T]]) -> None:
        self._by_word: dict[str, list[tuple[Pattern, T]]] = {}
        self._by_prefix: dict[str, list[tuple[Pattern, T]]] = {}
        count = 0
        # Each pattern's place in the order given: hits at the same place are returned in
        # it, never in the order of a set's hashing (which changes from run to run).
        self._place: dict[int, int] = {}
        for pattern, payload in patterns:
            self._place.setdefault(id(pattern), count)
            count += 1
            for word in pattern.words:
                self._by_word.setdefault(word, []).append((pattern, payload))
            for prefix in pattern.prefixes:
                self._by_prefix.setdefault(prefix, []).append((pattern, payload))
        self._count = count
        beginnings = {p for pattern, _ in self._entries() for _, ps in pattern.required for p in ps}
        self._beginnings = frozenset(beginnings)
        self._lengths = sorted({len(p) for p in beginnings})
        self._shortest = (
            frozenset(p[: self._lengths[0]] for p in beginnings) if beginnings else None
        )
        # What each word a text holds leads to (its patterns by id, and the beginnings of
        # patterns it has), or None for a word that leads nowhere (most words): posts share
        # most of their words, so a word is looked into once.
        self._seen: dict[str, _Found[T] | None] = {}

    def __len__(self) -> int:
        return self._count

    def _entries(self) -> Iterable[tuple[Pattern, T]]:
        for entries in (*self._by_word.values(), *self._by_prefix.values()):
            yield from entries

    def _look_up(self, word: str) -> _Found[T] | None:
        beginnings: frozenset[str] = frozenset()
        if self._shortest is not None and word[: self._lengths[0]] in self._shortest:
            beginnings = frozenset(
                word[:length]
                for length in self._lengths
                if length <= len(word) and word[:length] in self._beginnings
            )
        entries = [*self._by_word.get(word, ())]
        for beginning in beginnings:
            entries += self._by_prefix.get(beginning, ())
        found = ({id(e[0]): e for e in entries}, beginnings) if entries or beginnings else None
        if len(self._seen) >= _MAX_SEEN:
            self._seen.clear()  # a flood of new words: start again rather than grow
        self._seen[word] = found
        return found

    def find(self, text: str, words: Words | None = None) -> list[PhraseHit[T]]:
        words = words or Words.of(text)
        seen_words, look_up = self._seen, self._look_up
        candidates: dict[int, tuple[Pattern, T]] = {}
        beginnings: set[str] = set()
        for word in words.words:
            try:
                found = seen_words[word]
            except KeyError:
                found = look_up(word)
            if found is not None:
                candidates.update(found[0])
                beginnings.update(found[1])
        if not candidates:
            return []
        present = frozenset(beginnings)
        place = self._place
        matches: list[tuple[int, int, int, PhraseHit[T]]] = []
        for key, (pattern, payload) in candidates.items():
            if pattern.possible(words.words, present):
                matches += [
                    (
                        m.start(),
                        -m.end(),
                        place[key],
                        PhraseHit(m.start(), m.end(), pattern.text, payload),
                    )
                    for m in word_starts(_compiled(pattern.source), text, apostrophe=True)
                ]
        matches.sort(key=_place_in_text)
        return [hit for *_, hit in matches]


def _place_in_text(found: tuple[int, int, int, object]) -> tuple[int, int, int]:
    """Earliest first; at one start, the longest; then the pattern given first."""
    return found[0], found[1], found[2]


_Found = tuple[dict[int, tuple[Pattern, T]], frozenset[str]]  # a word's patterns, beginnings
_MAX_SEEN = 200_000  # distinct words remembered by an index (a few tens of MB at most)
