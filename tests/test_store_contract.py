"""The mention store's contract, run unchanged on each backend: TinyDB in a folder and
PostgreSQL (team mode). A backend that drifts from the other fails here. The state's
repositories, the timers' index and the audit chain: `test_state_contract.py`."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crisis_console.core.models import StoredMention, stored_to_record
from crisis_console.core.store.contract import fingerprint
from crisis_console.core.store.inbox import URGENCY_RANK, InboxFilter
from crisis_console.core.store.state_tables import Claim
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, parsed, race, record

Opener = Callable[[], Any]


@pytest.fixture(params=["tinydb", "postgres"])
def reopen(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens the backend's store anew each call (closing the one before): what one process
    saved, the next reads."""
    opened: list[Any] = []
    if request.param == "tinydb":

        def make() -> Any:
            for store in opened:
                store.close()
            opened.clear()
            opened.append(TinyDBStore(tmp_path / "data", live_limit=10))
            return opened[-1]

        yield make
        for store in opened:
            store.close()
        return
    from crisis_console.core.store.postgres import migrations
    from crisis_console.core.store.postgres.connection import connect
    from crisis_console.core.store.postgres.team import open_team

    dsn = request.getfixturevalue("pg_dsn")
    with connect(dsn) as conn:
        migrations.migrate(conn)

    def make_pg() -> Any:
        opened.append(open_team(dsn, pool_size=2).store)
        return opened[-1]

    yield make_pg
    for store in opened:
        store.close()


def mention(triager: Triager, native_id: str, text: str, author: str = "maya") -> StoredMention:
    [item] = parsed(record(native_id, text, author=author, created_at=NOW.isoformat()))
    return StoredMention(triager.triage(item.mention), NOW)


def test_what_is_saved_is_read_back_whole(reopen: Opener, triager: Triager) -> None:
    first = mention(triager, "1", "The charger caught fire 🔥 and burned my hand")
    edited = dataclasses.replace(
        first,
        history=(),
        deleted_at=NOW + timedelta(minutes=5),
    )
    store = reopen()
    store.save([first, mention(triager, "2", "Where is my parcel?")], applied=7)
    store = reopen()
    assert stored_to_record(store.get("x:1")) == stored_to_record(first)
    assert "x:2" in store and "x:3" not in store  # `applied`: per backend, see recovery tests
    store.save([edited])  # an upsert: the same key, replaced
    store = reopen()
    assert store.get("x:1").deleted_at == NOW + timedelta(minutes=5)
    assert sorted(store.get_many(["x:1", "x:2", "x:9"])) == ["x:1", "x:2"]
    assert sorted(s.key for s in store.iter_all()) == ["x:1", "x:2"]


def test_fingerprints_tell_a_repeat_from_an_edit_or_a_deletion(
    reopen: Opener, triager: Triager
) -> None:
    original = mention(triager, "1", "The app keeps crashing")
    store = reopen()
    store.save([original])
    same = stored_to_record(mention(triager, "1", "The app keeps crashing"))
    assert store.fingerprint("x:1") == fingerprint(same)
    assert store.fingerprint("x:1") != fingerprint(
        stored_to_record(mention(triager, "1", "The app keeps crashing!"))
    )
    gone = dataclasses.replace(original, deleted_at=NOW)
    store.save([gone])
    store = reopen()
    assert store.fingerprint("x:1") == fingerprint(stored_to_record(gone))
    assert store.fingerprint("x:404") is None
    assert store.fingerprints(["x:1", "x:404", "x:1"]) == {
        "x:1": fingerprint(stored_to_record(gone))
    }


def test_author_posts_count_each_mention_once(reopen: Opener, triager: Triager) -> None:
    store = reopen()
    store.save([mention(triager, str(i), f"post {i}") for i in range(12)])
    store.save([mention(triager, "3", "post 3, edited")])  # the same mention again
    store.save([mention(triager, "99", "hello", author="bob")])
    store = reopen()
    assert store.author_posts("x:maya") == 12 and store.author_posts("x:bob") == 1
    assert store.author_posts("x:nobody") == 0
    assert store.author_counts(["x:maya", "x:bob", "x:nobody", "x:bob"]) == {
        "x:maya": 12,
        "x:bob": 1,
    }


def test_overdue_among_leaves_out_the_answered_the_deleted_and_the_not_yet_due(
    reopen: Opener, triager: Triager
) -> None:
    posts = [mention(triager, str(i), f"Where is my parcel? Order {i}") for i in range(4)]
    deadline = posts[0].triage.deadline
    assert all(p.triage.deadline == deadline for p in posts)  # the same urgency, the same SLA
    posts[2] = dataclasses.replace(posts[2], deleted_at=NOW)
    store = reopen()
    store.save(posts)
    store.state.replies.take_answer("x:1", "r1")
    store = reopen()
    keys = ["x:0", "x:1", "x:2", "x:3", "x:404"]
    assert store.overdue_among(keys, deadline - timedelta(seconds=1)) == {}
    queue = posts[0].triage.route.queue.value
    assert store.overdue_among([*keys, "x:0"], deadline) == {
        "x:0": (queue, deadline),
        "x:3": (queue, deadline),
    }


