"""A closed segment's index: what opening the store needs of it, without its records.

Beside each closed segment `mentions/NAME.json` lies `mentions/index/NAME.json`: one short
row per mention (key, fingerprint, author, and the fields the inbox shows and filters on, but
not the text). Opening the store reads these rows, about a tenth of the bytes of the segments;
the full text is read only for the mention on screen, or once, when someone first searches.

Opening needs even less: each mention's key, fingerprint and author. `directory.jsonl` holds
those for every closed segment, a line per segment, appended when a segment closes, so an
open reads one file of short arrays instead of a file per segment. A segment it does not
name (a crash between closing a segment and appending its line) is read from its index and
appended then.

An index is derived data: a missing one is rebuilt from its segment, and a stale fingerprint
(a crash between rewriting a segment and its index) only costs one comparison of texts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from sys import intern
from typing import Any, BinaryIO

from crisis_console.core.store.inbox import SNIPPET_CHARS, URGENCY_RANK, InboxRow, queues_from
from crisis_console.core.store.jsonfile import read_json, write_atomically

INDEX_DIR = "index"
DIRECTORY = "directory.jsonl"
_VERSION = 3  # 2: the queue at each crisis level; 3: spelled "0:support,2:pr"


def entry(doc: Mapping[str, Any], print_: int) -> list[Any]:
    """The index row of one stored record."""
    m, c, r = doc["mention"], doc["classification"], doc["route"]
    return [
        doc["id"],
        print_,
        m["platform"],
        m["author"],
        m["author_name"],
        m["followers"],
        m["verified"],
        m["text"][:SNIPPET_CHARS],
        m["created_at"],
        r["respond_within_minutes"],
        r["queue"],
        r["escalate"],
        c["urgency"],
        c["category"],
        c["sentiment"]["label"],
        c["sentiment"]["compound"],
        bool(doc.get("deleted_at")),
        ",".join(f"{n}:{q}" for n, q, _ in r.get("levels", ())),
    ]


def row(e: Sequence[Any]) -> InboxRow:
    """The inbox row of an index entry; its `search` holds the author and name only (the text
    is searched once loaded: see `InboxIndex.load_search`)."""
    (key, _, platform, author, name, followers, verified, snippet, created_s, minutes) = e[:10]
    queue, escalate, urgency, category, label, compound, deleted, levels = e[10:]
    created = datetime.fromisoformat(created_s)
    urgency, platform = intern(urgency), intern(platform)
    return InboxRow(
        key=key,
        rank=URGENCY_RANK[urgency],
        urgency=urgency,
        deadline=datetime.fromtimestamp(created.timestamp() + 60 * minutes, created.tzinfo),
        sentiment=intern(label),
        compound=compound,
        platform=platform,
        author=author,
        author_key=f"{platform}:{author}",
        followers=followers,
        verified=verified,
        snippet=snippet,
        search=f"@{author} {name}".lower(),
        queue=intern(queue),
        category=intern(category),
        escalate=escalate,
        deleted=deleted,
        created_at=created,
        level_queues=queues_from(levels),
    )


def path_of(segments: Path, name: str) -> Path:
    return segments / INDEX_DIR / name


def write(segments: Path, name: str, entries: Iterable[list[Any]]) -> None:
    folder = segments / INDEX_DIR
    folder.mkdir(exist_ok=True)
    body = {"version": _VERSION, "rows": list(entries)}
    write_atomically(path_of(segments, name), json.dumps(body, separators=(",", ":")))


def read(segments: Path, name: str) -> list[list[Any]] | None:
    """The segment's index rows, or None when it has none (or one of another version)."""
    data = read_json(path_of(segments, name))
    if data is None or data.get("version") != _VERSION:
        return None
    rows: list[list[Any]] = data["rows"]
    return rows


def directory(segments: Path) -> dict[str, tuple[list[str], list[int], list[str]]]:
    """Segment name -> (keys, fingerprints, authors as `platform:handle`), for the segments
    the directory names. A line cut short by a crash is ignored (its segment is re-read)."""
    path = segments / INDEX_DIR / DIRECTORY
    out: dict[str, tuple[list[str], list[int], list[str]]] = {}
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return out
    for line in lines:
        try:
            d = json.loads(line)
            out[d["segment"]] = (d["keys"], d["prints"], d["authors"])
        except (ValueError, KeyError, TypeError):
            continue
    return out


def add_to_directory(segments: Path, name: str, entries: Iterable[Sequence[Any]]) -> None:
    """Append a closed segment's keys, fingerprints and authors (one fsynced line)."""
    rows = list(entries)
    line = {
        "segment": name,
        "keys": [e[0] for e in rows],
        "prints": [e[1] for e in rows],
        "authors": [f"{e[2]}:{e[3]}" for e in rows],
    }
    folder = segments / INDEX_DIR
    folder.mkdir(exist_ok=True)
    path = folder / DIRECTORY
    # After a line cut short by a crash, start on a line of its own.
    with path.open("a+b") as handle:
        torn = handle.tell() > 0 and not _ends_with_newline(handle)
        handle.write((b"\n" if torn else b"") + json.dumps(line, separators=(",", ":")).encode())
        handle.write(b"\n")
        handle.flush()
        os.fsync(handle.fileno())


def _ends_with_newline(handle: BinaryIO) -> bool:
    handle.seek(-1, os.SEEK_END)
    last = handle.read(1)
    handle.seek(0, os.SEEK_END)
    return last == b"\n"
