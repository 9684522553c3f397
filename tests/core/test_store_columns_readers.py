"""Adversarial tests of the store's directory beside its readers, its key lookups and its
search: a reader over a rotating writer or damaged files, keys never stored, and text that
spans lines, holds line breaks, unicode or half an emoji."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from crisis_console.core.models import StoredMention
from crisis_console.core.store.store import MENTIONS_DIR, TinyDBStore
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW
from tests.core.columns_damage import (
    HEADER,
    blocks,
    build,
    columns_path,
    found,
    mention,
    numbered,
    snapshot,
)


def files_of(folder: Path) -> dict[str, tuple[int, str]]:
    return {
        str(p.relative_to(folder)): (
            p.stat().st_mtime_ns,
            hashlib.sha256(p.read_bytes()).hexdigest(),
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def exercise(store: TinyDBStore, keys: list[str]) -> dict[str, Any]:
    out = snapshot(store, keys)
    out["search"] = {t: found(store, t) for t in ("#1", "refund", "@bob", "edited")}
    out["all"] = sorted(m.key for m in store.all())
    return out


def test_a_reader_beside_a_rotating_writer_sees_its_files_and_writes_nothing(
    tmp_path: Path, triager: Triager
) -> None:
    writer = TinyDBStore(tmp_path, live_limit=5)
    keys = [f"x:m{i}" for i in range(33)] + ["x:never", "x:M1"]
    try:
        for i in range(12):
            writer.save([numbered(triager, i, True)])
        writer.checkpoint()
        early = files_of(tmp_path)
        reader = TinyDBStore(tmp_path, read_only=True)
        try:
            exercise(reader, keys)
            assert files_of(tmp_path) == early
            for i in range(12, 33):  # the writer rotates four more segments
                writer.save([numbered(triager, i, True)])
            writer.save([numbered(triager, 1, True, text="edited in a closed segment")])
            writer.save([dataclasses.replace(numbered(triager, 7, True), deleted_at=NOW)])
            writer.checkpoint()
            want = exercise(writer, keys)
            late = files_of(tmp_path)
            exercise(reader, keys)  # the earlier reader still writes nothing
            assert files_of(tmp_path) == late
        finally:
            reader.close()
        assert files_of(tmp_path) == late
        fresh = TinyDBStore(tmp_path, read_only=True)
        try:
            assert exercise(fresh, keys) == want
            assert want["keys"] == keys[:33] and want["search"]["edited"] == ["x:m1"]
        finally:
            fresh.close()
        assert files_of(tmp_path) == late
    finally:
        writer.close()


def _break_columns(folder: Path) -> None:
    path = columns_path(folder)
    data = bytearray(path.read_bytes())
    first = next(b for b in blocks(bytes(data)) if b[1] == b"R")
    data[first[0] + HEADER.size + 9] ^= 0x40
    path.write_bytes(bytes(data[:-30]))


def _stale_index(folder: Path) -> None:
    index = sorted((folder / MENTIONS_DIR / "index").glob("2026-*.json"))[1]
    os.utime(index, ns=(5, 5))


def _search_files(folder: Path) -> None:
    searches = sorted((folder / MENTIONS_DIR / "index").glob("*.search"))
    searches[0].unlink()
    searches[1].write_bytes(b"0:0\nstale\nstale")


def _missing_index(folder: Path) -> None:
    sorted((folder / MENTIONS_DIR / "index").glob("2026-*.json"))[2].unlink()


@pytest.mark.parametrize(
    "damage",
    [
        ("columns.bin deleted", lambda f: columns_path(f).unlink()),
        ("columns.bin damaged and cut", _break_columns),
        ("a block stale", _stale_index),
        ("search files missing or stale", _search_files),
        ("a segment's index missing", _missing_index),
    ],
    ids=lambda d: d[0],
)
def test_a_reader_over_damaged_or_stale_files_sees_everything_and_writes_nothing(
    tmp_path: Path, triager: Triager, damage: tuple[str, Callable[[Path], object]]
) -> None:
    keys = build(tmp_path, triager, count=34, distinct=True) + ["x:none"]
    store = TinyDBStore(tmp_path, live_limit=10)
    try:
        want = exercise(store, keys)
    finally:
        store.close()
    damage[1](tmp_path)
    before = files_of(tmp_path)
    reader = TinyDBStore(tmp_path, read_only=True)
    try:
        assert exercise(reader, keys) == want
    finally:
        reader.close()
    assert files_of(tmp_path) == before


# --- 4. key lookups --------------------------------------------------------------------------


def test_a_key_never_stored_is_never_in_the_store(tmp_path: Path, triager: Triager) -> None:
    rng = random.Random(5)
    alphabet = "abcXYZ09éßİı日本☕Ωω"
    ids = [
        f"Key{i}"
        if i % 2
        else "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))) + f"-{i}"
        for i in range(3000)
    ]
    keys = {f"x:{n}" for n in ids}
    probes = set()
    for k in keys:
        probes |= {k.upper(), k.lower(), k.swapcase(), k.casefold(), k + " ", " " + k, k[:-1]}
        probes |= {k + "0", "X" + k[1:], "reddit" + k[1:], k.replace("i", "İ"), k + "\u0301"}
    probes -= keys
    probes |= {"", "x:", "x: ", "x:key1", "x:KEY1 "}
    probes -= keys
    assert len(probes) > 20_000

    def check(store: TinyDBStore, stored_keys: set[str], sample: list[str]) -> None:
        assert [k for k in sample if k not in store] == []
        assert [p for p in probes if p in store] == []
        assert [
            p for p in rng.sample(sorted(probes), 200) if store.fingerprint(p) is not None
        ] == []
        assert all(store.get(p) is None for p in rng.sample(sorted(probes), 20))
        assert len(store) == len(stored_keys)

    store = TinyDBStore(tmp_path, live_limit=100)
    try:
        saved: set[str] = set()
        for start in range(0, 3000, 50):
            batch = [mention(triager, n, f"text {n}") for n in ids[start : start + 50]]
            store.save(batch)
            saved |= {m.key for m in batch}
            if start % 750 == 0:  # while lookups still scan, and once they use the sorted keys
                check(store, saved, sorted(saved))
        check(store, keys, sorted(keys))
    finally:
        store.close()
    store = TinyDBStore(tmp_path, live_limit=100)
    try:
        check(store, keys, sorted(keys))
        assert all(store.get(k) is not None for k in rng.sample(sorted(keys), 30))
    finally:
        store.close()


# --- 5. search ---------------------------------------------------------------------------------


def _search_store(tmp_path: Path, triager: Triager) -> tuple[TinyDBStore, list[str]]:
    store = TinyDBStore(tmp_path, live_limit=4)
    texts = [
        "alpha one",
        "beta two",
        "Café au lait ☕ time",
        "Gamma 日本語 ΣΊΣΥΦΟΣ",
        "zeta",
        "omega",
    ]
    for i, text in enumerate(texts):
        store.save([mention(triager, f"s{i}", text, author=f"a{i}")])
    return store, [f"x:s{i}" for i in range(len(texts))]


def test_a_search_never_matches_across_two_lines_of_a_search_file(
    tmp_path: Path, triager: Triager
) -> None:
    store, _ = _search_store(tmp_path, triager)  # s0..s3 closed, s4, s5 live
    try:
        search = (tmp_path / MENTIONS_DIR / "index" / "2026-03-14-0001.search").read_bytes()
        assert b"@a0 \na1\x1fbeta two" in search  # line 0 ends, line 1 starts (its handle)
        assert found(store, "a0 \nbeta") == []  # every word on one line
        assert found(store, "alpha one @a0 \nbeta two @a1") == []
        assert found(store, '"a0 a1"') == found(store, '"a0 beta"') == []  # nor a phrase
        assert found(store, '"one a0"') == []  # the words in the phrase's order
        assert found(store, '"alpha one a0"') == found(store, '"beta two a1"') == []
        assert found(store, '"alpha one"') == ["x:s0"]
    finally:
        store.close()


def test_a_search_for_a_post_with_a_line_break_finds_the_same_live_and_closed(
    tmp_path: Path, triager: Triager
) -> None:
    store = TinyDBStore(tmp_path, live_limit=4)
    needles = ("first line\nsecond", "first line second", "first line", "\nsecond", "line\n")
    try:
        store.save([mention(triager, "n0", "First line\nsecond line")])  # ingest keeps the break
        live = {t: found(store, t) for t in needles}
        store.save([mention(triager, f"p{i}", f"filler {i}") for i in range(3)])  # rotates
        search = (tmp_path / MENTIONS_DIR / "index" / "2026-03-14-0001.search").read_bytes()
        assert b"first line second line" in search  # n0 is in the closed segment now
        closed = {t: found(store, t) for t in needles}
    finally:
        store.close()
    assert closed == live


def test_an_empty_or_whitespace_search_keeps_everything(tmp_path: Path, triager: Triager) -> None:
    store, keys = _search_store(tmp_path, triager)
    try:
        for text in ("", " ", "   ", "\n", "\t \n "):
            assert found(store, text) == sorted(keys), repr(text)
    finally:
        store.close()


def test_unicode_text_is_found_in_closed_segments(tmp_path: Path, triager: Triager) -> None:
    store, _ = _search_store(tmp_path, triager)
    cases = {
        "café": ["x:s2"],
        "CAFÉ AU": ["x:s2"],
        "☕": ["x:s2"],
        "lait ☕ time": ["x:s2"],
        "日本": ["x:s3"],
        "σίσυφος": ["x:s3"],
        "ΣΊΣΥΦΟΣ": ["x:s3"],
        "cafe": [],
        "caf": [],  # whole words: not the start of "café"
        "@a3": ["x:s3"],
        "é": [],  # a letter, so a word of its own
        "日本語 σίσυφος": ["x:s3"],
        "gamma σίσυφο": [],
    }
    try:
        assert {t: found(store, t) for t in cases} == cases
        store.save([mention(triager, "s2", "Still café, now with 🎉 emoji", author="a2")])
        assert found(store, "🎉") == ["x:s2"] and found(store, "☕") == []
    finally:
        store.close()
    cases.update(
        {"☕": [], "lait ☕ time": [], "CAFÉ AU": [], "🎉": ["x:s2"], "now with 🎉": ["x:s2"]}
    )
    for index in (tmp_path / MENTIONS_DIR / "index").glob("*.search"):
        index.unlink()  # made again from the indexes
    store = TinyDBStore(tmp_path, live_limit=4)
    try:
        assert {t: found(store, t) for t in cases} == cases
    finally:
        store.close()


def test_a_post_with_half_an_emoji_is_stored_found_and_reopened(
    tmp_path: Path, triager: Triager
) -> None:
    """JSON allows half an emoji (a lone surrogate), UTF-8 does not: ingest turns it into the
    replacement character; a record that still holds one is refused before anything is
    written, and the folder opens afterwards."""
    from crisis_console.core.intake.ingest import read_jsonl

    line = '{"id": "h1", "platform": "x", "text": "cut emoji \\ud83d", "created_at": "%s"}'
    [item] = list(read_jsonl([line % NOW.isoformat()], "f.jsonl", NOW))
    assert item.mention.text == "cut emoji \ufffd"  # type: ignore[union-attr]
    half = StoredMention(triager.triage(item.mention), NOW)  # type: ignore[union-attr]
    raw = dataclasses.replace(
        half,
        triage=dataclasses.replace(
            half.triage,
            mention=dataclasses.replace(half.triage.mention, native_id="h2", text="x \ud83d"),
        ),
    )
    store = TinyDBStore(tmp_path, live_limit=2)
    try:
        with pytest.raises(UnicodeEncodeError):
            store.save([raw])
        assert "x:h2" not in store
        store.save([half])
    finally:
        store.close()
    reopened = TinyDBStore(tmp_path, live_limit=2)
    try:
        assert "x:h2" not in reopened
        assert reopened.get("x:h1").triage.mention.text == "cut emoji \ufffd"  # type: ignore[union-attr]
    finally:
        reopened.close()
