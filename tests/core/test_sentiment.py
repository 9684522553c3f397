"""The adjusted sentiment: service terms, sarcasm, fixes, and category weights, each explained."""

from __future__ import annotations

from crisis_console.core.models import Category, SentimentLabel
from crisis_console.core.triage.routing import Triager
from tests.conftest import parsed, record


def classify(triager: Triager, text: str, **fields: object):  # type: ignore[no-untyped-def]
    [item] = parsed(record("1", text, **fields))
    return triager.triage(item.mention).classification


def test_sarcastic_thanks_for_a_delay_is_negative_and_says_why(triager: Triager) -> None:
    c = classify(
        triager, "Thanks @SkyLarkAir for the 4 hour delay. Really great way to start a holiday."
    )
    assert c.sentiment.vader > 0.5  # VADER alone reads the polite words
    assert c.sentiment.label is SentimentLabel.NEGATIVE and c.sentiment.compound < -0.3
    assert c.category is Category.COMPLAINT
    assert any(r.startswith('sarcasm: "thanks') for r in c.reasons)
    assert any('"delay" -1.5' in r for r in c.reasons)
    assert any("VADER alone" in r for r in c.reasons)


def test_great_lost_my_bag_again(triager: Triager) -> None:
    c = classify(triager, "Great, lost my bag again @SkyLarkAir")
    assert (c.sentiment.label, c.category) == (SentimentLabel.NEGATIVE, Category.COMPLAINT)


def test_polite_complaint_without_sentiment_words_is_negative(triager: Triager) -> None:
    c = classify(triager, "I have been on hold for 55 minutes just to change my delivery address.")
    assert c.sentiment.vader == 0.0
    assert c.sentiment.label is SentimentLabel.NEGATIVE


def test_negated_failure_is_not_a_failure(triager: Triager) -> None:
    c = classify(triager, "No delay at all today, lovely smooth flight")
    assert c.sentiment.label is SentimentLabel.POSITIVE
    assert c.category is Category.PRAISE


def test_thanks_beside_a_fixed_problem_is_not_sarcasm(triager: Triager) -> None:
    c = classify(
        triager,
        "Got my refund from QuickBite within an hour of reporting the missing item. Great service.",
    )
    assert c.sentiment.label is SentimentLabel.POSITIVE
    assert not any(r.startswith("sarcasm") for r in c.reasons)


def test_a_calm_safety_report_is_still_negative(triager: Triager) -> None:
    c = classify(triager, "Our kettle gave my husband an electric shock this morning.")
    assert c.category is Category.SAFETY and c.sentiment.label is SentimentLabel.NEGATIVE
    assert any("safety posts count as negative (-3)" in r for r in c.reasons)


def test_praise_words_in_a_negative_post_are_set_aside(triager: Triager) -> None:
    c = classify(triager, "Thank you SO much, furious")
    assert c.category is Category.COMPLAINT
    assert 'praise "thank you" set aside: the tone is negative' in c.reasons


def test_retweets_are_judged_as_the_original(triager: Triager) -> None:
    original = classify(triager, "The toaster burst into flames")
    retweet = classify(triager, "RT @someone: The toaster burst into flames")
    assert retweet == original


def test_repeat_author_and_viral_posts(triager: Triager) -> None:
    [item] = parsed(
        record(
            "1",
            "Still waiting for my refund, third week now",
            author="dan",
            engagement={"likes": 10, "shares": 900, "replies": 3},
        )
    )
    c = triager.triage(item.mention, earlier_posts=4).classification
    assert "repeat author: post 5 from @dan" in c.reasons
    assert "going viral: 900 shares" in c.reasons
    assert c.urgency.value == "high"
