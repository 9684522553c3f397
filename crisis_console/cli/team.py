"""Team mode's service: the store, the audit chain and the roster on the team database
(`core/store/postgres`), the operator being the database login. Imported by the CLI for
every command; psycopg itself loads only when a database is named."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from crisis_console.core.actions import Action, Permission
from crisis_console.core.archive.audit import AuditEvent
from crisis_console.core.crisis.notify import ConsoleSink
from crisis_console.core.models import Clock
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.roster import PermissionDenied
from crisis_console.core.service import ConsoleService
from crisis_console.core.triage.routing import Triager
from crisis_console.core.triage.semantic import SemanticJudge


def where(dsn: str) -> str:
    """The team database as messages name it (any password masked)."""
    from crisis_console.core.store.postgres.connection import shown

    return f"the team database {shown(dsn)}"


@contextlib.contextmanager
def open_team_service(
    folder: Path,
    playbook: Playbook,
    clock: Clock,
    dsn: str,
    console: ConsoleSink | None,
    as_name: str | None,
    changing_playbook: bool = False,
    second_opinion: Callable[[], SemanticJudge] | None = None,
) -> Iterator[ConsoleService]:
    """See `open_service`. `--as` is refused: in team mode each operator connects as
    themselves (the refusal is audited)."""
    from crisis_console.cli import wiring as cli
    from crisis_console.core.store.postgres.team import open_team

    team = open_team(dsn)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        cli._log_to(folder / cli.LOG_FILE)
        login = team.roster.login()
        if as_name and as_name != login:
            reason = f"in team mode {login} acts as the database login {login}, never as another"
            team.audit.append(
                [
                    AuditEvent(
                        Action.REFUSED,
                        f"operator:{as_name}",
                        login,
                        clock(),
                        {"action": Permission.ACT_AS, "reason": reason},
                    )
                ]
            )
            raise PermissionDenied(reason)
        operator = team.roster.load().operator(login)
        service = ConsoleService(
            team.store,
            team.audit,
            Triager(playbook),
            clock,
            operator,
            cli._notifier(folder, team.store, clock, console),
            cli._reply_setup(folder),
            team.roster,
            changing_playbook,
            second_opinion,
        )
        with cli._working(service, team.roster):
            yield service
    finally:
        team.store.close()
