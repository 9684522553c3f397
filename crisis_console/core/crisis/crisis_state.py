"""The crisis desk's state as values, and their plain-JSON records in the store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crisis_console.core.models import Role

STATE, ALARMS, BREACHES, SPIKES = "crisis_state", "alarms", "sla_breaches", "spike_suggestions"


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    title: str
    owner: Role
    due: datetime
    every_minutes: int
    done_by: str
    done_at: datetime | None
    overdue_notified: bool

    def overdue(self, now: datetime) -> bool:
        return self.done_at is None and now >= self.due


@dataclass(frozen=True, slots=True)
class CrisisState:
    level: int
    since: datetime | None
    by: str
    reason: str
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Alarm:
    key: str  # the mention's key
    summary: str
    raised_at: datetime
    ack_due: datetime
    notified: int
    acknowledged_by: str
    acknowledged_at: datetime | None

    @property
    def open(self) -> bool:
        return self.acknowledged_at is None


AlarmSummary = tuple[int, Alarm | None]
"""How many alarms are open, and the oldest open one."""


def step_record(s: Step) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "owner": s.owner.value,
        "due": s.due.isoformat(),
        "every_minutes": s.every_minutes,
        "done_by": s.done_by,
        "done_at": s.done_at.isoformat() if s.done_at else None,
        "overdue_notified": s.overdue_notified,
    }


def step_from(r: Mapping[str, Any]) -> Step:
    due = parse_time(r["due"])
    assert due is not None
    return Step(
        r["id"],
        r["title"],
        Role(r["owner"]),
        due,
        r["every_minutes"],
        r["done_by"],
        parse_time(r["done_at"]),
        r["overdue_notified"],
    )


def alarm_from(r: Mapping[str, Any]) -> Alarm:
    raised, due = parse_time(r["raised_at"]), parse_time(r["ack_due"])
    assert raised is not None and due is not None
    return Alarm(
        r["key"],
        r["summary"],
        raised,
        due,
        r["notified"],
        r["acknowledged_by"],
        parse_time(r["acknowledged_at"]),
    )


def alarm_record(a: Alarm) -> dict[str, Any]:
    return {
        "key": a.key,
        "summary": a.summary,
        "raised_at": a.raised_at.isoformat(),
        "ack_due": a.ack_due.isoformat(),
        "notified": a.notified,
        "acknowledged_by": a.acknowledged_by,
        "acknowledged_at": a.acknowledged_at.isoformat() if a.acknowledged_at else None,
    }
