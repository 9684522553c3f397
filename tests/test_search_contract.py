"""The inbox's search and saved views (issue 18, point 9), run unchanged on each backend: a
folder (some mentions in closed segments, some in the live file) and PostgreSQL.

Each search goes the way the console's search box goes: the typed text through
`InboxFilter.searching`, then the service's page. Whole words, all of them; `#tag`, `@author`,
a mention's key, several urgencies; and saved views, per operator, kept in the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.roster import Operator
from crisis_console.core.service import ConsoleService
from crisis_console.core.store.inbox import URGENCY_RANK, InboxFilter
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from crisis_console.core.views import NAME_CHARS, VIEWS_KEPT, ViewError
from tests.conftest import NOW, MovableClock, jsonl, record

POSTS = [  # (key, author, text)
    ("x:1", "Dan", "Where is my refund? Still waiting"),
    ("x:2", "danny", "Refunds are slow here"),
    ("x:3", "maya", "My late delivery again, the courier lost it"),
    ("x:4", "sam", "Delivery was late and the box was wet"),
    ("x:5", "lee_r", "Hey @dan, the charger caught fire and burned my hand"),
    ("x:6", "omar", "the delivery_man was LATE, 50% off (today) they said"),
    ("x:7", "ines", r"saved the receipt to c:\temp and still no refund"),
    ("mastodon:ma1", "sam@a.social", "refund, please. Deliveries keep failing"),
    ("reddit:AbC", "Rita", "I will sue you, my lawyer has the papers"),
]
TEAM = {"lee": [Role.LEAD], "sam": [Role.SUPPORT], "ada": [Role.AUDITOR]}


class Console:
    """One backend's store, and a service as each operator."""

    def __init__(self, store: Any, audit: Any, triager: Triager) -> None:
        self.store, self.audit, self.triager = store, audit, triager
        self.clock = MovableClock(NOW)

    def as_(self, name: str) -> ConsoleService:
        operator = Operator(name, frozenset(TEAM[name]))
        return ConsoleService(
            self.store, self.audit, self.triager, self.clock, operator, Notifier(ConsoleSink())
        )

    def found(self, typed: str, where: InboxFilter | None = None) -> list[str]:
        """The keys a search shows, in the inbox's order; its total is exact and agrees."""
        where = (where or InboxFilter(status="all")).searching(typed)
        page = self.as_("lee").inbox_page(where, 0, 100)
        assert page.total == len(page.rows), (typed, page.total)
        return [r.key for r in page.rows]

    def keys(self, typed: str) -> set[str]:
        return set(self.found(typed))


@pytest.fixture(params=["tinydb", "postgres"])
def console(request: pytest.FixtureRequest, tmp_path: Path, triager: Triager) -> Iterator[Console]:
    if request.param == "tinydb":
        folder = tmp_path / "data"
        # Four closed segments of two, and one mention in the live file.
        made = Console(TinyDBStore(folder, live_limit=2), AuditLog(folder / AUDIT_FILE), triager)
    else:
        from tests.pg_fixture import migrated_team

        team = migrated_team(request.getfixturevalue("pg_dsn"), pool_size=2)
        made = Console(team.store, team.audit, triager)
    posts = []
    for key, author, text in POSTS:
        platform, native = key.split(":")
        posts.append(
            record(native, text, platform=platform, author=author, created_at=NOW.isoformat())
        )
    made.as_("lee").ingest(read_jsonl(jsonl(*posts), "posts.jsonl", NOW))
    try:
        yield made
    finally:
        made.store.close()


def test_words_are_found_whole_in_any_case_and_all_of_them(console: Console) -> None:
    assert console.keys("refund") == {"x:1", "x:7", "mastodon:ma1"}  # "refund?", "refund,"
    assert console.keys("REFUND") == console.keys("refund")
    assert console.keys("refunds") == {"x:2"}  # "Refunds", and no other form of it
    assert console.keys("deliv") == set()  # not the start of a word
    assert console.keys("delivery") == {"x:3", "x:4"}  # not "delivery_man", "Deliveries"
    assert console.keys("late delivery") == {"x:3", "x:4"}  # both words, in any order
    assert console.keys("delivery late wet") == {"x:4"}
    assert console.keys('"late delivery"') == {"x:3"}  # a phrase: its words in order
    assert console.keys('"delivery late"') == set()
    assert console.keys("courier nothing") == set()
    assert console.keys("refund,") == console.keys("(refund)") == console.keys("refund")


def test_what_is_typed_is_matched_as_text_never_as_a_pattern(console: Console) -> None:
    assert console.keys(".*") == console.keys("refund|sue") == set()
    assert console.keys("50%") == {"x:6"}
    assert console.keys("(today)") == {"x:6"}
    assert console.keys(r"c:\temp") == {"x:7"}
    assert console.keys("[a-z]+") == console.keys("a{2}") == console.keys("^where") == set()


def test_an_author_is_their_whole_handle_in_any_case(console: Console) -> None:
    # Not @danny, nor the post whose text speaks to @dan: the author, and only them.
    assert console.keys("@dan") == console.keys("@DAN") == {"x:1"}
    assert console.keys("@dan @danny") == {"x:1", "x:2"}  # either of them
    assert console.keys("@sam") == {"x:4"}  # not sam@a.social
    assert console.keys("@sam@a.social") == {"mastodon:ma1"}
    assert console.keys("@sam@a.social refund") == {"mastodon:ma1"}
    assert console.keys("@sam refund") == set()
    assert console.keys("@nobody") == set()


