"""Issue 15, point 3: a team file changed by hand (`sed -i` makes someone lead) is not acted
on. The team as last accepted decides who may do what, every command says the file was
changed, and only a lead of that team accepts it, audited with the difference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import jsonl, record
from tests.security.shell import ME, cli, roster


def audit(data: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (data / "audit.jsonl").read_text().splitlines()]


def test_a_hand_edited_team_file_is_not_acted_on_until_a_lead_accepts_it(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    roster(data, {ME: "support", "lee": "lead"}, shared={ME: ["lee"]})
    feed = tmp_path / "in.jsonl"
    feed.write_text("\n".join(jsonl(record("1", "Where is my parcel?"))) + "\n")
    assert cli(data, "ingest", str(feed)).returncode == 0  # the store sees this team first
    team = data / "team.yaml"
    team.write_text(team.read_text().replace(f"{ME}: [support]", f"{ME}: [lead]"))  # sed -i
    promoted = cli(data, "team", "set", "mallory", "lead")
    assert promoted.returncode == 3 and f"{ME} (support) may not change roster" in promoted.stderr
    assert f"{ME}: support -> lead" in promoted.stderr and "team accept" in promoted.stderr
    assert cli(data, "team", "accept").returncode == 3  # not by the one it promotes
    accepted = cli(data, "--as", "lee", "team", "accept")  # a lead of the team as it was
    assert accepted.returncode == 0, accepted.stderr
    acceptance = next(e for e in audit(data) if e["action"] == "roster.accepted")
    assert acceptance["actor"] == "lee"
    assert acceptance["data"]["changed"] == {ME: {"before": ["support"], "after": ["lead"]}}
    now = cli(data, "team", "set", "sam", "support")  # the accepted file counts now
    assert now.returncode == 0 and "sam" in now.stdout


def test_a_change_by_a_lead_through_the_tool_needs_no_acceptance(tmp_path: Path) -> None:
    data = tmp_path / "data"
    roster(data, {ME: "lead"})
    assert cli(data, "team", "set", "maya", "social").returncode == 0
    listed = cli(data, "team", "list")
    assert listed.returncode == 0 and "changed outside" not in listed.stderr
    assert "maya" in listed.stdout


def test_a_hand_edited_team_file_makes_nobody_an_auditor_of_the_archive(tmp_path: Path) -> None:
    """`audit export` and `audit checkpoint` read the team as last accepted, as every other
    command does, not the file as edited."""
    data = tmp_path / "data"
    roster(data, {ME: "support", "lee": "lead"})
    feed = tmp_path / "in.jsonl"
    feed.write_text("\n".join(jsonl(record("1", "Where is my parcel?"))) + "\n")
    assert cli(data, "ingest", str(feed)).returncode == 0
    team = data / "team.yaml"
    team.write_text(team.read_text().replace(f"{ME}: [support]", f"{ME}: [auditor]"))
    for command in (("export",), ("checkpoint",)):
        done = cli(data, "audit", *command)
        assert done.returncode == 3, done.stderr
        assert f"{ME} (support) may not" in done.stderr and "Where is my parcel" not in done.stdout
