"""The demo: the bundled mentions, moved in time so they read as the last few hours.

The folder it loads into carries a marker file; only a folder that is empty or carries the
marker is (re)filled, so the demo can never overwrite real data.
"""

from __future__ import annotations

import dataclasses
import shlex
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.intake.ingest import Parsed, Read, read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.roster import TEAM_FILE, write_roster

MARKER = ".crisis-console-demo"
_LEAD = timedelta(minutes=3)  # the newest demo post arrived this long before "now"

# A made-up team, a role each (README's team names), for trying the roles with `--as NAME`.
SAMPLE_TEAM = {
    "lee": Role.LEAD,
    "priya": Role.PR,
    "maya": Role.SOCIAL,
    "sam": Role.SUPPORT,
    "dana": Role.LEGAL,
    "ari": Role.AUDITOR,
}


def sample_team(operator: str) -> tuple[dict[str, list[Role]], dict[str, list[str]]]:
    """The demo's team file: the operator as lead, so every action can be tried, and the
    sample team beside them, whom the operator's login may act as with `--as` (its
    `shared_logins`). An operator who shares a sample name is the lead, not the sample."""
    operators = {name: [role] for name, role in SAMPLE_TEAM.items() if name != operator}
    return {operator: [Role.LEAD], **operators}, {operator: sorted(operators)}


def try_the_roles(folder: Path, operator: str) -> str:
    """What the demo says of its team: who is on it, and how to act as one of them."""
    team, _ = sample_team(operator)
    names = ", ".join(f"{n} ({roles[0].value})" for n, roles in team.items() if n != operator)
    where = shlex.quote(str(folder))
    return (
        f"team: you ({operator}) are its lead; the sample team is {names}. Try a role with "
        f"`crisis-console --as maya demo`, or without a reset "
        f"`crisis-console --data-dir {where} --as maya`"
    )


def prepare_folder(folder: Path, operator: str) -> None:
    """Empty a previous demo folder, or claim an empty one; refuse anything else. The team
    file is `sample_team`'s."""
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise CrisisConsoleError(
                f"{folder} already holds data that is not the demo's; "
                "give the demo an empty folder with --data-dir"
            )
        for child in folder.iterdir():
            if child.is_dir():
                shutil.rmtree(child)  # a previous demo's segments and archives
            elif child.name != MARKER:
                child.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("This folder holds Crisis Console demo data; `demo` resets it.\n")
    write_roster(folder / TEAM_FILE, *sample_team(operator))


def demo_records(path: Path, now: datetime) -> Iterator[Read]:
    """The bundled records, shifted so the newest was posted a few minutes before `now`."""
    with path.open("rb") as handle:
        items = list(read_jsonl(handle, str(path), now))
    newest = max((i.mention.created_at for i in items if isinstance(i, Parsed)), default=now)
    shift = now - _LEAD - newest
    for item in items:
        if isinstance(item, Parsed):
            moved = dataclasses.replace(item.mention, created_at=item.mention.created_at + shift)
            yield dataclasses.replace(item, mention=moved)
        else:
            yield item
