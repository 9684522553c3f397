"""A progress line for long imports on a terminal: share done, mentions, rate and ETA.

Drawn on stderr with a carriage return, only when stderr is a terminal (a log or a pipe gets
the summary alone), at most a few times a second.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import IO

from crisis_console.core.service import IngestReport

WIDTH = 24  # characters of bar


class ImportProgress:
    """Counts the bytes read from a file of `size` bytes and draws how far the import is."""

    def __init__(self, name: str, size: int, out: IO[str], every: float = 0.25) -> None:
        self.name, self.size, self.out, self.every = name, max(size, 1), out, every
        self.read = 0
        self.started = self.drawn = time.monotonic()

    def counted(self, lines: Iterable[bytes]) -> Iterator[bytes]:
        for line in lines:
            self.read += len(line)
            yield line

    def __call__(self, report: IngestReport) -> None:
        now = time.monotonic()
        if now - self.drawn >= self.every:
            self.drawn = now
            self.out.write("\r" + self.line(report, now - self.started))
            self.out.flush()

    def line(self, report: IngestReport, seconds: float) -> str:
        share = min(self.read / self.size, 1.0)
        done = report.new + report.updated + report.duplicates + report.deleted + report.rejected
        rate = done / seconds if seconds > 0 else 0.0
        left = seconds * (1 - share) / share if share > 0 else 0.0
        bar = "█" * round(WIDTH * share)
        return (
            f"{self.name}  {bar:<{WIDTH}} {share:4.0%}  {done:,} records  {rate:,.0f}/s  "
            f"ETA {int(left) // 60}:{int(left) % 60:02d}"
        )

    def finish(self) -> None:
        """Clear the line, so the summary that follows starts clean."""
        self.out.write("\r\x1b[2K")
        self.out.flush()
