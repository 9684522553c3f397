"""Measuring risk-of-harm escalation on posts labelled with their kind of harm (or none):
for each kind and each language, how many were escalated (recall), and how many posts that
are no risk of harm were escalated anyway (false escalations).

A labelled row is harm when its label names a kind (`harm.KINDS`); an empty label, "none"
or "null" is no harm. What counts is escalation, the promise to the lead; the kind the
classifier named is reported beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crisis_console.core.models import Classification
from crisis_console.core.triage.harm import HARM_REASON, KINDS

NO_HARM = ("", "none", "null", "no", "false")
_BY_SAYS = {kind.says: name for name, kind in KINDS.items()}


def kind_of(label: Any) -> str | None:
    """The kind a gold label names, None for no harm; a label that is neither raises."""
    text = "" if label is None else str(label).strip().lower()
    if text in NO_HARM:
        return None
    if text not in KINDS:
        raise ValueError(f"'{text}' is not a kind of harm ({', '.join(KINDS)}) nor none")
    return text


def kinds_named(c: Classification) -> list[str]:
    """The kinds of harm the classifier's reasons name as counted."""
    found = []
    for reason in c.reasons:
        if reason.startswith(HARM_REASON):
            says = reason[len(HARM_REASON) :].split(":")[0].split(" (")[0]
            if says in _BY_SAYS:
                found.append(_BY_SAYS[says])
    return found


@dataclass(frozen=True, slots=True)
class Scored:
    gold: str | None  # the kind, None for no harm
    language: str
    escalated: bool
    named: tuple[str, ...]  # the kinds the classifier named


@dataclass(slots=True)
class Recall:
    total: int = 0
    escalated: int = 0
    named: int = 0  # escalated naming the gold kind

    @property
    def recall(self) -> float:
        return self.escalated / self.total if self.total else 0.0


@dataclass(slots=True)
class HarmEvaluation:
    kinds: dict[str, Recall] = field(default_factory=dict)
    languages: dict[str, Recall] = field(default_factory=dict)
    harm: Recall = field(default_factory=Recall)
    others: int = 0  # rows that are no risk of harm
    false_escalations: int = 0
    misses: list[str] = field(default_factory=list)  # ids of harm rows not escalated
    false_alarms: list[str] = field(default_factory=list)

    @property
    def false_rate(self) -> float:
        return self.false_escalations / self.others if self.others else 0.0

    def to_json(self) -> dict[str, Any]:
        def figures(r: Recall) -> dict[str, Any]:
            return {"total": r.total, "escalated": r.escalated, "recall": round(r.recall, 4)}

        return {
            "task": "harm",
            "harm": figures(self.harm),
            "kinds": {k: figures(r) for k, r in self.kinds.items()},
            "languages": {k: figures(r) for k, r in self.languages.items()},
            "not_harm": self.others,
            "false_escalations": self.false_escalations,
            "false_rate": round(self.false_rate, 4),
            "misses": self.misses,
            "false_alarms": self.false_alarms,
        }


def evaluate_harm(rows: Iterable[tuple[str, Scored]]) -> HarmEvaluation:
    """(row id, what was scored) -> the figures."""
    e = HarmEvaluation(kinds={k: Recall() for k in KINDS})
    for row_id, s in rows:
        if s.gold is None:
            e.others += 1
            if s.escalated:
                e.false_escalations += 1
                e.false_alarms.append(row_id)
            continue
        for tally in (e.kinds[s.gold], e.languages.setdefault(s.language, Recall()), e.harm):
            tally.total += 1
            tally.escalated += s.escalated
            tally.named += s.escalated and s.gold in s.named
        if not s.escalated:
            e.misses.append(row_id)
    e.languages = dict(sorted(e.languages.items(), key=lambda kv: (kv[0] != "en", kv[0])))
    return e


def format_harm(e: HarmEvaluation, skipped: int = 0) -> str:
    """The figures as a plain-text table a person reads."""
    lines = [
        f"task harm: {e.harm.total} risk-of-harm rows, {e.others} others, {skipped} skipped",
        f"risk-of-harm recall {e.harm.recall:.3f} ({e.harm.escalated} of {e.harm.total} "
        f"escalated); false escalations {e.false_escalations} of {e.others} "
        f"({e.false_rate:.1%})",
        "",
        f"{'kind':<16}{'rows':>6}{'escalated':>11}{'recall':>8}{'kind named':>12}",
    ]
    lines += _rows(e.kinds)
    lines += ["", f"{'language':<16}{'rows':>6}{'escalated':>11}{'recall':>8}{'kind named':>12}"]
    lines += _rows(e.languages)
    return "\n".join(lines) + "\n"


def _rows(tallies: Mapping[str, Recall]) -> list[str]:
    return [
        f"{name:<16}{r.total:>6}{r.escalated:>11}{r.recall:>8.3f}{r.named:>12}"
        for name, r in tallies.items()
        if r.total
    ]


def language_of(fields: Mapping[str, Any]) -> str:
    return str(fields.get("language") or fields.get("lang") or "?").strip().lower() or "?"
