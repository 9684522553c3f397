"""The state's contract, run unchanged on each backend: the conditional writes (claim, the
one answer, once-only breaches and alarms, approve only the reviewed version), the timers'
index and the volume counts, and the audit chain.

Racers on PostgreSQL each open the store anew (their own pool, as separate processes
would); on TinyDB they share the folder's one writer, as threads of one process do."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crisis_console.core.actions import Action
from crisis_console.core.archive.audit import AUDIT_FILE, AuditEvent, AuditLog
from crisis_console.core.archive.audit_read import MENTIONS
from crisis_console.core.crisis.crisis_state import Alarm
from crisis_console.core.replies.reply_model import APPROVED, PENDING, Reply
from crisis_console.core.store.due import Due
from crisis_console.core.store.state_tables import Claim
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.store.tables import LeaseRefused, LeaseTerms
from tests.conftest import NOW, race

RACERS = 6


@dataclasses.dataclass
class Backend:
    name: str
    store: Callable[[], Any]  # a store handle (a new one per call on PostgreSQL)
    audit: Callable[[], Any]  # an audit chain handle, likewise


@pytest.fixture(params=["tinydb", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "tinydb":
        store = TinyDBStore(tmp_path / "data")
        log = AuditLog(tmp_path / "data" / AUDIT_FILE)
        yield Backend("tinydb", lambda: store, lambda: log)
        store.close()
        return
    from crisis_console.core.store.postgres import migrations
    from crisis_console.core.store.postgres.connection import connect
    from crisis_console.core.store.postgres.team import open_team

    dsn = request.getfixturevalue("pg_dsn")
    with connect(dsn) as conn:
        migrations.migrate(conn)
    teams: list[Any] = []

    def team() -> Any:
        teams.append(open_team(dsn, pool_size=3))
        return teams[-1]

    yield Backend("postgres", lambda: team().store, lambda: team().audit)
    for t in teams:
        t.store.close()


def test_of_racing_claims_exactly_one_wins_and_the_others_see_who(backend: Backend) -> None:
    stores = [backend.store() for _ in range(RACERS)]
    names = iter(f"op{i}" for i in range(RACERS))
    pairs = [(s, next(names)) for s in stores]
    turn = iter(pairs)

    def claim() -> Any:
        store, who = next(turn)
        lease = Claim("x:1", who, NOW, NOW + timedelta(minutes=15))
        return who, store.state.claims.take(lease)

    results: list[Any] = race(claim, RACERS)
    winners = [who for who, blocker in results if blocker is None]
    assert len(winners) == 1, results
    assert all(b.holder == winners[0] for _, b in results if b is not None)
    assert backend.store().state.claims.current("x:1", NOW).holder == winners[0]
    # The lease runs out: the next claimant takes it; the holder renews freely.
    later = NOW + timedelta(minutes=16)
    assert stores[0].state.claims.take(Claim("x:1", "late", later, later)) is None
    assert backend.store().state.claims.holders(NOW + timedelta(minutes=16)) == {}


def test_a_lease_renews_expires_and_is_taken_over_by_its_own_rules(backend: Backend) -> None:
    store = backend.store()
    claims = store.state.claims
    mins = [NOW + timedelta(minutes=m) for m in range(40)]

    def log(tag: str) -> Callable[[], None]:
        """What goes with a lease (its reminder), written with it or not at all."""
        return lambda: store.due.add([Due(NOW, "lease", tag)])

    def logged() -> list[str]:
        return [d.key for d in store.due.due(mins[39]) if d.kind == "lease"]

    assert claims.take(Claim("x:1", "maya", mins[0], mins[10]), log=log("1")) is None
    assert logged() == ["1"] and claims.current("x:1", mins[0]) is not None
    assert claims.take(Claim("x:1", "maya", mins[0], mins[10])) is None
    blocked = claims.take(Claim("x:1", "sam", mins[5], mins[15]), log=log("2"))
    assert blocked is not None and blocked.holder == "maya" and logged() == ["1"]
    assert claims.take(Claim("x:1", "maya", mins[8], mins[20])) is None  # renewed
    # The reminder of the first lease comes due: the renewal is kept.
    assert claims.expire(["x:1", "x:absent"], mins[12]) == []
    assert claims.current("x:1", mins[12]).holder == "maya"
    assert claims.expire(["x:1"], mins[20]) == ["x:1"]
    assert claims.current("x:1", mins[20]) is None
    # Run out without being expired: the next claimant takes it, and logs it.
    claims.take(Claim("x:2", "maya", mins[0], mins[10]))
    assert claims.take(Claim("x:2", "sam", mins[10], mins[20]), log=log("3")) is None
    assert sorted(logged()) == ["1", "3"] and claims.current("x:2", mins[11]).holder == "sam"
    # maya's release, decided on while she held it, arrives after sam took it: it stays his.
    assert claims.release("x:2", "maya") is False
    assert claims.current("x:2", mins[11]).holder == "sam"
    assert claims.release("x:2", "sam") is True and claims.current("x:2", mins[11]) is None
    claims.take(Claim("x:2", "sam", mins[11], mins[20]))
    # A lead's take-over takes a live lease.
    assert claims.take(Claim("x:2", "lead", mins[12], mins[30]), force=True) is None
    assert claims.holders(mins[13]) == {"x:2": "lead"}


def test_a_lease_is_taken_only_on_its_terms_as_they_stand_when_it_is_written(
    backend: Backend,
) -> None:
    store = backend.store()
    claims, lease = store.state.claims, Claim("x:1", "maya", NOW, NOW + timedelta(minutes=10))
    written = lambda: store.due.add([Due(NOW, "lease", "x:1")])  # noqa: E731
    with pytest.raises(LeaseRefused, match="no mention x:1") as refused:
        claims.take(lease, log=written, terms=LeaseTerms("x:1"))
    assert refused.value.level is None
    # A level raised by another process is the level the lease is checked against.
    backend.store().state.crisis.set({"level": 2})
    with pytest.raises(LeaseRefused, match="level 2") as refused:
        claims.take(lease, log=written, terms=LeaseTerms(None, frozenset({0, 1})))
    assert refused.value.level == 2
    assert claims.current("x:1", NOW) is None and store.due.due(NOW) == []
    assert claims.take(lease, log=written, terms=LeaseTerms(None, frozenset({2, 3}))) is None
    assert claims.current("x:1", NOW) is not None and len(store.due.due(NOW)) == 1


def test_a_breach_and_an_alarm_are_raised_once_however_many_race(backend: Backend) -> None:
    stores = [backend.store() for _ in range(RACERS)]
    turn = iter(stores)
    logged: list[object] = []

    def breach() -> Any:
        return next(turn).state.breaches.add_new({"x:1": {"at": NOW.isoformat()}}, logged.append)

    fresh = race(breach, RACERS)
    assert sum(1 for f in fresh if f) == 1 and len(logged) == 1, fresh
    alarm = Alarm("x:1", "fire", NOW, NOW + timedelta(minutes=5), 0, "", None)
    turn = iter(stores)
    raised: list[Any] = race(lambda: next(turn).state.alarms.add_new([alarm]), RACERS)
    assert sum(len(r) for r in raised) == 1, raised
    state = backend.store().state
    assert state.alarms.open_count() == 1 and state.alarms.summary()[1] == alarm
    state.alarms.save([dataclasses.replace(alarm, acknowledged_at=NOW, acknowledged_by="lee")])
    assert backend.store().state.alarms.summary() == (0, None)
    # Raised again (the post judged harm anew), by many at once: opened once, logged once.
    again = dataclasses.replace(alarm, raised_at=NOW + timedelta(hours=1), notified=1)
    turn, logged = iter(stores), []
    reopened = race(lambda: next(turn).state.alarms.raise_again(again, logged.append), RACERS)
    assert [r for r in reopened if r is not None] == [again] and len(logged) == 1, reopened
    assert backend.store().state.alarms.summary() == (1, again)
    assert backend.store().state.alarms.raise_again(again) is None  # open: left as it is


def reply(status: str = PENDING, text: str = "Sorry, we are on it") -> Reply:
    return Reply("r1", "x:1", "apology", "sha", {}, text, "maya", status, NOW)


def test_approve_takes_only_the_version_reviewed_and_only_once(backend: Backend) -> None:
    backend.store().state.replies.save(reply())
    stores = [backend.store() for _ in range(RACERS)]
    turn = iter(enumerate(stores))

    def approve() -> Any:
        i, store = next(turn)
        approved = dataclasses.replace(reply(APPROVED), approvals=(f"lead{i}",))
        return store.state.replies.replace_if(approved, lambda r: r.status == PENDING)

    refused = race(approve, RACERS)
    assert sum(1 for r in refused if r is None) == 1, refused
    stored = backend.store().state.replies.get("r1")
    assert stored.status == APPROVED and len(stored.approvals) == 1
    # An edit after review: the reviewed text is gone, the approval refused.
    edited = dataclasses.replace(reply(), text="changed after review")
    backend.store().state.replies.save(edited)
    check = backend.store().state.replies.replace_if(
        reply(APPROVED), lambda r: r.text == "Sorry, we are on it"
    )
    assert check is not None and check.text == "changed after review"
    assert [r.id for r in backend.store().state.replies.for_mention("x:1")] == ["r1"]


def test_a_mention_has_one_answer_however_many_sends_race(backend: Backend) -> None:
    stores = [backend.store() for _ in range(RACERS)]
    turn = iter(enumerate(stores))

    def answer() -> Any:
        i, store = next(turn)
        return store.state.replies.take_answer("x:1", f"r{i}")

    others = race(answer, RACERS)
    assert others.count(None) == 1 and len(set(others) - {None}) == 1, others
    state = backend.store().state.replies
    assert state.answered() == {"x:1"} and state.is_answered("x:1")
    [winner] = set(others) - {None}
    assert state.take_answer("x:1", "r-late") == winner
    state.release_answer("x:1", "r-late")  # not the answer: nothing changes
    assert state.is_answered("x:1")


def test_the_timers_index_gives_what_is_due_oldest_first(backend: Backend) -> None:
    due = backend.store().due
    due.add(Due(NOW + timedelta(minutes=m), "sla", f"x:{m}") for m in (3, 1, 2, 1, 9))
    assert [d.key for d in due.due(NOW + timedelta(minutes=2))] == ["x:1", "x:1", "x:2"]
    # A limit keeps every entry due at the same moment as the last one it takes.
    assert len(due.due(NOW + timedelta(minutes=5), limit=1)) == 2
    due.clear_through(NOW + timedelta(minutes=2))
    assert [d.key for d in due.due(NOW + timedelta(hours=1))] == ["x:3", "x:9"]
    assert backend.store().due.pending() == 2


def test_volume_counts_from_several_writers_add_up(backend: Backend) -> None:
    stores = [backend.store() for _ in range(3)]
    turn = iter(stores)
    minute = NOW.replace(second=0, microsecond=0)

    def count() -> None:
        next(turn).volume.add([(minute, True, "fire fire"), (minute, False, "ok")], ["fire"])

    assert race(count, 3) == [None, None, None]
    [interval] = backend.store().volume.intervals(
        minute + timedelta(minutes=1), timedelta(minutes=1), 1
    )
    assert (interval.count, interval.negative, interval.keywords["fire"]) == (6, 3, 3)


def event(i: int) -> AuditEvent:
    return AuditEvent(Action.DRAFT, f"x:{i}", "maya", NOW, {"n": i, "text": "ünïcode"})


def test_the_audit_chain_stays_whole_with_many_appenders(backend: Backend) -> None:
    logs = [backend.audit() for _ in range(RACERS)]
    turn = iter(enumerate(logs))

    def append() -> Any:
        i, log = next(turn)
        return log.append([event(i * 10 + k) for k in range(5)])

    lasts: list[Any] = race(append, RACERS)
    assert sorted(lasts) == [5 * (i + 1) for i in range(RACERS)], lasts
    log = backend.audit()
    result = log.verify()
    assert result.ok and result.events == 5 * RACERS, result.describe()
    records = list(log.events())
    assert [r["seq"] for r in records] == list(range(1, 5 * RACERS + 1))
    assert [r["seq"] for r in log.events_after(27)] == [28, 29, 30]
    assert sum(1 for _ in log.read({Action.DRAFT}, NOW)) == 5 * RACERS


def test_replies_saved_at_once_to_one_mention_are_all_listed(backend: Backend) -> None:
    stores = [backend.store() for _ in range(RACERS)]
    turn = iter(enumerate(stores))

    def draft() -> Any:
        i, store = next(turn)
        return store.state.replies.save(dataclasses.replace(reply(), id=f"r{i}"))

    race(draft, RACERS)
    listed = backend.store().state.replies.for_mention("x:1")
    assert sorted(r.id for r in listed) == sorted(f"r{i}" for i in range(RACERS))


def test_a_record_about_many_mentions_is_found_by_each_of_them(backend: Backend) -> None:
    """A tick's SLA breaches in a queue are one record naming each mention (`MENTIONS`):
    the audit screen's filter by a mention's key finds it, on both backends, and a key it
    does not name does not."""
    log = backend.audit()
    many = {MENTIONS: {"x:1": "2026-12-01T10:00:00+00:00", 'x:a"b\\c': "2026-12-01T10:01Z"}}
    log.append([event(0), dataclasses.replace(event(1), subject="queue:support", data=many)])
    log.append([event(5), dataclasses.replace(event(6), subject='x:a"b\\c')])
    assert [r["seq"] for r in log.newest(10, 'x:a"b\\c')] == [4, 2]  # (escaped in a line)
    assert [r["seq"] for r in log.newest(10, "x:1")] == [2]
    assert log.newest(10, "x:3") == []


def test_the_newest_audit_records_come_from_the_end(backend: Backend) -> None:
    """The audit screen's read: the newest records, newest first, one mention's or one
    operator's if asked; on a folder it reads back from the end, so the records before the
    ones it returns are never parsed (a damaged line there goes unread)."""
    log = backend.audit()
    log.append([event(k) for k in range(40)])
    assert [r["seq"] for r in log.newest(3)] == [40, 39, 38]
    priyas = [dataclasses.replace(event(k), subject="x:hers", actor="priya") for k in range(3)]
    log.append([*priyas, event(99)])
    assert [r["seq"] for r in log.newest(2, "x:hers")] == [43, 42]
    assert [r["seq"] for r in log.newest(10, "priya")] == [43, 42, 41]
    assert [r["seq"] for r in log.newest(10, "nobody")] == []
    if isinstance(log, AuditLog):
        # A line near the start made unreadable: the newest ten never reach it.
        lines = log.path.read_bytes().splitlines(keepends=True)
        lines[1] = b"{not json\n"
        log.path.write_bytes(b"".join(lines))
        assert [r["seq"] for r in log.newest(10)] == list(range(44, 34, -1))
