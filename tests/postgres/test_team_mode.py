"""Team mode from the shell: several operators, each their own database login, working one
crisis at once through separate `crisis-console --db` processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from crisis_console.core.errors import StoreError
from crisis_console.core.store.postgres.connection import connect, named
from tests.pg_fixture import SERVER

GRANT_WORK = (
    "GRANT SELECT, INSERT, UPDATE, DELETE ON mentions, state, due, volume, audit_unapplied, "
    "inbox_counts TO {r}"
)
GRANT_READ = (
    "GRANT SELECT, INSERT ON audit TO {r}; GRANT SELECT ON roster, crisis_console_migrations TO {r}"
)
DEMO = Path(__file__).parents[2] / "crisis_console" / "demo_data" / "mentions.jsonl"


@dataclass
class Team:
    folder: Path
    schema: str
    logins: dict[str, str]  # name -> role

    def dsn(self, name: str) -> str:
        """The test server as `name`'s own login, in the team's schema."""
        base = SERVER.replace("postgres@", f"{self.logins[name]}@", 1)
        joiner = "&" if "?" in base else "?"
        return f"{base}{joiner}options={quote(f'-csearch_path={self.schema}')}"

    def cli(self, name: str, *args: str, env: dict[str, str] | None = None) -> Any:
        argv = [sys.executable, "-m", "crisis_console", "--data-dir", str(self.folder)]
        return subprocess.Popen(
            [*argv, "--db", self.dsn(name), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )

    def run(self, name: str, *args: str, env: dict[str, str] | None = None) -> Done:
        process = self.cli(name, *args, env=env)
        out, err = process.communicate(timeout=120)
        return Done(process.returncode, out, err)

    def audit(self) -> list[dict[str, Any]]:
        with connect(self.dsn("lead")) as conn:
            rows = conn.execute("SELECT line FROM audit ORDER BY seq").fetchall()
        return [json.loads(line) for (line,) in rows]


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def team(pg_dsn: str, tmp_path: Path) -> Iterator[Team]:
    """A schema set up by the lead's login with `db init`, and a login each for maya and lee
    (roles are the server's, so their names are the test's own)."""
    schema = pg_dsn.rsplit("%3D", 1)[1]
    tag = uuid.uuid4().hex[:8]
    logins = {"lead": f"cc_lead_{tag}", "maya": f"cc_maya_{tag}", "lee": f"cc_lee_{tag}"}
    with connect(SERVER, autocommit=True) as conn:
        for role in logins.values():
            conn.execute(named("CREATE ROLE {r} LOGIN", r=role))
            conn.execute(named("GRANT ALL ON SCHEMA {s} TO {r}", s=schema, r=role))
    made = Team(tmp_path / "data", schema, logins)
    try:
        done = made.run("lead", "db", "init")
        assert done.returncode == 0 and f"{logins['lead']} (this database login) is" in done.stdout
        with connect(made.dsn("lead"), autocommit=True) as conn:
            for name in ("maya", "lee"):  # as README's "Team mode" tells the DBA to
                conn.execute(named(GRANT_WORK, r=logins[name]))
                conn.execute(named(GRANT_READ, r=logins[name], s=schema))
        yield made
    finally:
        with connect(SERVER, autocommit=True) as conn:  # the schema goes with `pg_dsn`
            for role in logins.values():
                conn.execute(named("DROP OWNED BY {r}", r=role))
                conn.execute(named("DROP ROLE {r}", r=role))


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
    assert sorted(code for code, _, _ in done) == [0, 2], done
    sends = [e for e in team.audit() if e["action"] == "send"]
    assert len(sends) == 1 and sends[0]["data"]["reply"] == reply_id
    outbox = (team.folder / "outbox.jsonl").read_text().splitlines()
    assert len(outbox) == 1 and reply_id in outbox[0]
