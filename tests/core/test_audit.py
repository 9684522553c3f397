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
