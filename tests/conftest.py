"""Shared fixtures: the shipped playbook, real VADER, TinyDB in a temp folder, a fixed clock."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crisis_console import config
from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.intake.ingest import Parsed, read_jsonl
from crisis_console.core.models import Clock, Role
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.replies.senders import JsonlOutbox, Sender
from crisis_console.core.replies.templates import load_templates
from crisis_console.core.roster import Operator
from crisis_console.core.service import ConsoleService, ReplySetup
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A developer's own data folder and playbook choice never leak into a test."""
    monkeypatch.setenv(config.HOME_ENV, str(tmp_path_factory.mktemp("home")))
    # The keys that seal audit logs live in the account's configuration: a test's own.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv(config.PLAYBOOK_ENV, raising=False)


def fixed_clock() -> datetime:
    return NOW


class MovableClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture(scope="session")
def playbook() -> Playbook:
    return load_playbook(ROOT / "playbooks" / "general.yaml")


@pytest.fixture(scope="session")
def triager(playbook: Playbook) -> Triager:
    return Triager(playbook)


def record(native_id: str, text: str, **fields: Any) -> dict[str, Any]:
    """One input record in the documented format."""
    out: dict[str, Any] = {
        "id": native_id,
        "platform": "x",
        "text": text,
        "created_at": "2026-03-14T11:30:00Z",
    }
    out.update(fields)
    return out


def jsonl(*records: dict[str, Any]) -> list[str]:
    return [json.dumps(r) for r in records]


def parsed(*records: dict[str, Any]) -> list[Parsed]:
    items = list(read_jsonl(jsonl(*records), "test.jsonl", NOW))
    assert all(isinstance(i, Parsed) for i in items)
    return [i for i in items if isinstance(i, Parsed)]


ServiceFactory = Callable[..., ConsoleService]


@pytest.fixture
def make_service(tmp_path: Path, triager: Triager) -> Iterator[ServiceFactory]:
    """Services over one TinyDB folder, each acting as the operator asked for (default: a
    lead called "tester"); all share one console sink, store and audit log."""
    store = TinyDBStore(tmp_path / "data")
    audit = AuditLog(tmp_path / "data" / AUDIT_FILE)
    console = ConsoleSink()

    templates, problems = load_templates(ROOT / "templates")
    assert not problems

    def make(
        *roles: Role,
        name: str = "tester",
        clock: Clock = fixed_clock,
        sinks: Any = (),
        sender: Sender | None = None,
        second_opinion: Any = None,
        roster: Any = None,
    ) -> ConsoleService:
        """`roster`: where the team is kept (a `RosterFile`), for what reads the team."""
        operator = Operator(name, frozenset(roles or (Role.LEAD,)))
        setup = ReplySetup(  # each service its own templates, as each process has
            dict(templates), sender or JsonlOutbox(tmp_path / "outbox.jsonl"), "Brightwell"
        )
        return ConsoleService(
            store,
            audit,
            triager,
            clock,
            operator,
            Notifier(console, sinks),
            setup,
            roster=roster,
            second_opinion=second_opinion,
        )

    try:
        yield make
    finally:
        store.close()


@pytest.fixture
def service(make_service: ServiceFactory) -> ConsoleService:
    return make_service()


@pytest.fixture
def crisis(make_service: ServiceFactory) -> ConsoleService:
    """The scripted crisis of `tests/scenario.py`, seen by its lead at its end."""
    from tests.scenario import play  # the scenario builds on this module's helpers

    clock = play(make_service)
    return make_service(name="lee", clock=clock)


from tests.cli_call import cli  # noqa: E402, F401  (a fixture: the command line in this process)
from tests.pg_fixture import pg_dsn  # noqa: E402, F401  (a fixture: a schema of its own on PostgreSQL)
from tests.work_desks import desks  # noqa: E402, F401  (the work contract's team, each backend)


def race(work: Callable[[], object], threads: int) -> list[object]:
    """Run `work` in that many threads at once; what each returned, or the exception it
    raised (a failure must show in the caller's assertion, not vanish in a thread)."""
    import threading

    results: list[object] = []

    def run() -> None:
        try:
            results.append(work())
        except Exception as exc:
            results.append(exc)

    racers = [threading.Thread(target=run) for _ in range(threads)]
    for t in racers:
        t.start()
    for t in racers:
        t.join()
    return results
