"""Issue 15, point 7 (in part): the documented rebuild — move `mentions/live.json` aside and
the next start rebuilds the store from the audit log — must not crash on a damaged log. It
says where the damage is and what to do, with no traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import ROOT
from tests.security.shell import ME, cli, roster


def test_a_rebuild_over_a_damaged_log_says_where_and_does_not_crash(tmp_path: Path) -> None:
    data = tmp_path / "data"
    roster(data, {ME: "lead"})
    demo = ROOT / "crisis_console" / "demo_data" / "mentions.jsonl"
    assert cli(data, "ingest", str(demo)).returncode == 0
    shutil.move(data / "mentions" / "live.json", tmp_path / "live.json.aside")
    log = data / "audit.jsonl"
    body = log.read_bytes()
    middle = len(body) // 2
    log.write_bytes(body[:middle] + b"\x00{{garbage" + body[middle + 10 :])
    rebuilt = cli(data, "crisis", "status")
    assert rebuilt.returncode == 2
    assert "Traceback" not in rebuilt.stderr
    assert f"{log}: a damaged record" in rebuilt.stderr and "audit verify" in rebuilt.stderr
    verified = cli(data, "audit", "verify")
    assert verified.returncode == 1 and f"{log}:" in verified.stderr
