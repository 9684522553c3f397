"""A claim in team mode is one round trip to the server: the mention's existence, the level
in force, the conditional write, its reminder, its audit record and the COMMIT go out
together and come back together (`lease_take`, migration 0008). Counted on the wire, from
libpq's own trace of what the client sent: each round trip ends with a Sync (or is one
simple Query), whatever the machine's speed.

Eight operators claiming in the same instant on two cores were bound by the client's work
per round trip (five of them a claim before this); `bench/team_bench.py` times it."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.replies.claims import ClaimConflict
from crisis_console.core.service import ConsoleService
from crisis_console.core.store.postgres.connection import Pool
from tests.conftest import NOW, jsonl, record
from tests.postgres.team_fixture import Team
from tests.postgres.team_workers import service_for


def round_trips(pool: Pool, work: Callable[[], object]) -> int:
    """How many round trips `work` makes on `pool`: every connection it holds is traced
    (it opens no other while one is idle)."""
    held = [pool.getconn() for _ in range(pool.get_stats()["pool_available"])]
    with contextlib.ExitStack() as files:
        traces = [files.enter_context(tempfile.TemporaryFile("w+")) for _ in held]
        for conn, trace in zip(held, traces, strict=True):
            conn.pgconn.trace(trace.fileno())
            pool.putconn(conn)
        try:
            work()
        finally:
            for conn in held:
                conn.pgconn.untrace()
        sent = []  # each line: time, F (from the client) or B, length, message type, ...
        for trace in traces:
            trace.seek(0)
            lines = (line.rstrip("\n").split("\t") for line in trace)
            sent += [fields[3] for fields in lines if len(fields) > 3 and fields[1] == "F"]
    return sent.count("Sync") + sent.count("Query")


def pool_of(service: ConsoleService) -> Pool:
    return service._store.session.pool  # type: ignore[attr-defined, no-any-return]


def test_a_claim_is_one_round_trip_and_a_refused_one_two(team: Team, tmp_path: Path) -> None:
    assert team.run("lead", "team", "set", team.logins["maya"], "social").returncode == 0
    posts = [record(str(n), f"Where is my parcel {n}?") for n in range(3)]
    with (
        service_for(team.dsn("lead"), team.folder) as lead,
        service_for(team.dsn("maya"), tmp_path / "maya") as maya,
    ):
        lead.ingest(read_jsonl(jsonl(*posts), "a.jsonl", NOW))
        lead.claims.claim("x:0")  # the first append asks once how the chain's tail is laid out
        assert round_trips(pool_of(lead), lambda: lead.claims.claim("x:1")) == 1
        # The refusal is audited apart: its record must outlive the refused claim's rollback.
        maya.claims.claim("x:2")

        def refused() -> None:
            with pytest.raises(ClaimConflict, match="claimed by"):
                lead.claims.claim("x:2")

        assert round_trips(pool_of(lead), refused) == 2
