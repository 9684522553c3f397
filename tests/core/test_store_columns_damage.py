"""Adversarial tests of the store's directory of columns (`columns.bin`): real files damaged
at the OS level (truncated, bytes flipped, zero-filled, deleted, swapped for another folder's,
mtimes moved), then reopened and compared with what the store showed before the damage.
Random choices use fixed seeds."""

from __future__ import annotations

import dataclasses
import os
import random
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from crisis_console.core.store.store import MENTIONS_DIR, TinyDBStore
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW
from tests.core.columns_damage import (
    COUNT_AT,
    FILE_HEAD,
    HEADER,
    SALT_BYTES,
    TEXTS,
    blocks,
    build,
    columns_path,
    damaged_store,
    found,
    mention,
    numbered,
    reopen_problems,
    snapshot,
    summary,
    sweep,
)


def test_truncation_at_any_offset_is_mended(tmp_path: Path, triager: Triager) -> None:
    [(folder, keys, want, original)] = damaged_store(tmp_path, triager, distinct=False)
    cuts = set(range(0, FILE_HEAD + 3)) | set(range(0, len(original), 19)) | {len(original) - 1}
    for at, *_ in blocks(original):
        cuts |= {at - 1, at, at + 1, at + 4, at + 5, at + HEADER.size - 1, at + HEADER.size}
        cuts |= {at + HEADER.size + 1}
    rng = random.Random(1)
    cuts |= {rng.randrange(len(original)) for _ in range(30)}

    def cut(n: int) -> Callable[[Path], object]:
        return lambda p: p.write_bytes(original[:n])

    failures = sweep(folder, keys, want, original, [(f"cut at {n}", cut(n)) for n in sorted(cuts)])
    assert not failures, summary(failures)


def test_zero_filled_tail_and_zero_extension_are_mended(tmp_path: Path, triager: Triager) -> None:
    [(folder, keys, want, original)] = damaged_store(tmp_path, triager, distinct=False)
    rng = random.Random(2)
    starts = sorted({rng.randrange(len(original)) for _ in range(25)} | {0, 5, FILE_HEAD})

    def zeros_from(n: int) -> Callable[[Path], object]:
        return lambda p: p.write_bytes(original[:n] + bytes(len(original) - n))

    def zeros_added(n: int) -> Callable[[Path], object]:
        return lambda p: p.write_bytes(original + bytes(n))

    damages = [(f"zeros from {n}", zeros_from(n)) for n in starts]
    damages += [(f"{n} zeros added", zeros_added(n)) for n in (1, 65, 4096)]
    failures = sweep(folder, keys, want, original, damages)
    assert not failures, summary(failures)


def test_a_deleted_or_foreign_file_is_rebuilt(tmp_path: Path, triager: Triager) -> None:
    [(folder, keys, want, original)] = damaged_store(tmp_path, triager, distinct=False)
    other = tmp_path / "other"  # same segment names, other mentions, another salt
    store = TinyDBStore(other, live_limit=10)
    try:
        for i in range(27):
            store.save([mention(triager, f"o{i}", f"other folder {i} refund", "zed")])
    finally:
        store.close()
    foreign = columns_path(other).read_bytes()
    assert foreign[SALT_BYTES] != original[SALT_BYTES]
    assert [k for _, k, _, _ in blocks(foreign)].count(b"R") == 2  # named as our first two
    damages: list[tuple[str, Callable[[Path], object]]] = [
        ("deleted", lambda p: p.unlink()),
        ("foreign", lambda p: p.write_bytes(foreign)),
        ("empty", lambda p: p.write_bytes(b"")),
        ("magic only", lambda p: p.write_bytes(original[:8])),
    ]
    failures = sweep(folder, keys, want, original, damages)
    assert not failures, summary(failures)


def test_a_flipped_bit_in_any_row_block_is_mended(tmp_path: Path, triager: Triager) -> None:
    """Every block of rows, header and payload (distinct deadlines: the order has no ties; the
    top byte of a row count is left to the memory test below)."""
    [(folder, keys, want, original)] = damaged_store(tmp_path, triager, distinct=True)
    rng, offsets = random.Random(3), set()
    for at, kind, _, length in blocks(original):
        if kind != b"R":
            continue
        offsets |= set(range(at, at + HEADER.size)) - {at + COUNT_AT + 3}
        offsets |= {at + HEADER.size + rng.randrange(length) for _ in range(20)}
    offsets = set(rng.sample(sorted(offsets), 160))

    def flip(n: int, bit: int) -> Callable[[Path], object]:
        data = bytearray(original)
        data[n] ^= bit
        return lambda p: p.write_bytes(bytes(data))

    damages = [(f"byte {n} ^ {b}", flip(n, b)) for n in sorted(offsets) for b in (0x01,)]
    failures = sweep(folder, keys, want, original, damages)
    assert not failures, summary(failures)


