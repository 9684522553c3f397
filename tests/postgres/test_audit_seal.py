"""Issue 15, point 7, in team mode: the database keeps the key that signs checkpoints, where
no operator can read it; a checkpoint proves the chain up to it unchanged even against the
database's owner; a changed stored mention is found; and a writer refuses to build on a
last record that does not match its hash."""

from __future__ import annotations

from datetime import datetime

import pytest

from crisis_console.core.archive.audit import GENESIS, AuditEvent, chain_lines
from crisis_console.core.store.postgres.connection import connect
from tests.conftest import ROOT
from tests.pg_fixture import SERVER
from tests.postgres.team_fixture import Team

DEMO = ROOT / "crisis_console" / "demo_data" / "mentions.jsonl"


def as_owner(team: Team, *statements: str | tuple[str, tuple[object, ...]]) -> None:
    """The server's superuser, in the team's schema: someone who can switch off the
    append-only trigger. A statement, or one with its parameters."""
    with connect(SERVER, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{team.schema}"')
        for statement in statements:
            query, params = (statement, ()) if isinstance(statement, str) else statement
            conn.execute(query, params)


def test_checkpoints_are_signed_by_the_database_and_catch_even_the_owner(team: Team) -> None:
    assert team.run("lead", "team", "set", team.logins["maya"], "social").returncode == 0
    assert team.run("lead", "ingest", str(DEMO)).returncode == 0
    made = team.run("lead", "audit", "checkpoint")
    assert made.returncode == 0, made.stderr
    checkpoint = made.stdout.strip()
    assert team.run("lead", "audit", "verify", "--against", checkpoint).returncode == 0
    refused = team.run("maya", "audit", "checkpoint")
    assert refused.returncode != 0 and "it needs auditor or lead" in refused.stderr

    with connect(team.dsn("maya")) as conn, pytest.raises(Exception, match="permission denied"):
        conn.execute("SELECT key FROM audit_key").fetchall()

    forged = checkpoint[:-4] + ("0000" if not checkpoint.endswith("0000") else "1111")
    faked = team.run("lead", "audit", "verify", "--against", forged)
    assert faked.returncode == 1 and "its signature does not match" in faked.stderr

    # The owner re-hashes the whole chain from a changed record: the chain verifies, the
    # checkpoint does not.
    records = team.audit()
    records[1] = {**records[1], "actor": "someone-else"}
    events = [
        AuditEvent(
            r["action"], r["subject"], r["actor"], datetime.fromisoformat(r["at"]), r["data"]
        )
        for r in records
    ]
    lines, _, _ = chain_lines(events, 0, GENESIS)
    update = "UPDATE audit SET line = %s, hash = %s WHERE seq = %s"
    updates = [
        (update, (line.decode(), line[-66:-2].decode(), seq))
        for seq, line in enumerate(lines, start=1)
    ]
    as_owner(team, "ALTER TABLE audit DISABLE TRIGGER audit_append_only", *updates)
    assert team.run("lead", "audit", "verify", "--chain-only").returncode == 0
    against = team.run("lead", "audit", "verify", "--against", checkpoint)
    assert against.returncode == 1 and "has changed since the checkpoint" in against.stderr


def test_a_changed_stored_mention_and_a_changed_last_record_are_found(team: Team) -> None:
    assert team.run("lead", "ingest", str(DEMO)).returncode == 0
    assert team.run("lead", "audit", "verify").returncode == 0
    as_owner(
        team,
        "UPDATE mentions SET record = jsonb_set(record, '{mention,text}', '\"All fine now!\"') "
        "WHERE key = (SELECT min(key) FROM mentions)",
    )
    verified = team.run("lead", "audit", "verify")
    assert verified.returncode == 1
    assert "1 stored mention(s) differ from the audit chain" in verified.stderr

    as_owner(
        team,
        "ALTER TABLE audit DISABLE TRIGGER audit_append_only",
        'UPDATE audit SET line = replace(line, \'"actor":"\', \'"actor":"x\') '
        "WHERE seq = (SELECT max(seq) FROM audit)",
    )
    appended = team.run("lead", "crisis", "raise", "1", "--reason", "Complaints rising")
    assert appended.returncode != 0
    assert "does not match its hash" in appended.stderr and "Traceback" not in appended.stderr
