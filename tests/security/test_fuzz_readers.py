"""Issue 15, point 10: no value from a stranger aborts an ingest. Every reader — JSON Lines
(our records and each platform's objects), CSV and the webhook's body — is fed generated
hostile values (huge numbers, lone surrogates, dates at the edges of time, wrong types,
control characters, deep nesting, bytes that are not UTF-8) between two good records: none
raises, and both good records are kept. What the readers accept is then stored through the
real ingest, which must not raise either.

The generator is seeded (`random.Random`), so a failure reproduces; 40,000 generated records
per reader, 120,000 in all, most of them a good record with one or two fields made hostile."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from crisis_console.core.intake.csv_ingest import open_csv
from crisis_console.core.intake.ingest import Parsed, read_jsonl
from crisis_console.core.intake.webhook import parse_body
from tests.conftest import NOW, ServiceFactory, record

PER_READER, PER_BATCH = 40_000, 200
GOOD = [record("good1", "Where is my parcel?"), record("good2", "Love it, thanks")]
EDGES = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:30:00-01:00",
    "2026-02-30T10:00:00Z",
    "1970-01-01T00:00:00Z",
    "now",
    "",
    "2026-03-14T25:61:00Z",
    "2026-03-14T10:00:00Z",
]
ODD = [
    "\x1b[2J",
    "\u202egpj.exe",
    "{{ 7*7 }}",
    "[b]x[/b]",
    "\x00",
    "TODO",
    "\ud800",
    "\udfff x",
    "🔥" * 300,
    "a" * 70_000,
    " ",
    "\n\n",
    "NaN",
    "-1",
    "1,234",
    "1.2K",
    "9" * 5000,
]
SHAPES = ["data", "includes", "content", "account", "kind", "post", "uri", "record", "reblog",
          "note_tweet", "replies", "thread", "feed"]  # fmt: skip


class Hostile:
    """Seeded generated values: every kind a stranger's JSON can hold, and worse."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def scalar(self) -> Any:
        r = self.rng
        kind = r.randrange(8)
        if kind == 0:
            return None
        if kind == 1:
            return r.random() < 0.5
        if kind == 2:
            return r.randint(-(2**70), 2**70)
        if kind == 3:
            return 10 ** r.randint(15, 400)
        if kind == 4:
            return r.choice([float("inf"), float("-inf"), float("nan"), 1e308, -0.0])
        if kind == 5:
            return r.choice(ODD)
        if kind == 6:
            return r.choice(EDGES)
        return "".join(chr(r.randint(0, 0x10FFFF)) for _ in range(r.randint(0, 12)))

    def value(self, depth: int = 0) -> Any:
        r = self.rng
        if depth > 3 or r.random() < 0.6:
            return self.scalar()
        if r.random() < 0.5:
            return [self.value(depth + 1) for _ in range(r.randint(0, 3))]
        keys = [*SHAPES, "id", "text", "created_at", "followers", r.choice(ODD)]
        return {r.choice(keys): self.value(depth + 1) for _ in range(r.randint(0, 4))}

    def record(self, n: int) -> Any:
        """Mostly a good record with one or two fields made hostile; sometimes anything."""
        r = self.rng
        if r.random() < 0.15:
            return self.value()
        good = record(f"f{n}", f"post {n} about a parcel", author=f"user{n % 50}")
        for _ in range(r.randint(1, 2)):
            good[r.choice([*good, "engagement", "deleted", "kind", "url", *SHAPES[:3]])] = (
                self.value()
            )
        return good


def line_of(value: Any, rng: random.Random) -> bytes:
    """One JSONL line: JSON as any writer might give it, or bytes that are not."""
    if rng.random() < 0.03:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 30)))
    try:
        text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    except ValueError:  # nan is fine; a float json cannot write never happens; be safe
        text = repr(value)
    return text.encode("utf-8", "surrogatepass")


def batches(seed: int) -> Iterator[tuple[random.Random, list[Any]]]:
    hostile = Hostile(seed)
    for start in range(0, PER_READER, PER_BATCH):
        yield hostile.rng, [hostile.record(start + i) for i in range(PER_BATCH)]


def kept(items: list[Any]) -> set[str]:
    return {i.mention.native_id for i in items if isinstance(i, Parsed)}


def test_json_lines_never_raise_and_keep_the_good() -> None:
    for rng, hostile in batches(1):
        lines = [json.dumps(GOOD[0]).encode(), *(line_of(v, rng) for v in hostile)]
        lines.append(json.dumps(GOOD[1]).encode())
        assert {"good1", "good2"} <= kept(list(read_jsonl(lines, "fuzz.jsonl", NOW)))


def cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("\n", " ")


def test_csv_never_raises_and_keeps_the_good() -> None:
    header = "id,platform,author,text,created_at,followers,likes,verified"
    columns = header.split(",")
    for rng, hostile in batches(2):
        rows = []
        for value in hostile:
            source = value if isinstance(value, dict) else {"text": value}
            cells = [cell(source.get(c, "")) for c in columns]
            quoted = [f'"{c}"' if rng.random() < 0.2 else c for c in cells]
            rows.append(",".join(quoted))
        text = "\n".join([header, "good1,x,dan,Where is my parcel?,2026-03-14T10:00:00Z,10,1,no"])
        lines = [(line + "\n").encode("utf-8", "surrogatepass") for line in text.split("\n")]
        lines += [(row + "\n").encode("utf-8", "surrogatepass") for row in rows]
        items = list(open_csv(lines, "fuzz.csv").records(NOW))
        # A hostile row may open a quote it never closes: the rows after it are named as
        # not read, never stored wrong.
        assert "good1" in kept(items)


def test_a_webhook_body_never_raises_and_keeps_the_good() -> None:
    for rng, hostile in batches(3):
        if rng.random() < 0.5:
            body = json.dumps([GOOD[0], *hostile, GOOD[1]], ensure_ascii=rng.random() < 0.5)
            items = list(parse_body(body.encode("utf-8", "surrogatepass"), NOW))
            if not kept(items):
                continue  # an array that as a whole is not UTF-8 is refused whole
        else:
            lines = [json.dumps(GOOD[0]).encode(), *(line_of(v, rng) for v in hostile)]
            items = list(parse_body(b"\n".join([*lines, json.dumps(GOOD[1]).encode()]), NOW))
        assert {"good1", "good2"} <= kept(items)


@pytest.mark.parametrize("seed", [4, 5])
def test_what_the_readers_accept_is_stored_without_a_traceback(
    make_service: ServiceFactory, seed: int
) -> None:
    """Every record a reader accepts from generated input goes through the real ingest
    (triage, audit, store, alarms): nothing it accepted can fail there."""
    hostile = Hostile(seed)
    lines = [line_of(hostile.record(n), hostile.rng) for n in range(3000)]
    accepted = [i for i in read_jsonl(lines, "fuzz.jsonl", NOW) if isinstance(i, Parsed)]
    assert len(accepted) > 500, len(accepted)  # the generator does make acceptable records
    service = make_service()
    report = service.ingest(iter(accepted))
    stored = report.new + report.duplicates + report.updated + report.deleted
    assert report.rejected == 0 and stored == len(accepted)
    assert service.verify_audit().ok
