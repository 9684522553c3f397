"""`ingest --jobs N`: one import spread over worker processes on the team database stores
what one process would, every version of a mention in the file's order, and says which
lines it refused; a worker that fails is named, and what the others stored stays."""

from __future__ import annotations

import json
from pathlib import Path

from crisis_console.cli.ingest_jobs import WorkerSetup, share, spread
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import system_clock
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.store.postgres.connection import connect
from tests.conftest import NOW
from tests.postgres.team_fixture import Team

PLAYBOOK = Path(__file__).parents[2] / "playbooks" / "general.yaml"


def _feed(path: Path, count: int) -> Path:
    """`count` posts, three of them edited twice further on, one deleted, one repeated,
    and one line that is not a record, at line `count // 2 + 1`."""
    lines: list[dict[str, object]] = [
        {"id": str(i), "platform": "x", "text": f"order {i} is late", "author": f"u{i % 50}"}
        for i in range(count)
    ]
    for n in (1, 2):
        lines += [{"id": str(i), "platform": "x", "text": f"order {i} edit {n}"} for i in (3, 4, 5)]
    lines.append({"id": "7", "platform": "x", "deleted": True})
    lines.append(lines[10])
    text = [json.dumps(line) for line in lines]
    text.insert(count // 2, "{not json")
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def test_an_import_in_two_workers_stores_what_one_process_would(team: Team, tmp_path: Path) -> None:
    feed = _feed(tmp_path / "feed.jsonl", 1_200)
    assert {share(f"x:{i}", 2) for i in range(1_200)} == {0, 1}  # both workers have work
    done = team.run("lead", "ingest", "--jobs", "2", str(feed))
    assert done.returncode == 1, done.stderr  # one line refused
    assert "1200 new, 6 updated, 1 deleted, 1 duplicate(s), 1 rejected" in done.stdout
    assert f"{feed}:601: " in done.stderr  # named with its line in the whole file
    with connect(team.dsn("lead")) as conn:
        stored = dict(conn.execute("SELECT key, record FROM mentions").fetchall())
    assert len(stored) == 1_200
    for key in ("x:3", "x:4", "x:5"):  # each version in the file's order
        record = stored[key]
        assert record["mention"]["text"] == f"order {key[2:]} edit 2"
        assert [v["text"] for v in record["history"]] == [
            f"order {key[2:]} is late",
            f"order {key[2:]} edit 1",
        ]
    assert stored["x:7"]["deleted_at"] is not None
    actions = [e["action"] for e in team.audit()]
    assert actions.count("mention.ingested") == 1_200
    assert actions.count("mention.version") == 6
    verified = team.run("lee", "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_jobs_need_team_mode_and_a_whole_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    feed = _feed(tmp_path / "feed.jsonl", 10)
    base = [sys.executable, "-m", "crisis_console", "--data-dir", str(tmp_path / "data")]
    for args, says in (
        (["ingest", "--jobs", "2", str(feed)], "--jobs needs team mode"),
        (["ingest", "--jobs", "0", str(feed)], "--jobs: at least 1"),
        (["ingest", "--jobs", "2", "--follow", str(feed)], "not with --follow"),
        (["ingest", "--jobs", "2", "-"], "not with --follow or standard input"),
    ):
        done = subprocess.run([*base, *args], capture_output=True, text=True, check=False)
        assert done.returncode != 0 and says in done.stderr, (args, done.stderr)
    assert not (tmp_path / "data" / "mentions").exists()  # nothing was stored


def test_a_worker_that_cannot_start_is_named_and_nothing_is_half_done(
    team: Team, tmp_path: Path
) -> None:
    feed = _feed(tmp_path / "feed.jsonl", 300)
    playbook = load_playbook(PLAYBOOK)
    gone = team.dsn("lead").replace(team.logins["lead"], "cc_nobody", 1)  # no such login
    setup = WorkerSetup(2, tmp_path / "data", playbook, system_clock, gone)
    with feed.open("rb") as lines:
        try:
            spread(read_jsonl(lines, str(feed), NOW), setup)
        except CrisisConsoleError as exc:
            said = str(exc)
        else:
            raise AssertionError("a worker that cannot connect must fail the import")
    assert "ingest worker 1 failed" in said and "ingest worker 2 failed" in said
    assert "import the file again" in said
    with connect(team.dsn("lead")) as conn:
        assert conn.execute("SELECT count(*) FROM mentions").fetchone() == (0,)


def test_an_auditors_import_in_workers_is_refused_once_before_any_starts(
    team: Team, tmp_path: Path
) -> None:
    assert team.run("lead", "team", "set", team.logins["maya"], "auditor").returncode == 0
    feed = _feed(tmp_path / "feed.jsonl", 600)
    done = team.run("maya", "ingest", "--jobs", "4", str(feed))
    assert done.returncode == 3, done.stderr
    assert "may not ingest" in done.stderr and "worker" not in done.stderr
    refusals = [e for e in team.audit() if e["action"] == "refused"]
    assert len(refusals) == 1 and refusals[0]["data"]["action"] == "ingest"
    with connect(team.dsn("lead")) as conn:
        assert conn.execute("SELECT count(*) FROM mentions").fetchone() == (0,)
