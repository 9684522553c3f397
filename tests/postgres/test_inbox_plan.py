"""The team inbox is designed for a million mentions: a page walks an inbox index and stops
at the page's end, never sorting the table (the open and the answered mentions each have
their own, so neither page walks past the other's rows); the alarm banner's oldest open
alarm is an index's first entry. Checked with PostgreSQL's own plan, on mentions
saved through the real repository."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crisis_console.core.models import StoredMention
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.connection import Jsonb, Pool, connect, open_pool
from crisis_console.core.store.postgres.mentions import PgMentions
from crisis_console.core.store.postgres.session import PgSession
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, parsed, record

TEXTS = (
    "My parcel is late again, where is it? order {i}",
    "Love the new range, thank you! {i}",
    "The charger caught fire and burned my hand ({i})",
    "Still waiting for my refund, ticket {i}",
)


@pytest.fixture
def pool(pg_dsn: str) -> Iterator[Pool]:
    with connect(pg_dsn) as conn:
        migrations.migrate(conn)
    opened = open_pool(pg_dsn)
    yield opened
    opened.close()


def test_a_page_walks_the_inbox_index(pool: Pool, triager: Triager) -> None:
    store = PgMentions(PgSession(pool))
    items = parsed(
        *(
            record(str(i), TEXTS[i % 4].format(i=i), created_at=NOW.isoformat())
            for i in range(4_000)
        )
    )
    store.save([StoredMention(triager.triage(p.mention), NOW) for p in items])
    with pool.connection() as conn:
        conn.execute("ANALYZE mentions")
    walks = {
        InboxFilter(): "mentions_open",
        InboxFilter(urgency=frozenset({"critical"})): "mentions_open",
        InboxFilter(status="answered"): "mentions_answered",
        InboxFilter(status="closed"): "mentions_closed",
        InboxFilter(status="all"): "mentions_inbox",
        InboxFilter(platform="x"): "mentions_open",
    }
    for where, index in walks.items():
        plan = store.inbox.explain(where)
        assert index in plan and "Sort" not in plan, plan
    # The claimed page starts from the live claims, never from a walk of the mentions; a
    # tag's page from the tags' index (migration 0011).
    plan = store.inbox.explain(InboxFilter(status="claimed"))
    assert "mentions_pkey" in plan and "mentions_inbox" not in plan, plan
    with pool.connection() as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO state (tbl, key, record) VALUES ('work', %s, %s)",
            [(f"x:{i}", Jsonb({"tags": [f"tag-{i % 400}"]})) for i in range(4_000)],
        )
        conn.execute("ANALYZE state")
    plan = store.inbox.explain(InboxFilter(status="all", tags=frozenset({"tag-7"})))
    assert "state_work_tags" in plan and "mentions_inbox" not in plan, plan


def test_the_oldest_open_alarm_is_an_index_entry(pool: Pool) -> None:
    with pool.connection() as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO state (tbl, key, record) VALUES ('open_alarms', %s, %s)",
            [
                (f"x:{i}", Jsonb({"raised_at": f"2026-01-01T00:{i % 60:02d}:00+00:00"}))
                for i in range(2_000)
            ],
        )
        conn.execute("ANALYZE state")
        rows = conn.execute(
            "EXPLAIN SELECT record FROM state WHERE tbl = 'open_alarms' "
            "ORDER BY record->>'raised_at' LIMIT 1"
        ).fetchall()
    plan = "\n".join(r for (r,) in rows)
    assert "state_open_alarms_raised" in plan and "Sort" not in plan, plan


def test_clearing_what_was_due_walks_the_reminders_index_whatever_the_statistics(
    pool: Pool,
) -> None:
    """Statistics taken while every reminder was still to come (as after a build, before the
    timers caught up) make a range delete look like most of the table: the tick's clear must
    still go through the `at` index, not read every row, dead ones included, each tick."""
    from datetime import timedelta

    from crisis_console.core.store.due import Due
    from crisis_console.core.store.postgres.session import PgSession
    from crisis_console.core.store.postgres.timing import CLEAR, PgDueIndex

    due = PgDueIndex(PgSession(pool))
    due.add(Due(NOW + timedelta(seconds=i), "sla", f"x:{i}") for i in range(5_000))
    with pool.connection() as conn:
        conn.execute("ANALYZE due")
    due.clear_through(NOW + timedelta(seconds=4_990))  # the timers catch up
    with pool.connection() as conn:
        rows = conn.execute("EXPLAIN " + CLEAR, (NOW + timedelta(hours=1),)).fetchall()
    plan = "\n".join(line for (line,) in rows)
    assert "Index Scan using due_at" in plan and "Seq Scan" not in plan, plan
    assert [d.key for d in due.due(NOW + timedelta(hours=2))] == [
        f"x:{i}" for i in range(4_991, 5_000)
    ]
