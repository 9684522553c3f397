"""The thread index: the stored mentions that answer a post (their `in_reply_to`), found by
the key of the post they answer, so that a conversation is read from its own posts and never
from a walk of the store (`core/conversations.py` reads it).

    parent_of(mention)  the key of the post a mention answers, as the index files it
    ThreadIndex         the contract both backends keep (`tests/test_threads_contract.py`)
    TableThreads        a folder's: a post's key -> the keys of the mentions answering it,
                        small files by the key's hash, and a log of what was filed since
    PgThreads           the team database's (`postgres/threads.py`): an index on the
                        mentions' own `in_reply_to` (migration 0012), so the mention's row
                        is the entry and there is nothing else to write or to lose

Ingest files a batch's answers before it saves the batch (`intake/pipeline.py`), after the
batch's audit records: a crash between the two leaves entries for mentions the store does
not hold yet, which recovery stores (and files again, which changes nothing). An entry is a
candidate: a reader keeps only the children whose stored mention still answers that post.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Protocol

from crisis_console.core.models import Mention, Platform, StoredMention
from crisis_console.core.store.jsonfile import write_atomically
from crisis_console.core.store.tables import TableSet

THREADS, THREADS_LOG = "threads", "threads.jsonl"
BUILT = "~built"  # the folder's note that every mention stored before the index is filed
COMPACT_BYTES = 1 << 20  # the folder's log of recent entries: about 20,000 of them
MAX_FILED = 1_000  # answers filed under one post: a viral post's entry stays one small record
_PLATFORMS = frozenset(p.value for p in Platform)

Edge = tuple[str, str]  # (the post answered, the mention answering it)


def parent_of(mention: Mention) -> str:
    """The key of the post `mention` answers ("" for none). The importers write a key
    (`x:123`, `reddit:abc`, `bluesky:did:plc:…/3k…`); an id written bare in a JSON line
    (`123`) is a post of the mention's own platform, as a CSV cell's is (`csv_row._key`); a
    link is kept as written (it names a post, but no key of ours). Nothing is trimmed: the
    team database finds a post's answers by the value as stored."""
    value = mention.in_reply_to
    if not value.strip():
        return ""
    if "://" in value or value.split(":", 1)[0] in _PLATFORMS:
        return value
    return f"{mention.platform.value}:{value}"


def edges(stored: Iterable[StoredMention]) -> list[Edge]:
    """(parent, child) for each of these mentions that answers a post other than itself."""
    out = []
    for s in stored:
        parent = parent_of(s.triage.mention)
        if parent and parent != s.key:
            out.append((parent, s.key))
    return out


def bare_ids(parents: Iterable[str]) -> Iterator[str]:
    """What a child may hold in `in_reply_to` for each of these keys: the key, and the id
    without its platform (see `parent_of`)."""
    for parent in parents:
        yield parent
        platform, _, native = parent.partition(":")
        if native and platform in _PLATFORMS:
            yield native


class ThreadIndex(Protocol):
    """The mentions answering each post, by the post's key (see the module docstring)."""

    def add(self, filed: Iterable[Edge]) -> None:
        """File each child under its parent, in one write (a child filed already is left as
        it is: recovery files a batch again); called with a batch, before it is saved. A
        reader (`read_only`) keeps what it is given in memory (what it replays)."""
        ...

    def children(self, parents: Iterable[str], limit: int) -> dict[str, list[str]]:
        """The keys filed under each of these posts that has any, the first filed first, at
        most `limit` a post: a read or two for all of them, whatever the store holds."""
        ...

    def backfill(self, stored: Callable[[], Iterable[StoredMention]]) -> int:
        """File every mention of `stored()` once, where the index was made after them (a
        folder from an earlier version); how many were filed (0 where it was done before,
        or where the index is the store's own)."""
        ...


