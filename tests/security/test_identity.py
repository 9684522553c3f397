"""Issue 15, point 1: who acts is the account the process runs as. `USER` and `LOGNAME`
are the caller's to set and decide nothing; `--as` works only where the team file's shared
logins allow it, and each use is audited with both names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import jsonl, record
from tests.security.shell import ME, cli, roster

POSING_AS_MAYA = {"USER": "maya", "LOGNAME": "maya", "LNAME": "maya", "USERNAME": "maya"}
POSING_AS_LEE = {"USER": "lee", "LOGNAME": "lee", "LNAME": "lee", "USERNAME": "lee"}


def audit(data: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (data / "audit.jsonl").read_text().splitlines()]


def one_mention(data: Path, tmp_path: Path) -> None:
    feed = tmp_path / "in.jsonl"
    feed.write_text("\n".join(jsonl(record("1", "Where is my parcel?"))) + "\n")
    assert cli(data, "ingest", str(feed)).returncode == 0


def test_user_and_logname_do_not_make_anyone_someone_else(tmp_path: Path) -> None:
    data = tmp_path / "data"
    roster(data, {ME: "support", "maya": "social", "lee": "lead"})
    one_mention(data, tmp_path)
    claimed = cli(data, "claim", "x:1", **POSING_AS_MAYA)
    assert claimed.returncode == 0 and f"claimed by {ME}" in claimed.stdout
    promoted = cli(data, "team", "set", ME, "lead", **POSING_AS_LEE)
    assert promoted.returncode == 3 and f"{ME} (support) may not change roster" in promoted.stderr
    assert "lead" not in (data / "team.yaml").read_text().split(f"{ME}:")[1].splitlines()[0]
    claim, refusal = audit(data)[-2:]
    assert (claim["action"], claim["actor"]) == ("claim", ME)
    assert (refusal["action"], refusal["actor"]) == ("refused", ME)  # never blamed on lee


def test_acting_as_another_needs_the_team_files_leave_and_is_audited_with_both_names(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    roster(data, {ME: "support", "maya": "social", "sam": "support"}, shared={ME: ["sam"]})
    one_mention(data, tmp_path)
    refused = cli(data, "--as", "maya", "claim", "x:1")
    assert refused.returncode == 3 and "maya" in refused.stderr
    allowed = cli(data, "--as", "sam", "claim", "x:1")
    assert allowed.returncode == 0 and "claimed by sam" in allowed.stdout
    events = [(e["action"], e["actor"], e["subject"]) for e in audit(data)]
    assert ("refused", ME, "operator:maya") in events
    assert ("identity.as", ME, "operator:sam") in events
    assert ("claim", "sam", "x:1") in events
