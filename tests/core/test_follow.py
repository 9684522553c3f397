"""Following a growing file: new lines as they land, whole lines only, through rotation and
truncation."""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

from crisis_console.core.intake.follow import Batch, follow


def start(path: Path) -> tuple[queue.Queue[Batch], threading.Event, threading.Thread]:
    out: queue.Queue[Batch] = queue.Queue()
    stop = threading.Event()

    def run() -> None:
        for batch in follow(path, stop, poll=0.01):
            out.put(batch)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return out, stop, thread


def lines(out: queue.Queue[Batch]) -> list[tuple[int, bytes]]:
    batch = out.get(timeout=5)
    return [(batch.first_line + i, line) for i, line in enumerate(batch.lines)]


def test_follow_through_growth_partial_lines_rotation_and_truncation(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b"one\ntwo\n")
    out, stop, thread = start(path)
    try:
        assert lines(out) == [(1, b"one"), (2, b"two")]
        with path.open("ab") as handle:
            handle.write(b"thr")
            handle.flush()
            assert out.empty() or lines(out) == []
            handle.write(b"ee\n")
        assert lines(out) == [(3, b"three")]
        os.replace(path, tmp_path / "feed.jsonl.1")  # rotated by the collector
        path.write_bytes(b"fresh\n")
        assert lines(out) == [(1, b"fresh")]
        path.write_bytes(b"")  # truncated
        with path.open("ab") as handle:
            handle.write(b"again\n")
        assert lines(out) == [(1, b"again")]
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
