"""Verify's cost, counted rather than timed (`bench/audit_bench.py` times it): a record in the
canonical layout is checked by hashing its line, without parsing it; a record written before
that layout is parsed, one line at a time, and only that one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crisis_console.core.archive import audit_verify as audit
from crisis_console.core.archive.audit import AuditEvent, AuditLog
from tests.conftest import NOW


def events(count: int) -> list[AuditEvent]:
    data = {"text": 'a "quoted" post, é 🙄 \\ ,"prev":"', "n": [1, 2.5, None, True]}
    return [AuditEvent("mention.ingested", f"x:{n}", "tester", NOW, data) for n in range(count)]


def parsed_lines(monkeypatch: pytest.MonkeyPatch, log: AuditLog) -> list[int]:
    """The sequence numbers of the lines verify parsed."""
    seen: list[int] = []
    check = audit._check_line

    def counting(line: bytes, prev: str, expected: int) -> tuple[str, str]:
        seen.append(expected)
        return check(line, prev, expected)

    monkeypatch.setattr(audit, "_check_line", counting)
    assert log.verify().ok
    return seen


def test_verify_parses_no_record_in_the_canonical_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", rotate_bytes=20_000)
    log.append(events(300))
    log.append(events(300))
    assert len(log.files()) == 2
    assert parsed_lines(monkeypatch, log) == []


def test_verify_parses_only_the_records_written_before_that_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append(events(10))
    lines = path.read_text().splitlines()
    order = ("seq", "at", "actor", "action", "subject", "data", "prev", "hash")
    earlier = [json.dumps({k: json.loads(line)[k] for k in order}) for line in lines[:4]]
    path.write_text("\n".join([*earlier, *lines[4:]]) + "\n")
    assert parsed_lines(monkeypatch, AuditLog(path)) == [1, 2, 3, 4]
