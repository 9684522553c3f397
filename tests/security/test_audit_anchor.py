"""Issue 15, point 7: audit history cannot be rewritten in a data folder. Each attack is one
a colleague who can write the folder (but not read the operator's configuration) makes
with a few lines of Python: every one passed `audit verify` before the chain was sealed
with a key kept outside the folder."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

from crisis_console import config
from crisis_console.core.archive.audit import AUDIT_FILE, GENESIS, AuditEvent, chain_lines
from crisis_console.core.archive.seal import Head, Seal
from tests.conftest import ROOT
from tests.security.shell import ME, cli, roster

DEMO = ROOT / "crisis_console" / "demo_data" / "mentions.jsonl"


def ingested(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    roster(data, {ME: "lead", "sam": "support"})
    assert cli(data, "ingest", str(DEMO)).returncode == 0
    return data


def records(data: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (data / AUDIT_FILE).read_text().splitlines()]


def rewrite(data: Path, recs: list[dict[str, object]]) -> tuple[int, str]:
    """The whole chain hashed again from the first record, as an attacker would."""
    events = [
        AuditEvent(
            str(r["action"]),
            str(r["subject"]),
            str(r["actor"]),
            datetime.fromisoformat(str(r["at"])),
            r["data"],  # type: ignore[arg-type]
        )
        for r in recs
    ]
    lines, seq, last = chain_lines(events, 0, GENESIS)
    (data / AUDIT_FILE).write_bytes(b"\n".join(lines) + b"\n")
    return seq, last


def refused_everywhere(data: Path, problem: str) -> None:
    """verify names the problem; a writer refuses to append, and says to verify."""
    verified = cli(data, "audit", "verify")
    assert verified.returncode == 1 and problem in verified.stderr, verified.stderr
    writer = cli(data, "crisis", "status")
    assert writer.returncode != 0 and "audit verify" in writer.stderr, writer.stderr
    assert "Traceback" not in writer.stderr + verified.stderr


def test_the_seal_key_lives_outside_the_data_folder(tmp_path: Path) -> None:
    data = ingested(tmp_path)
    seal = config.audit_seal(data)
    assert seal.known and data.resolve() not in seal.key_path.resolve().parents
    assert seal.key_path.stat().st_mode & 0o077 == 0  # the account's own
    assert json.loads((data / "audit.head").read_text())["mac"]
    assert cli(data, "audit", "verify").returncode == 0


def test_truncating_the_log_and_deleting_the_head_is_found(tmp_path: Path) -> None:
    data = ingested(tmp_path)
    log = data / AUDIT_FILE
    log.write_text("\n".join(log.read_text().splitlines()[:100]) + "\n")
    (data / "audit.head").unlink()
    refused_everywhere(data, "the head of the chain is missing or unsigned")


def test_a_forged_record_appended_with_a_right_hash_is_found(tmp_path: Path) -> None:
    data = ingested(tmp_path)
    last = records(data)[-1]
    forged = AuditEvent("approval", "x:1", "maya", datetime.fromisoformat(str(last["at"])), {})
    lines, seq, prev = chain_lines([forged], int(str(last["seq"])), str(last["hash"]))
    with (data / AUDIT_FILE).open("ab") as handle:
        handle.write(lines[0] + b"\n")
    verified = cli(data, "audit", "verify")  # the head left as it was
    assert verified.returncode == 1 and "was added without the seal's key" in verified.stderr
    old = json.loads((data / "audit.head").read_text())  # and a head made to match
    (data / "audit.head").write_text(json.dumps({**old, "seq": seq, "hash": prev}))
    refused_everywhere(data, "the head of the chain is not signed with this folder's key")


def test_rehashing_the_whole_chain_is_found(tmp_path: Path) -> None:
    data = ingested(tmp_path)
    recs = records(data)
    recs[3] = {**recs[3], "actor": "someone-else"}
    seq, last = rewrite(data, recs)
    (data / "audit.head").write_text(json.dumps({"seq": seq, "hash": last}))  # the old layout
    refused_everywhere(data, "the head of the chain is missing or unsigned")


def test_putting_back_an_older_log_and_its_signed_head_is_found(tmp_path: Path) -> None:
    """An old copy of the log and of its head still verify as a chain; the anchor kept
    beside the key says the log once went further."""
    data = ingested(tmp_path)
    shutil.copy(data / AUDIT_FILE, tmp_path / "old.jsonl")
    shutil.copy(data / "audit.head", tmp_path / "old.head")
    assert cli(data, "crisis", "raise", "1", "--reason", "Complaints rising").returncode == 0
    shutil.copy(tmp_path / "old.jsonl", data / AUDIT_FILE)
    shutil.copy(tmp_path / "old.head", data / "audit.head")
    refused_everywhere(data, "sealed from this account, is missing or has changed")


def test_a_changed_byte_in_a_stored_mention_is_found(tmp_path: Path) -> None:
    data = ingested(tmp_path)
    live = data / "mentions" / "live.json"
    text = live.read_text()
    at = text.index("parcel")
    live.write_text(text[:at] + "Parcel" + text[at + 6 :])
    verified = cli(data, "audit", "verify")
    assert verified.returncode == 1
    assert "1 stored mention(s) differ from the audit chain" in verified.stderr
    assert "the stored text or times differ" in verified.stderr
    assert cli(data, "audit", "verify", "--chain-only").returncode == 0  # the chain is whole


def test_a_checkpoint_proves_nothing_before_it_changed_even_for_a_key_holder(
    tmp_path: Path,
) -> None:
    """Someone who holds the key (the account itself) rewrites a record and seals the
    rewritten chain: verify alone passes, but not against the lead's checkpoint."""
    data = ingested(tmp_path)
    made = cli(data, "audit", "checkpoint")
    assert made.returncode == 0, made.stderr
    checkpoint = made.stdout.strip()
    assert checkpoint.startswith("cc1.") and len(checkpoint) < 90
    assert any(r["action"] == "audit.checkpoint" for r in records(data))  # it is audited
    assert cli(data, "audit", "verify", "--against", checkpoint).returncode == 0
    assert cli(data, "ingest", str(DEMO)).returncode == 0  # work goes on after it
    assert cli(data, "audit", "verify", "--against", checkpoint).returncode == 0

    recs = records(data)
    recs[2] = {**recs[2], "actor": "someone-else"}
    seq, last = rewrite(data, recs)
    seal = config.audit_seal(data)
    (data / "audit.head").write_text(seal.signed(Head(seq, last, seq, last)).to_json())
    seal.move_anchor(seq, last)
    assert cli(data, "audit", "verify", "--chain-only").returncode == 0
    against = cli(data, "audit", "verify", "--against", checkpoint)
    assert against.returncode == 1 and "has changed since the checkpoint" in against.stderr

    forged = checkpoint[:-4] + ("0000" if not checkpoint.endswith("0000") else "1111")
    faked = cli(data, "audit", "verify", "--against", forged)
    assert faked.returncode == 1 and "its signature does not match" in faked.stderr


