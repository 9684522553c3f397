"""An auditor changes nothing, and someone not on the team can read but not act: neither
brings mentions into a store, nor has its stored posts judged again, from any front end.
Every refusal is audited; nothing is stored. While nobody is on the team (a folder being
set up) anyone may ingest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crisis_console.cli import open_service
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import system_clock
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.roster import PermissionDenied
from tests.conftest import fixed_clock, jsonl, record
from tests.security.shell import ME, cli, roster


def audit(data: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (data / "audit.jsonl").read_text().splitlines()]


def feed(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(jsonl(record("1", "Where is my parcel?"))) + "\n")
    return path


@pytest.mark.parametrize("roles", ["auditor", None])
def test_an_auditor_or_a_stranger_is_refused_ingest_from_the_shell(
    tmp_path: Path, roles: str | None
) -> None:
    data = tmp_path / "data"
    roster(data, {"lee": "lead", **({ME: roles} if roles else {})})
    refused = cli(data, "ingest", str(feed(tmp_path)))
    assert refused.returncode == 3, refused.stderr
    assert f"{ME} " in refused.stderr and "may not ingest" in refused.stderr
    refusal = audit(data)[-1]
    assert (refusal["action"], refusal["actor"], refusal["data"]["action"]) == (
        "refused", ME, "ingest",
    )  # fmt: skip
    assert not [e for e in audit(data) if e["action"] == "ingest"]
    listed = cli(data, "list")
    assert "x:1" not in listed.stdout


def test_a_social_operator_ingests_and_before_any_team_anyone_does(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    assert cli(fresh, "ingest", str(feed(tmp_path))).returncode == 0  # nobody on the team yet
    data = tmp_path / "data"
    roster(data, {ME: "social"})
    assert cli(data, "ingest", str(feed(tmp_path))).returncode == 0


def test_the_service_refuses_an_auditor_ingest_and_a_second_opinion_of_stored_posts(
    tmp_path: Path, playbook: Playbook
) -> None:
    roster(tmp_path, {"lee": "lead", ME: "auditor"})
    with open_service(tmp_path, playbook, fixed_clock) as service:
        records = read_jsonl(jsonl(record("1", "found glass in my soup")), "f", system_clock())
        with pytest.raises(PermissionDenied, match="may not ingest"):
            service.ingest(records)
        with pytest.raises(PermissionDenied, match="may not ingest"):
            service.ingest_lines(jsonl(record("2", "hello")), "stream")
        with pytest.raises(PermissionDenied, match="may not ingest"):
            service.second_opinion.submit_stored()
        assert service.mention("x:1") is None and service.mention("x:2") is None
    subjects = [e["subject"] for e in audit(tmp_path) if e["action"] == "refused"]
    assert subjects == ["mentions", "source:stream", "second-opinion"]


def test_the_webhook_will_not_start_for_an_auditor(tmp_path: Path) -> None:
    data = tmp_path / "data"
    roster(data, {"lee": "lead", ME: "auditor"})
    secret = tmp_path / "secret"
    secret.write_text("a shared secret of enough length\n")
    refused = cli(data, "serve", "--port", "0", "--secret-file", str(secret))
    assert refused.returncode == 3 and "may not ingest" in refused.stderr
    assert "receiving" not in refused.stdout
    assert audit(data)[-1]["action"] == "refused"


@pytest.mark.parametrize("how", [("--follow",), ("-",)])
def test_an_auditors_ingest_is_refused_before_anything_is_read(
    tmp_path: Path, how: tuple[str, ...]
) -> None:
    """Refused at the start, once: not a follow that waits for lines it may never store,
    nor a stream that reads on (team mode's `--jobs`: tests/postgres/test_ingest_jobs.py)."""
    data = tmp_path / "data"
    roster(data, {"lee": "lead", ME: "auditor"})
    source = [] if how == ("-",) else [str(feed(tmp_path))]
    refused = cli(data, "ingest", *how, *source)
    assert refused.returncode == 3, refused.stderr
    assert "may not ingest" in refused.stderr and "following" not in refused.stdout
    assert [e["action"] for e in audit(data)].count("refused") == 1
