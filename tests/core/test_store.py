"""The TinyDB store: round-trip, upsert by key, durable across reopen, one process per folder."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from crisis_console.core.errors import StoreLocked
from crisis_console.core.models import MentionVersion, StoredMention
from crisis_console.core.routing import Triager
from crisis_console.core.store import MENTIONS_FILE, TinyDBStore
from tests.conftest import NOW, parsed, record


def stored(triager: Triager, native_id: str, text: str) -> StoredMention:
    [item] = parsed(
        record(
            native_id,
            text,
            author="maya",
            followers=12,
            verified=True,
            engagement={"likes": 1, "shares": 2, "replies": 3},
        )
    )
    return StoredMention(triager.triage(item.mention), NOW)


def test_round_trip_keeps_every_field(tmp_path: Path, triager: Triager) -> None:
    original = dataclasses.replace(
        stored(triager, "1", "The kettle shocked me"),
        history=(MentionVersion("first text", NOW),),
    )
    store = TinyDBStore(tmp_path)
    store.save([original])
    store.close()
    reopened = TinyDBStore(tmp_path)
    try:
        assert reopened.get("x:1") == original
        assert reopened.all() == [original]
    finally:
        reopened.close()


def test_saving_the_same_key_replaces_not_duplicates(tmp_path: Path, triager: Triager) -> None:
    store = TinyDBStore(tmp_path)
    try:
        store.save([stored(triager, "1", "first")])
        store.save([stored(triager, "1", "second"), stored(triager, "2", "other")])
        store.save([stored(triager, "3", "a"), stored(triager, "3", "b")])
        texts = sorted(s.triage.mention.text for s in store.all())
        assert texts == ["b", "other", "second"]
        assert len(store) == 3
    finally:
        store.close()
    on_disk = json.loads((tmp_path / MENTIONS_FILE).read_text())
    assert len(on_disk["mentions"]) == 3


def test_a_batch_is_one_write_and_leaves_no_temp_files(tmp_path: Path, triager: Triager) -> None:
    store = TinyDBStore(tmp_path)
    try:
        store.save([stored(triager, str(i), f"text {i}") for i in range(50)])
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["console.lock", MENTIONS_FILE]


def test_second_opener_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    first = TinyDBStore(tmp_path)
    try:
        with pytest.raises(StoreLocked, match="already in use"):
            TinyDBStore(tmp_path)
    finally:
        first.close()
    TinyDBStore(tmp_path).close()  # free again once the first has closed
