"""The ingest's batch writer: one write in flight at a time, in order, on a thread of its own
when asked; a write's error reaches the caller that collects it; `close` leaves nothing
running."""

from __future__ import annotations

import threading
import time

import pytest

from crisis_console.core.intake.writer import BatchWriter


def test_threaded_writes_run_in_order_on_another_thread_one_at_a_time() -> None:
    written: list[tuple[int, str]] = []
    busy = threading.Lock()

    def write(batch: int) -> None:
        assert busy.acquire(blocking=False), "two writes in flight at once"
        time.sleep(0.01)
        written.append((batch, threading.current_thread().name))
        busy.release()

    writer = BatchWriter(write, threaded=True)
    collected = []
    try:
        for batch in range(5):
            writer.submit(batch)
            collected.append(writer.collect())
        writer.submit(5, last=True)  # nothing to overlap: written by the caller
        collected.append(writer.collect())
    finally:
        writer.close()
    assert collected == [0, 1, 2, 3, 4, 5]
    assert [b for b, _ in written] == [0, 1, 2, 3, 4, 5]
    assert all(name.startswith("ingest-write") for _, name in written[:5])
    assert written[5][1] == threading.current_thread().name


def test_a_write_that_fails_raises_where_it_is_collected() -> None:
    def write(batch: int) -> None:
        if batch == 1:
            raise OSError(28, "No space left on device")

    writer = BatchWriter(write, threaded=True)
    try:
        writer.submit(0)
        assert writer.collect() == 0
        writer.submit(1)
        with pytest.raises(OSError, match="No space"):
            writer.collect()
    finally:
        writer.close()


def test_close_waits_for_a_write_in_flight_and_stops_the_thread() -> None:
    done = threading.Event()

    def write(batch: int) -> None:
        time.sleep(0.05)
        done.set()

    writer = BatchWriter(write, threaded=True)
    writer.submit(0)
    writer.close()  # as on an error's way out: the write is not left running
    assert done.is_set()
    assert not [t for t in threading.enumerate() if t.name.startswith("ingest-write")]


def test_unthreaded_writes_happen_at_submit() -> None:
    written: list[int] = []
    writer = BatchWriter(written.append, threaded=False)
    writer.submit(7)
    assert written == [7]
    assert writer.collect() == 7
    assert writer.collect() is None
    writer.close()
