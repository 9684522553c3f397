"""Four people, four terminals, one crisis, as README's "Team mode" sets them up: lee the
lead, priya from PR, maya on the social team and sam in customer service, each their own
database login and their own console in a tmux pane. Triage, claim, draft, approve, send,
raise the level, acknowledge an alarm: each sees the others' work on their own screen, with
no key pressed there, and the audit log says who did what."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from crisis_console.core.store.postgres.connection import connect, named
from tests.pg_fixture import SERVER
from tests.tmux import Pane, Session

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
PEOPLE = ("lee", "priya", "maya", "sam")


class Desk:
    """One person's login on the team database, with a data folder of their own."""

    def __init__(self, login: str, schema: str, folder: Path) -> None:
        self.login, self.folder = login, folder
        base = SERVER.replace("postgres@", f"{login}@", 1)
        joiner = "&" if "?" in base else "?"
        self.dsn = f"{base}{joiner}options={quote(f'-csearch_path={schema}')}"

    def argv(self, *args: str) -> list[str]:
        command = [sys.executable, "-m", "crisis_console", "--data-dir", str(self.folder)]
        return [*command, "--db", self.dsn, *args]

    def run(self, *args: str) -> str:
        done = subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def console(self) -> str:
        return " ".join(f"'{a}'" for a in self.argv())


@pytest.fixture
def desks(pg_dsn: str, tmp_path: Path) -> Iterator[dict[str, Desk]]:
    """The DBA's part: a login for each of the four, and room for lee to make the schema."""
    schema = pg_dsn.rsplit("%3D", 1)[1]
    tag = uuid.uuid4().hex[:2]  # "sam_3f" fits the inbox's Who column
    made = {p: Desk(f"{p}_{tag}", schema, tmp_path / p) for p in PEOPLE}
    with connect(SERVER, autocommit=True) as conn:
        for desk in made.values():
            conn.execute(named("CREATE ROLE {r} LOGIN", r=desk.login))
        # As the schema `public` is by default: usable by every login.
        conn.execute(named("GRANT USAGE ON SCHEMA {s} TO PUBLIC", s=schema))
        conn.execute(named("GRANT CREATE ON SCHEMA {s} TO {r}", s=schema, r=made["lee"].login))
    try:
        yield made
    finally:
        with connect(SERVER, autocommit=True) as conn:  # the schema goes with `pg_dsn`
            for desk in made.values():
                conn.execute(named("DROP OWNED BY {r}", r=desk.login))
                conn.execute(named("DROP ROLE {r}", r=desk.login))


def crisis_feed(path: Path) -> None:
    """Four posts of the last few minutes: one a risk of harm, one a parcel question."""
    now = datetime.now(UTC)
    posts = [
        ("1", "My AirCrisp caught fire on the counter, my kids were right there"),
        ("2", "Where is my parcel? It was due on Monday"),
        ("3", "Love the new range, thank you!"),
        ("4", "The app keeps logging me out, please fix it"),
    ]
    lines = []
    for minutes, (native, text) in enumerate(posts):
        lines.append(
            json.dumps(
                {
                    "id": native,
                    "platform": "x",
                    "author": f"customer{native}",
                    "text": text,
                    "created_at": (now - timedelta(minutes=4 - minutes)).isoformat(),
                    "followers": 300,
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")


def test_four_people_work_one_crisis_in_four_terminals(
    desks: dict[str, Desk], tmp_path: Path
) -> None:
    lee, priya, maya, sam = (desks[p] for p in PEOPLE)
    # The set-up, as README's "Team mode" gives it.
    assert f"{lee.login} (this database login) is the team's lead" in lee.run("db", "init")
    lee.run("db", "grant", priya.login, maya.login, sam.login)
    for desk, role in ((priya, "pr"), (maya, "social"), (sam, "support")):
        lee.run("team", "set", desk.login, role)
    priya.run("templates", "approve", "delivery-delay", "holding-statement")
    feed = tmp_path / "export.jsonl"
    crisis_feed(feed)
    assert "4 new" in lee.run("ingest", str(feed))
    session = Session(f"cc-team-{os.getpid()}", 240, 80)
    try:
        panes = {p: session.pane(desks[p].console()) for p in PEOPLE}
        work_one_crisis(panes, desks)
    finally:
        session.close()
    audit = [json.loads(line) for line in lee.run("audit", "export").splitlines() if line]
    who = {(e["action"], e["actor"]) for e in audit}
    assert {
        ("claim", sam.login),
        ("draft", sam.login),
        ("approval", maya.login),
        ("send", maya.login),
        ("level.changed", priya.login),
        ("alarm.acknowledged", lee.login),
    } <= who, sorted(who)
    assert "ok" in lee.run("audit", "verify").lower()
    # Sent exactly once, from whichever console led the outbox, and in maya's name.
    sent = [
        json.loads(line)
        for desk in desks.values()
        if (desk.folder / "outbox.jsonl").exists()
        for line in (desk.folder / "outbox.jsonl").read_text().splitlines()
    ]
    assert [(s["mention"], s["sent_by"]) for s in sent] == [("x:2", maya.login)]


def work_one_crisis(panes: dict[str, Pane], desks: dict[str, Any]) -> None:
    lee, priya, maya, sam = (panes[p] for p in PEOPLE)
    for pane in panes.values():
        pane.wait_for("1–4 of 4")
        pane.wait_for("1 UNACKNOWLEDGED HARM ALARM")
    # sam claims the parcel question; the others' inboxes show who holds it.
    sam.keys("/")
    sam.wait_for("Enter applies, Esc clears")  # the search box, focused
    sam.type("parcel")
    sam.wait_for("▊  parcel")
    sam.keys("Enter")
    sam.wait_for("search 'parcel'")
    sam.keys("C")
    sam.wait_for("is yours")
    for pane in (lee, priya, maya):
        pane.wait_for_row("Where is my parcel?", desks["sam"].login)
    # maya has her approval queue open; sam's draft appears in it by itself.
    maya.keys("A")
    maya.wait_for("Nothing waits for approval")
    sam.keys("R")
    sam.wait_for("Reply to")
    sam.keys("Down")
    sam.wait_for("required variable left empty: new_date")
    sam.keys("Tab")  # into new_date
    sam.type("Thursday")
    sam.wait_for("Policy guard")
    sam.keys("C-s")
    sam.wait_for("Draft submitted")
    maya.wait_for("pending")
    maya.keys("y")
    maya.wait_for("Nothing waits for approval")
    maya.wait_for("Sent to x:2")  # whichever console's outbox delivered it
    maya.keys("Escape")
    # priya raises the level; every console says so, and who did it.
    priya.keys("L")
    priya.wait_for("Change the crisis level")
    priya.keys("Enter", "Down", "Down", "Enter", "Tab")
    priya.type("Fire reports on AirCrisp")
    priya.keys("Tab", "Enter")
    priya.wait_for("raised to 2")
    for pane in (lee, maya, sam):
        pane.wait_for("LEVEL 2 CRISIS")
        pane.wait_for(f"{desks['priya'].login} set level 2")
    # lee acknowledges the alarm on screen; it leaves every banner.
    lee.keys("a")
    lee.wait_for(f"acknowledged by {desks['lee'].login}")
    for pane in panes.values():
        pane.wait_gone("UNACKNOWLEDGED HARM ALARM")
