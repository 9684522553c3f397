"""Finding playbook terms: whole words, wildcards, numbers, pairs, and negation by clause."""

from __future__ import annotations

from crisis_console.core.triage.terms import TermIndex, Words, blank


def found(index: TermIndex[int], text: str) -> list[tuple[str, str]]:
    return [(text[h.start : h.end], h.negated_by) for h in index.find(text)]


def test_whole_words_wildcards_and_numbers() -> None:
    index = TermIndex([("late", 1), ("refund*", 2), ("for <n> hour*", 3), ("on hold", 4)])
    assert found(index, "chocolate is great") == []  # not inside another word
    assert found(index, "refunded late") == [("refunded", ""), ("late", "")]
    assert found(index, "on hold for 2 hours, then for three hours") == [
        ("on hold", ""),
        ("for 2 hours", ""),
        ("for three hours", ""),
    ]


def test_symbols_emoji_and_apostrophes() -> None:
    index = TermIndex([("?", 1), ("👎", 2), ("other customers", 3), ("don't want to be here", 4)])
    text = "why? 👎 i can see other customers' names. i don't want to be here"
    assert [t for t, _ in found(index, text)] == [
        "?",
        "👎",
        "other customers",
        "don't want to be here",
    ]


def test_negation_counts_only_within_its_clause() -> None:
    index = TermIndex([("sue", 1), ("stopped working", 2)], negations=("not", "n't"))
    assert found(index, "not going to sue, just disappointed") == [("sue", "not going to ")]
    assert found(index, "would not buy again. stopped working in a week") == [
        ("stopped working", "")
    ]
    legal = TermIndex([("solicitor", 1)], negations=("not", "n't"))
    assert found(legal, "i won't be contacting a solicitor") == [
        ("solicitor", "won't be contacting a ")
    ]
    assert found(legal, "i won't say it twice: my solicitor will call") == [("solicitor", "")]


def test_blank_keeps_offsets() -> None:
    index = TermIndex([("is killer", 1)])
    text = "this game is killer"
    assert blank(text, [(h.start, h.end) for h in index.find(text)]) == "this game          "
    assert Words.of("a b c").pairs == {("a", "b"), ("b", "c")}
