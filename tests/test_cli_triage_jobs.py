"""`crisis-console triage` shares a file out among worker processes: the output must be the
same, line for line, as one process's, with every bad record still reported."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from crisis_console.cli.triage import CHUNK, MIN_PARALLEL_BYTES
from tests.conftest import jsonl, record

TEXTS = (
    "The blender blade snapped off and I'm injured",
    "Love the new range, thank you!",
    "found glass in my cereal this morning",
    "How do I pause my box?",
    "evacuation ordered, we are trapped on the roof, please help",
    "El pedido llegó roto y nadie responde, qué vergüenza",
    "RT @news: fire at the warehouse, people inside",
)


def _feed(path: Path, posts: int) -> tuple[Path, list[int]]:
    """`posts` records over a few authors (so that repeat-author reasons fall in every
    chunk), with a bad record every 700 lines; the bad lines' numbers."""
    lines, bad = [], []
    for n in range(posts):
        if n % 700 == 350:
            bad_record = {"id": f"b{n}", "platform": "x", "text": "ok", "followers": "lots"}
            lines.append(json.dumps(bad_record))
            bad.append(len(lines))
        rec = record(str(n), f"{TEXTS[n % len(TEXTS)]} #{n}", author=f"a{n % 97}")
        lines += jsonl(rec)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, bad


def _triage(*args: str, stdin: Path) -> subprocess.CompletedProcess[str]:
    with stdin.open("rb") as feed:
        return subprocess.run(
            [sys.executable, "-m", "crisis_console", "triage", *args],
            stdin=feed, capture_output=True, text=True, timeout=300,
        )  # fmt: skip


def test_workers_write_what_one_process_writes_in_the_same_order(tmp_path: Path) -> None:
    feed, bad = _feed(tmp_path / "in.jsonl", 3 * CHUNK + 40)
    serial = _triage("--jobs", "1", "-", stdin=feed)
    shared = _triage("--jobs", "2", "-", stdin=feed)
    assert serial.returncode == shared.returncode == 1  # a bad record was reported
    assert shared.stdout == serial.stdout
    rows = [json.loads(line) for line in shared.stdout.splitlines()]
    assert [r["id"] for r in rows] == [f"x:{n}" for n in range(3 * CHUNK + 40)]
    # The authors' posts are counted across chunks (author a5 posts every 97 lines).
    assert "repeat author: post 7 from @a5" in rows[5 + 6 * 97]["reasons"]
    assert [line.split(":")[1] for line in shared.stderr.splitlines()] == [str(b) for b in bad]


def test_a_big_file_is_shared_out_by_default_and_a_pipe_is_answered_line_by_line(
    tmp_path: Path,
) -> None:
    feed, _ = _feed(tmp_path / "in.jsonl", 4 * CHUNK)
    while feed.stat().st_size < MIN_PARALLEL_BYTES:
        feed.write_text(feed.read_text() * 2)
    by_default = _triage(str(feed), stdin=Path("/dev/null"))
    serial = _triage("--jobs", "1", str(feed), stdin=Path("/dev/null"))
    assert by_default.stdout == serial.stdout and by_default.stdout
    # A pipe: the first result arrives before the input ends.
    with subprocess.Popen(
        [sys.executable, "-m", "crisis_console", "triage", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    ) as child:  # fmt: skip
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write("\n".join(jsonl(record("1", "found glass in my cereal"))) + "\n")
        child.stdin.flush()
        first = json.loads(child.stdout.readline())
        child.stdin.close()
        assert first["id"] == "x:1" and first["escalate"] is True
        assert child.wait(timeout=60) == 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:  # the parent's pid
                found.append(int(entry.name))
    return found


def test_a_worker_killed_fails_the_run_with_a_reason_instead_of_hanging(tmp_path: Path) -> None:
    feed, _ = _feed(tmp_path / "in.jsonl", 60 * CHUNK)
    with subprocess.Popen(
        [sys.executable, "-m", "crisis_console", "triage", "--jobs", "2", str(feed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as child:  # fmt: skip
        assert child.stdout is not None and child.stderr is not None
        child.stdout.readline()  # the workers are at work
        workers = _children(child.pid)
        assert workers, "no worker processes"
        os.kill(workers[0], signal.SIGKILL)  # as the out-of-memory killer would
        try:
            out, errors = child.communicate(timeout=120)  # never a hang
        except subprocess.TimeoutExpired:
            child.kill()
            raise
    assert child.returncode == 2
    assert "a worker process died" in errors
    assert len(out.splitlines()) < 60 * CHUNK - 1  # what was written before is whole lines
