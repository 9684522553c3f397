"""The timers on a fixed clock: harm alarms re-notify until acknowledged, SLA breaches are
reported once to the queue's owner, and spikes suggest a level with their evidence."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.archive.audit_export import ExportFilter
from crisis_console.core.crisis import timers
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.roster import PermissionDenied
from crisis_console.core.service import ConsoleService
from crisis_console.core.triage.spikes import Point, suggest
from tests.conftest import NOW, MovableClock, ServiceFactory, jsonl, record


def harm_notes(service) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.title for n in service.notifier.console.received if n.kind == "harm"]


def test_harm_alarm_renotifies_until_acknowledged(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    clock = MovableClock()
    lead = make_service(clock=clock)
    lead.ingest(
        read_jsonl(
            jsonl(
                record(
                    "1",
                    "The heater is sparking and smoking in my kid's room",
                    created_at=NOW.isoformat(),
                )
            ),
            "f",
            NOW,
        )
    )
    [alarm] = lead.crisis.alarms(open_only=True)
    assert (alarm.key, alarm.notified) == ("x:1", 1)
    assert harm_notes(lead) == ["Risk of harm: acknowledge now"]
    clock.advance(4)
    assert lead.timers.tick() == []  # the playbook gives 5 minutes
    clock.advance(1)
    assert "re-notified alarm x:1" in lead.timers.tick()
    assert harm_notes(lead)[-1] == "UNACKNOWLEDGED for 5 min: risk of harm"
    clock.advance(5)
    lead.timers.tick()
    assert lead.crisis.alarms()[0].notified == 3
    support = make_service(Role.SUPPORT, name="sam", clock=clock)
    with pytest.raises(PermissionDenied):
        support.crisis.acknowledge("x:1")
    done = lead.crisis.acknowledge("x:1")
    assert (done.acknowledged_by, done.acknowledged_at) == ("tester", clock.now)
    clock.advance(60)
    assert not any("re-notified" in line for line in lead.timers.tick())
    actions = [e["action"] for e in AuditLog(tmp_path / "data" / AUDIT_FILE).events()]
    assert actions.count("alarm.renotified") == 2
    assert "alarm.acknowledged" in actions and "refused" in actions


def test_sla_breach_is_reported_once_to_the_queue_owner(make_service: ServiceFactory) -> None:
    clock = MovableClock()
    lead = make_service(clock=clock)
    lead.ingest(
        read_jsonl(
            jsonl(
                record("1", "How do I pause my box?", created_at=NOW.isoformat()),
                record("2", "Love the new range, thank you!", created_at=NOW.isoformat()),
            ),
            "f",
            NOW,
        )
    )
    clock.advance(239)
    assert lead.timers.tick() == []
    clock.advance(2)
    assert lead.timers.tick() == ["1 SLA breach(es) in support"]
    assert lead.timers.breached() == {"x:1"}
    [note] = [n for n in lead.notifier.console.received if n.kind == "sla_breach"]
    assert note.roles == frozenset({Role.LEAD}) and "support queue" in note.title
    assert lead.timers.tick() == []
    # Audited once, as the system's, in one record for the queue that names the mention
    # and its deadline (found by the mention's key, as the audit screen filters).
    [breach] = [r for r in lead.audit_records() if r["action"] == "sla.breached"]
    assert (breach["actor"], breach["subject"]) == (timers.TIMERS_ACTOR, "queue:support")
    deadline = (NOW + timedelta(minutes=240)).isoformat()
    assert breach["data"]["mentions"] == {"x:1": deadline} and breach["data"]["count"] == 1
    assert lead.newest_audit_records(5, "x:1")[0]["seq"] == breach["seq"]
    assert ExportFilter(mention="x:1").keeps(breach)  # in the mention's whole story
    assert not ExportFilter(mention="x:2").keeps(breach)


def test_many_breaches_at_once_are_parts_of_a_bounded_size(
    make_service: ServiceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However many fall due in one tick, a breach record names at most
    `BREACHES_A_RECORD` mentions (a line of the audit log stays small); each mention is
    named once."""
    monkeypatch.setattr(timers, "BREACHES_A_RECORD", 2)
    clock = MovableClock()
    lead = make_service(clock=clock)
    questions = [
        record(str(n), f"How do I pause my box number {n}?", created_at=NOW.isoformat())
        for n in range(5)
    ]
    lead.ingest(read_jsonl(jsonl(*questions), "f", NOW))
    clock.advance(241)
    assert lead.timers.tick() == ["5 SLA breach(es) in support"]
    parts = [r["data"] for r in lead.audit_records() if r["action"] == "sla.breached"]
    assert [p["count"] for p in parts] == [2, 2, 1]
    named = [k for p in parts for k in p["mentions"]]
    assert sorted(named) == [f"x:{n}" for n in range(5)]


