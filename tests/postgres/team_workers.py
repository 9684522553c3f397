"""Processes for the team soak test (`test_team_soak.py`), each with a service of its own on
the team database, as a real operator's process would have:

- `racer`: runs in two spawned processes at once, meeting at a
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
from crisis_console.core.store.inbox import InboxFilter


@contextlib.contextmanager
def service_for(dsn: str, folder: Path) -> Iterator[ConsoleService]:
    playbook = load_playbook(config.playbook_path(None, folder=folder))
    with open_service(folder, playbook, lambda: datetime.now(UTC), db=dsn) as service:
        yield service


def _claim(service: ConsoleService, key: str) -> str:
    service.claims.claim(key)
    return "won"


def _approve(service: ConsoleService, reply_id: str) -> str:
    return service.replies.approve(reply_id).status  # a social approver sends it too


ACTIONS = {"claim": _claim, "approve": _approve}


def racer(dsn: str, folder: Path, action: str, items: list[str], barrier: Any, out: Any) -> None:
    """Do `action` to each item the moment the other racer does; report (item, what came
    of it: "won", the reply's status, or "refused: ..." with the refusal's words)."""
    with service_for(dsn, folder) as service:
        results = []
        for item in items:
            barrier.wait(60)
            try:
                results.append((item, ACTIONS[action](service, item)))
            except Exception as exc:  # the refusal, whatever its kind, is the result
                results.append((item, f"refused: {exc}"))
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
                elif command == "first":  # the top row on the screen still open and free
                    await pilot.pause()
                    # As the store has it now: a row the screen has not yet reloaded may have
                    # been answered a moment ago (the approve races send), and would leave
                    # the screen at its next reload, claimed or not.
                    held = service.claim_holders()
                    still = {r.key for r in service.inbox_page(InboxFilter(), 0, 200).rows}
                    keys = [r.key.value for r in table.ordered_rows]
                    say(key=next((k for k in keys if k not in held and k in still), None))
                elif command == "tick":
                    ticked = service.timers.tick()
                    say(leader=service._store.is_leader(), ticked=len(ticked))
                elif command == "outbox":
                    say(sent=[r.id for r in service.work_outbox()])


if __name__ == "__main__":
    asyncio.run(console(sys.argv[1], Path(sys.argv[2])))
