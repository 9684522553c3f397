"""Team mode's duties that must happen once across every process: the timers and the
outboxes run in the one leader, taken over when it dies; and what any process logged but
did not store is replayed by the next to open."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crisis_console import config
from crisis_console.cli import open_service
from crisis_console.core.actions import Action
from crisis_console.core.archive.audit import AuditEvent
from crisis_console.core.crisis.timers import TIMERS_ACTOR
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import StoredMention, stored_to_record
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.replies.reply_model import APPROVED
from crisis_console.core.service import ConsoleService
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.connection import connect
from crisis_console.core.store.postgres.roster import seed_lead
from crisis_console.core.store.postgres.team import open_team
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, jsonl, parsed, race, record

ROUNDS = 12


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def team_db(pg_dsn: str) -> str:
    with connect(pg_dsn) as conn:
        migrations.migrate(conn)
        seed_lead(conn)
    return pg_dsn


@contextlib.contextmanager
def opened(dsn: str, folder: Path, clock: Clock) -> Iterator[ConsoleService]:
    playbook = load_playbook(config.playbook_path(None, folder=folder))
    with open_service(folder, playbook, clock, db=dsn) as service:
        yield service


def test_one_leader_runs_the_timers_and_another_takes_over_when_it_dies(
    team_db: str, tmp_path: Path
) -> None:
    clock = Clock()
    with opened(team_db, tmp_path / "a", clock) as first:
        feed = jsonl(record("1", "My charger caught fire and burned my hand"))
        first.ingest(read_jsonl(feed, "a.jsonl", NOW))
        with opened(team_db, tmp_path / "b", clock) as second:
            assert first._store.is_leader() and not second._store.is_leader()  # the first to ask
            assert second.timers.tick() == []  # not the leader: does nothing
            clock.now = NOW + timedelta(hours=3)  # past the alarm's acknowledgement and SLA
            assert second.timers.tick() == []
            did = first.timers.tick()
            assert did and any("SLA" in d or "alarm" in d.lower() for d in did), did
            assert first.timers.tick() == []  # done once: nothing is due twice
        # The leader is gone when its process closes: the next to ask takes over.
    with opened(team_db, tmp_path / "c", clock) as third:
        clock.now = NOW + timedelta(hours=6)
        third.timers.tick()
        records = list(third._audit.events())
    timer_records = [r for r in records if "ticked_by" in r["data"]]
    assert timer_records and {r["actor"] for r in timer_records} == {TIMERS_ACTOR}


def test_a_mention_logged_but_not_stored_is_replayed_by_the_next_process(
    team_db: str, tmp_path: Path, triager: Triager
) -> None:
    [item] = parsed(record("9", "The lid cracked and cut my finger", created_at=NOW.isoformat()))
    stored = StoredMention(triager.triage(item.mention), NOW)
    team = open_team(team_db)
    try:  # a process logs the mention, then dies before storing it
        data = {"source": "crash.jsonl:1", **stored_to_record(stored)}
        team.audit.append([AuditEvent(Action.MENTION_INGESTED, stored.key, "maya", NOW, data)])
        # Just logged, it may be a batch in flight in a living process: not recovery's yet.
        assert team.store.get(stored.key) is None and team.store.applied == 1
        with connect(team_db) as conn:  # ... until it has been left for a minute
            conn.execute("UPDATE audit_unapplied SET logged_at = now() - interval '61 seconds'")
        assert team.store.applied == 0
    finally:
        team.store.close()
    with opened(team_db, tmp_path / "a", Clock()) as service:
        assert service.mention(stored.key) is not None
        assert service._store.applied == service._audit.last_seq  # nothing left to replay


def test_two_processes_sending_one_approved_reply_send_it_once(
    team_db: str, tmp_path: Path
) -> None:
    clock = Clock()
    with (
        opened(team_db, tmp_path / "a", clock) as first,
        opened(team_db, tmp_path / "b", clock) as second,
    ):
        feed = jsonl(record("5", "Where is my parcel? It is three days late"))
        first.ingest(read_jsonl(feed, "a.jsonl", NOW))
        first.replies.approve_template("delivery-delay")
        draft = first.replies.preview("x:5", "delivery-delay", {"new_date": "Thu"})
        assert draft[0]
        ids: list[str] = []
        for _ in range(ROUNDS):  # each round a fresh approved reply, raced by both
            reply = first.replies._new("x:5", "delivery-delay", {"new_date": "Thu"}, APPROVED)
            first._store.state.replies.save(reply)  # approved by someone who may not send
            first._store.state.replies.release_answer("x:5", ids[-1] if ids else "")
            ids.append(reply.id)
            both = iter((first, second))

            def send(turn: Any = both, reply_id: str = reply.id) -> Any:
                return next(turn).replies.send_approved(reply_id)

            results: list[Any] = race(send, 2)
            sent = [r for r in results if not isinstance(r, Exception)]
            assert len(sent) == 1 and sent[0].status == "sent", [
                (r.id[:6], r.status, r.error) if not isinstance(r, Exception) else r
                for r in results
            ]
        lines = [
            json.loads(line)["idempotency_key"]
            for folder in ("a", "b")
            if (tmp_path / folder / "outbox.jsonl").exists()
            for line in (tmp_path / folder / "outbox.jsonl").read_text().splitlines()
        ]
        assert sorted(lines) == sorted(ids)  # each once


def test_a_process_killed_between_a_batch_and_its_alarms_leaves_them_to_the_leader(
    team_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a database server a batch commits, then its alarms in a transaction of their own.
    A process that dies between the two must not leave a harm post without its alarm: the
    batch notes its escalated posts, and the leader's next tick once the note is
    `MEND_AFTER` old by the server's clock raises their alarms (once, rung once, the
    timers' doing), as the dead process would have, a post deleted in the batch too."""
    from crisis_console.core.crisis.crisis import CrisisDesk
    from crisis_console.core.crisis.timers import MEND_AFTER

    clock = Clock()
    feed = jsonl(
        record("1", "My charger caught fire and burned my hand"),
        record("2", "Where is my parcel?"),
        record("3", "found glass in my cereal, my son cut his mouth"),
        {"id": "3", "platform": "x", "deleted": True},
    )

    def dies(self: CrisisDesk, escalated: Any, event: Any = None) -> list[Any]:
        raise SystemExit("killed before the alarms' transaction")

    with opened(team_db, tmp_path / "dying", clock) as dying:
        monkeypatch.setattr(CrisisDesk, "file_alarms", dies)
        with pytest.raises(SystemExit):
            dying.ingest(read_jsonl(feed, "a.jsonl", NOW))
        monkeypatch.undo()
        assert dying.mention("x:1") is not None  # the batch committed
        assert dying._store.state.alarms.get_many(["x:1", "x:3"]) == []
    with opened(team_db, tmp_path / "leader", clock) as leader:
        early = leader.timers.tick()  # a batch in flight may still file them itself
        assert [d for d in early if "stopped first" in d] == []
        with connect(team_db) as conn:  # ... until the note is old by the server's clock
            age = MEND_AFTER + timedelta(seconds=1)
            conn.execute("UPDATE alarms_pending SET at = now() - %s", (age,))
        did = leader.timers.tick()
        assert sorted(d for d in did if "stopped first" in d) == [
            f"alarm raised for x:{n}: the process that stored it stopped first" for n in (1, 3)
        ]
        alarms = leader._store.state.alarms.get_many(["x:1", "x:2", "x:3"])
        assert sorted(a.key for a in alarms) == ["x:1", "x:3"] and all(a.open for a in alarms)
        rung = [n.subject for n in leader.notifier.console.received if n.kind == "harm"]
        assert sorted(rung) == ["x:1", "x:3"]
        assert [d for d in leader.timers.tick() if "stopped first" in d] == []  # once
        assert leader._store.pending_alarms.older_than(timedelta(0), 10) == []
        raised = [e for e in leader._audit.events() if e["action"] == "alarm.raised"]
        assert sorted(e["subject"] for e in raised) == ["x:1", "x:3"]
        assert {e["actor"] for e in raised} == {TIMERS_ACTOR}


def test_a_batch_that_files_its_alarms_leaves_no_note(team_db: str, tmp_path: Path) -> None:
    clock = Clock()
    with opened(team_db, tmp_path / "a", clock) as service:
        service.ingest(read_jsonl(jsonl(record("1", "My charger caught fire")), "a.jsonl", NOW))
        assert service._store.pending_alarms.older_than(timedelta(0), 10) == []
        assert [a.key for a in service._store.state.alarms.get_many(["x:1"])] == ["x:1"]
