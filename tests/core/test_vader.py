"""Our fast VADER gives exactly vaderSentiment's compound, on thousands of varied texts."""

from __future__ import annotations

import json
import random

import pytest

from crisis_console import config
from crisis_console.core.triage.vader import VaderScorer, reference_analyzer, reference_compound

FUNCTION_WORDS = [
    "no",
    "not",
    "never",
    "without",
    "doubt",
    "but",
    "least",
    "at",
    "very",
    "kind",
    "of",
    "sort",
    "so",
    "this",
    "nor",
    "or",
    "isn't",
    "don't",
    "can't",
    "the",
    "a",
    "and",
    "i",
    "you",
    "it",
    "is",
    "was",
    "really",
    "extremely",
    "barely",
    "kinda",
    "sorta",
    "just",
    "enough",
]
SPECIAL = [
    "the bomb",
    "to die for",
    "bus stop",
    "yeah right",
    "bad ass",
    "kiss of death",
    "cut the mustard",
    "the shit",
]
EMOJI = ["😂", "😍", "💀", "🔥", "👎", "🙄", "❤", "😭", "🙏", "👍", "😡", "✨"]
PUNCT = ["", "", "", "!", "!!", "!!!!!", "?", "??", "????", ".", ",", ":)", ":(", "..."]


def varied_texts(count: int, seed: int = 2026) -> list[str]:
    """Random sentences mixing lexicon words with VADER's rule triggers."""
    rnd = random.Random(seed)
    analyzer = reference_analyzer()
    lexicon = sorted(analyzer.lexicon)  # type: ignore[attr-defined]
    sentiment_words = rnd.sample(lexicon, 600)
    texts = []
    for _ in range(count):
        words = []
        for _ in range(rnd.randint(0, 28)):
            roll = rnd.random()
            if roll < 0.35:
                word = rnd.choice(sentiment_words)
            elif roll < 0.75:
                word = rnd.choice(FUNCTION_WORDS)
            elif roll < 0.82:
                word = rnd.choice(SPECIAL)
            elif roll < 0.9:
                word = rnd.choice(EMOJI) * rnd.randint(1, 2)
            else:
                word = rnd.choice(["delay", "refund", "@brightwell", "https://x.co/a1", "#fail"])
            if rnd.random() < 0.12:
                word = word.upper()
            words.append(word + rnd.choice(PUNCT))
        joiner = rnd.choice([" ", " ", " ", "  ", "\t"])
        texts.append(joiner.join(words) if rnd.random() > 0.05 else "".join(words))
    return texts


def demo_texts() -> list[str]:
    lines = config.demo_data_file().read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines]


@pytest.fixture(scope="module")
def scorer() -> VaderScorer:
    return VaderScorer()


def test_same_compound_as_vadersentiment_on_3000_varied_texts(scorer: VaderScorer) -> None:
    analyzer = reference_analyzer()
    texts = varied_texts(3000) + demo_texts()
    differ = [
        (t, scorer.compound(t), reference_compound(analyzer, t))
        for t in texts
        if scorer.compound(t) != reference_compound(analyzer, t)
    ]
    assert not differ, differ[:5]
    assert len({reference_compound(analyzer, t) for t in texts}) > 500  # the texts really vary


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😂",
        "😂😂abc",
        "a😂 b",
        "NOT GOOD",
        "not bad at all",
        "kind of good but awful",
        "good good but good",
        "the bomb",
        "At least it isn't a horrible book.",
        "no no no love",
    ],
)
def test_edge_cases_match(scorer: VaderScorer, text: str) -> None:
    assert scorer.compound(text) == reference_compound(reference_analyzer(), text)
