"""A closed segment's index: what opening the store needs of it, without its records.

Beside each closed segment `mentions/NAME.json` lies `mentions/index/NAME.json`: one short
row per mention (key, fingerprint, author, and the fields the inbox shows and filters on, but
not the whole text: its first `SEARCH_CHARS` characters, what a search looks at). An inbox
page is built from these rows; the full record is read only for the mention on screen.

Opening needs even less: the rows of numbers in `columns.bin` (see `directory`), made from
these indexes and checked against them.

An index is derived data: a missing one is rebuilt from its segment, and a stale fingerprint
(a crash between rewriting a segment and its index) only costs one comparison of texts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from sys import intern
from typing import Any

from crisis_console.core.store.inbox import (
    SEARCH_CHARS,
    SNIPPET_CHARS,
    URGENCY_RANK,
    InboxRow,
    queues_from,
    searchable,
)
from crisis_console.core.store.jsonfile import read_json, write_atomically

INDEX_DIR = "index"
SEPARATOR = "\x1f"  # between a search line's handle and its text
_SEARCH_FORMAT = "2"  # a search file's lines: 2, each starts with the handle (`search_line`)
_VERSION = 4  # 2: the queue at each level; 3: spelled "0:support,2:pr"; 4: text to search


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
        m["text"][:SEARCH_CHARS],
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
    """The inbox row of an index entry."""
    (key, _, platform, author, _name, followers, verified, snippet, created_s, minutes) = e[:10]
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
        snippet=snippet[:SNIPPET_CHARS],
        search=search_of(e),
        queue=intern(queue),
        category=intern(category),
        escalate=escalate,
        deleted=deleted,
        created_at=created,
        level_queues=queues_from(levels),
    )


def search_of(e: Sequence[Any]) -> str:
    """What a text search looks at: the start of the text, the handle and the name."""
    return searchable(f"{e[7]} @{e[3]} {e[4]}")


def search_line(author: str, search: str) -> str:
    """A mention's line in a search file: its handle, lower case, then `SEPARATOR`, then
    what a search for words reads (`search_of`). An author search compares the handle whole,
    where a line starts; a handle in the text after it (`@dan`) could be anyone's."""
    return searchable(author).replace(SEPARATOR, " ") + SEPARATOR + search


def path_of(segments: Path, name: str) -> Path:
    return segments / INDEX_DIR / name


def write(segments: Path, name: str, entries: Iterable[list[Any]]) -> None:
    """Write the segment's index, and beside it its search file (see `search_lines`)."""
    folder = segments / INDEX_DIR
    folder.mkdir(exist_ok=True)
    rows = list(entries)
    body = {"version": _VERSION, "rows": rows}
    write_atomically(path_of(segments, name), json.dumps(body, separators=(",", ":")))
    _write_search(segments, name, rows)


def _search_path(segments: Path, name: str) -> Path:
    return segments / INDEX_DIR / f"{name[: -len('.json')]}.search"


def _stamp(path: Path) -> str:
    try:
        st = path.stat()
    except FileNotFoundError:
        return ""
    return f"{st.st_size}:{st.st_mtime_ns}"


def _search_body(entries: Iterable[Sequence[Any]]) -> bytes:
    return "\n".join(search_line(e[3], search_of(e)) for e in entries).encode()


def _search_head(segments: Path, name: str) -> str:
    """A search file's first line: its format, and the size and time of the index it was
    made from (a file of another format, or made from another index, is made again)."""
    return f"{_SEARCH_FORMAT} {_stamp(path_of(segments, name))}"


def _write_search(segments: Path, name: str, entries: Sequence[Sequence[Any]]) -> None:
    head = _search_head(segments, name)
    write_atomically(_search_path(segments, name), head + "\n" + _search_body(entries).decode())


def search_lines(
    segments: Path, name: str, entries_of: Callable[[str], list[list[Any]]], writable: bool
) -> bytes:
    """The segment's search lines (`search_line`), one a mention in the order of its index,
    as bytes: a search tests a whole segment with one byte search, and reads the lines only
    of the segments that hold what it looks for. The file names its format and the size and
    time of the index it was made from; when they differ (a crash between the two writes, a
    file of an older version), it is made again from the index."""
    try:
        data = _search_path(segments, name).read_bytes()
    except FileNotFoundError:
        data = b""
    head, _, body = data.partition(b"\n")
    if data and head.decode("ascii", "replace") == _search_head(segments, name):
        return body
    entries = entries_of(name)  # (which makes the index again if it is missing)
    if writable:
        _write_search(segments, name, entries)
    return _search_body(entries)


def read(segments: Path, name: str) -> list[list[Any]] | None:
    """The segment's index rows, or None when it has none (or one of another version)."""
    data = read_json(path_of(segments, name))
    if data is None or data.get("version") != _VERSION:
        return None
    rows: list[list[Any]] = data["rows"]
    return rows