def test_recent_reads_what_was_stored_since(reopen: Opener, triager: Triager) -> None:
    old = mention(triager, "1", "yesterday's")
    new = dataclasses.replace(mention(triager, "2", "today's"), ingested_at=NOW + timedelta(days=1))
    store = reopen()
    store.save([old, new])
    assert [s.key for s in store.recent(NOW + timedelta(hours=12))] == ["x:2"]


def test_two_writers_saving_the_same_mentions_leave_one_of_each(
    reopen: Opener, triager: Triager
) -> None:
    store = reopen()
    batch = [mention(triager, str(i), f"post {i}") for i in range(50)]

    def save() -> None:
        for start in range(0, 50, 10):
            store.save(batch[start : start + 10])

    errors = [r for r in race(save, 3) if r is not None]
    assert errors == []
    keys = [s.key for s in reopen().iter_all()]
    assert sorted(keys) == sorted(f"x:{i}" for i in range(50))


def test_the_inbox_pages_filters_and_counts_alike(reopen: Opener, triager: Triager) -> None:
    texts = {
        "fire": "The charger caught fire and burned my hand, my kid was next to it",
        "late": "My parcel is late again, where is it?",
        "love": "Love the new range, thank you!",
        "refund": "Still waiting for my refund after three weeks",
        "lines": "First line\nsecond line of a complaint about my order",
    }
    store = reopen()
    store.save(
        [mention(triager, k, t, author="bob" if k == "love" else "maya") for k, t in texts.items()]
    )
    store = reopen()
    everything = store.inbox.page(InboxFilter(status="all"), 0, 50)
    order = [r.key for r in everything.rows]
    assert order[0] == "x:fire" and everything.total == 5  # most urgent first
    # Claims and answers are the store's own state, as a service records them.
    store.state.claims.take(Claim("x:late", "sam", NOW, NOW + timedelta(minutes=30)))
    store.state.claims.take(Claim("x:love", "sam", NOW, NOW + timedelta(minutes=30)))
    store.state.claims.take(
        Claim("x:fire", "lee", NOW - timedelta(hours=2), NOW - timedelta(hours=1))
    )
    store.state.replies.take_answer("x:refund", "reply-1")
    opened = store.inbox.page(InboxFilter(), 0, 50, now=NOW)
    assert [r.key for r in opened.rows] == [k for k in order if k != "x:refund"]
    assert sum(opened.queue_counts.values()) == 4
    answered = store.inbox.page(InboxFilter(status="answered"), 0, 50, now=NOW)
    assert [r.key for r in answered.rows] == ["x:refund"]
    assert opened.total == 4 and answered.total == 1
    claimed = store.inbox.page(InboxFilter(status="claimed"), 0, 50, now=NOW)
    assert [r.key for r in claimed.rows] == sorted(["x:late", "x:love"], key=order.index)
    assert claimed.total == 2  # x:fire's claim has lapsed
    fire_queue = everything.rows[0].queue
    mine = store.inbox.page(
        InboxFilter(queues=frozenset({fire_queue}), claimed_by="sam"), 0, 50, now=NOW
    )
    assert {"x:fire", "x:love"} <= {r.key for r in mine.rows}
    assert all(r.queue == fire_queue or r.key in {"x:love", "x:late"} for r in mine.rows)
    assert mine.total == len(mine.rows)
    # A deletion and a released answer move the counts as they move the pages.
    store.save([dataclasses.replace(store.get("x:late"), deleted_at=NOW)])
    store.state.replies.release_answer("x:refund", "reply-1")
    opened = store.inbox.page(InboxFilter(), 0, 50, now=NOW)
    assert sorted(r.key for r in opened.rows) == ["x:fire", "x:lines", "x:love", "x:refund"]
    assert opened.total == 4 and sum(opened.queue_counts.values()) == 4
    assert store.inbox.page(InboxFilter(status="all"), 0, 50, now=NOW).total == 5
    found = store.inbox.page(InboxFilter(status="all", text="LINE SECOND"), 0, 50)
    assert [r.key for r in found.rows] == ["x:lines"]  # a line break searches as a space
    page_two = store.inbox.page(InboxFilter(status="all"), 2, 2)
    assert [r.key for r in page_two.rows] == order[2:4] and page_two.offset == 2
    beyond = store.inbox.page(InboxFilter(status="all"), 99, 2)
    assert beyond.offset == 4 and [r.key for r in beyond.rows] == order[4:]
    assert [r.key for r in store.inbox.by_author("x:bob")] == ["x:love"]
    # Each urgency's total is exact; an answer recorded before its mention is stored (an
    # import, a replay) counts from the start.
    store.state.replies.take_answer("x:again", "reply-2")
    store.save([mention(triager, "again", texts["late"] + " And again.")])
    for status, urgency in itertools.product(("open", "answered", "all"), URGENCY_RANK):
        page = store.inbox.page(
            InboxFilter(status=status, urgency=frozenset({urgency})), 0, 50, now=NOW
        )
        assert page.exact and page.total == len(page.rows), (status, urgency)
    answered = store.inbox.page(InboxFilter(status="answered"), 0, 50, now=NOW)
    assert [r.key for r in answered.rows] == ["x:again"] and answered.total == 1
