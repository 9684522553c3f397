"""The semantic second opinion from the shell, with the real model: on for an ingest (by flag
or setting), a whole folder judged again, the eval that measures it, a wrong setting, and
beside the webhook receiver over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crisis_console.cli.second_opinion import in_background
from crisis_console.core.intake.webhook import Verifier
from crisis_console.core.triage.embedding import missing
from crisis_console.core.triage.semantic import SemanticJudge
from crisis_console.server import Receiver
from tests.conftest import DATA, ServiceFactory, jsonl, record
from tests.test_cli import run, write
from tests.test_serve import SECRET, listening, post, signed

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


async def test_serve_judges_what_the_webhook_stores_on_a_thread_of_its_own(
    make_service: ServiceFactory,
) -> None:
    """`serve --second-opinion`: the receiver answers once a post is stored; the second pass
    runs beside it (`in_background`) and raises what the word lists missed."""
    judge = SemanticJudge()
    service = make_service(second_opinion=lambda: judge)
    receiver = Receiver(service, Verifier(SECRET), max_body=20_000)
    async with listening(receiver) as url:
        with in_background(service):
            body = json.dumps(GOODBYE).encode()
            assert await post(url, body, signed(body)) == (200, {"stored": 1})
            for _ in range(400):
                stored = service.mention("x:1")
                if stored is not None and stored.triage.classification.escalate:
                    break
                await asyncio.sleep(0.05)
    stored = service.mention("x:1")
    assert stored is not None and stored.triage.classification.escalate
    alarm = service.crisis.alarm("x:1")
    assert alarm is not None and alarm.open


def test_a_stream_is_judged_as_it_comes_not_when_it_ends(tmp_path: Path) -> None:
    """`collector | crisis-console --second-opinion ingest -`: the pass runs beside the
    stream, so a post the word lists missed is raised while the pipe is still open."""
    home = tmp_path / "data"
    env = {**os.environ, "CRISIS_CONSOLE_HOME": str(home)}
    argv = [sys.executable, "-m", "crisis_console", "--second-opinion", "ingest", "-"]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, env=env, text=True)
    assert proc.stdin is not None
    try:
        proc.stdin.write(json.dumps(GOODBYE) + "\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (
            (home / "audit.jsonl").is_file() and _raised(home)
        ):
            time.sleep(0.2)
        assert [r["subject"] for r in _raised(home)] == ["x:1"]
        assert proc.poll() is None  # still reading the stream
    finally:
        proc.stdin.close()
        proc.wait(60)
    assert proc.returncode == 0


def test_the_flag_before_eval_turns_it_on_there_too(tmp_path: Path) -> None:
    rows = [{"text": GOODBYE["text"], "harm": "self_harm"}, {"text": PARCEL["text"], "harm": ""}]
    path = write(tmp_path / "harm.jsonl", [json.dumps(r) for r in rows])
    args = ("eval", str(path), "--task", "harm", "--text", "text", "--label", "harm", "--json")
    assert json.loads(run("--second-opinion", *args).stdout)["harm"]["escalated"] == 1


@pytest.mark.parametrize(
    ("name", "recall", "false_rate"),
    [("harm_dev", 0.97, 0.02), ("harm_holdout", 0.66, 0.19)],
    ids=["dev", "held-out"],
)
def test_harm_floors_with_the_second_opinion(name: str, recall: float, false_rate: float) -> None:
    """Floors, as tests/core/test_harm_quality.py keeps for the word lists: the figures the
    sets gave with the second opinion when it shipped, less a post's worth (bench/README)."""
    path = DATA / f"{name}.jsonl"
    args = ("eval", str(path), "--task", "harm", "--text", "text", "--label", "harm")
    done = run(*args, "--second-opinion", "--json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["harm"]["recall"] >= recall
    assert figures["false_rate"] <= false_rate
