"""The TinyDB store: round-trip, upsert by key, rotation into dated segments, durability
across reopen, one writer per folder (readers welcome), and damaged files reported."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from crisis_console.core.errors import StoreError, StoreLocked
from crisis_console.core.models import MentionVersion, StoredMention
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.state_tables import Claim
from crisis_console.core.store.store import (
    LIVE_FILE,
    MENTIONS_DIR,
    OLD_STATE_FILE,
    STATE_DIR,
    TinyDBStore,
)
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, parsed, record
from tests.core.columns_damage import HEADER, blocks


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
    store.save([original], applied=7)
    store.close()
    reopened = TinyDBStore(tmp_path)
    try:
        assert reopened.get("x:1") == original
        assert reopened.all() == [original]
        assert reopened.applied == 7
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
        assert len(store) == 3 and store.author_posts("x:maya") == 3
    finally:
        store.close()


HEADER_SIZE = HEADER.size


def test_the_live_file_rotates_into_dated_segments_still_searched(
    tmp_path: Path, triager: Triager
) -> None:
    store = TinyDBStore(tmp_path, live_limit=10)
    try:
        for batch in range(3):
            store.save(
                [stored(triager, f"{batch}-{i}", f"post {batch}-{i}") for i in range(6)],
                applied=batch + 1,
            )
        segments = sorted(p.name for p in (tmp_path / MENTIONS_DIR).glob("*.json"))
        assert segments == ["2026-03-14-0001.json", LIVE_FILE]
        indexes = sorted(p.name for p in (tmp_path / MENTIONS_DIR / "index").iterdir())
        # The segment's index (for the inbox), its search lines, and the directory's columns:
        # what opening reads.
        assert indexes == ["2026-03-14-0001.json", "2026-03-14-0001.search", "columns.bin"]
        store.checkpoint()  # the live file is written at checkpoints; the audit log is the WAL
        assert len(json.loads((tmp_path / MENTIONS_DIR / LIVE_FILE).read_text())["mentions"]) == 6
        assert store.get("x:0-0") is not None  # in the closed segment
        store.save([dataclasses.replace(stored(triager, "0-0", "edited"))], applied=4)
        assert store.get("x:0-0").triage.mention.text == "edited"  # type: ignore[union-attr]
        assert len(store) == 18 and len(store.all()) == 18 and store.applied == 4
    finally:
        store.close()
    reopened = TinyDBStore(tmp_path, live_limit=10)
    try:
        assert len(reopened) == 18 and reopened.get("x:0-0").triage.mention.text == "edited"  # type: ignore[union-attr]
    finally:
        reopened.close()


def test_a_claim_rewrites_only_the_claims_file(tmp_path: Path, triager: Triager) -> None:
    store = TinyDBStore(tmp_path)
    try:
        store.save([stored(triager, str(i), f"text {i}") for i in range(50)])
        store.checkpoint()
        live = tmp_path / MENTIONS_DIR / LIVE_FILE
        before = live.stat().st_mtime_ns
        store.state.claims.take(Claim("x:1", "maya", NOW, NOW + timedelta(minutes=5)))
        assert live.stat().st_mtime_ns == before
        [claims_file] = (tmp_path / STATE_DIR / "claims").glob("*.json")
        [doc] = json.loads(claims_file.read_text())["_default"].values()
        assert doc["k"] == "x:1" and doc["v"]["holder"] == "maya"
    finally:
        store.close()
    assert not [p for p in tmp_path.rglob("*.tmp")]  # no temporary file left behind


def test_one_writer_named_to_the_second_and_readers_welcome(
    tmp_path: Path, triager: Triager
) -> None:
    first = TinyDBStore(tmp_path)
    try:
        first.save([stored(triager, "1", "hello")])
        with pytest.raises(StoreLocked, match=r"already in use by .* \(process \d+, since"):
            TinyDBStore(tmp_path)
        first.checkpoint()  # a reader sees the checkpoint (a service replays the rest)
        reader = TinyDBStore(tmp_path, read_only=True)
        assert [s.key for s in reader.all()] == ["x:1"]
        with pytest.raises(StoreError, match="read-only"):
            reader.save([stored(triager, "2", "no")])
        reader.close()
    finally:
        first.close()
    TinyDBStore(tmp_path).close()  # free again once the first has closed


def test_a_damaged_file_is_reported_never_replaced(tmp_path: Path, triager: Triager) -> None:
    store = TinyDBStore(tmp_path)
    store.save([stored(triager, "1", "hello")])
    store.close()
    live = tmp_path / MENTIONS_DIR / LIVE_FILE
    damaged = live.read_text()[:-20]
    live.write_text(damaged)
    with pytest.raises(
        StoreError, match=r"live.json is damaged at line 1, column \d+ .*Nothing was changed"
    ):
        TinyDBStore(tmp_path)
    assert live.read_text() == damaged  # left exactly as it was
    (tmp_path / OLD_STATE_FILE).write_text("[1, 2]")
    live.unlink()
    with pytest.raises(StoreError, match="not a Crisis Console data file"):
        TinyDBStore(tmp_path)


def test_a_reader_beside_the_writer_sees_what_was_acknowledged_before_the_checkpoint(
    tmp_path: Path, playbook: Playbook
) -> None:
    from crisis_console.cli import open_reader, open_service
    from crisis_console.core.intake.ingest import read_jsonl
    from tests.conftest import fixed_clock, jsonl, record

    with open_service(tmp_path, playbook, fixed_clock) as writer:
        writer.ingest(read_jsonl(jsonl(record("1", "first")), "f", NOW))
        writer._store.checkpoint()  # type: ignore[attr-defined]
        writer.ingest(read_jsonl(jsonl(record("2", "acknowledged, not checkpointed")), "f", NOW))
        on_disk = json.loads((tmp_path / MENTIONS_DIR / LIVE_FILE).read_text())["mentions"]
        assert [d["id"] for d in on_disk.values()] == ["x:1"]
        with open_reader(tmp_path, playbook, fixed_clock) as reader:
            seen = reader.mention("x:2")
            assert seen is not None and seen.triage.mention.text.startswith("acknowledged")
            assert reader.report(NOW - timedelta(days=1), NOW + timedelta(days=1)).total == 2
        on_disk = json.loads((tmp_path / MENTIONS_DIR / LIVE_FILE).read_text())["mentions"]
        assert len(on_disk) == 1  # the reader wrote nothing


def test_the_directory_of_closed_segments_is_mended_where_a_crash_left_it_short(
    tmp_path: Path, triager: Triager
) -> None:
    store = TinyDBStore(tmp_path, live_limit=10)
    store.save([stored(triager, str(i), f"post {i}") for i in range(12)])  # one closed segment
    store.close()
    columns = tmp_path / MENTIONS_DIR / "index" / "columns.bin"
    columns.write_bytes(columns.read_bytes()[:-30])  # its block cut short
    reopened = TinyDBStore(tmp_path, live_limit=10)
    try:
        assert reopened.stats["index_rows_read"] == 12  # read from the segment's index...
        assert reopened.get("x:3") is not None and reopened.author_posts("x:maya") == 12
    finally:
        reopened.close()
    again = TinyDBStore(tmp_path, live_limit=10)  # ...and written again, so not read again
    try:
        assert again.stats["index_rows_read"] == 0 and again.author_posts("x:maya") == 12
        assert again.get("x:3") is not None and "x:12" not in again and "x:11" in again
    finally:
        again.close()


def test_a_damaged_or_stale_block_is_rebuilt_from_the_segments_index(
    tmp_path: Path, triager: Triager
) -> None:
    store = TinyDBStore(tmp_path, live_limit=10)
    for first in (0, 10, 20):  # two closed segments of ten, five in the live file
        store.save([stored(triager, str(i), f"post {i}") for i in range(first, first + 10)])
    store.save([stored(triager, str(i), f"post {i}") for i in range(30, 35)])
    store.close()
    columns = tmp_path / MENTIONS_DIR / "index" / "columns.bin"
    data = bytearray(columns.read_bytes())
    at, _, _, length = next(b for b in blocks(bytes(data)) if b[1] == b"R")
    data[at + HEADER_SIZE + length // 2] ^= 0xFF  # a byte inside the first block's rows
    columns.write_bytes(bytes(data))
    # The second segment's index changed behind the file's back (a crash between the two).
    second = sorted((tmp_path / MENTIONS_DIR / "index").glob("2026-*.json"))[1]
    os.utime(second, ns=(1, 1))  # a time the block never saw
    body = json.loads(second.read_text())
    assert body["rows"][0][0] == "x:10"
    body["rows"][0][16] = True  # now deleted
    second.write_text(json.dumps(body))
    reopened = TinyDBStore(tmp_path, live_limit=10)
    try:
        assert reopened.stats["index_rows_read"] == 20  # both blocks made again
        assert len(reopened) == 35 and all(f"x:{i}" in reopened for i in range(35))
        shown = reopened.inbox.page(InboxFilter(), 0, 50)
        assert len(shown.rows) == 34 and "x:10" not in {r.key for r in shown.rows}
    finally:
        reopened.close()


def test_a_search_finds_text_in_closed_segments_as_edited(tmp_path: Path, triager: Triager) -> None:
    long_post = "My order never came. " * 12 + "The courier left it at number 42 instead."
    store = TinyDBStore(tmp_path, live_limit=10)
    try:
        store.save([stored(triager, str(i), f"post {i}") for i in range(10)])  # closed
        store.save([stored(triager, "10", long_post), stored(triager, "11", "still live")])
        store.save([dataclasses.replace(stored(triager, "3", "The Courier was rude"))])

        def found(text: str) -> list[str]:
            page = store.inbox.page(InboxFilter(status="all", text=text), 0, 50)
            return sorted(r.key for r in page.rows)

        assert found("courier") == ["x:10", "x:3"]  # an edit in a closed segment, and the
        assert found("number 42") == ["x:10"]  # live file, past the 160 characters shown
        assert found("post 3") == [] and found("post 4") == ["x:4"]
        assert found("@maya") == sorted(f"x:{i}" for i in range(12))
    finally:
        store.close()
    search = next((tmp_path / MENTIONS_DIR / "index").glob("*.search"))
    search.write_bytes(b"0:0\n" + b"\n".join([b"stale"] * 10))  # a crash left it behind
    reopened = TinyDBStore(tmp_path, live_limit=10)
    try:
        page = reopened.inbox.page(InboxFilter(status="all", text="rude"), 0, 50)
        assert [r.key for r in page.rows] == ["x:3"]
        assert not search.read_bytes().startswith(b"0:0")  # and made again
    finally:
        reopened.close()


def test_a_stale_block_between_good_ones_is_made_again_and_the_rest_kept(
    tmp_path: Path, triager: Triager
) -> None:
    store = TinyDBStore(tmp_path, live_limit=10)
    for first in range(0, 30, 10):  # three closed segments of ten
        store.save([stored(triager, str(i), f"post {i}") for i in range(first, first + 10)])
    store.close()
    middle = sorted((tmp_path / MENTIONS_DIR / "index").glob("2026-*.json"))[1]
    os.utime(middle, ns=(1, 1))  # changed since its block was written
    reopened = TinyDBStore(tmp_path, live_limit=10)
    try:
        assert reopened.stats["index_rows_read"] == 10  # the middle one alone
        assert len(reopened) == 30 and all(f"x:{i}" in reopened for i in range(30))
        page = reopened.inbox.page(InboxFilter(status="all", text="post 15"), 0, 50)
        assert [r.key for r in page.rows] == ["x:15"]  # found in the block made again
        page = reopened.inbox.page(InboxFilter(status="all", text="post 1"), 0, 50)
        assert [r.key for r in page.rows] == ["x:1"]  # whole words: not "post 10" to "19"
        assert reopened.get("x:15").triage.mention.text == "post 15"  # type: ignore[union-attr]
    finally:
        reopened.close()
    again = TinyDBStore(tmp_path, live_limit=10)
    try:
        assert again.stats["index_rows_read"] == 0 and len(again) == 30
    finally:
        again.close()


def test_a_reader_reads_one_consistent_view_while_the_writer_rotates_on(
    tmp_path: Path, triager: Triager
) -> None:
    writer = TinyDBStore(tmp_path, live_limit=10)
    try:
        writer.save([stored(triager, str(i), f"post {i}") for i in range(15)])  # one closed
        writer.checkpoint()
        reader = TinyDBStore(tmp_path, read_only=True)
        writer.save([stored(triager, str(i), f"post {i}") for i in range(15, 40)])  # rotates
        keys = [s.key for s in reader.all()]
        assert len(keys) == len(set(keys)) == len(reader) == 15  # what it opened on, once each
        assert all(k in reader for k in keys)
        reader.close()
    finally:
        writer.close()
