"""The desks of the work contract tests (`test_work_contract`, `test_work_selections`):
a team over a folder or PostgreSQL, and the posts they work on; `desks` is registered as a
fixture in conftest."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.archive.audit_read import concerns
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.replies.senders import JsonlOutbox
from crisis_console.core.roster import Operator, RosterFile, write_roster
from crisis_console.core.service import ConsoleService, ReplySetup
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, MovableClock, jsonl, record

TEAM = {
    "lee": [Role.LEAD],
    "maya": [Role.SOCIAL],
    "sam": [Role.SUPPORT],
    "priya": [Role.PR],
    "ada": [Role.AUDITOR],
}
POSTS = {  # key -> (text, the queue the shipped playbook routes it to)
    "x:1": ("My parcel is late again, where is it? order 1", "support"),
    "x:2": ("Still waiting for my refund, ticket 2", "support"),
    "x:3": ("Love the new range, thank you! 3", "social"),
    "x:4": ("Love the new range, thank you! 4", "social"),
    "x:5": ("The charger caught fire and burned my hand (5)", "lead"),
    "x:6": ("How do I reset my kettle? 6", "support"),
}
ALL = InboxFilter(status="all")


class Appends:
    """The real audit chain, counting its appends: what "one append" means."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.appends = inner, 0

    def append(self, events: Any) -> int:
        self.appends += 1
        return int(self.inner.append(events))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class Desks:
    store: Any
    audit: Any
    roster: Any
    triager: Triager
    clock: MovableClock
    folder: Path
    opened: list[Any] = field(default_factory=list)  # other processes' stores (PostgreSQL)
    dsn: str = ""

    def process(self) -> Desks:
        """Another process on the same store: its own connections in team mode; in a
        folder, the one writer's store (another thread of the same process)."""
        if not self.dsn:
            return self
        from tests.pg_fixture import migrated_team

        team = migrated_team(self.dsn, pool_size=2)
        self.opened.append(team.store)
        return Desks(team.store, team.audit, team.roster, self.triager, self.clock, self.folder)

    def as_(self, name: str) -> ConsoleService:
        operator = Operator(name, frozenset(TEAM[name]))
        return ConsoleService(
            self.store,
            self.audit,
            self.triager,
            self.clock,
            operator,
            Notifier(ConsoleSink()),
            ReplySetup({}, JsonlOutbox(self.folder / "out.jsonl")),
            roster=self.roster,
        )

    def page(self, where: InboxFilter = ALL, level: int = 0) -> dict[str, Any]:
        """The inbox as the store pages it: key -> row, and the open count per queue."""
        page = self.store.inbox.page(where, 0, 100, level, self.clock())
        return {"rows": {r.key: r for r in page.rows}, "total": page.total,
                "counts": page.queue_counts}  # fmt: skip

    def records(self, action: str, key: str) -> list[dict[str, Any]]:
        return [e for e in self.audit.events() if e["action"] == action and concerns(e, key)]


@pytest.fixture(params=["tinydb", "postgres"])
def desks(request: pytest.FixtureRequest, tmp_path: Path, triager: Triager) -> Iterator[Desks]:
    clock = MovableClock(NOW)
    if request.param == "tinydb":
        folder = tmp_path / "data"
        store = TinyDBStore(folder)
        write_roster(folder / "team.yaml", TEAM)
        made = Desks(store, Appends(AuditLog(folder / AUDIT_FILE)),
                     RosterFile(folder / "team.yaml"), triager, clock, tmp_path)  # fmt: skip
    else:
        from tests.pg_fixture import migrated_team

        dsn = request.getfixturevalue("pg_dsn")
        team = migrated_team(dsn, pool_size=4)
        for name, roles in TEAM.items():
            team.roster.change(name, roles)
        made = Desks(team.store, Appends(team.audit), team.roster, triager, clock, tmp_path)
        made.dsn = dsn
    posts = [record(k[2:], text, created_at=NOW.isoformat()) for k, (text, _) in POSTS.items()]
    made.as_("lee").ingest(read_jsonl(jsonl(*posts), "posts.jsonl", NOW))
    try:
        yield made
    finally:
        for store in [made.store, *made.opened]:
            store.close()
