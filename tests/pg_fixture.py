"""A fresh schema on the PostgreSQL server that development and CI machines run on
127.0.0.1:5432 (trust authentication, database `test`), for each test, dropped after.

Without a server the tests here skip, and say so in the summary; with
CRISIS_CONSOLE_REQUIRE_POSTGRES=1 (as `.ci/run` sets it) they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from crisis_console.core.errors import StoreError
from crisis_console.core.store.postgres.connection import connect, named

SERVER = os.environ.get("CRISIS_CONSOLE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_ENV = "CRISIS_CONSOLE_REQUIRE_POSTGRES"


def migrated_team(dsn: str, pool_size: int = 2) -> Any:
    """The team database at `dsn` migrated to this version (`db init` without its lead),
    then opened as an operator's process opens it; `.store.close()` releases it."""
    from crisis_console.core.store.postgres import migrations
    from crisis_console.core.store.postgres.team import open_team

    with connect(dsn) as conn:
        migrations.migrate(conn)
    return open_team(dsn, pool_size=pool_size)


def in_schema(schema: str) -> str:
    """The test server's connection string, with `schema` first on the search path."""
    joiner = "&" if "?" in SERVER else "?"
    return f"{SERVER}{joiner}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
def pg_dsn() -> Iterator[str]:
    schema = f"cc_test_{uuid.uuid4().hex[:12]}"
    try:
        with connect(SERVER, autocommit=True) as conn:
            conn.execute(named("CREATE SCHEMA {s}", s=schema))
    except StoreError as exc:
        message = f"PostgreSQL tests did NOT run: no server at {SERVER} ({exc})"
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield in_schema(schema)
    finally:
        with connect(SERVER, autocommit=True) as conn:
            conn.execute(named("DROP SCHEMA {s} CASCADE", s=schema))
