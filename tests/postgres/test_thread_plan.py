"""The team database's thread index (migration 0012): the answers to a post are found through
the index on the mentions' `in_reply_to`, never by a walk of the table. Checked with
PostgreSQL's own plan, on mentions saved through the real repository."""

from __future__ import annotations

from crisis_console.core.models import StoredMention
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.connection import connect, open_pool
from crisis_console.core.store.postgres.mentions import PgMentions
from crisis_console.core.store.postgres.session import PgSession
from crisis_console.core.store.postgres.threads import PgThreads
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, parsed, record


def test_the_answers_to_a_post_are_an_index_walk(pg_dsn: str, triager: Triager) -> None:
    with connect(pg_dsn) as conn:
        migrations.migrate(conn)
    pool = open_pool(pg_dsn)
    try:
        session = PgSession(pool)
        items = parsed(
            *(
                record(
                    str(i),
                    f"Where is order {i}?",
                    created_at=NOW.isoformat(),
                    **({"in_reply_to": f"x:{i // 3}"} if i % 4 else {}),
                )
                for i in range(4_000)
            )
        )
        PgMentions(session).save([StoredMention(triager.triage(p.mention), NOW) for p in items])
        with pool.connection() as conn:
            conn.execute("ANALYZE mentions")
        index = PgThreads(session)
        plan = index.explain(["x:7", "x:1000"])
        assert "mentions_in_reply_to" in plan and "Seq Scan on mentions" not in plan, plan
        assert index.children(["x:7", "x:1000"], 201) == {
            "x:7": ["x:21", "x:22", "x:23"],  # x:24 is a post (every fourth answers nothing)
            "x:1000": ["x:3001", "x:3002"],
        }
    finally:
        pool.close()