def test_a_key_finds_that_mention_alone(console: Console) -> None:
    assert console.found("x:3") == ["x:3"]
    assert console.keys("x:3 x:4") == {"x:3", "x:4"}
    assert console.found("REDDIT:AbC") == ["reddit:AbC"]  # a platform's name in any case
    assert console.found("reddit:abc") == []  # an id tells case apart
    assert console.found("x:3 courier") == ["x:3"]
    assert console.found("x:4 courier") == []
    assert console.found("x:404") == []


def test_tags_must_all_be_there(console: Console) -> None:
    sam = console.as_("sam")
    sam.work.tag(["x:1", "x:3"], "Refund Request")
    sam.work.tag(["x:3"], "media")
    assert console.keys("#refund-request") == console.keys("#Refund-Request") == {"x:1", "x:3"}
    assert console.keys("#refund-request #media") == {"x:3"}
    assert console.keys("#refund-request refund") == {"x:1"}
    assert console.keys("#media @dan") == set()


def test_several_urgencies_are_any_of_them_and_counted_exactly(console: Console) -> None:
    each = {u: console.keys(f"u:{u}") for u in URGENCY_RANK}
    assert each["critical"] and each["high"]  # the posts give the test something to join
    assert console.keys("u:critical,high") == each["critical"] | each["high"]
    assert console.keys("urgency:crit,h,n,l") == {key for key, _, _ in POSTS}
    assert console.keys("u:critical refund") == each["critical"] & console.keys("refund")
    # Alone, or with the status and queue filters only, the total comes from kept counts.
    lee = console.as_("lee")
    for where in (InboxFilter(), InboxFilter(status="all"), InboxFilter(queues=frozenset())):
        page = lee.inbox_page(where.searching("u:critical,high"), 0, 100)
        assert page.exact and page.total == len(page.rows)
    # A search that names no urgency leaves the one the `u` key set.
    critical = InboxFilter(status="all").next_urgency()
    assert set(console.found("", critical)) == each["critical"]
    assert set(console.found("fire", critical)) == each["critical"] & console.keys("fire")


def test_the_same_search_with_the_other_filters(console: Console) -> None:
    sam = console.as_("sam")
    sam.work.close(["x:2"], "spam")
    assert console.keys("refunds") == {"x:2"}
    assert console.found("refunds", InboxFilter()) == []  # open only: x:2 is closed
    mine = InboxFilter(queues=sam.my_queues(), claimed_by="sam")
    shown = set(console.found("", mine))
    assert set(console.found("refund", mine)) == shown & console.keys("refund")


def test_views_are_each_operators_own_and_kept(console: Console) -> None:
    sam, lee = console.as_("sam"), console.as_("lee")
    built = [name for name, _ in sam.views.all()]
    assert built == ["my critical", "legal review"]  # offered with nothing saved
    [(_, critical), (_, legal)] = sam.views.all()
    assert critical.queues == frozenset({"support"}) and critical.claimed_by == "sam"
    assert critical.urgency == frozenset({"critical"}) and legal.queues == frozenset({"legal"})
    refunds = InboxFilter(status="all").searching("#refund-request @dan u:high,critical refund")
    sam.views.save("  Refunds  by Dan ", refunds)
    sam.views.save("legal review", InboxFilter(queues=frozenset({"legal"}), status="all"))
    again = console.as_("sam").views.all()  # another session reads what the store kept
    assert [name for name, _ in again] == ["my critical", "legal review", "Refunds by Dan"]
    assert again[2].where == refunds and again[1].where.status == "all"
    assert [name for name, _ in lee.views.all()] == ["my critical", "legal review"]
    assert lee.views.all()[0].where.queues == lee.my_queues()
    sam.views.save("REFUNDS BY DAN", InboxFilter())  # the same name: replaced
    assert [v.where for v in sam.views.all() if v.name == "REFUNDS BY DAN"] == [InboxFilter()]
    sam.views.delete("refunds by dan")
    sam.views.delete("Legal Review")  # the saved one: the built-in one is offered again
    assert sam.views.all() == [("my critical", critical), ("legal review", legal)]
    with pytest.raises(ViewError, match="built in"):
        sam.views.delete("my critical")
    with pytest.raises(ViewError, match="not saved"):
        sam.views.delete("never")
    ada = console.as_("ada")  # an auditor too: a view changes nothing anyone else sees
    ada.views.save("everything", InboxFilter(status="all"))
    assert ada.views.all()[-1].name == "everything"


def test_a_views_name_and_number_are_limited(console: Console) -> None:
    sam = console.as_("sam")
    for bad, why in (("", "needs a name"), ("   ", "needs a name"), ("\x1b[2Jred", "printable")):
        with pytest.raises(ViewError, match=why):
            sam.views.save(bad, InboxFilter())
    with pytest.raises(ViewError, match=f"at most {NAME_CHARS}"):
        sam.views.save("x" * (NAME_CHARS + 1), InboxFilter())
    for i in range(VIEWS_KEPT):
        sam.views.save(f"view {i}", InboxFilter())
    with pytest.raises(ViewError, match=f"{VIEWS_KEPT} saved views"):
        sam.views.save("one more", InboxFilter())
    sam.views.save("view 3", InboxFilter(status="all"))  # replacing one is not one more
    assert len(sam.views.all()) == VIEWS_KEPT + 2
