"""What the adversarial tests of the store's directory share: stores built through the real
store, snapshots of what they show, and the layout of `columns.bin` as its docstring states
it, to damage it at the OS level."""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from crisis_console.core.models import StoredMention
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.store import MENTIONS_DIR, TinyDBStore
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, parsed, record

# What the file's docstring says of its layout: magic and salt, then blocks, each a header
# (magic, kind, name, rows, index size, index mtime, payload length, CRC) and a payload.
FILE_HEAD = 8 + 16 + 4  # magic, salt, CRC-32 of both
SALT_BYTES = slice(8, 24)
HEADER = struct.Struct("<4sc32sIQqQII")
COUNT_AT = 4 + 1 + 32  # the row count's offset in a block header

# Texts that land in different queues, categories and urgencies (so the symbol tables matter).
TEXTS = (
    "The kettle shocked me and burned my hand",
    "Where is my refund, waited 3 weeks",
    "Love the new app!",
    "your site is down again",
    "I will sue you, my lawyer called",
    "post about nothing",
    "delivery never arrived",
    "great service thanks",
)
AUTHORS = ("maya", "bob", "eve")


def mention(
    triager: Triager,
    native_id: str,
    text: str,
    author: str = "maya",
    second: int | None = None,
    deleted: bool = False,
) -> StoredMention:
    """A stored mention; `second`: its creation time, seconds past 11:00 (else all share one
    time, so the inbox order ties)."""
    fields: dict[str, Any] = {"author": author}
    if second is not None:
        fields["created_at"] = f"2026-03-14T11:{second // 60:02d}:{second % 60:02d}Z"
    [item] = parsed(record(native_id, text, **fields))
    out = StoredMention(triager.triage(item.mention), NOW)
    return dataclasses.replace(out, deleted_at=NOW) if deleted else out


def numbered(triager: Triager, i: int, distinct: bool, text: str | None = None) -> StoredMention:
    body = text if text is not None else f"{TEXTS[i % len(TEXTS)]} #{i}"
    return mention(triager, f"m{i}", body, AUTHORS[i % 3], i if distinct else None)


def build(
    folder: Path, triager: Triager, count: int = 34, live_limit: int = 10, distinct: bool = False
) -> list[str]:
    """`count` mentions saved one at a time (closed segments of `live_limit`, the rest live)."""
    store = TinyDBStore(folder, live_limit=live_limit)
    try:
        for i in range(count):
            store.save([numbered(triager, i, distinct)])
        store.state.replies.take_answer("x:m1", "reply-1")  # one answered: the open page differs
    finally:
        store.close()
    return [f"x:m{i}" for i in range(count)]


def found(store: TinyDBStore, text: str) -> list[str]:
    page = store.inbox.page(InboxFilter(status="all", text=text), 0, 10_000)
    return sorted(r.key for r in page.rows)


def snapshot(store: TinyDBStore, keys: list[str]) -> dict[str, Any]:
    """Everything guarantee 1 names, as plain values."""
    pages = {}
    for where in (InboxFilter(status="all"), InboxFilter()):
        page = store.inbox.page(where, 0, 10_000)
        pages[where.status] = ([r.key for r in page.rows], page.total, page.queue_counts)
    texts = {}
    for key in keys:
        got = store.get(key)
        texts[key] = None if got is None else (got.triage.mention.text, got.deleted_at)
    return {
        "keys": [k for k in keys if k in store],
        "len": len(store),
        "prints": {k: store.fingerprint(k) for k in keys},
        "authors": {a: store.author_posts(f"x:{a}") for a in AUTHORS},
        "texts": texts,
        "pages": pages,
    }


def columns_path(folder: Path) -> Path:
    return folder / MENTIONS_DIR / "index" / "columns.bin"


def blocks(data: bytes) -> list[tuple[int, bytes, int, int]]:
    """(offset, kind, rows, payload length) of each block of a columns file."""
    out, at = [], FILE_HEAD
    while at + HEADER.size <= len(data):
        _magic, kind, _name, count, _size, _mtime, _ino, length, _crc = HEADER.unpack_from(data, at)
        out.append((at, kind, count, length))
        at += HEADER.size + length
    return out


def reopen_problems(
    folder: Path, keys: list[str], want: dict[str, Any], live_limit: int = 10
) -> list[str]:
    """What differs from `want` after a reopen, and after a second one (which must read no
    segment index, the file having been mended); [] when nothing does."""
    problems = []
    try:
        store = TinyDBStore(folder, live_limit=live_limit)
        try:
            got = snapshot(store, keys)
        finally:
            store.close()
        problems += [f"first reopen: {k}" for k in want if got[k] != want[k]]
        store = TinyDBStore(folder, live_limit=live_limit)
        try:
            read = store.stats["index_rows_read"]
            got = snapshot(store, keys)
        finally:
            store.close()
        problems += [f"second reopen: {k}" for k in want if got[k] != want[k]]
        if read:
            problems.append(f"second reopen read {read} index rows: the file was not mended")
    except Exception as exc:  # reported with the damage that caused it
        problems.append(f"{type(exc).__name__}: {exc}"[:200])
    return problems


def damaged_store(
    tmp_path: Path, triager: Triager, distinct: bool
) -> Iterator[tuple[Path, list[str], dict[str, Any], bytes]]:
    folder = tmp_path / "data"
    keys = build(folder, triager, distinct=distinct)
    store = TinyDBStore(folder, live_limit=10)
    try:
        want = snapshot(store, keys)
    finally:
        store.close()
    yield folder, keys, want, columns_path(folder).read_bytes()


def sweep(
    folder: Path,
    keys: list[str],
    want: dict[str, Any],
    original: bytes,
    damages: list[tuple[str, Callable[[Path], object]]],
) -> dict[str, list[str]]:
    path, failures = columns_path(folder), {}
    for label, damage in damages:
        damage(path)
        problems = reopen_problems(folder, keys, want)
        if problems:
            failures[label] = problems
        path.write_bytes(original)  # (its blocks name the unchanged indexes: valid again)
    return failures


def summary(failures: dict[str, list[str]]) -> str:
    shown = list(failures.items())[:8]
    return f"{len(failures)} damages not mended, e.g. " + "; ".join(f"{k} -> {v}" for k, v in shown)


# --- 1. damage to columns.bin --------------------------------------------------------------