def test_a_flipped_salt_byte_keeps_every_key(tmp_path: Path, triager: Triager) -> None:
    [(folder, keys, want, original)] = damaged_store(tmp_path, triager, distinct=False)
    data = bytearray(original)
    data[SALT_BYTES.start + 3] ^= 0x01
    columns_path(folder).write_bytes(bytes(data))
    assert reopen_problems(folder, keys, want) == []


def test_a_flipped_byte_in_the_symbols_block_keeps_the_inbox(
    tmp_path: Path, triager: Triager
) -> None:
    [(folder, keys, want, original)] = damaged_store(tmp_path, triager, distinct=True)
    [(at, _, _, length)] = [b for b in blocks(original) if b[1] == b"S"][:1]
    data = bytearray(original)
    data[at + HEADER.size + length // 2] ^= 0x01
    columns_path(folder).write_bytes(bytes(data))
    assert reopen_problems(folder, keys, want) == []


def test_a_damaged_earlier_block_keeps_the_inbox_order_of_ties(
    tmp_path: Path, triager: Triager
) -> None:
    [(folder, keys, want, original)] = damaged_store(tmp_path, triager, distinct=False)
    first = next(b for b in blocks(original) if b[1] == b"R")
    data = bytearray(original)
    data[first[0] + HEADER.size + 3] ^= 0x01  # in the first segment's rows
    columns_path(folder).write_bytes(bytes(data))
    assert reopen_problems(folder, keys, want) == []


def test_a_flipped_row_count_byte_neither_exhausts_memory_nor_loses_data(
    tmp_path: Path, triager: Triager
) -> None:
    [(folder, keys, want, original)] = damaged_store(tmp_path, triager, distinct=True)
    first = next(b for b in blocks(original) if b[1] == b"R")
    data = bytearray(original)
    data[first[0] + COUNT_AT + 3] ^= 0x80
    columns_path(folder).write_bytes(bytes(data))
    tracemalloc.start()
    try:
        store = TinyDBStore(folder, live_limit=10)
        store.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 * 2**20
    assert reopen_problems(folder, keys, want) == []


def test_a_cut_after_an_in_place_rewrite_that_added_symbols_is_mended(
    tmp_path: Path, triager: Triager
) -> None:
    folder = tmp_path / "data"
    store = TinyDBStore(folder, live_limit=10)
    keys = [f"x:m{i}" for i in range(24)]
    try:
        for i in range(24):  # all in one queue
            store.save([numbered(triager, i, True, text=f"post number {i}")])
        before = columns_path(folder).stat().st_size
        # An edit in a closed segment that routes the mention to a queue never seen before.
        store.save([numbered(triager, 3, True, text="The kettle shocked me, I will sue")])
        assert columns_path(folder).stat().st_size > before  # symbols appended at the end
        want = snapshot(store, keys)
    finally:
        store.close()
    path = columns_path(folder)
    path.write_bytes(path.read_bytes()[:before])
    assert reopen_problems(folder, keys, want) == []


def test_random_edits_deletions_and_damage_are_mended(tmp_path: Path, triager: Triager) -> None:
    """Property: a random history of saves, edits and deletions (every queue and category seen
    in the first segment, distinct deadlines), then random damage: the reopened store shows
    what the writer showed."""
    rng = random.Random(4)
    for trial in range(3):
        folder = tmp_path / f"t{trial}"
        store = TinyDBStore(folder, live_limit=8)
        keys: list[str] = []
        try:
            for i in range(len(TEXTS)):
                store.save([numbered(triager, i, True)])
                keys.append(f"x:m{i}")
            for _ in range(40):
                if rng.random() < 0.5 or len(keys) < 10:
                    i = len(keys)
                    store.save([numbered(triager, i, True)])
                    keys.append(f"x:m{i}")
                else:
                    i = rng.randrange(len(keys))
                    text = f"{rng.choice(TEXTS)} edited {rng.randrange(999)}"
                    edit = numbered(triager, i, True, text=text)
                    store.save(
                        [dataclasses.replace(edit, deleted_at=NOW) if rng.random() < 0.3 else edit]
                    )
            want = snapshot(store, keys)
        finally:
            store.close()
        data = columns_path(folder).read_bytes()
        for _ in range(6):
            kind = rng.choice(("cut", "zeros", "flip", "delete"))
            path = columns_path(folder)
            if kind == "cut":
                path.write_bytes(data[: rng.randrange(len(data))])
            elif kind == "zeros":
                n = rng.randrange(len(data))
                path.write_bytes(data[:n] + bytes(len(data) - n))
            elif kind == "flip":
                rows = [b for b in blocks(data) if b[1] == b"R"]
                at, _, _, length = rng.choice(rows)
                flipped = bytearray(data)
                flipped[at + HEADER.size + rng.randrange(length)] ^= 1 << rng.randrange(8)
                path.write_bytes(bytes(flipped))
            else:
                path.unlink()
            problems = reopen_problems(folder, keys, want, live_limit=8)
            assert not problems, (trial, kind, problems)
            data = path.read_bytes()  # mended: the next damage hits the mended file


# --- 2. edits and deletions in closed segments ------------------------------------------


@pytest.mark.parametrize("lost", ["block", "block and search files", "block, search stale"])
def test_edits_and_deletions_in_closed_segments_survive_a_lost_block_rewrite(
    tmp_path: Path, triager: Triager, lost: str
) -> None:
    folder = tmp_path / "data"
    keys = build(folder, triager, distinct=True)
    index = folder / MENTIONS_DIR / "index"
    old_columns = columns_path(folder).read_bytes()
    old_search = {p: p.read_bytes() for p in index.glob("*.search")}
    store = TinyDBStore(folder, live_limit=10)
    try:
        store.save([numbered(triager, 3, True, text="Café crème ☕ edited in segment one")])
        store.save([numbered(triager, 15, True, text="deleted from segment two")])
        store.save(
            [
                dataclasses.replace(
                    numbered(triager, 15, True, text="deleted from segment two"), deleted_at=NOW
                )
            ]
        )
        store.save([dataclasses.replace(numbered(triager, 27, True), deleted_at=NOW)])
        want = snapshot(store, keys)
        searches = {
            t: found(store, t) for t in ("café crème", "☕", "#3 @", "deleted from", "#27 @")
        }
    finally:
        store.close()
    assert searches["café crème"] == ["x:m3"] and searches["#3 @"] == []
    assert "x:m15" not in want["pages"]["open"][0] and "x:m27" not in want["pages"]["open"][0]
    # The crash: the JSON index was written, the block never was.
    columns_path(folder).write_bytes(old_columns)
    if lost != "block":
        for path, data in old_search.items():
            path.write_bytes(data if lost == "block and search files" else b"1:2\nstale")
    store = TinyDBStore(folder, live_limit=10)
    try:
        assert snapshot(store, keys) == want
        assert {t: found(store, t) for t in searches} == searches
    finally:
        store.close()
    store = TinyDBStore(folder, live_limit=10)
    try:
        assert store.stats["index_rows_read"] == 0
        assert snapshot(store, keys) == want
        assert {t: found(store, t) for t in searches} == searches
    finally:
        store.close()


def test_a_same_size_edit_within_one_timestamp_tick_survives_a_lost_block_rewrite(
    tmp_path: Path, triager: Triager
) -> None:
    folder = tmp_path / "data"
    store = TinyDBStore(folder, live_limit=10)
    index = folder / MENTIONS_DIR / "index" / "2026-03-14-0001.json"
    try:
        for i in range(10):
            store.save([numbered(triager, i, True, text=f"post number {i}")])
        first = index.stat()
        old_columns = columns_path(folder).read_bytes()
        for letter in "abcdefghijklmnopqrstuvwxyz":  # an edit that keeps the index's size
            store.save([numbered(triager, 3, True, text=f"post number {letter}")])
            if index.stat().st_size == first.st_size:
                break
        assert index.stat().st_size == first.st_size
        want = store.fingerprint("x:m3")
    finally:
        store.close()
    columns_path(folder).write_bytes(old_columns)
    os.utime(index, ns=(first.st_atime_ns, first.st_mtime_ns))  # the same clock tick
    store = TinyDBStore(folder, live_limit=10)
    try:
        assert store.get("x:m3").triage.mention.text == f"post number {letter}"  # type: ignore[union-attr]
        assert store.fingerprint("x:m3") == want
    finally:
        store.close()


# --- 3. a reader beside the writer -----------------------------------------------------------
