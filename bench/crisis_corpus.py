"""A JSONL corpus of mention records in the documented input format (README, "Mention input
format"), for `bench.crisis_bench`: a stated share of harm posts, mixed platforms and
authors, `created_at` spread over the hours before `now` (oldest first), unique native ids.

`SqliteReference` is what `bench.crisis_bench` compares the store with: the same records
through the same parser and triage, kept in one sqlite3 file in WAL mode.

Harm texts are the shipped texts (demo data, labelled sets) that the shipped classifier
escalates; the rest are those it does not. Every text written, variants included, is checked
with the real `Triager`, so the harm share is what the classifier will see.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.corpus import EMOJI, HANDLES, base_texts
from crisis_console.core.archive.audit_verify import digest as _digest
from crisis_console.core.intake.ingest import Parsed, read_jsonl
from crisis_console.core.models import Mention, Platform, StoredMention, stored_to_record
from crisis_console.core.service import DEFAULT_BATCH
from crisis_console.core.triage.routing import Triager

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
    # In the order a collector delivers them: oldest first.
    times = sorted(now - SPREAD * rnd.random() for _ in range(size))
    with path.open("w", encoding="utf-8") as out:
        for n in range(size):
            platform = rnd.choice(PLATFORMS)
            author = int(rnd.paretovariate(1.2) * 7) % authors
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
                "created_at": times[n].strftime("%Y-%m-%dT%H:%M:%SZ"),
                "url": f"https://{platform.value}.example/p/{native}",
                "engagement": {"likes": rnd.randrange(50), "shares": rnd.randrange(5)},
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return harm_count


# --- the sqlite3 reference ---------------------------------------------------------------

SCHEMA = """
CREATE TABLE mentions (key TEXT PRIMARY KEY, author TEXT, doc TEXT NOT NULL);
CREATE TABLE audit (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, line TEXT NOT NULL);
CREATE TABLE alarms (key TEXT PRIMARY KEY, raised_at TEXT, ack_due TEXT, acked_by TEXT);
CREATE TABLE claims (key TEXT PRIMARY KEY, holder TEXT, since TEXT, expires TEXT);
CREATE TABLE due (at TEXT, kind TEXT, key TEXT);
CREATE INDEX due_at ON due (at);
"""


class SqliteReference:
    """The same logical work in one sqlite3 file: parse, triage, mention rows, hash-chained
    audit rows (as `core/audit.py`), alarm rows and due reminders, one transaction per batch;
    a claim is one conditional upsert, an audit row and a reminder, in one transaction."""

    def __init__(self, path: Path, triager: Triager, synchronous: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.db.executescript(SCHEMA)
        self.triager, self.seq, self.prev = triager, 0, "0" * 64
        self.authors: Counter[str] = Counter()

    def _audit(self, action: str, subject: str, at: datetime, data: dict[str, object]) -> None:
        self.seq += 1
        record = {"seq": self.seq, "at": at.isoformat(), "actor": "bench", "action": action,
                  "subject": subject, "data": data, "prev": self.prev}  # fmt: skip
        record["hash"] = self.prev = _digest(record)
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        self.db.execute("INSERT INTO audit VALUES (?, ?, ?)", (self.seq, self.prev, line))

    def ingest(self, corpus: Path, mark: Callable[[int], None]) -> None:
        """Store every record of `corpus`; `mark(n)` after each batch of n is committed."""
        batch: list[Parsed] = []
        with corpus.open("rb") as lines:
            for item in read_jsonl(lines, str(corpus), datetime.now(UTC)):
                batch += [item] if isinstance(item, Parsed) else []
                if len(batch) == DEFAULT_BATCH:
                    self._batch(batch, mark)
                    batch = []
        self._batch(batch, mark)

    def _batch(self, batch: list[Parsed], mark: Callable[[int], None]) -> None:
        now = datetime.now(UTC)
        ack = now + timedelta(minutes=self.triager.playbook.alarm_ack_minutes)
        self.db.execute("BEGIN")
        for parsed in batch:
            mention = parsed.mention
            if self.db.execute("SELECT 1 FROM mentions WHERE key = ?", (mention.key,)).fetchone():
                continue
            author = f"{mention.platform.value}:{mention.author}"
            triage = self.triager.triage(mention, self.authors[author], 0)
            self.authors[author] += 1
            record = stored_to_record(StoredMention(triage, now))
            doc = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            self.db.execute("INSERT INTO mentions VALUES (?, ?, ?)", (mention.key, author, doc))
            self._audit("mention.ingested", mention.key, now, {"source": parsed.source, **record})
            due = [(triage.deadline.isoformat(), "sla", mention.key)]
            if triage.classification.escalate:
                row = (mention.key, now.isoformat(), ack.isoformat(), "")
                self.db.execute("INSERT INTO alarms VALUES (?, ?, ?, ?)", row)
                self._audit("alarm.raised", mention.key, now, {"summary": mention.text[:140]})
                due.append((ack.isoformat(), "alarm", mention.key))
            self.db.executemany("INSERT INTO due VALUES (?, ?, ?)", due)
        self.db.execute("COMMIT")
        mark(len(batch))

    def claim(self, key: str) -> None:
        now = datetime.now(UTC)
        expires = (now + timedelta(minutes=30)).isoformat()
        self.db.execute("BEGIN IMMEDIATE")
        taken = self.db.execute(  # only a stored mention; free, expired, or already mine
            "INSERT INTO claims SELECT key, 'bench', ?, ? FROM mentions WHERE key = ? "
            "ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, since = excluded.since, "
            "expires = excluded.expires "
            "WHERE claims.expires <= excluded.since OR claims.holder = excluded.holder",
            (now.isoformat(), expires, key),
        ).rowcount
        self._audit("claim" if taken else "refused", key, now, {"expires": expires})
        self.db.execute("INSERT INTO due VALUES (?, 'claim', ?)", (expires, key))
        self.db.execute("COMMIT")
