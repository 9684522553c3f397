"""`crisis-console eval`: measure the classifier on a labelled CSV or JSONL file."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from crisis_console.cli.io import err
from crisis_console.core.errors import CrisisConsoleError, Problem
from crisis_console.core.models import system_clock
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.service import ConsoleService
from crisis_console.core.text import visible
from crisis_console.core.triage.classify import read_as_english
from crisis_console.core.triage.embedding import EXTRA, missing
from crisis_console.core.triage.evaluate import (
    TASK_LABELS,
    Evaluation,
    LabelledRow,
    evaluate,
    predicted_label,
    read_labelled,
    row_mention,
)
from crisis_console.core.triage.harm_eval import (
    Scored,
    evaluate_harm,
    format_harm,
    kind_of,
    kinds_named,
    language_of,
)
from crisis_console.core.triage.routing import Triager
from crisis_console.core.triage.semantic import SemanticJudge


def add_commands(commands: Any) -> None:
    evaluate = commands.add_parser(
        "eval", help="measure the classifier on a labelled CSV or JSONL file"
    )
    evaluate.add_argument(
        "file",
        help="labelled CSV, or JSONL (.jsonl); or export-corrections: the team's corrections "
        "(reclassify) as labelled JSONL on stdout, or to --out",
    )
    evaluate.add_argument("--text", metavar="FIELD", help="the column with the post")
    evaluate.add_argument("--label", metavar="FIELD", help="the gold-label column")
    evaluate.add_argument("--out", type=Path, help="export-corrections: write to this file")
    evaluate.add_argument(
        "--task",
        choices=[*sorted(TASK_LABELS), "harm"],
        default="sentiment",
        help="harm: the label names the kind of harm, or is empty for none; prints the "
        "risk-of-harm recall per kind and per language (the 'language' field) and the "
        "false escalations",
    )
    evaluate.add_argument(
        "--map",
        nargs="*",
        default=[],
        metavar="GOLD=OURS",
        help="translate gold labels to ours, e.g. neg=negative 'customer service issue=complaint'",
    )
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.add_argument(
        "--second-opinion",
        action="store_true",
        default=argparse.SUPPRESS,  # else it would unset the same flag given before `eval`
        help="harm: also judge what the word lists left, as the semantic second pass does "
        f"(needs the extra: {EXTRA})",
    )


def _label_map(pairs: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        gold, sep, ours = pair.partition("=")
        if not sep or not gold.strip() or not ours.strip():
            raise CrisisConsoleError(f"--map takes GOLD=OURS, not '{pair}'")
        mapping[gold.strip().lower()] = ours.strip().lower()
    return mapping


EXPORT = "export-corrections"


def export_corrections(args: argparse.Namespace, service: ConsoleService, out: IO[str]) -> int:
    """The corrections as JSONL `eval` reads (`--text text --label urgency`, or `category`,
    `sentiment`), audited as data leaving the console."""
    rows = list(service.corrections.corrections())
    body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if args.out is not None:
        args.out.write_text(body, encoding="utf-8")
    else:
        out.write(body)
    where = str(args.out) if args.out is not None else "stdout"
    service.corrections.record_export(len(rows), where)
    err(f"{len(rows)} corrected mention(s) exported to {where}")
    return 0


def run_eval(args: argparse.Namespace, playbook: Playbook, out: IO[str]) -> int:
    missing = [f"--{name}" for name in ("text", "label") if getattr(args, name) is None]
    if missing:
        raise CrisisConsoleError(f"eval {args.file}: needs {' and '.join(missing)}")
    path = Path(args.file)
    if not path.is_file():
        raise CrisisConsoleError(f"cannot read {path}: no such file")
    if args.task == "harm":
        return _run_harm(args, path, Triager(playbook), out)
    triager, mapping = Triager(playbook), _label_map(args.map)
    known = TASK_LABELS[args.task]
    pairs: list[tuple[str, str]] = []
    skipped: list[Problem] = []
    for row in read_labelled(path, args.text, args.label):
        if not isinstance(row, LabelledRow):
            skipped.append(row)
            continue
        gold = mapping.get(row.label, row.label)
        if gold not in known:
            skipped.append(
                Problem(
                    str(path),
                    row.line,
                    args.label,
                    f"label '{visible(gold)}' is not one of {', '.join(known)}; "
                    "translate it with --map",
                )
            )
            continue
        pairs.append((gold, predicted_label(triager, row_mention(row, system_clock()), args.task)))
    result = evaluate(pairs, args.task, known)
    result.skipped = skipped
    if args.json:
        out.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        out.write(format_evaluation(result))
    _report_skipped(skipped)
    return 0 if pairs else 1


def _report_skipped(skipped: list[Problem]) -> None:
    for problem in skipped[:20]:
        err(f"skipped {problem}")
    if len(skipped) > 20:
        err(f"... and {len(skipped) - 20} more skipped rows")


def _run_harm(args: argparse.Namespace, path: Path, triager: Triager, out: IO[str]) -> int:
    scored: list[tuple[str, Scored]] = []
    skipped: list[Problem] = []
    texts: dict[int, str] = {}  # rows the second opinion may judge, by place
    mapping = _label_map(args.map)
    judged = bool(getattr(args, "second_opinion", False))
    if judged and (reason := missing()) is not None:
        raise CrisisConsoleError(reason)
    for row in read_labelled(path, args.text, args.label, empty_label=True):
        if not isinstance(row, LabelledRow):
            skipped.append(row)
            continue
        try:
            gold = kind_of(mapping.get(row.label, row.label))
        except ValueError as exc:
            skipped.append(Problem(str(path), row.line, args.label, visible(str(exc))))
            continue
        c = triager.triage(row_mention(row, system_clock())).classification
        row_id = str(row.fields.get("id") or f"line {row.line}")
        found = Scored(gold, language_of(row.fields), c.escalate, tuple(kinds_named(c)))
        scored.append((row_id, found))
        if not c.escalate and read_as_english(c):
            texts[len(scored) - 1] = row.text
    if judged:
        scored = _with_second_opinion(scored, texts)
    result = evaluate_harm(scored)
    if args.json:
        out.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        out.write(format_harm(result, len(skipped)))
    _report_skipped(skipped)
    return 0 if scored else 1


def _with_second_opinion(
    scored: list[tuple[str, Scored]], texts: dict[int, str]
) -> list[tuple[str, Scored]]:
    """`scored` with each row the semantic judge reads as harm escalated, naming its kind."""
    places = sorted(texts)
    opinions = SemanticJudge().opinions([texts[n] for n in places])
    judged = list(scored)
    for n, opinion in zip(places, opinions, strict=True):
        if opinion is not None:
            row_id, s = judged[n]
            judged[n] = (row_id, replace(s, escalated=True, named=(opinion.kind.name,)))
    return judged


def format_evaluation(e: Evaluation) -> str:
    """The figures as a plain-text table a person reads."""
    lines = [
        f"task {e.task}: {e.rows} rows scored, {len(e.skipped)} skipped",
        f"accuracy {e.accuracy:.3f}   macro-F1 {e.macro_f1:.3f}",
        "",
        f"{'class':<13}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}",
    ]
    for c in e.classes:
        lines.append(f"{c.label:<13}{c.precision:>10.3f}{c.recall:>8.3f}{c.f1:>8.3f}{c.support:>9}")
    labels = list(e.confusion)
    width = max([7, *(len(label) for label in labels)]) + 1
    lines += ["", "confusion (rows: gold, columns: predicted)"]
    lines.append(" " * 13 + "".join(f"{label[: width - 1]:>{width}}" for label in labels))
    for gold in labels:
        counts = "".join(f"{e.confusion[gold][p]:>{width}}" for p in labels)
        lines.append(f"{gold:<13}{counts}")
    return "\n".join(lines) + "\n"
