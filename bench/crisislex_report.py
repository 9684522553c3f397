"""CrisisLexT26 as a real-world check of harm detection (issue 16), never tuned on.

Run: python -m bench.crisislex_report [--dir ../shared/data/crisislext26]

Public tweets from 25 disasters (MIT licence; see the data's README), labelled by crowd
workers with an information type. A post of "Affected individuals" (people hurt, trapped,
missing) or "Caution and advice" (warnings, evacuations) is one a crisis desk must see at
once: the figure is how many of them the shipped general playbook puts at high urgency or
above, and how many it escalates to the lead, per language (as the classifier itself tells
it), beside how many "Not related" posts it raises as far. Each post goes through the real
`Triager`, as `crisis-console triage` would.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from crisis_console import config
from crisis_console.core.models import Mention, Platform, Urgency
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.triage.language import LanguageDetector, name_of
from crisis_console.core.triage.routing import Triager
from crisis_console.core.triage.terms import Words

NOW = datetime(2013, 6, 1, tzinfo=UTC)
MUST_SEE = ("Affected individuals", "Caution and advice")
HIGH = {Urgency.CRITICAL, Urgency.HIGH}


def rows(folder: Path) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for path in sorted(folder.glob("*-tweets_labeled.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, skipinitialspace=True):
                out.append({k.strip(): (v or "").strip() for k, v in row.items() if k})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, default=Path("../shared/data/crisislext26"))
    args = parser.parse_args()
    triager = Triager(load_playbook(config.playbook_path(None)))
    detector = LanguageDetector()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for i, row in enumerate(rows(args.dir)):
        text, kind = row.get("Tweet Text", ""), row.get("Information Type", "")
        related = row.get("Informativeness", "")
        if not text:
            continue
        lowered = text.lower()
        language = detector.language(Words.of(lowered), lowered)
        c = triager.triage(Mention(str(i), Platform.X, text, NOW)).classification
        group = (
            "must see" if kind in MUST_SEE else ("not related" if related == "Not related" else "")
        )
        if not group:
            continue
        tally = counts[language]
        tally[f"{group}"] += 1
        tally[f"{group} high"] += c.urgency in HIGH
        tally[f"{group} escalated"] += c.escalate
    print(f"CrisisLexT26 in {args.dir}: general playbook, {datetime.now(UTC):%Y-%m-%d}")
    header = f"{'language':<12}{'must see':>9}{'>= high':>9}{'escalated':>10}"
    print(header + f"{'not related':>13}{'>= high':>9}{'escalated':>10}")
    total: Counter[str] = Counter()
    for language, tally in sorted(counts.items(), key=lambda kv: -kv[1]["must see"]):
        total.update(tally)
        print(_line(name_of(language), tally))
    print(_line("all", total))


def _line(name: str, t: Counter[str]) -> str:
    def share(part: str, whole: str) -> str:
        return f"{t[part] / t[whole]:.2f}" if t[whole] else "-"

    return (
        f"{name:<12}{t['must see']:>9}{share('must see high', 'must see'):>9}"
        f"{share('must see escalated', 'must see'):>10}{t['not related']:>13}"
        f"{share('not related high', 'not related'):>9}"
        f"{share('not related escalated', 'not related'):>10}"
    )


if __name__ == "__main__":
    main()
