"""The team inbox is designed for a million mentions: a page walks the inbox index and stops
at the page's end, never sorting the table. Checked with PostgreSQL's own plan, on mentions
saved through the real repository."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crisis_console.core.models import StoredMention
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.connection import Pool, connect, open_pool
from crisis_console.core.store.postgres.mentions import PgMentions
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
    store = PgMentions(pool)
    items = parsed(
        *(
            record(str(i), TEXTS[i % 4].format(i=i), created_at=NOW.isoformat())
            for i in range(4_000)
        )
    )
    store.save([StoredMention(triager.triage(p.mention), NOW) for p in items])
    with pool.connection() as conn:
        conn.execute("ANALYZE mentions")
    for where in (InboxFilter(), InboxFilter(status="all"), InboxFilter(platform="x")):
        plan = store.inbox.explain(where)
        assert "mentions_inbox" in plan and "Sort" not in plan, plan
