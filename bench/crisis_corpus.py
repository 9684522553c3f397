"""A JSONL corpus of mention records in the documented input format (README, "Mention input
format"), for `bench.crisis_bench`: a stated share of harm posts, mixed platforms and
authors, `created_at` spread over the hours before `now`, unique native ids.

Harm texts are the shipped texts (demo data, labelled sets) that the shipped classifier
escalates; the rest are those it does not. Every text written, variants included, is checked
with the real `Triager`, so the harm share is what the classifier will see.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

from bench.corpus import EMOJI, HANDLES, base_texts
from crisis_console.core.models import Mention, Platform
from crisis_console.core.routing import Triager

PLATFORMS = [
    Platform.X,
    Platform.X,
    Platform.X,
    Platform.FACEBOOK,
    Platform.INSTAGRAM,
    Platform.TIKTOK,
    Platform.YOUTUBE,
    Platform.REDDIT,
    Platform.MASTODON,
    Platform.BLUESKY,
]
NAMES = ["Dan", "Maya", "Priya", "Lee", "Sam", "Noor", "Helen", "Omar", "Jess", "Tom", "Ana"]
SPREAD = timedelta(hours=6)  # created_at falls in the last six hours before `now`


class Pools:
    """The shipped texts, split by whether the real triage escalates them."""

    def __init__(self, triager: Triager, now: datetime) -> None:
        self.triager, self.now = triager, now
        self.harm: list[str] = []
        self.other: list[str] = []
        for text in dict.fromkeys(base_texts()):
            (self.harm if self.escalates(text) else self.other).append(text)

    def escalates(self, text: str) -> bool:
        mention = Mention("probe", Platform.X, text, self.now)
        return self.triager.triage(mention).classification.escalate

    def pick(self, rnd: random.Random, harm: bool) -> str:
        """A text from the right pool, sometimes varied; a variant that changes whether it
        escalates is dropped for the plain text."""
        text = rnd.choice(self.harm if harm else self.other)
        roll = rnd.random()
        if roll < 0.15:
            variant = f"{rnd.choice(HANDLES)} {text}"
        elif roll < 0.25:
            variant = f"{text} {rnd.choice(EMOJI) * rnd.randint(1, 3)}"
        else:
            return text
        return variant if self.escalates(variant) == harm else text


def write_corpus(
    path: Path, size: int, harm_share: float, now: datetime, triager: Triager, seed: int = 11
) -> int:
    """Write `size` records to `path`; return how many are harm posts."""
    rnd = random.Random(seed)
    pools = Pools(triager, now)
    harm_count = round(size * harm_share)
    harmful = set(rnd.sample(range(size), harm_count))
    authors = max(50, size // 6)  # a few prolific authors, a long tail of one-off posters
    with path.open("w", encoding="utf-8") as out:
        for n in range(size):
            platform = rnd.choice(PLATFORMS)
            author = int(rnd.paretovariate(1.2) * 7) % authors
            created = now - SPREAD * rnd.random()
            native = f"cb{n:08d}"
            record = {
                "id": native,
                "platform": platform.value,
                "kind": "post",
                "text": pools.pick(rnd, n in harmful),
                "author": f"fan{author}",
                "author_name": NAMES[author % len(NAMES)],
                "followers": int(rnd.paretovariate(1.1) * 50),
                "verified": rnd.random() < 0.02,
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "url": f"https://{platform.value}.example/p/{native}",
                "engagement": {"likes": rnd.randrange(50), "shares": rnd.randrange(5)},
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return harm_count
