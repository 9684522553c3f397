"""The audit chain continued on the server (migration 0007): the same bytes as a folder's
log writes, a last record in an older layout checked by the client instead, and a changed
one refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from crisis_console.core.actions import Action
from crisis_console.core.archive.audit import GENESIS, AuditEvent, chain_lines
from crisis_console.core.archive.audit_verify import digest
from crisis_console.core.errors import AuditError
from crisis_console.core.store.postgres.connection import connect
from crisis_console.core.store.state_tables import Claim
from tests.conftest import NOW
from tests.pg_fixture import migrated_team

EVENTS = [
    AuditEvent(Action.CLAIM, "x:1", "maya", NOW, {"expires": NOW.isoformat()}),
    # Text from strangers: quotes, escapes, other scripts, emoji, a line separator.
    AuditEvent(
        Action.MENTION_INGESTED,
        "x:2",
        "système",
        NOW + timedelta(seconds=1),
        {"text": 'Ça "brûle" \\ 🔥\u2028\tß', "z": {"b": [1, 2.5, None], "a": True}},
    ),
    AuditEvent("note", 'x:3","seq":9,"prev":"', "t", NOW, {"prev": "0" * 64, "seq": 2}),
]


@pytest.fixture
def team(pg_dsn: str) -> Iterator[Any]:
    opened = migrated_team(pg_dsn)
    yield opened
    opened.store.close()


def lines_of(dsn: str) -> list[bytes]:
    with connect(dsn) as conn:
        return [r[0].encode() for r in conn.execute("SELECT line FROM audit ORDER BY seq")]


def test_the_server_writes_the_lines_a_folder_writes(team: Any, pg_dsn: str) -> None:
    assert team.audit.append(EVENTS[:1]) == 1
    assert team.audit.append(EVENTS[1:]) == 3
    expected, _, _ = chain_lines(EVENTS, 0, GENESIS)
    assert lines_of(pg_dsn) == expected
    with connect(pg_dsn) as conn:
        hashes = [r[0] for r in conn.execute("SELECT hash FROM audit ORDER BY seq")]
    assert hashes == [json.loads(line)["hash"] for line in expected]
    assert team.audit.verify().ok
    # Ingest's records are noted as not yet applied; a claim's is not.
    with connect(pg_dsn) as conn:
        assert conn.execute("SELECT seq, key FROM audit_unapplied").fetchall() == [(2, "x:2")]


def older_layout(seq: int, prev: str) -> tuple[str, str]:
    """A record as logs wrote them before the splice layout: fields in the order written,
    `hash` last (what `db import` carries across from an old folder)."""
    record: dict[str, Any] = {
        "seq": seq,
        "at": NOW.isoformat(),
        "actor": "lead",
        "action": "note",
        "subject": "x:old",
        "data": {"b": 1, "a": 2},
        "prev": prev,
    }
    record["hash"] = digest(record)
    return json.dumps(record, ensure_ascii=False), record["hash"]


def test_an_older_layout_last_record_is_checked_by_the_client(team: Any, pg_dsn: str) -> None:
    team.audit.append(EVENTS[:1])
    first = json.loads(lines_of(pg_dsn)[0])["hash"]
    line, record_hash = older_layout(2, first)
    with connect(pg_dsn) as conn:
        conn.execute(
            "INSERT INTO audit (seq, at, action, hash, line) VALUES (2, %s, 'note', %s, %s)",
            (NOW, record_hash, line),
        )
    assert team.audit.append(EVENTS[1:2]) == 3
    assert json.loads(lines_of(pg_dsn)[2])["prev"] == record_hash
    assert team.audit.verify().ok

    # The same record changed: the client's check refuses to build on it.
    with connect(pg_dsn) as conn:
        conn.execute("ALTER TABLE audit DISABLE TRIGGER audit_append_only")
        changed, _ = older_layout(4, json.loads(lines_of(pg_dsn)[2])["hash"])
        conn.execute(
            "INSERT INTO audit (seq, at, action, hash, line) VALUES (4, %s, 'note', %s, %s)",
            (NOW, "f" * 64, changed),
        )
    with pytest.raises(AuditError, match="does not match its hash"):
        team.audit.append(EVENTS[2:])
    assert len(lines_of(pg_dsn)) == 4


def test_a_changed_last_record_is_refused_and_nothing_appended(team: Any, pg_dsn: str) -> None:
    team.audit.append(EVENTS[:2])
    with connect(pg_dsn) as conn:
        conn.execute("ALTER TABLE audit DISABLE TRIGGER audit_append_only")
        conn.execute("UPDATE audit SET line = replace(line, 'système', 'systeme') WHERE seq = 2")
    with pytest.raises(AuditError, match="does not match its hash"):
        team.audit.append(EVENTS[2:])
    assert len(lines_of(pg_dsn)) == 2


def test_a_claim_whose_record_finds_a_changed_chain_is_not_stored(team: Any, pg_dsn: str) -> None:
    """A claim's record is sent with the claim's commit; a last record changed in between
    fails the whole claim, with the chain's own message, and nothing of it is stored."""
    claims = team.store.state.claims
    lease = Claim("x:1", "maya", NOW, NOW + timedelta(minutes=30))
    record = AuditEvent(Action.CLAIM, "x:1", "maya", NOW, {})
    assert claims.take(lease, log=lambda: team.audit.append([record])) is None
    assert claims.take(lease, log=lambda: team.audit.append([record])) is None  # sent last
    assert len(lines_of(pg_dsn)) == 2 and team.audit.verify().ok
    with connect(pg_dsn) as conn:
        conn.execute("ALTER TABLE audit DISABLE TRIGGER audit_append_only")
        conn.execute("UPDATE audit SET line = replace(line, 'maya', 'mayb') WHERE seq = 2")
    other = Claim("x:2", "maya", NOW, NOW + timedelta(minutes=30))
    with pytest.raises(AuditError, match=r"last record \(2\) does not match its hash"):
        claims.take(other, log=lambda: team.audit.append([record]))
    assert claims.current("x:2", NOW) is None and len(lines_of(pg_dsn)) == 2
