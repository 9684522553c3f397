"""The semantic second opinion's judgement: nearest neighbours among labelled examples.

Each kind of harm has one-line example posts (`harm_examples.yaml`), and harmless posts that
share their words sit beside them. A text is judged harm of a kind when its nearest example
of harm is close (cosine ≥ `CLOSE`) and clearly closer than the nearest harmless example
(by `MARGIN`). Both thresholds were chosen on the dev set (`tests/data/harm_dev.jsonl`)
only; the held-out part measures them (bench/README.md). The model reads English: a post
in another language is left to the word lists, which cover six.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from crisis_console.core.errors import PlaybookError, Problem
from crisis_console.core.playbook.yamlfile import load_yaml
from crisis_console.core.triage.embedding import SentenceEmbedder
from crisis_console.core.triage.harm import KINDS, HarmKind

CLOSE = 0.48
MARGIN = 0.20
MEMO = 16_384  # texts whose verdict is kept: a retweet storm is read by the model once
EXAMPLES_FILE = "harm_examples.yaml"


@dataclass(frozen=True, slots=True)
class Opinion:
    """A text judged harm: of which kind, by which example, how close (cosine)."""

    kind: HarmKind
    example: str
    closeness: float

    def reason(self) -> str:
        return (
            f'second opinion: reads like "{self.example}" '
            f"({self.kind.says}, closeness {self.closeness:.2f})"
        )


@dataclass(frozen=True, slots=True)
class Examples:
    harm: tuple[tuple[HarmKind, str], ...]
    harmless: tuple[str, ...]


def load_examples() -> Examples:
    """The shipped examples, every problem named with its line."""
    file = f"triage/{EXAMPLES_FILE}"
    text = (resources.files("crisis_console.core.triage") / EXAMPLES_FILE).read_text("utf-8")
    doc, problems = load_yaml(text, file)
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    harm: list[tuple[HarmKind, str]] = []
    for name, lines in (data.get("harm") or {}).items():
        if name not in KINDS:
            line = doc.line_of(("harm", name)) if doc is not None else 0
            problems.append(Problem(file, line, f"harm.{name}", "not a kind of harm"))
            continue
        harm += [(KINDS[name], str(example)) for example in lines or ()]
    harmless = tuple(str(example) for example in data.get("harmless") or ())
    if not harm or not harmless:
        problems.append(Problem(file, 1, "harm", "needs examples of harm and harmless ones"))
    if problems:
        raise PlaybookError(problems)
    return Examples(tuple(harm), harmless)


class SemanticJudge:
    """Judges texts against the examples. Build once: it loads the model (seconds)."""

    def __init__(self, examples: Examples | None = None) -> None:
        self.examples = examples or load_examples()
        self._embedder = SentenceEmbedder()
        self._vectors = self._embedder.examples(
            [text for _, text in self.examples.harm], self.examples.harmless
        )
        self._memo: dict[str, Opinion | None] = {}

    def opinions(self, texts: Sequence[str]) -> list[Opinion | None]:
        """For each text, an `Opinion` if it reads as harm, else None. Each distinct text
        not judged lately goes through the model once."""
        fresh = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if len(self._memo) + len(fresh) > MEMO:
            self._memo.clear()
            fresh = list(dict.fromkeys(texts))
        for text, near in zip(fresh, self._embedder.nearest(fresh, self._vectors), strict=True):
            self._memo[text] = None
            if near.harm >= CLOSE and near.harm - near.harmless >= MARGIN:
                kind, example = self.examples.harm[near.harm_index]
                self._memo[text] = Opinion(kind, example, near.harm)
        return [self._memo[t] for t in texts]
