"""The team database's schema: versioned, forward-only migrations and `crisis-console db`,
on the real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis_console.cli import main
from crisis_console.core.errors import StoreError
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.connection import connect, named
from tests.conftest import race

VERSIONS = [m.version for m in migrations.shipped()]
LATEST = VERSIONS[-1]


def tables(dsn: str) -> set[str]:
    with connect(dsn) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
    return {r[0] for r in rows}


def test_init_creates_the_schema_and_records_each_migration(pg_dsn: str) -> None:
    with connect(pg_dsn) as conn:
        before = migrations.status(conn)
        assert before.version == 0 and [m.version for m in before.pending] == VERSIONS
        applied = migrations.migrate(conn)
        after = migrations.status(conn)
    assert [m.name for m in applied] == [m.name for m in migrations.shipped()]
    assert after.version == LATEST and not after.pending and after.applied[0].by == "postgres"
    assert {"mentions", "store_meta", migrations.TABLE} <= tables(pg_dsn)
    with connect(pg_dsn) as conn:  # migrating again applies nothing
        assert migrations.migrate(conn) == []


def test_a_database_migrated_by_a_newer_version_or_with_an_edited_migration_is_refused(
    pg_dsn: str,
) -> None:
    with connect(pg_dsn) as conn:
        migrations.migrate(conn)
        conn.execute(
            named(
                "INSERT INTO {t} (version, name, checksum) VALUES (99, 'later', 'x')",
                t=migrations.TABLE,
            )
        )
    with connect(pg_dsn) as conn, pytest.raises(StoreError, match=r"version 99 .* upgrade"):
        migrations.status(conn)
    with connect(pg_dsn) as conn:
        conn.execute(named("DELETE FROM {t} WHERE version = 99", t=migrations.TABLE))
        conn.execute(named("UPDATE {t} SET checksum = 'edited'", t=migrations.TABLE))
    with connect(pg_dsn) as conn, pytest.raises(StoreError, match="0001_mentions has changed"):
        migrations.migrate(conn)


def test_two_processes_migrating_at_once_apply_each_migration_once(pg_dsn: str) -> None:
    def migrate() -> int:
        with connect(pg_dsn) as conn:
            return len(migrations.migrate(conn))

    results = race(migrate, 4)
    assert sorted(results, key=str) == [0, 0, 0, LATEST]
    with connect(pg_dsn) as conn:
        assert [a.version for a in migrations.status(conn).applied] == VERSIONS


def test_db_commands_from_the_shell(
    pg_dsn: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["--data-dir", str(tmp_path), "db", "status", "--db", pg_dsn]) == 0
    assert f"schema version 0 of {LATEST}, {LATEST} pending" in capsys.readouterr().out
    monkeypatch.setenv("CRISIS_CONSOLE_DB", pg_dsn)  # the database may come from the env
    assert main(["--data-dir", str(tmp_path), "db", "init"]) == 0
    out = capsys.readouterr().out
    assert (
        "applied 0001_mentions" in out and f"schema version {LATEST} of {LATEST}, up to date" in out
    )
    assert main(["--data-dir", str(tmp_path), "db", "init"]) == 2
    assert f"already holds the schema (version {LATEST})" in capsys.readouterr().err
    assert main(["--data-dir", str(tmp_path), "db", "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_db_commands_without_a_database_or_a_server_say_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRISIS_CONSOLE_DB", raising=False)
    assert main(["--data-dir", str(tmp_path), "db", "status"]) == 2
    assert "no database: give --db" in capsys.readouterr().err
    gone = "postgresql://maya:hunter2@127.0.0.1:1/test"  # nothing listens on port 1
    assert main(["--data-dir", str(tmp_path), "db", "status", "--db", gone]) == 2
    said = capsys.readouterr().err
    assert "cannot connect to PostgreSQL at postgresql://maya:***@127.0.0.1:1/test" in said
    assert "hunter2" not in said
