"""Spike detection: is the last interval unusual against a rolling baseline? Pure.

Mentions are counted per interval. The latest interval is compared with the ones before it:
volume against mean + k·σ, the negative share against the baseline's share, and each trigger
keyword against its minimum count. The highest playbook level whose triggers fire is
suggested — never applied — with the evidence a PR lead needs to decide.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from crisis_console.core.playbook import Playbook

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


def suggest(
    points: Iterable[Point], now: datetime, playbook: Playbook, current_level: int
) -> Suggestion | None:
    """The highest level above `current_level` whose triggers fire in the latest interval."""
    rules = playbook.spike
    if rules is None:
        return None
    width = timedelta(minutes=rules.interval_minutes)
    start = now - width * (rules.baseline_intervals + 1)
    buckets: list[list[Point]] = [[] for _ in range(rules.baseline_intervals + 1)]
    for point in points:
        if start <= point.at < now:
            buckets[int((point.at - start) / width)].append(point)
    latest, baseline = buckets[-1], buckets[:-1]
    counts = [len(b) for b in baseline]
    mean = statistics.fmean(counts)
    sd = statistics.pstdev(counts)
    base_total = sum(counts)
    base_share = sum(p.negative for b in baseline for p in b) / base_total if base_total else 0.0
    share = sum(p.negative for p in latest) / len(latest) if latest else 0.0
    chosen: tuple[int, str, list[str]] | None = None
    for level in playbook.levels:
        t = level.triggers
        if level.number <= current_level or t is None:
            continue
        fired: list[str] = []
        big_enough = len(latest) >= rules.min_count
        # A flat baseline has no spread; treat one mention as the least meaningful step.
        if (
            t.volume_sigma is not None
            and big_enough
            and len(latest) > mean + t.volume_sigma * max(sd, 1.0)
        ):
            fired.append(f"volume {len(latest)} > {mean:.1f} + {t.volume_sigma:g}σ")
        if (
            t.negative_share_rise is not None
            and big_enough
            and share - base_share >= t.negative_share_rise
        ):
            fired.append(f"negative share {share:.0%}, up from {base_share:.0%}")
        for keyword in t.keywords:
            pattern = re.compile(r"(?<!\w)" + re.escape(keyword) + r"(?!\w)")
            hits = sum(1 for p in latest if pattern.search(p.text))
            if hits >= t.keyword_min:
                fired.append(f"'{keyword}' in {hits} mentions")
        if fired:
            chosen = (level.number, level.name, fired)
    if chosen is None:
        return None
    words = Counter(w for p in latest for w in set(_WORD.findall(p.text)) if w not in _STOPWORDS)
    return Suggestion(
        chosen[0],
        chosen[1],
        now - width,
        now,
        len(latest),
        mean,
        sd,
        share,
        base_share,
        tuple(chosen[2]),
        tuple(words.most_common(5)),
    )
