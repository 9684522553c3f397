"""Following a growing JSONL file, the way `tail -F` does: new complete lines in batches,
surviving rotation (a new file under the same name) and truncation; and reading a pipe as a
stream, in batches that end when it goes quiet."""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True, slots=True)
class Batch:
    lines: list[bytes]
    first_line: int  # the file line number of the first line (restarts after rotation)


def follow(path: Path, stop: threading.Event, poll: float = 0.5) -> Iterator[Batch]:
    """Yield the lines already in `path`, then new ones as they are written, until `stop`.
    A line is yielded only once its newline has arrived."""
    position, inode, partial, line, mtime = 0, None, b"", 1, 0
    while not stop.is_set():
        try:
            status = path.stat()
        except FileNotFoundError:
            stop.wait(poll)  # between a rotation's rename and the new file
            continue
        rewritten = status.st_size <= position and status.st_mtime_ns != mtime and position > 0
        if status.st_ino != inode or status.st_size < position or rewritten:
            # Rotated, truncated, or truncated and refilled to the same length: from the top.
            # Reading a line twice is harmless: ingest recognises a duplicate.
            position, inode, partial, line = 0, status.st_ino, b"", 1
        mtime = status.st_mtime_ns
        if status.st_size > position:
            with path.open("rb") as handle:
                handle.seek(position)
                chunk = handle.read()
                position = handle.tell()
                mtime = os.fstat(handle.fileno()).st_mtime_ns  # as of what was read
            *complete, partial = (partial + chunk).split(b"\n")
            if complete:
                yield Batch(complete, line)
                line += len(complete)
        stop.wait(poll)


def stream(handle: BinaryIO, idle: float = 0.2, most: int = 500) -> Iterator[Batch]:
    """The lines of a pipe, in batches that end when `most` lines have come or the pipe has
    been quiet for `idle` seconds, so a slow producer's lines are stored promptly and a fast
    one's in large batches. Ends when the writer closes the pipe."""
    fd = handle.fileno()
    pending, line = b"", 1
    lines: list[bytes] = []
    while True:
        ready, _, _ = select.select([fd], [], [], idle if lines else None)
        if ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            *complete, pending = (pending + chunk).split(b"\n")
            lines += complete
        if lines and (not ready or len(lines) >= most):
            yield Batch(lines, line)
            line, lines = line + len(lines), []
    if pending:
        lines.append(pending)  # a last line without its newline
    if lines:
        yield Batch(lines, line)
