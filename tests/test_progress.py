"""The import progress line: share, records, rate and ETA, drawn over itself on a terminal."""

from __future__ import annotations

import io

from crisis_console.core.errors import Problem
from crisis_console.core.service import IngestReport
from crisis_console.progress import ImportProgress


def test_the_line_shows_share_rate_and_eta() -> None:
    progress = ImportProgress("feed.jsonl", size=1000, out=io.StringIO())
    assert list(progress.counted([b"x" * 250, b"y" * 250])) == [b"x" * 250, b"y" * 250]
    report = IngestReport(new=900, duplicates=99, problems=[Problem("f", 3, "", "bad")])
    line = progress.line(report, seconds=10.0)
    assert line.startswith("feed.jsonl  ████████████")  # half of 24
    assert "50%  1,000 records  100/s  ETA 0:10" in line


def test_it_draws_over_itself_and_clears_at_the_end() -> None:
    out = io.StringIO()
    progress = ImportProgress("feed.jsonl", size=10, out=out, every=0)
    list(progress.counted([b"12345"]))
    progress(IngestReport(new=5))
    progress.finish()
    assert out.getvalue().startswith("\rfeed.jsonl") and out.getvalue().endswith("\r\x1b[2K")
