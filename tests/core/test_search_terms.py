"""The search box's text read as conditions (`search_terms.parse`, `InboxFilter.searching`),
and an inbox filter kept as a record (saved views) and read back."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.search_terms import Term, compiled, parse, terms


def test_each_kind_of_token_makes_its_condition() -> None:
    found = parse('#Refund @Dan x:123 u:crit,high "Late  Delivery." refund, (deliv)')
    assert found.tags == {"refund"}
    assert found.authors == {"dan"}
    assert found.keys == {"x:123"}
    assert found.urgency == {"critical", "high"}
    assert found.terms == (Term(("late", "delivery")), Term(("refund",)), Term(("deliv",)))
    assert found.text == '"late delivery" refund deliv'


@pytest.mark.parametrize(
    ("typed", "field", "value"),
    [
        ("@sam@a.social", "authors", {"sam@a.social"}),  # a Mastodon handle is one token
        ("@dan, @Sam!", "authors", {"dan", "sam"}),
        ("REDDIT:AbC", "keys", {"reddit:AbC"}),  # the id as typed: ids tell case apart
        ("x:1, x:2;", "keys", {"x:1", "x:2"}),  # a pasted list
        ("bluesky:did:plc:abc/3kx", "keys", {"bluesky:did:plc:abc/3kx"}),
        ("U:LOW urgency:n", "urgency", {"low", "normal"}),
        ("#Refund_Request #media", "tags", {"refund_request", "media"}),
    ],
)
def test_tokens(typed: str, field: str, value: set[str]) -> None:
    assert getattr(parse(typed), field) == value


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("u:soon", ["u:soon"]),  # no such urgency
        ("u:", ["u"]),
        ("re:refund", ["re:refund"]),  # not a platform
        ("#", ["#"]),  # no tag
        ("#a.b", ["#a.b"]),  # not a tag's letters
        ("@", ["@"]),
        ("...", ["..."]),  # punctuation alone is kept, as typed
        ('"unclosed phrase', ["unclosed phrase"]),
        ('""', []),
        ("  ", []),
    ],
)
def test_what_makes_no_condition_is_searched_as_words(typed: str, words: list[str]) -> None:
    found = parse(typed)
    assert not (found.tags or found.authors or found.keys or found.urgency)
    assert [" ".join(t.words) for t in found.terms] == words


@pytest.mark.parametrize(
    ("word", "text", "found"),
    [
        ("refund", "where is my refund?", True),
        ("refund", "refund", True),
        ("refund", "refunds", False),
        ("refund", "xrefund", False),
        ("refund", "refund_request", False),
        ("refund", "café refund", True),
        ("refund", "caférefund", False),  # a letter of another script is a letter
        ("refund", "🔥refund🔥", True),  # an emoji is not
        ("refund", "“refund”", True),
        ("café", "café au lait", True),
        ("caf", "café", False),
        ("日本", "日本語", True),  # no spaces between words: found inside
        ("$100", "paid $100.", True),
        ("$100", "paid $1000", False),
        ("@dan", "hi @dan!", True),
        ("@dan", "hi @danny", False),
    ],
)
def test_a_word_is_found_whole(word: str, text: str, found: bool) -> None:
    assert bool(compiled(Term((word,))).search(text)) is found


def test_a_phrase_is_its_words_in_order_on_one_line() -> None:
    phrase = compiled(Term(("late", "delivery")))
    assert phrase.search("so late  delivery") and phrase.search("late\tdelivery,")
    assert not phrase.search("late\ndelivery")  # a folder's next mention
    assert not phrase.search("delivery late") and not phrase.search("late deliveryman")


def test_the_filters_text_is_words_only() -> None:
    assert terms("#refund @dan x:1") == (Term(("#refund",)), Term(("@dan",)), Term(("x:1",)))


def test_a_search_replaces_the_last_one_and_keeps_the_other_filters() -> None:
    mine = InboxFilter(queues=frozenset({"support"}), claimed_by="sam", platform="x")
    first = mine.next_urgency().searching("#media @dan x:1 refund")
    assert first.urgency == {"critical"} and first.platform == "x"
    second = first.searching("late")
    assert not (second.tags or second.authors or second.keys) and second.text == "late"
    assert second.urgency == {"critical"}  # the `u` key's, as no urgency was named
    assert second.searching("u:low").urgency == {"low"}
    cleared = second.searching("")
    assert cleared == replace(mine, urgency=frozenset({"critical"}))


def test_the_search_box_text_of_a_filter_reads_back_as_it() -> None:
    typed = '#b #a @z@m.social @y reddit:Q x:1 "late delivery" refund u:high "x:2" "#c" u:z'
    where = InboxFilter().searching(typed)
    assert where.keys == {"reddit:Q", "x:1"} and where.tags == {"a", "b"}
    assert where.text == '"late delivery" refund "x:2" "#c" u:z'  # quoted: words, always
    assert where.typed() == f"#a #b @y @z@m.social reddit:Q x:1 {where.text}"
    assert InboxFilter(urgency=where.urgency).searching(where.typed()) == where


def test_the_u_key_cycles_one_urgency_at_a_time() -> None:
    seen, where = [], InboxFilter()
    for _ in range(6):
        where = where.next_urgency()
        seen.append(sorted(where.urgency))
    assert seen == [["critical"], ["high"], ["normal"], ["low"], [], ["critical"]]
    several = InboxFilter().searching("u:critical,high")
    assert several.next_urgency().urgency == frozenset()


def test_describe_says_every_condition() -> None:
    where = InboxFilter(queues=frozenset({"pr"}), platform="x").searching(
        "#refund @dan x:1 u:high,critical late"
    )
    assert where.describe() == (
        "status open · my queue · urgency critical or high · platform x · tag refund · "
        "by @dan · mention x:1 · search 'late'"
    )


def test_a_filter_is_kept_as_a_record_and_read_back() -> None:
    wheres = [
        InboxFilter(),
        InboxFilter(queues=frozenset(), status="all"),
        InboxFilter(queues=frozenset({"legal", "pr"}), claimed_by="lee", assignee="sam"),
        InboxFilter(platform="x", category="legal").searching('#a @b x:1 u:l "c d" e'),
    ]
    for where in wheres:
        assert InboxFilter.from_record(where.to_record()) == where


def test_a_damaged_record_reads_as_much_as_it_can() -> None:
    damaged = {
        "queues": "support",  # not a list
        "urgency": ["critical", "soon", 3],
        "status": "whatever",
        "text": 12,
        "tags": ["media", None],
        "keys": None,
        "platform": "x",
    }
    assert InboxFilter.from_record(damaged) == InboxFilter(
        platform="x", urgency=frozenset({"critical"}), tags=frozenset({"media"})
    )
    assert InboxFilter.from_record({}) == InboxFilter()
