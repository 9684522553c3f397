"""The team fixture: a schema set up by the lead's own login with `db init`, and a database
login each for maya and lee, granted an operator's rights with `db grant` as README's "Team
mode" says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from crisis_console.core.store.postgres.connection import connect, named
from tests.pg_fixture import SERVER


@dataclass
class Team:
    folder: Path
    schema: str
    logins: dict[str, str]  # name -> role

    def dsn(self, name: str) -> str:
        """The test server as `name`'s own login, in the team's schema."""
        base = SERVER.replace("postgres@", f"{self.logins[name]}@", 1)
        joiner = "&" if "?" in base else "?"
        return f"{base}{joiner}options={quote(f'-csearch_path={self.schema}')}"

    def cli(self, name: str, *args: str, env: dict[str, str] | None = None) -> Any:
        argv = [sys.executable, "-m", "crisis_console", "--data-dir", str(self.folder)]
        return subprocess.Popen(
            [*argv, "--db", self.dsn(name), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )

    def run(self, name: str, *args: str, env: dict[str, str] | None = None) -> Done:
        process = self.cli(name, *args, env=env)
        out, err = process.communicate(timeout=120)
        return Done(process.returncode, out, err)

    def audit(self) -> list[dict[str, Any]]:
        with connect(self.dsn("lead")) as conn:
            rows = conn.execute("SELECT line FROM audit ORDER BY seq").fetchall()
        return [json.loads(line) for (line,) in rows]


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def team(pg_dsn: str, tmp_path: Path) -> Iterator[Team]:
    """A schema set up by the lead's login with `db init`, and a login each for maya and lee
    (roles are the server's, so their names are the test's own)."""
    schema = pg_dsn.rsplit("%3D", 1)[1]
    tag = uuid.uuid4().hex[:8]
    logins = {"lead": f"cc_lead_{tag}", "maya": f"cc_maya_{tag}", "lee": f"cc_lee_{tag}"}
    with connect(SERVER, autocommit=True) as conn:
        for role in logins.values():
            conn.execute(named("CREATE ROLE {r} LOGIN", r=role))
            conn.execute(named("GRANT ALL ON SCHEMA {s} TO {r}", s=schema, r=role))
    made = Team(tmp_path / "data", schema, logins)
    try:
        done = made.run("lead", "db", "init")
        assert done.returncode == 0 and f"{logins['lead']} (this database login) is" in done.stdout
        # As README's "Team mode" says: the login that ran init grants the operators'.
        done = made.run("lead", "db", "grant", logins["maya"], logins["lee"])
        assert done.returncode == 0, done.stderr
        yield made
    finally:
        with connect(SERVER, autocommit=True) as conn:  # the schema goes with `pg_dsn`
            for role in logins.values():
                conn.execute(named("DROP OWNED BY {r}", r=role))
                conn.execute(named("DROP ROLE {r}", r=role))
