"""Issue 15, point 2: the playbook in force is part of the store. `--playbook`,
`CRISIS_CONSOLE_PLAYBOOK` or the playbook's file edited in place cannot swap a store's
policy (so an embargoed term goes out, or support approves); a lead changes it, audited with
both hashes, and every audit record names the hash it was made under."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, jsonl, record
from tests.security.shell import ME, cli, roster


def audit(data: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (data / "audit.jsonl").read_text().splitlines()]


def sha(*paths: Path) -> str:
    """A playbook's hash: its file's bytes, then its bases' (`extends`)."""
    return hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()


def store_under(data: Path, tmp_path: Path, playbook: str) -> None:
    feed = tmp_path / "in.jsonl"
    feed.write_text("\n".join(jsonl(record("1", "Where is my parcel?"))) + "\n")
    done = cli(data, "--playbook", playbook, "ingest", str(feed))
    assert done.returncode == 0 and "is now this store's" in done.stderr


def test_a_flag_or_the_environment_cannot_swap_the_policy(tmp_path: Path) -> None:
    data = tmp_path / "data"
    roster(data, {ME: "social"})
    store_under(data, tmp_path, "general")
    before = len(audit(data))
    for swapped in (
        cli(data, "--playbook", "product-recall", "claim", "x:1"),
        cli(data, "claim", "x:1", CRISIS_CONSOLE_PLAYBOOK="data-breach"),
    ):
        assert swapped.returncode == 2
        assert "this store's playbook is 'general'" in swapped.stderr
        assert "playbook use" in swapped.stderr
    assert len(audit(data)) == before  # nothing was done under the other playbook


def test_a_playbook_edited_in_place_is_refused_until_a_lead_puts_it_in_force(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    roster(data, {ME: "social", "lee": "lead"})
    ours = tmp_path / "ours.yaml"
    shutil.copy(ROOT / "playbooks" / "general.yaml", ours)
    store_under(data, tmp_path, str(ours))
    # Someone with a shell widens who approves, in the file itself.
    text = ours.read_text()
    ours.write_text(text.replace("approvers: [pr, lead]", "approvers: [pr, lead, support]"))
    edited = cli(data, "--playbook", str(ours), "claim", "x:1")
    assert edited.returncode == 2 and "or the same file edited since" in edited.stderr
    refused = cli(data, "--playbook", str(ours), "playbook", "use", str(ours))
    assert refused.returncode == 3 and "may not change playbook: it needs lead" in refused.stderr
    assert audit(data)[-1]["action"] == "refused"


def test_a_lead_changes_it_and_every_record_names_the_hash(tmp_path: Path) -> None:
    data = tmp_path / "data"
    roster(data, {ME: "lead"})
    store_under(data, tmp_path, "general")
    general = sha(ROOT / "playbooks" / "general.yaml")
    recall = sha(ROOT / "playbooks" / "product-recall.yaml", ROOT / "playbooks" / "general.yaml")
    changed = cli(data, "playbook", "use", "product-recall")
    assert changed.returncode == 0, changed.stderr
    assert cli(data, "claim", "x:1").returncode == 0  # settings.yaml now names it
    events = audit(data)
    change = next(e for e in events if e["action"] == "playbook.changed")
    assert (change["data"]["before"]["sha256"], change["data"]["sha256"]) == (general, recall)
    assert {e["data"]["playbook"] for e in events[: events.index(change)]} == {general[:12]}
    assert {e["data"]["playbook"] for e in events[events.index(change) :]} == {recall[:12]}
