"""A conversation costs its own posts, never the store: the reads of one thread, counted in a
folder of 400 and one of 2,000 other mentions (half of them replies, so the thread index is
full of other conversations), the same thirty-post thread in each. Counts, not seconds.

And what ingest writes for the index: one append a batch, however many posts its replies
answer; and a folder made before the index had it is filed once, at its first open."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.service import ConsoleService
from crisis_console.core.store import threads
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, MovableClock, jsonl, record
from tests.core.test_scaling import FILE_LIMIT, LIVE_LIMIT, open_service

POSTS = 30  # the conversation read: a chain of ten, and two answers to each of those
LATE = 2  # and two answers to the last of the chain, filed after the rest
THREAD_BATCH = 50


def others(size: int) -> list[str]:
    """`size` mentions, every other one answering an earlier one (somebody else's talk)."""
    rnd = random.Random(size)
    rows = []
    for i in range(size):
        extra = {"in_reply_to": f"x:o{rnd.randrange(i)}"} if i and i % 2 else {}
        rows.append(record(f"o{i}", f"My parcel is late again, ref o{i}", author=f"u{i % 89}",
                           created_at=NOW.isoformat(), **extra))  # fmt: skip
    return jsonl(*rows)


def conversation() -> list[str]:
    """t0 <- t1 <- ... <- t9, and t10..t29 answering them two each."""
    rows = [record("t0", "Where is my order? It's been a week", author="dan")]
    rows += [record(f"t{i}", f"Still waiting ({i})", author="dan", in_reply_to=f"x:t{i - 1}")
             for i in range(1, 10)]  # fmt: skip
    rows += [record(f"t{i}", f"Same for me ({i})", author=f"c{i}",
                    in_reply_to=f"x:t{(i - 10) // 2}") for i in range(10, POSTS)]  # fmt: skip
    return jsonl(*rows)


def reads(service: ConsoleService) -> Counter[str]:
    store = service._store
    assert isinstance(store, TinyDBStore) and isinstance(store.threads, threads.TableThreads)
    state = store.state.tables.stats()
    return Counter(
        segments=store.stats["segments_read"],
        index_rows=store.stats["index_rows_read"],
        state_files=state.get("files_read", 0),
        state_records=state.get("records_read", 0),
        log_entries=store.threads.stats["log_entries_read"],
    )


def cost(tmp_path: Path, triager: Triager, size: int) -> tuple[Counter[str], Any]:
    folder = tmp_path / str(size)
    clock = MovableClock(NOW)
    filling = open_service(folder, triager, clock)
    filling.ingest(read_jsonl(others(size), "others.jsonl", clock()), LIVE_LIMIT // 2)
    filling.ingest(read_jsonl(conversation(), "thread.jsonl", clock()), THREAD_BATCH)
    index = filling._store.threads
    assert isinstance(index, threads.TableThreads)
    index.compact()  # (as a later batch would): in the index's files
    late = [record(f"t{i}", f"Me too ({i})", author=f"c{i}", in_reply_to="x:t9")
            for i in range(POSTS, POSTS + LATE)]  # fmt: skip
    filling.ingest(read_jsonl(jsonl(*late), "late.jsonl", clock()))  # in the log
    filling._store.close()
    service = open_service(folder, triager, clock)  # a console opened on it: nothing cached
    before = reads(service)
    thread = service.conversations.thread("x:t9")
    spent = reads(service) - before
    service._store.close()
    return spent, thread


def test_a_thread_reads_its_posts_not_the_store(
    tmp_path: Path, triager: Triager, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The log of recent entries is moved into the index's small files every few batches
    # here (every 1 MB, about 20,000 entries, in use), so both parts are read.
    monkeypatch.setattr(threads, "COMPACT_BYTES", 2_048)
    small, small_thread = cost(tmp_path, triager, 400)
    large, large_thread = cost(tmp_path, triager, 2_000)
    for thread in (small_thread, large_thread):
        assert thread is not None and len(thread.posts) == POSTS + LATE
        assert thread.root == "x:t0" and thread.post(f"x:t{POSTS}") is not None
        assert [p.depth for p in thread.posts if p.key == "x:t9"] == [9]
    for spent in (small, large):
        # The thread's posts sit in the newest segments; no segment index is walked.
        assert spent["segments"] <= (POSTS + LATE) // LIVE_LIMIT + 1
        assert spent["index_rows"] == 0
        # A small file a post asked about, at most, in each of the index, the reply index
        # and the replies; and no more of the log than it holds between compactions.
        assert spent["state_records"] <= 3 * (POSTS + LATE) * FILE_LIMIT, spent
        assert spent["log_entries"] <= 2_048 // 20, spent
    # Five times the mentions (and the conversations), no more reads: the same files, each
    # at most a bucket's records (the index's buckets fill up to it, then split).
    assert large["segments"] <= small["segments"]
    assert large["state_files"] <= small["state_files"], (small, large)
    assert large["state_records"] <= large["state_files"] * FILE_LIMIT, large
    assert small["state_records"] > 0 and small["log_entries"] > 0  # (the counts see reads)


def test_a_batch_of_replies_is_one_append_to_the_index(tmp_path: Path, triager: Triager) -> None:
    """Forty replies to forty different posts: one line, one fsync, not a file each."""
    service = open_service(tmp_path / "data", triager, MovableClock(NOW))
    store = service._store
    assert isinstance(store, TinyDBStore)
    service.ingest(read_jsonl(others(40), "first.jsonl", NOW))
    written = store.state.tables.stats().get("files_written", 0)
    log = tmp_path / "data" / "state" / threads.THREADS_LOG
    lines = log.read_text().splitlines()
    replies = [record(f"r{i}", f"Any news? ({i})", author=f"r{i}", in_reply_to=f"x:o{i}")
               for i in range(40)]  # fmt: skip
    service.ingest(read_jsonl(jsonl(*replies), "replies.jsonl", NOW))
    assert len(log.read_text().splitlines()) == len(lines) + 1
    assert store.state.tables.stats().get("files_written", 0) - written <= 3  # not 40
    thread = service.conversations.thread("x:o7")
    assert thread is not None and "x:r7" in [p.key for p in thread.posts]
    store.close()


def test_a_folder_from_before_threads_is_filed_at_its_first_open(
    tmp_path: Path, triager: Triager
) -> None:
    folder = tmp_path / "data"
    service = open_service(folder, triager, MovableClock(NOW))
    service.ingest(read_jsonl(conversation(), "thread.jsonl", NOW))
    service._store.close()
    # As an earlier version left it: the mentions, no index of who answers whom.
    (folder / "state" / threads.THREADS_LOG).unlink()
    shutil.rmtree(folder / "state" / threads.THREADS)
    reader = open_service(folder, triager, MovableClock(NOW))  # no recovery: not filed
    thread = reader.conversations.thread("x:t0")
    assert thread is not None and [p.key for p in thread.posts] == ["x:t0"]
    reader._store.close()
    service = open_service(folder, triager, MovableClock(NOW))
    service.recover()  # as every command's open does (`cli/wiring._working`)
    thread = service.conversations.thread("x:t0")
    assert thread is not None and len(thread.posts) == POSTS
    service.recover()  # once: the next open files nothing again
    assert service._store.threads.backfill(service._store.iter_all) == 0
    service._store.close()


def test_a_line_a_crash_cut_short_loses_no_later_batch(tmp_path: Path, triager: Triager) -> None:
    folder = tmp_path / "data"
    service = open_service(folder, triager, MovableClock(NOW))
    service.ingest(read_jsonl(conversation(), "thread.jsonl", NOW))
    log = folder / "state" / threads.THREADS_LOG
    with log.open("ab") as handle:  # a batch's line, cut short: that batch was never stored
        handle.write(b'[["x:t0", "x:ghost"], ["x:t0"')
    service._store.close()
    service = open_service(folder, triager, MovableClock(NOW))
    late = record("late", "Any update?", author="dan", in_reply_to="x:t9")
    service.ingest(read_jsonl(jsonl(late), "late.jsonl", NOW))
    thread = service.conversations.thread("x:late")
    assert thread is not None and len(thread.posts) == POSTS + 1
    assert "x:ghost" not in [p.key for p in thread.posts]
    service._store.close()


def test_a_reader_beside_a_writer_that_died_mid_batch_sees_the_whole_thread(
    tmp_path: Path, triager: Triager
) -> None:
    """The batch's audit records were written, then the writer died before filing its
    replies or storing it: a reader (a report, `thread` beside a console) replays the batch
    in memory, its replies with it."""
    folder = tmp_path / "data"
    writer = open_service(folder, triager, MovableClock(NOW))
    writer.ingest(read_jsonl(conversation()[:10], "first.jsonl", NOW))

    def killed(*_: Any) -> None:
        raise RuntimeError("killed")

    writer._store.threads.add = killed  # type: ignore[method-assign, assignment]
    with pytest.raises(RuntimeError):
        writer.ingest(read_jsonl(conversation()[10:], "rest.jsonl", NOW))
    reader_store = TinyDBStore(folder, read_only=True)
    reader = ConsoleService(reader_store, writer._audit, triager, MovableClock(NOW),
                            writer.operator)  # fmt: skip
    assert reader.recover() >= POSTS - 10  # (and what the writer had not checkpointed)
    thread = reader.conversations.thread("x:t0")
    assert thread is not None and len(thread.posts) == POSTS
    reader_store.close()
    writer._store.close()
