"""A search's words are matched by one pattern on both backends: Python's `re` in a folder,
PostgreSQL's regular expressions in team mode. Here the two read every pattern alike, on
text chosen to sit on the word boundaries' edges (scripts, emoji, punctuation, spaces), and
a key or an author search is an index's look-up, never a walk of the inbox."""

from __future__ import annotations

import itertools

from crisis_console.core.models import StoredMention
from crisis_console.core.store.inbox import InboxFilter, searchable
from crisis_console.core.store.postgres import migrations
from crisis_console.core.store.postgres.connection import connect, open_pool
from crisis_console.core.store.postgres.mentions import PgMentions
from crisis_console.core.store.postgres.session import PgSession
from crisis_console.core.store.search_terms import compiled, terms
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, parsed, record

TYPED = [
    "refund",
    "café",
    "caf",
    "日本",
    "σίσυφος",
    "🔥",
    "$100",
    "@dan",
    "delivery_man",
    '"late delivery"',
    r"c:\temp",
    "50%",
    "über",
    "naïve",
    "привет",
]
TEXTS = [
    "where is my refund? refunds",
    "xrefund caférefund",
    "🔥refund🔥 “refund”",
    "café au lait, CAFÉ",
    "日本語 ΣΊΣΥΦΟΣ σίσυφος",
    "paid $100. not $1000",
    "hi @dan! @danny",
    "the delivery_man was late  delivery",
    "late\tdelivery and late\u00a0delivery",
    r"saved to c:\temp.",
    "50% off",
    "Über alles, überall",
    "naïve naïvely",
    "привет, приветствую",
    "late\u2028delivery",  # a line break, made a space by `searchable`
]


def test_python_and_postgresql_read_every_pattern_alike(pg_dsn: str) -> None:
    words = [t for typed in TYPED for t in terms(typed)]
    assert len(words) == len(TYPED)
    texts = [searchable(t) for t in TEXTS]
    found = 0
    with connect(pg_dsn) as conn:
        for term, text in itertools.product(words, texts):
            row = conn.execute("SELECT %s ~ %s", (text, term.pattern)).fetchone()
            assert row is not None
            ours = compiled(term).search(text) is not None
            assert row[0] is ours, (term, text)
            found += ours
    assert 0 < found < len(words) * len(texts)  # the matrix holds both answers


def test_a_key_or_author_search_is_an_index_look_up(pg_dsn: str, triager: Triager) -> None:
    with connect(pg_dsn) as conn:
        migrations.migrate(conn)
    pool = open_pool(pg_dsn)
    try:
        store = PgMentions(PgSession(pool))
        posts = [
            record(str(i), f"order {i}", author=f"User{i % 500}", created_at=NOW.isoformat())
            for i in range(2_000)
        ]
        store.save([StoredMention(triager.triage(p.mention), NOW) for p in parsed(*posts)])
        with pool.connection() as conn:
            conn.execute("ANALYZE mentions")
        keys = InboxFilter(status="all").searching("x:7 x:70")
        plan = store.inbox.explain(keys)
        assert "mentions_pkey" in plan and "mentions_inbox" not in plan, plan
        assert sorted(r.key for r in store.inbox.page(keys, 0, 50).rows) == ["x:7", "x:70"]
        # A handle, lower case, from its index (migration 0013).
        author = InboxFilter(status="all").searching("@user7")
        plan = store.inbox.explain(author)
        assert "mentions_handle" in plan and "mentions_inbox" not in plan, plan
        page = store.inbox.page(author, 0, 50)
        assert sorted(r.key for r in page.rows) == ["x:1007", "x:1507", "x:507", "x:7"]
    finally:
        pool.close()
