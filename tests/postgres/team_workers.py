"""Processes for the team soak test (`test_team_soak.py`), each with a service of its own on
the team database, as a real operator's process would have:

- `race_claims` and `race_approvals`: run in two spawned processes at once, meeting at a
  barrier before each attempt, so both try the same mention or reply in the same instant;
- `python -m tests.postgres.team_workers DSN FOLDER`: a console driven by Textual's Pilot
  in a process of its own, told what to do one line at a time on its standard input, and
  answering one JSON line each on its standard output.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crisis_console import config
from crisis_console.cli import open_service
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.service import ConsoleService


@contextlib.contextmanager
def service_for(dsn: str, folder: Path) -> Iterator[ConsoleService]:
    playbook = load_playbook(config.playbook_path(None, folder=folder))
    with open_service(folder, playbook, lambda: datetime.now(UTC), db=dsn) as service:
        yield service


def race_claims(dsn: str, folder: Path, keys: list[str], barrier: Any, out: Any) -> None:
    """Claim each key the moment the other racer does; report (key, "won" or the refusal)."""
    with service_for(dsn, folder) as service:
        results = []
        for key in keys:
            barrier.wait(60)
            try:
                service.claims.claim(key)
                results.append((key, "won"))
            except Exception as exc:  # the refusal, whatever its kind, is the result
                results.append((key, str(exc)))
        out.put(results)


def race_approvals(dsn: str, folder: Path, reply_ids: list[str], barrier: Any, out: Any) -> None:
    """Approve (and so send) each reply the moment the other racer does."""
    with service_for(dsn, folder) as service:
        results = []
        for reply_id in reply_ids:
            barrier.wait(60)
            try:
                results.append((reply_id, service.replies.approve(reply_id).status))
            except Exception as exc:
                results.append((reply_id, f"refused: {exc}"))
        out.put(results)


async def console(dsn: str, folder: Path) -> None:
    from crisis_console.tui.app import CrisisConsoleApp
    from crisis_console.tui.widgets.mention_table import MentionTable

    def say(**answer: Any) -> None:
        print(json.dumps(answer), flush=True)

    with service_for(dsn, folder) as service:
        app = CrisisConsoleApp(service, "team", run_timers=False)
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.screen.query_one(MentionTable)
            say(ready=True, me=service.operator.name)
            while line := (await asyncio.to_thread(sys.stdin.readline)).split():
                command, args = line[0], line[1:]
                if command == "claim":
                    service.claims.claim(args[0])
                    say(claimed=args[0], at=time.time())
                elif command == "watch":  # until the key's row shows the holder's name
                    key, holder, start = args[0], args[1][:5], time.monotonic()
                    seen = None
                    while seen is None and time.monotonic() - start < 10:
                        await pilot.pause()
                        if key in table.rows and holder in str(table.get_row(key)):
                            seen = time.time()
                        await asyncio.sleep(0.02)
                    say(seen=seen, row=str(table.get_row(key)) if key in table.rows else "")
                elif command == "first":  # the key of the top unclaimed row on the screen
                    await pilot.pause()
                    held = service.claim_holders()
                    keys = [r.key.value for r in table.ordered_rows]
                    say(key=next((k for k in keys if k not in held), None))
                elif command == "tick":
                    ticked = service.timers.tick()
                    say(leader=service._store.is_leader(), ticked=len(ticked))
                elif command == "outbox":
                    say(sent=[r.id for r in service.work_outbox()])


if __name__ == "__main__":
    asyncio.run(console(sys.argv[1], Path(sys.argv[2])))
