"""The inbox's search box: what an operator types, as conditions, and the whole-word patterns
both stores match the words with.

    #refund              tagged so (normalised as a tag is: `#Refund` is `refund`)
    @dan  @sam@a.social  by this author: the whole handle, any case (`@dan` is not `@danny`)
    x:123  reddit:abc    this mention: a known platform's name, a colon and its id
    u:critical,high      of any of these urgencies (`urgency:` too; `u:crit,h` is enough)
    refund  "late delivery"
                         every other token is a word, and a quoted phrase its words in that
                         order: each must appear in the text, the handle or the name, as a
                         whole word, in any order (`deliv` does not find `delivery`; `refund`
                         finds `Refund,`)

A token that does not make its condition (`#` alone, `u:soon`) is searched as a word: what is
typed is never dropped without a trace (`InboxFilter.describe` shows how it was read). Quoted,
a token is always words: `"x:123"` finds the text "x:123", `"#refund"` the text "#refund".

A word is a run of letters, digits and `_` of the scripts that put spaces between words
(Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic, the Indic scripts, Georgian, Ethiopic); a
word that begins or ends with another character (Chinese, Japanese, Korean, Thai, emoji,
punctuation) has no boundary there, so `日本` finds `日本語`. The pattern is written once and
read the same by Python's `re` and PostgreSQL's regular expressions: explicit character
ranges, no `\\w` (whose meaning PostgreSQL takes from the server's locale).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from crisis_console.core.models import Platform, Urgency
from crisis_console.core.work.model import WorkError, normalise_tag

# Letters of the scripts that separate words with spaces, with their combining marks, and
# ASCII digits and `_`; a search's text is lower case already (`searchable`).
WORD_CHARS = (
    "0-9a-z_\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u0dff\u0f00-\u0fff"
    "\u10a0-\u10ff\u1200-\u139f\u1e00-\u1fff\u2c00-\u2c5f\u2d00-\u2d2f"
)
# What separates the words of a phrase: spaces, not line breaks (a folder's search file
# holds one mention a line, and no phrase may run from one into the next).
_GAP = "[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+"
_IS_WORD = re.compile(f"[{WORD_CHARS}]")
_TOKEN = re.compile(r'["\u201c\u201d]([^"\u201c\u201d]*)["\u201c\u201d]?|([^\s"\u201c\u201d]+)')
_LEADING = "([{'"
_TRAILING = ".,;:!?)]}'"
_URGENCY = re.compile(r"(?:u|urgency):(.*)", re.IGNORECASE)
_KEY = re.compile(r"([A-Za-z]+):(\S+)")
_PLATFORMS = frozenset(p.value for p in Platform)
URGENCIES = tuple(u.value for u in Urgency)  # most urgent first


_LINE_BREAKS = str.maketrans(dict.fromkeys("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029", " "))


def searchable(text: str) -> str:
    """What a search compares: lower case, every line break a space (a post written over
    two lines is found by its words, and is the same text live or in a closed segment)."""
    return text.lower().translate(_LINE_BREAKS)


@dataclass(frozen=True, slots=True)
class Term:
    """A word, or a phrase (its words in this order), to find as a whole word."""

    words: tuple[str, ...]  # lower case, each without spaces

    @property
    def pattern(self) -> str:
        """The regular expression, the same for `re` and PostgreSQL. The boundary before the
        first word is checked *after* it (`(?<![w]word)`): a pattern that opens with a
        literal lets `re` skip to where it could match (one that opens with a look-behind is
        tried at every position, five times slower)."""
        first, last = self.words[0], self.words[-1]
        out = re.escape(first)
        if _IS_WORD.match(first[0]):
            out += f"(?<![{WORD_CHARS}]{re.escape(first)})"
        for word in self.words[1:]:
            out += _GAP + re.escape(word)
        if _IS_WORD.match(last[-1]):
            out += f"(?![{WORD_CHARS}])"
        return out

    @property
    def spelled(self) -> str:
        """As typed to find it: a phrase, or a word that would make a condition, quoted."""
        joined = " ".join(self.words)
        plain = len(self.words) == 1 and not _special(joined, _found())
        return joined if plain else f'"{joined}"'


@lru_cache(maxsize=64)
def compiled(term: Term) -> re.Pattern[str]:
    return re.compile(term.pattern)


@dataclass(frozen=True, slots=True)
class Search:
    """What a search box's text asks for (see the module docstring)."""

    terms: tuple[Term, ...] = ()
    tags: frozenset[str] = frozenset()
    authors: frozenset[str] = frozenset()  # handles, lower case, without the `@`
    keys: frozenset[str] = frozenset()
    urgency: frozenset[str] = frozenset()

    @property
    def text(self) -> str:
        """The words and phrases, spelled so that `terms(text)` reads them back."""
        return " ".join(t.spelled for t in self.terms)


def _words(token: str) -> list[str]:
    """A token's words (a phrase's, or one), lower case, without the punctuation around them
    (`(refund),` is `refund`); punctuation alone is kept, as typed."""
    trimmed = token.strip().lstrip(_LEADING).rstrip(_TRAILING) or token
    return searchable(trimmed).split()


def _urgencies(values: str) -> frozenset[str] | None:
    """`crit,high` as {critical, high}; None unless every value starts one urgency's name."""
    found = set()
    for value in values.lower().split(","):
        named = [u for u in URGENCIES if value and u.startswith(value)]
        if len(named) != 1:
            return None
        found.add(named[0])
    return frozenset(found)


def _found() -> dict[str, set[str]]:
    return {"tags": set(), "authors": set(), "keys": set(), "urgency": set()}


def _special(token: str, out: dict[str, set[str]]) -> bool:
    """File `token` under its condition if it makes one; whether it did."""
    if token.startswith("#"):
        try:
            out["tags"].add(normalise_tag(token.rstrip(_TRAILING)))
        except WorkError:
            return False
        return True
    if token.startswith("@"):
        handle = searchable(token[1:].rstrip(_TRAILING))
        if not handle or handle.startswith("@"):
            return False
        out["authors"].add(handle)
        return True
    if m := _URGENCY.fullmatch(token):
        urgency = _urgencies(m[1])
        if urgency:
            out["urgency"] |= urgency
        return urgency is not None
    if (m := _KEY.fullmatch(token.rstrip(",;"))) and m[1].lower() in _PLATFORMS:
        out["keys"].add(f"{m[1].lower()}:{m[2]}")  # the id as typed: ids tell case apart
        return True
    return False


def parse(typed: str) -> Search:
    """The search box's text as conditions (see the module docstring). Never fails: what
    makes no condition is searched as words."""
    found = _found()
    kept: list[Term] = []
    for m in _TOKEN.finditer(typed):
        phrase, token = m[1], m[2]
        if token is not None and _special(token, found):
            continue
        words = _words(phrase if phrase is not None else token)
        if words:
            kept.append(Term(tuple(words)))
    return Search(
        tuple(dict.fromkeys(kept)),
        frozenset(found["tags"]),
        frozenset(found["authors"]),
        frozenset(found["keys"]),
        frozenset(found["urgency"]),
    )


@lru_cache(maxsize=256)
def terms(text: str) -> tuple[Term, ...]:
    """The words and phrases of an `InboxFilter.text`: every token a word (no `#`, `@`, key
    or urgency is read here: those are the filter's own fields)."""
    kept: list[Term] = []
    for m in _TOKEN.finditer(text):
        words = _words(m[1] if m[1] is not None else m[2])
        if words:
            kept.append(Term(tuple(words)))
    return tuple(dict.fromkeys(kept))