def stream(per_interval: list[int], negative_every: int = 0, text: str = "hello") -> list[Point]:
    """Mentions spread over 15-minute intervals ending at NOW, oldest interval first."""
    points = []
    start = NOW - timedelta(minutes=15 * len(per_interval))
    for i, count in enumerate(per_interval):
        for j in range(count):
            at = start + timedelta(minutes=15 * i, seconds=j * (900 // max(count, 1)))
            negative = bool(negative_every) and j % negative_every == 0
            points.append(Point(at, negative, text))
    return points


def test_a_steady_stream_suggests_nothing(playbook: Playbook) -> None:
    assert suggest(stream([20, 22, 19, 21, 20, 23, 18, 21, 22]), NOW, playbook, 0) is None


def test_a_volume_spike_suggests_a_level_with_its_evidence(playbook: Playbook) -> None:
    points = stream([20, 22, 19, 21, 20, 23, 18, 21, 27], text="your app is down again")
    s = suggest(points, NOW, playbook, 0)
    assert s is not None and s.level == 1 and s.count == 27  # above 3σ, not 5σ (level 2)
    assert s.baseline_mean == pytest.approx(20.5) and s.baseline_sd == pytest.approx(1.5)
    assert s.reasons == ("volume 27 > 20.5 + 3σ",)
    assert ("down", 27) in s.top_terms
    assert "27 mentions in 11:45–12:00" in s.evidence()
    assert suggest(points, NOW, playbook, 1) is None  # already there


def test_negative_share_and_keyword_clusters(playbook: Playbook) -> None:
    calm = stream([20] * 8 + [0], negative_every=10)
    angry = [Point(NOW - timedelta(minutes=5), True, "boycott them") for _ in range(12)]
    s = suggest(calm + angry, NOW, playbook, 0)
    assert s is not None and s.level == 2
    assert "'boycott' in 12 mentions" in s.reasons
    assert any(r.startswith("negative share 100%") for r in s.reasons)


def test_too_few_mentions_are_never_a_spike(playbook: Playbook) -> None:
    assert suggest(stream([0, 0, 0, 0, 0, 0, 0, 0, 6]), NOW, playbook, 0) is None


def test_tick_announces_a_spike_once(make_service: ServiceFactory) -> None:
    clock = MovableClock(datetime(2026, 3, 14, 12, 0, tzinfo=NOW.tzinfo))
    lead = make_service(clock=clock)
    lines = [
        record(
            f"b{i}", "Saw your van today", created_at=(NOW - timedelta(minutes=20 + i)).isoformat()
        )
        for i in range(100)
    ]
    lines += [
        record(
            f"s{i}",
            "Your app is down again, useless",
            created_at=(NOW - timedelta(minutes=3)).isoformat(),
        )
        for i in range(40)
    ]
    lead.ingest(read_jsonl(jsonl(*lines), "f", NOW))
    assert "spike suggests level 2" in lead.timers.tick()
    assert not any("spike" in line for line in lead.timers.tick())
    [note] = [n for n in lead.notifier.console.received if n.kind == "spike"]
    assert note.roles == frozenset({Role.PR, Role.LEAD}) and "consider level 2" in note.title


def test_spikes_judged_from_the_counters_match_those_judged_from_the_mentions(
    make_service: ServiceFactory,
) -> None:
    clock = MovableClock(NOW)
    lead = make_service(clock=clock)
    rows, n = [], 0
    for i, count in enumerate([20, 22, 19, 21, 20, 23, 18, 21, 40]):
        for j in range(count):
            at = NOW + timedelta(minutes=15 * i, seconds=j * (900 // count))
            text = "boycott them, the app is down" if i == 8 and j % 2 else f"hello there {n}"
            stamp = at.isoformat().replace("+00:00", "Z")
            rows.append(record(str(n), text, created_at=stamp, author=f"a{n}"))
            n += 1
    lead.ingest(read_jsonl(jsonl(*rows), "stream.jsonl", NOW))
    clock.now = NOW + timedelta(minutes=15 * 9)
    from_counters = lead.timers.spike_suggestion()
    everything = [lead.mention(f"x:{i}") for i in range(n)]
    from_mentions = lead.timers.spike_suggestion([m for m in everything if m is not None])
    assert from_counters is not None and from_counters == from_mentions
    assert from_counters.count == 40 and "'boycott' in 20 mentions" in from_counters.reasons
    volume, shares = lead.activity(hours=3)
    assert volume[-9:] == [20, 22, 19, 21, 20, 23, 18, 21, 40] and len(shares) == len(volume)


def eight_alarms(make_service: ServiceFactory, clock: MovableClock) -> ConsoleService:
    """A lead's service on a store where eight harm alarms were raised at NOW."""
    lead = make_service(clock=clock)
    harm = "The heater is sparking and smoking in my kid's room"
    rows = [record(str(i), f"{harm} ({i})", created_at=NOW.isoformat()) for i in range(8)]
    lead.ingest(read_jsonl(jsonl(*rows), "f", NOW))
    return lead


def test_many_late_alarms_are_renotified_in_one_message_and_each_is_audited(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    clock = MovableClock()
    lead = eight_alarms(make_service, clock)
    assert len(lead.crisis.alarms(open_only=True)) == 8
    before = len(harm_notes(lead))
    clock.advance(5)
    assert lead.timers.tick()[0] == "re-notified 8 alarms"
    assert harm_notes(lead)[before:] == ["8 harm alarms UNACKNOWLEDGED, the oldest for 5 min"]
    renotified = [
        e["subject"]
        for e in AuditLog(tmp_path / "data" / AUDIT_FILE).events()
        if e["action"] == "alarm.renotified"
    ]
    assert sorted(renotified) == sorted(f"x:{i}" for i in range(8))
    assert lead.crisis.alarm_summary()[0] == 8


def test_while_many_alarms_stay_open_one_round_reminds_of_them_all(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    clock = MovableClock()
    lead = eight_alarms(make_service, clock)
    clock.advance(5)
    assert lead.timers.tick() == ["re-notified 8 alarms"]  # each once, then as a round
    clock.advance(1)
    assert lead.timers.tick() == []
    clock.advance(4)
    before = len(harm_notes(lead))
    assert lead.timers.tick() == ["reminded of 8 open alarms"]
    assert harm_notes(lead)[before:] == ["8 harm alarms UNACKNOWLEDGED, the oldest for 10 min"]
    assert {a.notified for a in lead.crisis.alarms()} == {2}  # the round wrote no alarm
    for i in range(4):
        lead.crisis.acknowledge(f"x:{i}")
    clock.advance(5)  # few again: each of the four has its own reminder back
    did = [line for line in lead.timers.tick() if "SLA" not in line]  # (15 min: breached)
    assert sorted(did) == [f"re-notified alarm x:{i}" for i in range(4, 8)]
    clock.advance(5)
    did = [line for line in lead.timers.tick() if "SLA" not in line]
    assert sorted(did) == [f"re-notified alarm x:{i}" for i in range(4, 8)]
    actions = [e["action"] for e in AuditLog(tmp_path / "data" / AUDIT_FILE).events()]
    assert actions.count("alarms.reminded") == 1
    assert actions.count("alarm.renotified") == 8 + 4 + 4


def test_a_backlog_is_worked_off_in_chunks(
    make_service: ServiceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After hours away, what is due is handled a chunk at a time (each its own call, so the
    lock is free between them), oldest first, and nothing is lost or handled twice; things
    due at the same moment go in the same chunk."""
    monkeypatch.setattr(timers, "CHUNK", 10)
    clock = MovableClock()
    lead = make_service(clock=clock)
    # Four questions a minute, 10 s apart, for ten minutes: each a breach 240 minutes on;
    # and then twelve at the same moment.
    rows = [
        record(f"{m}-{i}", f"How do I pause my box? ({m}-{i})", created_at=stamp(m, 10 * i))
        for m in range(10)
        for i in range(4)
    ] + [record(f"same-{i}", f"Can I pause it? ({i})", created_at=stamp(20)) for i in range(12)]
    lead.ingest(read_jsonl(jsonl(*rows), "f", NOW))
    clock.advance(300)
    assert lead.timers.tick() == ["10 SLA breach(es) in support"]  # within the third minute
    assert lead.timers.backlog and lead.timers.breached() == {
        f"x:{m}-{i}" for m in range(3) for i in range(4)
    } - {"x:2-2", "x:2-3"}
    assert lead.timers.tick_all() == ["10 SLA breach(es) in support"] * 3 + [
        "12 SLA breach(es) in support"  # one moment: one chunk, larger than the others
    ]
    assert not lead.timers.backlog and len(lead.timers.breached()) == 52
    assert lead.timers.tick() == []


def stamp(minute: int, second: int = 0) -> str:
    return (NOW + timedelta(minutes=minute, seconds=second)).isoformat()
