"""The audit log: one chained record per event, continued across reopen, tampering detected."""

from __future__ import annotations

import json
from pathlib import Path

from crisis_console.core.audit import GENESIS, AuditEvent, AuditLog
from tests.conftest import NOW


def event(n: int) -> AuditEvent:
    return AuditEvent("mention.ingested", f"x:{n}", "tester", NOW, {"text": f"post {n}"})


def test_append_chains_each_record_to_the_one_before(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append([event(1), event(2)])
    AuditLog(tmp_path / "audit.jsonl").append([event(3)])  # a later process continues the chain
    records = list(AuditLog(tmp_path / "audit.jsonl").events())
    assert [r["seq"] for r in records] == [1, 2, 3]
    assert records[0]["prev"] == GENESIS
    assert [r["prev"] for r in records[1:]] == [r["hash"] for r in records[:-1]]
    assert records[2]["subject"] == "x:3" and records[2]["actor"] == "tester"
    assert AuditLog(tmp_path / "audit.jsonl").verify().ok


def _rewrite(path: Path, edit: object) -> None:
    lines = path.read_text().splitlines()
    assert callable(edit)
    path.write_text("\n".join(edit(lines)) + "\n")


def test_verify_names_the_first_altered_removed_or_reordered_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append([event(n) for n in range(1, 6)])
    original = path.read_text()

    def alter(lines: list[str]) -> list[str]:
        record = json.loads(lines[2])
        record["data"]["text"] = "edited"
        return [*lines[:2], json.dumps(record), *lines[3:]]

    cases = {
        "altered": (alter, 3),
        "removed": (lambda lines: lines[:1] + lines[2:], 2),
        "reordered": (lambda lines: [lines[0], lines[2], lines[1], *lines[3:]], 2),
    }
    for name, (edit, bad_line) in cases.items():
        path.write_text(original)
        _rewrite(path, edit)
        result = AuditLog(path).verify()
        assert (result.ok, result.first_bad_line) == (False, bad_line), name
    path.write_text(original)
    assert AuditLog(path).verify().ok


def test_a_torn_last_line_from_a_crash_is_set_aside_and_the_chain_continues(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append([event(1), event(2)])
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"seq":3,"at":"2026-03-14T12:00')  # the crash: no newline
    log = AuditLog(path)
    assert log.set_aside is not None
    assert log.set_aside.read_bytes() == b'{"seq":3,"at":"2026-03-14T12:00'
    assert path.read_bytes() == whole
    log.append([event(3)])
    assert [r["seq"] for r in log.events()] == [1, 2, 3]
    assert log.verify().ok


def test_every_tamper_case_is_caught_including_cutting_the_end(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append([event(n) for n in range(1, 6)])
    original = path.read_text()

    def swap(lines: list[str]) -> list[str]:
        return [*lines[:1], lines[2], lines[1], *lines[3:]]

    cases = {
        "edit a field": (
            lambda lines: [*lines[:3], lines[3].replace("tester", "mallory"), lines[4]],
            4,
        ),
        "delete a record": (lambda lines: lines[:3] + lines[4:], 4),
        "swap two records": (swap, 2),
        "truncate the file": (lambda lines: lines[:3], 4),
    }
    for name, (edit, bad_line) in cases.items():
        path.write_text(original)
        _rewrite(path, edit)
        result = AuditLog(path, repair=False).verify()
        assert (result.ok, result.first_bad_line) == (False, bad_line), name
    path.write_text(original)
    assert AuditLog(path).verify().ok
    path.write_text(original[:-1])  # truncated mid-record by a crash: set aside, then whole
    log = AuditLog(path)
    assert log.set_aside is not None and not log.verify().ok  # the head knows record 5 existed


def test_rotation_keeps_one_chain_across_files(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", rotate_bytes=2_000)
    for n in range(1, 31):
        log.append([event(n)])
    assert len(log.files()) > 3
    assert log.verify().ok and log.verify().events == 30
    assert [r["seq"] for r in log.events()] == list(range(1, 31))
    assert [r["seq"] for r in log.events_after(27)] == [28, 29, 30]


def test_two_processes_appending_take_turns(tmp_path: Path) -> None:
    first, second = AuditLog(tmp_path / "audit.jsonl"), AuditLog(tmp_path / "audit.jsonl")
    for n in range(10):
        (first if n % 2 else second).append([event(n)])
    assert AuditLog(tmp_path / "audit.jsonl").verify().events == 10
