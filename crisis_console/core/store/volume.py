"""Counters kept as mentions arrive: per minute of creation, how many, how many negative, and
how many held each trigger keyword and each word.

Spike detection and the console's activity sparklines read these (a few small files for the
last hours) instead of the mentions, so their cost does not grow with the store. A file per
hour (`volume/2026112907.json`, TinyDB's layout, a document per minute); a batch rewrites the
hours its mentions were created in.

Counts are evidence, not records: a crash between storing a batch and counting it leaves that
batch uncounted (never counted twice). Keywords are counted as the playbook in force names
them when a mention arrives. Each minute keeps its `KEEP_WORDS` most frequent words.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from crisis_console.core.errors import StoreError
from crisis_console.core.store.jsonfile import AtomicJSONStorage
from crisis_console.core.triage.spikes import Interval

KEEP_WORDS = 40
_MINUTE = "%Y-%m-%dT%H:%M"


def minute_of(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(second=0, microsecond=0)


class VolumeCounts:
    """See the module docstring. `stats` counts the minutes read (for tests)."""

    def __init__(self, folder: Path, read_only: bool = False) -> None:
        self.folder, self.read_only = folder, read_only
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()  # an hour's file is read, merged and rewritten

    def _path(self, hour: str) -> Path:
        return self.folder / f"{hour}.json"

    def _read(self, hour: str) -> dict[str, Interval]:
        path = self._path(hour)
        if not path.exists():
            return {}
        with TinyDB(str(path), storage=AtomicJSONStorage, cache=False) as db:
            docs = db.all()
        self.stats["minutes_read"] += len(docs)
        return {d["m"]: counts_from(d) for d in docs}

    def add(self, mentions: Iterable[tuple[datetime, bool, str]], keywords: Iterable[str]) -> None:
        """Count new mentions: (created at, negative?, lower-cased text)."""
        by_minute = counted(mentions, keywords)
        if not by_minute:
            return
        if self.read_only:
            raise StoreError(f"{self.folder} was opened read-only")
        self.folder.mkdir(parents=True, exist_ok=True)
        by_hour: dict[str, dict[str, Interval]] = {}
        for minute, counts in by_minute.items():
            by_hour.setdefault(minute.strftime("%Y%m%d%H"), {})[minute.strftime(_MINUTE)] = counts
        with self._lock:
            self._merge(by_hour)

    def _merge(self, by_hour: dict[str, dict[str, Interval]]) -> None:
        for hour, fresh in by_hour.items():
            minutes = self._read(hour)
            for name, counts in fresh.items():
                minutes.setdefault(name, Interval()).merge(counts)
            docs = {str(i): counts_doc(m, c) for i, (m, c) in enumerate(sorted(minutes.items()), 1)}
            AtomicJSONStorage(str(self._path(hour))).write({"_default": docs})

    def minutes(self) -> Iterator[tuple[datetime, Interval]]:
        """Every minute counted, oldest first, an hour's file at a time (moving a folder)."""
        hours = sorted(p.stem for p in self.folder.glob("*.json")) if self.folder.is_dir() else []
        for hour in hours:
            for name, counts in sorted(self._read(hour).items()):
                yield datetime.strptime(name, _MINUTE).replace(tzinfo=UTC), counts

    def intervals(self, end: datetime, width: timedelta, count: int) -> list[Interval]:
        """`count` intervals of `width` ending at `end` (to the minute), oldest first."""
        end = minute_of(end)
        start = end - width * count
        out = [Interval() for _ in range(count)]
        hour = start.replace(minute=0)
        while hour < end:
            for name, counts in self._read(hour.strftime("%Y%m%d%H")).items():
                at = datetime.strptime(name, _MINUTE).replace(tzinfo=UTC)
                if start <= at < end:
                    out[int((at - start) / width)].merge(counts)
            hour += timedelta(hours=1)
        return out


def counted(
    mentions: Iterable[tuple[datetime, bool, str]], keywords: Iterable[str]
) -> dict[datetime, Interval]:
    """Mentions (created at, negative?, lower-cased text) counted by minute of creation."""
    keywords = tuple(keywords)
    by_minute: dict[datetime, Interval] = {}
    for at, negative, text in mentions:
        by_minute.setdefault(minute_of(at), Interval()).add(negative, text, keywords)
    return by_minute


def counts_doc(minute: str, c: Interval) -> dict[str, Any]:
    return {
        "m": minute,
        "n": c.count,
        "neg": c.negative,
        "kw": dict(c.keywords),
        "w": dict(c.words.most_common(KEEP_WORDS)),
    }


def counts_from(d: dict[str, Any]) -> Interval:
    return Interval(d["n"], d["neg"], Counter(d["kw"]), Counter(d["w"]))
