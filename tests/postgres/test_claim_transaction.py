"""In team mode a claim's audit record and the claim are one transaction: both commit, or
neither (and one commit under the state lock, not two, which is what kept eight operators
claiming at once waiting on each other). A refusal's record is its own, and outlives the
refused work. Shown by each row's inserting transaction (`xmin`), not by timing."""

from __future__ import annotations

import pytest

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.replies.claims import ClaimConflict
from crisis_console.core.store.postgres.connection import connect
from tests.conftest import NOW, jsonl, record
from tests.postgres.team_fixture import Team
from tests.postgres.team_workers import service_for


def inserted_by(team: Team, query: str, *params: object) -> str:
    with connect(team.dsn("lead")) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return str(row[0])


def test_a_claim_and_its_audit_record_commit_as_one_and_a_refusal_alone(team: Team) -> None:
    assert team.run("lead", "team", "set", team.logins["maya"], "social").returncode == 0
    with (
        service_for(team.dsn("lead"), team.folder) as lead,
        service_for(team.dsn("maya"), team.folder) as maya,
    ):
        lead.ingest(read_jsonl(jsonl(record("1", "Where is my parcel?")), "a.jsonl", NOW))
        lead.claims.claim("x:1")
        claim_tx = inserted_by(team, "SELECT xmin FROM state WHERE tbl = 'claims' AND key = %s",
                               "x:1")  # fmt: skip
        logged = "SELECT xmin, line FROM audit WHERE action = %s ORDER BY seq DESC LIMIT 1"
        assert inserted_by(team, logged, "claim") == claim_tx
        with pytest.raises(ClaimConflict):
            maya.claims.claim("x:1")
        refusal_tx = inserted_by(team, logged, "refused")
        assert refusal_tx != claim_tx
        assert team.run("lead", "audit", "verify").returncode == 0


def test_claims_won_and_refused_in_turn_leave_the_connections_fit_for_the_next(
    team: Team,
) -> None:
    """A refusal aborts the claim's pipeline after its first statement: a statement psycopg
    would have prepared further on, on its sixth use, was taken for prepared though the
    server never saw it, and every later claim on that connection failed with 'prepared
    statement "_pg3_1" does not exist' (the soak test's claim races)."""
    assert team.run("lead", "team", "set", team.logins["maya"], "social").returncode == 0
    posts = [record(str(n), f"Where is my parcel {n}?") for n in range(41)]
    with (
        service_for(team.dsn("lead"), team.folder) as lead,
        service_for(team.dsn("maya"), team.folder) as maya,
    ):
        lead.ingest(read_jsonl(jsonl(*posts), "a.jsonl", NOW))
        maya.claims.claim("x:0")
        for n in range(1, 41):  # past psycopg's threshold for preparing, on each connection
            assert lead.claims.claim(f"x:{n}").holder == team.logins["lead"]
            with pytest.raises(ClaimConflict):
                lead.claims.claim("x:0")
