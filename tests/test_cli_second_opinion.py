"""The semantic second opinion from the shell, with the real model: on for an ingest (by flag
or setting), a whole folder judged again, the eval that measures it, and a wrong setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crisis_console.core.triage.embedding import missing
from tests.conftest import jsonl, record
from tests.test_cli import run, write

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))

GOODBYE = record("1", "wrote letters to my family tonight. it will all be over soon", author="ro")
PARCEL = record("2", "where is my parcel, it is three days late", author="al")


def _raised(home: Path) -> list[dict[str, object]]:
    lines = (home / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    return [r for r in records if r["action"] == "mention.second_opinion"]


def test_ingest_with_the_second_opinion_raises_what_the_word_lists_missed(
    tmp_path: Path,
) -> None:
    feed = write(tmp_path / "feed.jsonl", jsonl(GOODBYE, PARCEL))
    home = tmp_path / "data"
    done = run("--second-opinion", "ingest", str(feed), home=home)
    assert done.returncode == 0, done.stderr
    assert "2 new" in done.stdout
    assert "second opinion: judging 2 post(s) the word lists did not escalate" in done.stderr
    assert "second opinion: 2 of 2 judged, 1 raised" in done.stderr
    assert [r["subject"] for r in _raised(home)] == ["x:1"]
    assert run("audit", "verify", home=home).returncode == 0


def test_a_folder_is_judged_again_by_the_command_or_by_its_setting(tmp_path: Path) -> None:
    home = tmp_path / "data"
    feed = write(tmp_path / "feed.jsonl", jsonl(GOODBYE, PARCEL))
    assert run("ingest", str(feed), home=home).returncode == 0  # the word lists alone
    assert _raised(home) == []
    again = run("second-opinion", home=home)
    assert again.returncode == 0, again.stderr
    assert "2 of 2 judged, 1 raised" in again.stderr
    assert len(_raised(home)) == 1

    (home / "settings.yaml").write_text("second_opinion: on\n", encoding="utf-8")
    later = record("3", "tonight is the night I finally stop being a burden", author="zz")
    done = run("ingest", str(write(tmp_path / "more.jsonl", jsonl(later))), home=home)
    assert "1 of 1 judged, 1 raised" in done.stderr
    (home / "settings.yaml").write_text("second_opinion: maybe\n", encoding="utf-8")
    refused = run("ingest", str(feed), home=home)
    assert refused.returncode != 0
    assert "settings.yaml: second_opinion: must be on or off, not 'maybe'" in refused.stderr


def test_eval_measures_what_the_second_opinion_adds(tmp_path: Path) -> None:
    rows = [
        {"text": GOODBYE["text"], "harm": "self_harm", "language": "en"},
        {"text": "My son burned his hand on your kettle", "harm": "injury", "language": "en"},
        {"text": PARCEL["text"], "harm": "", "language": "en"},
        {"text": "this burger is killer, best deal in town", "harm": "", "language": "en"},
    ]
    path = write(tmp_path / "harm.jsonl", [json.dumps(r) for r in rows])
    args = ("eval", str(path), "--task", "harm", "--text", "text", "--label", "harm", "--json")
    alone = json.loads(run(*args).stdout)
    both = json.loads(run(*args, "--second-opinion").stdout)
    assert (alone["harm"]["escalated"], alone["false_escalations"]) == (1, 0)
    assert (both["harm"]["escalated"], both["false_escalations"]) == (2, 0)
    assert both["kinds"]["self_harm"]["recall"] == 1.0