def test_a_checkpoint_is_for_an_auditor_or_lead_and_a_refusal_is_audited(tmp_path: Path) -> None:
    data = ingested(tmp_path)
    roster(data, {ME: "lead", "sam": "support"}, {ME: ["sam"]})
    assert cli(data, "team", "accept").returncode == 0
    done = cli(data, "--as", "sam", "audit", "checkpoint")
    assert done.returncode != 0 and "may not checkpoint the audit log" in done.stderr
    assert "it needs auditor or lead" in done.stderr and "cc1." not in done.stdout
    refusal = records(data)[-1]
    assert (refusal["action"], refusal["subject"], refusal["actor"]) == (
        "refused",
        "audit:checkpoint",
        "sam",
    )


def test_a_crash_between_the_head_and_the_records_loses_nothing_acknowledged(
    tmp_path: Path,
) -> None:
    """The head is written first: a crash before the records reach the disk leaves it one
    append ahead; the next writer takes the log as it is (that append never returned)."""
    data = ingested(tmp_path)
    last = records(data)[-1]
    seq, prev = int(str(last["seq"])), str(last["hash"])
    seal = config.audit_seal(data)
    lines, ahead, ahead_hash = chain_lines(
        [AuditEvent("claim", "x:1", ME, datetime.fromisoformat(str(last["at"])), {})] * 3,
        seq,
        prev,
    )
    cut = data / "audit.head"
    cut.write_text(seal.signed(Head(ahead, ahead_hash, seq, prev)).to_json())
    reopened = cli(data, "crisis", "status")
    assert reopened.returncode == 0, reopened.stderr
    assert cli(data, "audit", "verify").returncode == 0
    # And a crash part-way through the records: those that reached the disk are kept.
    last = records(data)[-1]
    seq, prev = int(str(last["seq"])), str(last["hash"])
    lines, ahead, ahead_hash = chain_lines(
        [AuditEvent("claim", "x:1", ME, datetime.fromisoformat(str(last["at"])), {})] * 3,
        seq,
        prev,
    )
    cut.write_text(seal.signed(Head(ahead, ahead_hash, seq, prev)).to_json())
    with (data / AUDIT_FILE).open("ab") as handle:
        handle.write(lines[0] + b"\n" + lines[1] + b"\n")
    assert cli(data, "crisis", "status").returncode == 0
    assert len(records(data)) == seq + 2
    assert cli(data, "audit", "verify").returncode == 0


def test_a_log_written_before_sealing_is_sealed_as_it_stands(tmp_path: Path) -> None:
    data = ingested(tmp_path)
    seal = config.audit_seal(data)
    seal.key_path.unlink()
    seal.anchor_path.unlink()
    last = records(data)[-1]
    (data / "audit.head").write_text(json.dumps({"seq": last["seq"], "hash": last["hash"]}))
    assert cli(data, "audit", "verify").returncode == 0  # not sealed yet: nothing to check
    assert cli(data, "crisis", "status").returncode == 0  # the first writer seals it
    assert Seal(config.audit_keys_dir(), data).known
    assert json.loads((data / "audit.head").read_text())["mac"]
    assert cli(data, "audit", "verify").returncode == 0


def test_deleting_the_whole_log_leaves_every_stored_mention_unaccounted_for(
    tmp_path: Path,
) -> None:
    """With no log and no head the folder starts a new chain (as the demo's reset does,
    the old key set aside), but the mentions still stored are in none of it."""
    data = ingested(tmp_path)
    (data / AUDIT_FILE).unlink()
    (data / "audit.head").unlink()
    missing = cli(data, "audit", "verify")
    assert missing.returncode != 0 and "though it stores mentions" in missing.stderr
    feed = tmp_path / "one.jsonl"
    feed.write_text(
        '{"id": "n1", "platform": "x", "text": "hello", "created_at": "2026-03-14T11:00:00Z"}\n'
    )
    assert cli(data, "ingest", str(feed)).returncode == 0  # a writer starts a new chain
    assert list(config.audit_keys_dir().glob("*.key.retired-1"))
    verified = cli(data, "audit", "verify")
    assert verified.returncode == 1
    assert "209 stored mention(s) differ from the audit chain" in verified.stderr
    assert "in the store, never in the audit chain" in verified.stderr
