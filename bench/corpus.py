"""A fixed, varied corpus of brand mentions for the benchmarks, built from the texts that ship
with the project: the demo data and the labelled sets. Deterministic for a given size.

It mixes what a spike really brings: short and long posts, emoji, SHOUTING, links, handles,
and retweet storms — the same text, or "RT @someone: text", over and over.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from crisis_console import config

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    config.demo_data_file(),
    ROOT / "tests" / "data" / "devset.jsonl",
    ROOT / "tests" / "data" / "holdout.jsonl",
]
EMOJI = ["😡", "🙄", "😂", "🔥", "👎", "🙏", "😭", "❤", "💀", "✈️", "📦", "😤"]
HANDLES = ["@brightwell", "@SkyLarkAir", "@NovaMobile", "@QuickBite", "@HarborBank", "@support"]


def base_texts() -> list[str]:
    texts: list[str] = []
    for path in SOURCES:
        for line in path.read_text(encoding="utf-8").splitlines():
            texts.append(json.loads(line)["text"])
    return texts


def build(size: int = 12_000, seed: int = 7) -> list[str]:
    """`size` texts; about two in five come from retweet storms."""
    rnd = random.Random(seed)
    base = base_texts()
    out: list[str] = []
    while len(out) < size:
        text = rnd.choice(base)
        roll = rnd.random()
        if roll < 0.15:
            text = f"{rnd.choice(HANDLES)} {text}"
        elif roll < 0.25:
            text = f"{text} https://t.example/{rnd.randrange(10**6):06d}"
        elif roll < 0.32:
            text = text.upper()
        elif roll < 0.42:
            text = f"{text} {rnd.choice(EMOJI) * rnd.randint(1, 3)}"
        elif roll < 0.47:
            text = " ".join(rnd.sample(base, 4))  # a long post
        elif roll < 0.52:
            text = text.split(".")[0][:40]  # a short one
        if rnd.random() < 0.01:  # a storm: this text again and again
            storm = [text if rnd.random() < 0.5 else f"RT @user{rnd.randrange(50)}: {text}"
                     for _ in range(rnd.randint(20, 120))]  # fmt: skip
            out.extend(storm)
        else:
            out.append(text)
    return out[:size]
