"""Working mentions in team mode as an operator's own database login (`db grant`), not the
schema owner's: the work records go to the state table, and migration 0011's trigger moves
the mention's inbox columns."""

from __future__ import annotations

from pathlib import Path

from crisis_console.core.store.postgres.connection import connect
from tests.conftest import jsonl, record
from tests.postgres.team_fixture import Team
from tests.test_cli import write


def test_an_operator_s_own_database_login_works_mentions_in_team_mode(
    team: Team, tmp_path: Path
) -> None:
    maya, lee = team.logins["maya"], team.logins["lee"]
    assert team.run("lead", "team", "set", maya, "social").returncode == 0
    assert team.run("lead", "team", "set", lee, "support").returncode == 0
    posts = [record(str(i), f"My parcel is late again, order {i}") for i in (1, 2)]
    feed = write(tmp_path / "in.jsonl", jsonl(*posts))
    assert team.run("lead", "ingest", str(feed)).returncode == 0
    done = team.run("maya", "close", "x:1", "--reason", "handled_elsewhere")
    assert done.returncode == 0, done.stderr
    done = team.run("maya", "assign", "x:2", "--to", lee)
    assert done.returncode == 0, done.stderr
    told = team.run("lee", "notices")
    assert f"{maya} assigned you x:2" in told.stdout, told.stderr
    with connect(team.dsn("lead")) as conn:
        rows = conn.execute("SELECT key, closed, assignee FROM mentions ORDER BY key").fetchall()
    assert rows == [("x:1", True, None), ("x:2", False, lee)]
