"""Spike detection: is the last interval unusual against a rolling baseline? Pure.

It judges `Interval` counts: how many mentions, how many negative, how many held each trigger
keyword and each word. The counts come from points (`suggest`) or from the store's counters
kept as mentions arrive (`judge`), so detection never reads the mentions themselves.

Mentions are counted per interval. The latest interval is compared with the ones before it:
volume against mean + k·σ, the negative share against the baseline's share, and each trigger
keyword against its minimum count. The highest playbook level whose triggers fire is
suggested — never applied — with the evidence a PR lead needs to decide.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from crisis_console.core.playbook.playbook import Playbook

_WORD = re.compile(r"[a-z][a-z']{3,}")
_STOPWORDS = frozenset(
    "this that with have from your just been they what when will about there their would "
    "could were them then than into only also very really still after again because".split()
)


@dataclass(frozen=True, slots=True)
class Point:
    """One mention as spike detection sees it."""

    at: datetime
    negative: bool
    text: str  # lower-cased


@dataclass(frozen=True, slots=True)
class Suggestion:
    level: int
    level_name: str
    interval_start: datetime
    interval_end: datetime
    count: int
    baseline_mean: float
    baseline_sd: float
    negative_share: float
    baseline_negative_share: float
    reasons: tuple[str, ...]
    top_terms: tuple[tuple[str, int], ...]

    def evidence(self) -> str:
        terms = ", ".join(f"{t} ({n})" for t, n in self.top_terms) or "none"
        return (
            f"{self.count} mentions in {self.interval_start:%H:%M}–{self.interval_end:%H:%M} "
            f"against a baseline of {self.baseline_mean:.1f} ± {self.baseline_sd:.1f}; "
            f"negative share {self.negative_share:.0%} against {self.baseline_negative_share:.0%}; "
            f"top terms: {terms}"
        )


@dataclass(slots=True)
class Interval:
    """What arrived in one interval (or minute): counts only."""

    count: int = 0
    negative: int = 0
    keywords: Counter[str] = field(default_factory=Counter)  # mentions holding each keyword
    words: Counter[str] = field(default_factory=Counter)  # mentions holding each word

    def add(self, negative: bool, text: str, keywords: Iterable[str]) -> None:
        """Count one mention; `text` lower-cased."""
        self.count += 1
        self.negative += negative
        held, words = _counted(text, tuple(keywords))
        self.keywords.update(held)
        self.words.update(words)

    def merge(self, other: Interval) -> None:
        self.count += other.count
        self.negative += other.negative
        self.keywords.update(other.keywords)
        self.words.update(other.words)


@lru_cache(maxsize=4_096)
def _counted(text: str, keywords: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The keywords a text holds and its words (each once, no stopwords): kept for the texts
    seen lately, as a storm repeats one text many times."""
    held = tuple(k for k in keywords if _keyword(k).search(text))
    return held, tuple(w for w in set(_WORD.findall(text)) if w not in _STOPWORDS)


@lru_cache(maxsize=512)
def _keyword(keyword: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(keyword) + r"(?!\w)")


def trigger_keywords(playbook: Playbook) -> tuple[str, ...]:
    """Every keyword any level's triggers watch, in playbook order."""
    found: dict[str, None] = {}
    for level in playbook.levels:
        if level.triggers is not None:
            found.update(dict.fromkeys(level.triggers.keywords))
    return tuple(found)


def suggest(
    points: Iterable[Point], now: datetime, playbook: Playbook, current_level: int
) -> Suggestion | None:
    """The highest level above `current_level` whose triggers fire in the latest interval."""
    rules = playbook.spike
    if rules is None:
        return None
    width = timedelta(minutes=rules.interval_minutes)
    start = now - width * (rules.baseline_intervals + 1)
    keywords = trigger_keywords(playbook)
    intervals = [Interval() for _ in range(rules.baseline_intervals + 1)]
    for point in points:
        if start <= point.at < now:
            intervals[int((point.at - start) / width)].add(point.negative, point.text, keywords)
    return judge(intervals, now, playbook, current_level)


def judge(
    intervals: Sequence[Interval], now: datetime, playbook: Playbook, current_level: int
) -> Suggestion | None:
    """`intervals`: the baseline's, oldest first, then the latest one, which ends at `now`."""
    rules = playbook.spike
    if rules is None:
        return None
    width = timedelta(minutes=rules.interval_minutes)
    latest, baseline = intervals[-1], intervals[:-1]
    counts = [b.count for b in baseline]
    mean = statistics.fmean(counts)
    sd = statistics.pstdev(counts)
    base_total = sum(counts)
    base_share = sum(b.negative for b in baseline) / base_total if base_total else 0.0
    share = latest.negative / latest.count if latest.count else 0.0
    chosen: tuple[int, str, list[str]] | None = None
    for level in playbook.levels:
        t = level.triggers
        if level.number <= current_level or t is None:
            continue
        fired: list[str] = []
        big_enough = latest.count >= rules.min_count
        # A flat baseline has no spread; treat one mention as the least meaningful step.
        if (
            t.volume_sigma is not None
            and big_enough
            and latest.count > mean + t.volume_sigma * max(sd, 1.0)
        ):
            fired.append(f"volume {latest.count} > {mean:.1f} + {t.volume_sigma:g}σ")
        if (
            t.negative_share_rise is not None
            and big_enough
            and share - base_share >= t.negative_share_rise
        ):
            fired.append(f"negative share {share:.0%}, up from {base_share:.0%}")
        for keyword in t.keywords:
            hits = latest.keywords[keyword]
            if hits >= t.keyword_min:
                fired.append(f"'{keyword}' in {hits} mentions")
        if fired:
            chosen = (level.number, level.name, fired)
    if chosen is None:
        return None
    return Suggestion(
        chosen[0],
        chosen[1],
        now - width,
        now,
        latest.count,
        mean,
        sd,
        share,
        base_share,
        tuple(chosen[2]),
        tuple(latest.words.most_common(5)),
    )
