"""The audit log: one chained record per event, continued across reopen, tampering detected."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import cast

from crisis_console.core.archive.audit import GENESIS, AuditEvent, AuditLog
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


def test_a_torn_record_longer_than_the_tail_read_is_set_aside_whole(tmp_path: Path) -> None:
    """A record can be large (a tick's breaches in one queue name every mention): a crash
    inside one of a megabyte sets aside that fragment only, never the whole records before
    it (the search for the last newline once stopped 256 kB from the end)."""
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append([event(1), event(2)])
    whole = path.read_bytes()
    fragment = b'{"seq":3,"data":{"mentions":{' + b'"x:1":"2026-03-14T12:00",' * 40_000
    path.write_bytes(whole + fragment)  # the crash: no newline
    log = AuditLog(path)
    assert log.set_aside is not None and log.set_aside.read_bytes() == fragment
    assert path.read_bytes() == whole
    assert [r["seq"] for r in log.events()] == [1, 2] and log.verify().ok


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


# --- the canonical layout: each line is the hashed body with its hash spliced in -----------

LEGACY_ORDER = ("seq", "at", "actor", "action", "subject", "data", "prev", "hash")


def canonical_body(record: dict[str, object]) -> bytes:
    body = {k: v for k, v in record.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def legacy(line: str) -> str:
    """The record as a version before the canonical layout wrote it: insertion order."""
    record = json.loads(line)
    return json.dumps(
        {k: record[k] for k in LEGACY_ORDER}, ensure_ascii=False, separators=(",", ":")
    )


def verdict(path: Path) -> tuple[bool, int, str]:
    result = AuditLog(path, repair=False).verify()
    return result.ok, result.first_bad_line, result.message


def test_each_line_is_its_canonical_body_with_the_hash_spliced_in(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append([event(1), AuditEvent("a", "s", "t", NOW, {"é": ["ü", 1.5, None]})])
    for line in path.read_bytes().splitlines():
        record = json.loads(line)
        assert list(record)[-1] == "hash"  # every reader still sees the same fields
        assert line == canonical_body(record)[:-1] + b',"hash":"%s"}' % record["hash"].encode()
        assert hashlib.sha256(canonical_body(record)).hexdigest() == record["hash"]


def test_a_log_mixing_the_earlier_layout_and_the_canonical_one_verifies(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append([event(n) for n in range(1, 5)])
    lines = path.read_text().splitlines()
    _rewrite(path, lambda lines: [legacy(lines[0]), lines[1], legacy(lines[2]), lines[3]])
    AuditLog(path).append([event(5), event(6)])  # a later version continues an earlier log
    assert path.read_text().splitlines()[1:4:2] == lines[1::2]  # the rest left as they were
    assert AuditLog(path).verify().events == 6
    assert [r["seq"] for r in AuditLog(path).events()] == [1, 2, 3, 4, 5, 6]
    assert [r["seq"] for r in AuditLog(path).events_after(4)] == [5, 6]
    original = path.read_text()
    for n in (1, 3):  # an earlier-layout line edited is still caught, through the slow path
        path.write_text(original.replace(f"post {n}", "edited"))
        assert verdict(path)[:2] == (False, n)
    path.write_text(original)
    assert verdict(path) == (True, 0, "")


def test_a_log_in_the_earlier_layout_verifies_and_is_continued(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, rotate_bytes=1)  # each append closes the file
    for n in range(1, 4):
        log.append([event(n)])
    for file in log.files():
        file.write_text("".join(legacy(line) + "\n" for line in file.read_text().splitlines()))
    assert log.verify().events == 3
    log.append([event(4)])
    assert log.verify().ok and log.verify().events == 4 and len(log.files()) == 4


CAUGHT = "its content does not match its hash (the record was changed)"
NOT_FOLLOWING = "does not follow the record before it (changed, removed, inserted or moved)"


def test_every_change_to_a_canonical_line_is_caught_at_that_line(tmp_path: Path) -> None:
    """Edits of the bytes themselves, keeping the layout, so the unparsed check sees them."""
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append([event(n) for n in range(1, 6)])
    original = path.read_text()
    lines = original.splitlines()
    third = json.loads(lines[2])

    def on_third(old: str, new: str) -> object:
        return lambda lines: [*lines[:2], lines[2].replace(old, new, 1), *lines[3:]]

    def flip(text: str) -> str:
        return ("1" if text[0] != "1" else "2") + text[1:]

    cases = {
        "a character of data": (on_third("post 3", "post 8"), 3, CAUGHT),
        "a character of prev": (on_third(third["prev"], flip(third["prev"])), 3, NOT_FOLLOWING),
        "the sequence number": (on_third('"seq":3,', '"seq":4,'), 3, "sequence 4, expected 3"),
        "a character of the hash": (on_third(third["hash"], flip(third["hash"])), 3, CAUGHT),
        "the subject": (on_third('"subject":"x:3"', '"subject":"x:9"'), 3, CAUGHT),
        "the actor": (on_third('"actor":"tester"', '"actor":"mallor"'), 3, CAUGHT),
        "two records swapped": (lambda lines: [lines[0], lines[2], lines[1], *lines[3:]], 2, ""),
        "a record removed": (lambda lines: [*lines[:2], *lines[3:]], 3, NOT_FOLLOWING),
        "a record repeated": (lambda lines: [*lines[:3], lines[2], *lines[3:]], 4, ""),
        "a record inserted": (lambda lines: [*lines[:2], lines[4], *lines[2:]], 3, ""),
        "the end cut off": (lambda lines: lines[:3], 4, ""),
        "a blank line": (lambda lines: [*lines[:3], "", *lines[3:]], 4, "not valid JSON"),
    }
    for name, (edit, bad_line, message) in cases.items():
        path.write_text(original)
        _rewrite(path, edit)
        ok, line, why = verdict(path)
        assert (ok, line) == (False, bad_line), name
        assert why == message or not message, name
    path.write_text(original)
    _rewrite(path, on_third('"data":{', '"data": {'))  # the same content: passed before too
    assert verdict(path) == (True, 0, "")
    path.write_text(original)
    _rewrite(path, on_third(lines[2][-40:], ""))  # a record cut short, the rest kept
    assert verdict(path) == (False, 3, "not valid JSON")
    path.write_text(original[:-40])  # the last line torn by a crash: set aside, then the head
    log = AuditLog(path)
    assert log.set_aside is not None and len(log.set_aside.read_text()) == len(lines[4]) - 39
    assert verdict(path) == (False, 5, "records 5 to 5 are missing: the log was cut short")
    path.write_text(original)
    assert verdict(path) == (True, 0, "")


def test_a_record_changed_with_its_hash_worked_out_again_is_caught_where_it_was(
    tmp_path: Path,
) -> None:
    """Whoever rewrites a record and its hash, in the canonical layout, is caught at that
    record when the chain fields are wrong for its place, otherwise at the next link."""
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append([event(n) for n in range(1, 4)])
    lines = path.read_text().splitlines()
    cases: dict[str, tuple[str, object, int, str]] = {
        "data": ("data", {"text": "forged"}, 3, NOT_FOLLOWING),
        "seq": ("seq", 7, 2, "sequence 7, expected 2"),
        "prev": ("prev", json.loads(lines[1])["hash"], 2, NOT_FOLLOWING),
    }
    for name, (field, value, bad_line, message) in cases.items():
        record = json.loads(lines[1])
        record[field] = value
        body = canonical_body(record)
        forged = body[:-1] + b',"hash":"%s"}' % hashlib.sha256(body).hexdigest().encode()
        path.write_bytes(b"\n".join([lines[0].encode(), forged, lines[2].encode()]) + b"\n")
        assert verdict(path) == (False, bad_line, message), name


def test_chain_fields_written_inside_data_or_subject_do_not_pass_a_moved_record(
    tmp_path: Path,
) -> None:
    """Text or nested objects that spell `"prev":"…","seq":N,"subject":"` or `"hash":"` for
    the place a record is moved to: verify still reads the record's own fields."""
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.append([event(1)])
    first = json.loads(path.read_text().splitlines()[0])["hash"]
    fake = f',"prev":"{first}","seq":2,"subject":"x:2"}}'
    spoof = {"prev": first, "seq": 2, "subject": "x:2", "hash": first}
    log.append(
        [
            event(2),
            AuditEvent("a", "x:3", "t", NOW, {"text": fake, "z": spoof, "zz": f'"hash":"{first}"'}),
            AuditEvent("a", f'x:4{fake}"seq":2,"hash":"{first}"', "t", NOW, {"z": spoof}),
            # Not a string, as callers should never pass; the check must not rely on it.
            AuditEvent("a", cast(str, {"a": 1, **spoof}), "t", NOW, {}),
            event(6),
        ]
    )
    original = path.read_text()
    assert verdict(path) == (True, 0, "")
    lines = original.splitlines()
    for moved in (2, 3, 4):  # each spoofing record put where record 2 was
        put = [lines[0], lines[moved], *lines[2:moved], *lines[moved + 1 :]]
        path.write_text("\n".join(put) + "\n")
        assert verdict(path) == (False, 2, NOT_FOLLOWING), moved
        path.write_text(f"{lines[0]}\n{lines[moved]}\n")  # the rest cut away too
        assert verdict(path) == (False, 2, NOT_FOLLOWING), moved
    for n in (2, 3, 4):  # the spoofing text itself edited
        edited = [*lines[:n], lines[n].replace(first[:8], "00000000", 1), *lines[n + 1 :]]
        assert edited != lines
        path.write_text("\n".join(edited) + "\n")
        assert verdict(path) == (False, n + 1, CAUGHT), n


def test_line_ends_are_read_as_before_carriage_returns_included(tmp_path: Path) -> None:
    """The log used to be read in text mode, where a carriage return ends a line too: a file
    saved with CRLF still verifies, and line numbers count as they did."""
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append([event(n) for n in range(1, 5)])
    lines = path.read_text().splitlines()
    path.write_bytes("".join(line + "\r\n" for line in lines).encode())
    assert verdict(path) == (True, 0, "")
    path.write_bytes("\n".join([lines[0], lines[1] + "\r" + lines[2], lines[3]]).encode() + b"\n")
    assert verdict(path) == (True, 0, "")
    path.write_bytes("\n".join([lines[0], lines[1] + "\r" + lines[3], lines[2]]).encode() + b"\n")
    assert verdict(path) == (False, 3, NOT_FOLLOWING)
    path.write_bytes("\n".join([lines[0], "\ufeff" + lines[1], lines[2]]).encode() + b"\n")
    assert verdict(path) == (False, 2, "not valid JSON")  # a byte-order mark never passed
    torn = lines[1].encode()[:-9] + b'\xff"}'
    path.write_bytes(b"\n".join([lines[0].encode(), torn, lines[2].encode()]) + b"\n")
    assert verdict(path) == (False, 2, "not valid JSON")  # not UTF-8: named, not raised


def test_values_encoded_ahead_give_the_same_record_as_encoding_it_whole() -> None:
    """An ingest hands the chain its record's values already encoded; a value added after
    (the playbook's stamp, which sorts among them) is encoded with the rest."""
    from dataclasses import replace

    from crisis_console.core.archive.audit import chain_parts
    from crisis_console.core.archive.audit_verify import canonical_json

    data = {"mention": {"text": 'ü "q"', "b": [1, None]}, "route": {"z": 1, "a": 2}, "id": "x:1"}
    plain = AuditEvent("mention.ingested", "x:1", "maya", NOW, {**data, "source": "f:1"})
    ahead = replace(plain, encoded={k: canonical_json(v) for k, v in data.items()})
    assert chain_parts(ahead) == chain_parts(plain)
    stamped = {"playbook": "abc123", **ahead.data}
    assert chain_parts(replace(ahead, data=stamped)) == chain_parts(replace(plain, data=stamped))
    assert b'"playbook":"abc123"' in chain_parts(replace(ahead, data=stamped))[0]