class TableThreads:
    """A folder's thread index, in two parts (a small log-structured index):

        state/threads/          a post's key -> {"children": keys, in the order filed},
                                spread over small files by the hash of the key (`BucketTable`):
                                a lookup reads one file of at most a bucket's records
        state/threads.jsonl     what was filed since: a line a batch, appended with one fsync

    A batch of ingest costs one append, however many posts its replies answer (rewriting the
    bucket files of the posts answered would cost a file each, most of the index for a big
    batch). Once the log passes `COMPACT_BYTES` its entries are moved into the buckets, in
    one journaled write, and it starts again: each bucket file rewritten once for thousands
    of entries. A read looks in both: the buckets for the posts asked about, and the log,
    read once (at most `COMPACT_BYTES`) and kept current as entries are filed. A line cut
    short by a crash is skipped: its batch was never stored, and recovery files it again.
    A folder has one writer (ingest, under the service's lock); a reader keeps what it
    replays in memory."""

    def __init__(self, tables: TableSet, log: Path, read_only: bool) -> None:
        self._tables, self._table = tables, tables.table(THREADS)
        self._log, self._read_only = log, read_only
        self._recent: dict[str, dict[str, None]] | None = None  # the log, once read
        self.stats: Counter[str] = Counter()  # the log's entries read (for tests)

    def _recently(self) -> dict[str, dict[str, None]]:
        if self._recent is None:
            self._recent = {}
            try:
                lines = self._log.read_text(encoding="utf-8").splitlines()
            except FileNotFoundError:
                lines = []
            for line in lines:
                try:
                    filed = [(str(p), str(c)) for p, c in json.loads(line)]
                except (ValueError, TypeError):
                    continue  # a line cut short by a crash: see the class docstring
                self.stats["log_entries_read"] += len(filed)
                self._note(filed)
        return self._recent

    def _note(self, filed: Iterable[Edge]) -> None:
        recent = self._recent if self._recent is not None else self._recently()
        for parent, child in filed:
            recent.setdefault(parent, {})[child] = None

    def add(self, filed: Iterable[Edge]) -> None:
        batch = list(dict.fromkeys(filed))
        if not batch:
            return
        line = json.dumps(batch, ensure_ascii=False).encode() + b"\n"
        size = 0 if self._read_only else self._append(line)
        if self._recent is not None or self._read_only:
            self._note(batch)
        if size >= COMPACT_BYTES:
            self.compact()

    def _append(self, line: bytes) -> int:
        """Append `line` durably (one fsync); the log's size after it. A line a crash cut
        short is ended first, so that it never swallows the next one."""
        self._log.parent.mkdir(parents=True, exist_ok=True)
        with self._log.open("a+b") as handle:
            end = handle.seek(0, os.SEEK_END)
            if end:
                handle.seek(end - 1)
                if handle.read(1) != b"\n":
                    line = b"\n" + line
            handle.write(line)  # (a file opened to append writes at its end)
            handle.flush()
            os.fsync(handle.fileno())
            return handle.tell()

    def compact(self) -> None:
        """Move the log's entries into the buckets (one journaled write), then empty it: a
        crash between the two moves them again, which changes nothing."""
        self._merge(self._recently())
        write_atomically(self._log, "")
        self._recent = {}

    def _merge(self, wanted: Mapping[str, Iterable[str]]) -> None:
        with self._tables.lock:
            known = self._table.get_many(wanted)
            put = {}
            for parent, kids in wanted.items():
                have = list((known.get(parent) or {}).get("children", ()))
                seen = set(have)
                new = [k for k in kids if k not in seen][: max(MAX_FILED - len(have), 0)]
                if new:
                    put[parent] = {"children": have + new}
            self._table.apply(put)

    def children(self, parents: Iterable[str], limit: int) -> dict[str, list[str]]:
        wanted = list(dict.fromkeys(parents))
        recent = self._recently()
        found = {p: list(r["children"]) for p, r in self._table.get_many(wanted).items()}
        for parent in wanted:  # the log's entries were filed after the buckets'
            if parent in recent:
                found.setdefault(parent, []).extend(recent[parent])
        return {p: list(dict.fromkeys(kids))[:limit] for p, kids in found.items() if kids}

    def backfill(self, stored: Callable[[], Iterable[StoredMention]]) -> int:
        if self._read_only or self._table.get(BUILT) is not None:
            return 0
        wanted: dict[str, dict[str, None]] = {}
        filed = edges(stored())
        for parent, child in filed:
            wanted.setdefault(parent, {})[child] = None
        self._merge(wanted)
        self._table.apply({BUILT: {"children": []}})
        return len(filed)
