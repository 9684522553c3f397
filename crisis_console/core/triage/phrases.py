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
(the part with the fewest, all plain words), so a text is tested only against the patterns
whose words it holds; a pattern with no such part is tested when the text holds one of its
first part's stems. The text given to `find` must be lower-cased.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from crisis_console.core.triage.terms import NUMBER, NUMBER_PATTERN, Words

T = TypeVar("T")

DEFAULT_GAP = 3
MAX_GAP = 8
_GAP = re.compile(r"^~(\d*)$")
_SEPARATOR = r"[^\w.!?;\n]+"  # between two words of one clause
_ANY_WORD = r"[\w']+"
_PLAIN_WORD = re.compile(r"^\w+(?:'\w+)*$")  # as `terms.WORD` finds it in a text


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


@dataclass(frozen=True, slots=True)
class Pattern:
    text: str  # as written
    source: str  # its regex
    anchor: tuple[str, ...]  # a text must hold one of these words...
    stems: tuple[str, ...]  # ...or, when there are none, one of these substrings


def _word(word: str) -> str:
    if word == NUMBER:
        return NUMBER_PATTERN
    return re.escape(word[:-1]) + r"\w*" if word.endswith("*") else re.escape(word)


def _phrase(words: list[str]) -> str:
    """Adjacent words, as whole words where they begin or end with a letter or digit (a
    symbol such as `£` may touch what follows it: "£500")."""
    body = _SEPARATOR.join(map(_word, words))
    start = r"(?<![\w'])" if words[0][0].isalnum() or words[0] == NUMBER else ""
    last = words[-1]
    end = r"(?![\w'])" if last[-1].isalnum() or last.endswith(("*", NUMBER)) else ""
    return start + body + end


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
    regexes = ["(?:" + "|".join(_phrase(phrase) for phrase in part) + ")" for part in parts]
    source = regexes[0]
    for width, regex in zip(gaps, regexes[1:], strict=True):
        source += f"(?:{_SEPARATOR}{_ANY_WORD}){{0,{width}}}{_SEPARATOR}{regex}"
    anchor, stems = _filter(firsts_of(parts))
    if not anchor and not stems:
        raise PatternError(f"{pattern!r}: needs a part of words, not only numbers")
    return Pattern(pattern, source, anchor, stems)


def firsts_of(parts: list[list[list[str]]]) -> list[set[str]]:
    return [{phrase[0] for phrase in part if phrase[0] != NUMBER} for part in parts]


def _filter(firsts: list[set[str]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(anchor words, or else stems) a text must hold for the pattern to be tried: the part
    whose first words are plain and none common; else one with stems of four letters or
    more (tested as substrings); else a plain part of common words ("in|inside")."""
    plain = [f for f in firsts if f and all(_PLAIN_WORD.match(w) for w in f)]
    rare = [f for f in plain if not f & COMMON]
    if rare:
        return _smallest(rare), ()
    stemmed = [{w.rstrip("*") for w in f} for f in firsts if f and f not in plain]
    long_stems = [f for f in stemmed if all(len(w) >= 4 for w in f)]
    if long_stems:
        return (), _smallest(long_stems)
    if plain:
        return _smallest(plain), ()
    return (), tuple(sorted(stemmed[0])) if stemmed and all(stemmed[0]) else ()


def _smallest(choices: list[set[str]]) -> tuple[str, ...]:
    fewest = min(len(c) for c in choices)
    return tuple(sorted(next(c for c in choices if len(c) == fewest)))


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
        self._by_stem: list[tuple[tuple[str, ...], Pattern, T]] = []
        for pattern, payload in patterns:
            if pattern.anchor:
                for word in pattern.anchor:
                    self._by_word.setdefault(word, []).append((pattern, payload))
            else:
                self._by_stem.append((pattern.stems, pattern, payload))
        self._words = frozenset(self._by_word)

    def __len__(self) -> int:
        return len({id(p) for entries in self._by_word.values() for p, _ in entries}) + len(
            self._by_stem
        )

    def find(self, text: str, words: Words | None = None) -> list[PhraseHit[T]]:
        words = words or Words.of(text)
        seen: set[int] = set()
        candidates: list[tuple[Pattern, T]] = []
        for word in self._words.intersection(words.words):
            for pattern, payload in self._by_word[word]:
                if id(pattern) not in seen:
                    seen.add(id(pattern))
                    candidates.append((pattern, payload))
        candidates += [(p, v) for stems, p, v in self._by_stem if any(s in text for s in stems)]
        hits = [
            PhraseHit(m.start(), m.end(), pattern.text, payload)
            for pattern, payload in candidates
            for m in _compiled(pattern.source).finditer(text)
        ]
        hits.sort(key=lambda h: (h.start, -h.end))
        return hits
