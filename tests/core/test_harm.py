"""Risk of harm however it is worded, in six languages: the shipped harm vocabularies through
the real triage (the shipped general playbook, real VADER). Each kind is shown with a post
that today's word lists missed (the issue's examples among them); negations,
hypotheticals, idioms and jokes do not escalate, and every match says why."""

from __future__ import annotations

import pytest

from crisis_console.core.errors import PlaybookError
from crisis_console.core.models import Category, Urgency
from crisis_console.core.triage.harm import KINDS, HarmDetector, read_vocabulary
from crisis_console.core.triage.phrases import PatternError, PhraseIndex, compile_pattern
from crisis_console.core.triage.routing import Triager
from crisis_console.core.triage.terms import Words
from tests.core.test_classify import classify

HARM = [
    # (kind, post)
    (
        "self_harm",
        "I've given away my guitar and my books and said goodbye to everyone. Tired of all of it",
    ),
    ("self_harm", "everyone would honestly be better off without me. this is my last post"),
    ("threat", "I know where your manager lives and he better watch his back"),
    ("injury", "my daughter needed 6 stitches after your scooter's handlebar snapped"),
    ("product_hazard", "the power bank swelled up and started hissing on my bedside table"),
    ("food_safety", "found two shards of glass in my kid's yoghurt pot"),
    ("food_safety", "there were glass pieces inside the chocolate bar"),
    ("medicine", "the pharmacy dispensed someone else's prescription to my elderly mum"),
    (
        "staff_conduct",
        "your delivery driver was on his phone and nearly hit my son on the zebra crossing",
    ),
    ("child_safety", "my toddler swallowed a magnet that came off your toy"),
    ("personal_data", "I received someone else's order with their name, address and phone number"),
    ("fraud", "there are unauthorised payments on my account and my savings are gone"),
    ("emergency", "stuck on the road, the flames are getting closer, get us out"),
    ("food_safety", "Encontré un trozo de cristal en la hamburguesa de mi hijo"),
    ("child_safety", "Mon fils a avalé une pile bouton du jouet, on est aux urgences"),
    ("product_hazard", "Der Akku ist aufgebläht und raucht, das ist lebensgefährlich"),
    ("self_harm", "não aguento mais, acho que todos ficariam melhor sem mim"),
    ("staff_conduct", "Il rider guidava col cellulare e mi ha quasi investito"),
]


@pytest.mark.parametrize(("kind", "text"), HARM)
def test_each_kind_of_harm_escalates_with_a_reason_naming_it(
    triager: Triager, kind: str, text: str
) -> None:
    c = classify(triager, text)
    assert c.escalate and c.urgency is Urgency.CRITICAL, c.reasons
    assert c.category is KINDS[kind].category
    assert any(r.startswith(f"risk of harm, {KINDS[kind].says}") for r in c.reasons), c.reasons


@pytest.mark.parametrize(
    "text",
    [
        "killer deal on trainers this weekend",
        "this burger slaps",
        "I'd die for these fries",
        "nobody was hurt, just annoyed that the shelf fell",
        "what happens if the battery overheats? asking before I buy",
        "the new album is fire",
        "no injuries thankfully, just a dented bumper",
        "Nadie resultó herido, solo fue un susto",
        "I found no glass in it, all good",  # a negation inside a pattern's gap
    ],
)
def test_negations_hypotheticals_idioms_and_jokes_do_not_escalate(
    triager: Triager, text: str
) -> None:
    c = classify(triager, text)
    assert not c.escalate and c.urgency is not Urgency.CRITICAL, c.reasons


def test_a_match_that_does_not_count_says_why(triager: Triager) -> None:
    c = classify(triager, "nobody was hurt, just annoyed")
    assert 'someone hurt or made ill: "was hurt" ignored, negated by "nobody"' in c.reasons
    c = classify(triager, "if it caught fire someone could get hurt")
    assert any("ignored, a hypothetical" in r for r in c.reasons)
    c = classify(triager, "found no glass in the soup")
    assert any('ignored, negated by "no" inside "found no glass' in r for r in c.reasons)
    # A negation that is one of the pattern's own words is the harm, not its denial.
    c = classify(triager, "my son can't breathe after eating your bar")
    assert 'risk of harm, someone hurt or made ill: "can\'t breathe"' in c.reasons


def test_phrases_leave_room_between_words_within_one_clause() -> None:
    pattern = compile_pattern("found ~ glass|shard* ~2 in|inside")
    index = PhraseIndex([(pattern, "x")])
    for text in ("found two shards of glass in it", "found glass inside"):
        assert [h.payload for h in index.find(text, Words.of(text))] == ["x"]
    for text in ("found it. glass in the bin", "found a lot of other little bits of glass in"):
        assert index.find(text, Words.of(text)) == [], text


@pytest.mark.parametrize(
    ("pattern", "why"),
    [("~ glass", "between two words"), ("glass ~9 in", "1 to 8"), ("glass||metal", "empty")],
)
def test_a_pattern_that_cannot_be_read_says_why(pattern: str, why: str) -> None:
    with pytest.raises(PatternError, match=why):
        compile_pattern(pattern)


def test_a_broken_vocabulary_names_each_problem_with_its_line() -> None:
    text = "language: xx\nkinds:\n  food_safety:\n    patterns:\n      - glass ~9 in\n  flood:\n"
    with pytest.raises(PlaybookError) as refused:
        read_vocabulary(text, "xx.yaml")
    problems = [str(p) for p in refused.value.problems]
    assert problems[0].startswith("xx.yaml:5: kinds.food_safety.patterns:")
    assert problems[1].startswith("xx.yaml:6: kinds.flood: not a kind of harm")


def test_patterns_match_without_accents_and_report_the_text_as_written() -> None:
    vocabulary = read_vocabulary(
        "language: es\nkinds:\n  child_safety:\n    patterns:\n      - nino ~3 se trago\n",
        "es.yaml",
    )
    detector = HarmDetector([vocabulary])
    for text in ("el niño se tragó una pila", "el nino se trago una pila"):
        [found] = detector.find(text, Words.of(text))
        assert found.kind.category is Category.SAFETY and found.text == text[3:16]


def test_hits_at_one_place_come_in_the_order_the_patterns_were_given() -> None:
    """Two languages' patterns for one word ("evacuation" in French and Spanish) must give
    the same first hit in every run, not one that follows a set's hashing."""
    patterns = [compile_pattern(p) for p in ("evacuation", "evacuation|evacuacion", "evac*")]
    text = "evacuation ordered for the whole street"
    for order in (patterns, patterns[::-1]):
        index = PhraseIndex([(p, p.text) for p in order])
        hits = index.find(text, Words.of(text))
        assert [h.payload for h in hits] == [p.text for p in order]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Terremoto de magnitud 7,1 sacude Chile http://t.co/Qw12Er34 #cnn vía @CNNEE", "Spanish"),
        ("Un terremoto de intensidad 7,2 sacude Chile. http://t.co/hia06BDm", "Spanish"),
    ],
)
def test_links_and_handles_do_not_make_a_headline_english(
    triager: Triager, text: str, language: str
) -> None:
    """The language model reads a post's words, not its links and handles, which pulled
    short headlines in other languages towards English (and so to English's vocabulary)."""
    c = classify(triager, text)
    assert any(r.startswith(f"written in {language}") for r in c.reasons), c.reasons
