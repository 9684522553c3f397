"""Team mode from the shell: several operators, each their own database login, working one
crisis at once through separate `crisis-console --db` processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crisis_console.core.errors import StoreError
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.connection import DriverError, connect, named
from tests.pg_fixture import SERVER
from tests.postgres.team_fixture import Team

DEMO = Path(__file__).parents[2] / "crisis_console" / "demo_data" / "mentions.jsonl"


def test_a_team_works_one_crisis_from_separate_processes(team: Team) -> None:
    lead, maya, lee = (team.logins[n] for n in ("lead", "maya", "lee"))
    assert team.run("lead", "ingest", str(DEMO)).returncode == 0
    # The roster is the lead's to change; identity is the database login, whatever the
    # environment says.
    refused = team.run("maya", "team", "set", team.logins["maya"], "lead", env={"USER": lead})
    assert refused.returncode == 3 and "lead" in refused.stderr
    for name, role in (("maya", "social"), ("lee", "social")):
        added = team.run("lead", "team", "set", team.logins[name], role)
        assert added.returncode == 0, added.stderr
    listed = team.run("lee", "team", "list").stdout
    assert f"{maya:<20} social" in listed and f"{lead:<20} lead" in listed
    # Two operators claim the same mention in the same instant: exactly one wins, and the
    # other is told who holds it.
    key = next(json.loads(line) for line in DEMO.read_text().splitlines())
    key = f"{key['platform']}:{key['id']}"
    racers = [team.cli(n, "claim", key) for n in ("maya", "lee")]
    done = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in racers]
    wins = [d for d in done if d[0] == 0]
    assert len(wins) == 1, done
    winner = maya if "maya" in wins[0][1] else lee
    [(_, _, why)] = [d for d in done if d[0] != 0]
    assert f"claimed by {winner}" in why
    # `--as` is no way round it in team mode: refused, and the refusal is audited.
    posing = team.run("lee", "--as", lead, "crisis", "status")
    assert posing.returncode == 3 and "database login" in posing.stderr
    events = team.audit()
    assert [e for e in events if e["action"] == "refused" and e["actor"] == lee]
    assert {(e["actor"], e["subject"]) for e in events if e["action"] == "roster.changed"} == {
        (lead, f"operator:{maya}"),
        (lead, f"operator:{lee}"),
    }
    assert [e["actor"] for e in events if e["action"] == "claim"] == [winner]
    assert team.run("maya", "audit", "verify").returncode == 0
    # The roster is not maya's to write, even in psql; the console says why, not a trace.
    with pytest.raises(StoreError, match="permission"), connect(team.dsn("maya")) as conn:
        conn.execute("UPDATE roster SET roles = '{lead}'")


def test_the_audit_table_refuses_changes_and_verify_finds_a_forced_one(team: Team) -> None:
    assert team.run("lead", "ingest", str(DEMO)).returncode == 0
    with connect(team.dsn("lead")) as conn, pytest.raises(Exception, match="append-only"):
        conn.execute("UPDATE audit SET line = line WHERE seq = 3")
    with connect(SERVER, autocommit=True) as conn:  # the server's superuser forces it
        conn.execute(named("SET search_path TO {s}", s=team.schema))
        conn.execute("ALTER TABLE audit DISABLE TRIGGER audit_append_only")
        conn.execute("UPDATE audit SET line = replace(line, 'mention', 'mentioN') WHERE seq = 3")
    checked = team.run("maya", "audit", "verify")
    assert checked.returncode == 1 and "the audit table:3:" in checked.stderr


def test_two_leads_approving_at_once_send_the_reply_exactly_once(
    team: Team, tmp_path: Path
) -> None:
    post = {"platform": "x", "id": "777", "text": "Where is my parcel? It is three days late",
            "author": "pat", "created_at": "2026-03-14T11:00:00Z"}  # fmt: skip
    feed = tmp_path / "one.jsonl"
    feed.write_text(json.dumps(post) + "\n")
    assert team.run("lead", "ingest", str(feed)).returncode == 0
    assert team.run("lead", "templates", "approve", "delivery-delay").returncode == 0
    for name, role in (("maya", "support"), ("lee", "lead")):
        assert team.run("lead", "team", "set", team.logins[name], role).returncode == 0
    drafted = team.run(
        "maya",
        "reply",
        "x:777",
        "--template",
        "delivery-delay",
        "--var",
        "new_date=Thu",
        "--submit",
    )
    assert drafted.returncode == 0, drafted.stderr
    reply_id = drafted.stdout.split()[0]
    racers = [team.cli(n, "approvals", "approve", reply_id) for n in ("lead", "lee")]
    done = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in racers]
    assert sorted(code for code, _, _ in done) == [0, 3], done  # the other is refused
    sends = [e for e in team.audit() if e["action"] == "send"]
    assert len(sends) == 1 and sends[0]["data"]["reply"] == reply_id
    outbox = (team.folder / "outbox.jsonl").read_text().splitlines()
    assert len(outbox) == 1 and reply_id in outbox[0]


def test_db_grant_refuses_a_login_the_server_does_not_have(team: Team) -> None:
    done = team.run("lead", "db", "grant", "nobody_of_this_name")
    assert done.returncode != 0
    assert "no database login 'nobody_of_this_name'" in done.stderr
    assert "createuser --pwprompt nobody_of_this_name" in done.stderr
    # Granted, an operator reads the roster but cannot write it (the fixture granted maya).
    with connect(team.dsn("maya")) as conn:
        assert conn.execute("SELECT count(*) FROM roster").fetchone() == (1,)


def test_db_migrate_gives_granted_operators_what_a_migration_adds(team: Team) -> None:
    """A table a later migration makes is granted to every operator granted before, so
    nobody has to know to run `db grant` again."""
    maya, lee = team.logins["maya"], team.logins["lee"]
    with connect(team.dsn("lead")) as conn:  # as if `due` and 0009 were new to this database
        conn.execute(named("REVOKE ALL ON due FROM {maya}", maya=maya))
        conn.execute("DROP INDEX mentions_open_due")
        conn.execute(named("DELETE FROM {t} WHERE version = 9", t=migrations.TABLE))
    with connect(team.dsn("maya")) as conn, pytest.raises(DriverError, match="permission denied"):
        conn.execute("SELECT count(*) FROM due")
    done = team.run("lead", "db", "migrate")
    assert done.returncode == 0, done.stderr
    assert "applied 0009_overdue_index" in done.stdout
    assert f"granted again to {', '.join(sorted([maya, lee]))}" in done.stdout
    with connect(team.dsn("maya")) as conn:
        assert conn.execute("SELECT count(*) FROM due").fetchone() == (0,)
    # Nothing pending: nothing granted, nothing said.
    assert "granted again" not in team.run("lead", "db", "migrate").stdout


def test_a_correction_in_team_mode_is_the_login_s_and_survives_verify(team: Team) -> None:
    assert team.run("lead", "ingest", str(DEMO)).returncode == 0
    assert team.run("lead", "team", "set", team.logins["maya"], "support").returncode == 0
    calm = next(
        json.loads(line)
        for line in DEMO.read_text().splitlines()
        if "farmers market" in json.loads(line)["text"]
    )
    key = f"{calm['platform']}:{calm['id']}"
    done = team.run("maya", "reclassify", key, "--category", "safety", "--note", "heater sparked")
    assert done.returncode == 0, done.stderr
    assert "critical, safety" in done.stdout and "escalated to the lead" in done.stdout
    assert key in team.run("lee", "alarms").stdout  # an alarm, seen from another login
    # Taking it back out of the lead's hands is the lead's: refused for maya, audited.
    refused = team.run("maya", "reclassify", key, "--category", "other")
    assert refused.returncode == 3 and "de-escalate" in refused.stderr
    events = team.audit()
    maya = team.logins["maya"]
    assert [e["actor"] for e in events if e["action"] == "mention.reclassified"] == [maya]
    assert [e for e in events if e["action"] == "refused" and e["actor"] == maya]
    assert team.run("lee", "eval", "export-corrections").returncode == 3  # not lee's to take
    exported = team.run("lead", "eval", "export-corrections")
    assert exported.returncode == 0, exported.stderr
    [row] = [json.loads(line) for line in exported.stdout.splitlines()]
    assert (row["id"], row["category"], row["by"]) == (key, "safety", maya)
    assert team.run("lead", "audit", "verify").returncode == 0
