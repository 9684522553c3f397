"""Real platform responses, as recorded by API clients and archive tools (tests/data/platforms/
real/README.md names each source, commit and licence): every post in each is stored or
reported with a reason, and reposts, edits, threads and left-out replies are read as such."""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path

import pytest

from crisis_console.core.errors import Notice
from crisis_console.core.intake.ingest import Parsed, Read, read_jsonl
from crisis_console.core.models import Kind
from crisis_console.core.service import ConsoleService
from tests.conftest import NOW

REAL = Path(__file__).parent.parent / "data" / "platforms" / "real"

# file: (posts it holds, as counted by hand and by the README's script; reposts; tombstones;
# notes: what the platform left out, told but not a post)
POSTS = {
    "reddit_comments_3hahrw_limit10.json": (11, 0, 0, 1),
    "reddit_comments_57dw9a_comment_context.json": (146, 0, 5, 1),
    "reddit_morechildren_3hahrw_deep_chain.json": (11, 0, 5, 1),
    "reddit_morechildren_n49rw.json": (19, 0, 1, 1),
    "mastodon_home_timeline_boosts.json": (5, 3, 0, 0),
    "mastodon_account_statuses_boosts_cw.json": (20, 3, 0, 0),
    "mastodon_home_timeline_direct.json": (13, 0, 0, 0),
    "x_search_recent_retweets.jsonl": (100, 42, 0, 0),
    "x_tweets_lookup_edited.jsonl": (1, 0, 0, 0),
    "x_filtered_stream.jsonl": (8, 0, 0, 1),
    "bluesky_getAuthorFeed.json": (50, 7, 0, 0),
    "bluesky_getTimeline.json": (25, 7, 0, 0),
    "bluesky_getPostThread_replies.json": (4, 0, 0, 0),
    "bluesky_getPostThread_parents.json": (4, 0, 0, 0),
    "bluesky_searchPosts.json": (25, 0, 0, 0),
    "twarc2_flatten.jsonl": (3, 0, 0, 0),
}


def read(name: str, pretty: bool = False) -> list[Read]:
    data = (REAL / name).read_bytes()
    if pretty:  # as `jq .` saves it: one whole document over many lines
        data = json.dumps(json.loads(data), indent=2).encode()
    # Each line with its ending, as a file hands them to the CLI.
    return list(read_jsonl(data.splitlines(keepends=True), name, NOW))


def test_every_recording_is_listed() -> None:
    on_disk = {p.name for p in REAL.iterdir() if p.suffix in (".json", ".jsonl")}
    assert on_disk == set(POSTS)


@pytest.mark.parametrize("name", sorted(POSTS))
def test_every_post_is_stored_or_reported(name: str, service: ConsoleService) -> None:
    posts, reposts, tombstones, notes = POSTS[name]
    items = read(name)
    parsed = [i for i in items if isinstance(i, Parsed)]
    report = service.ingest(items)
    read_in = report.new + report.updated + report.duplicates + report.deleted
    assert read_in + report.rejected == posts, report.summary()
    assert report.rejected == 0, report.problems
    assert Counter(p.mention.kind for p in parsed)[Kind.REPOST] == reposts
    assert sum(p.deleted for p in parsed) == tombstones
    assert len(report.notices) == notes


@pytest.mark.parametrize("name", [n for n in sorted(POSTS) if n.endswith(".json")])
def test_a_pretty_printed_document_reads_as_the_compact_one(name: str) -> None:
    compact = [i.mention for i in read(name) if isinstance(i, Parsed)]
    pretty = read(name, pretty=True)
    assert [i.mention for i in pretty if isinstance(i, Parsed)] == compact
    assert all(isinstance(i, Parsed | Notice) for i in pretty)


def test_a_reddit_thread_is_read_to_any_depth_with_its_left_out_replies_told() -> None:
    items = read("reddit_comments_57dw9a_comment_context.json")
    comments = [i.mention for i in items if isinstance(i, Parsed)]
    keys = {c.key for c in comments}
    # Each reply's parent is in the thread (the post at its root), so nothing was skipped.
    assert all(c.in_reply_to in keys for c in comments if c.kind is Kind.COMMENT)
    gone = [i for i in items if isinstance(i, Parsed) and i.deleted]
    assert {g.mention.text for g in gone} == {"(deleted before we saw its text)"}
    (note,) = [i for i in items if isinstance(i, Notice)]
    assert "depth limit" in note.message
    (told,) = [i for i in read("reddit_comments_3hahrw_limit10.json") if isinstance(i, Notice)]
    assert "/api/morechildren" in told.message and "11 'more' placeholders" in told.message


def test_an_x_retweet_is_a_repost_with_the_whole_original_text() -> None:
    response = json.loads((REAL / "x_search_recent_retweets.jsonl").read_text())
    # X writes &, < and > as HTML entities; the text is read back as written.
    originals = {t["id"]: html.unescape(t["text"]) for t in response["includes"]["tweets"]}
    reposts = [
        i.mention
        for i in read("x_search_recent_retweets.jsonl")
        if isinstance(i, Parsed) and i.mention.kind is Kind.REPOST
    ]
    for repost in reposts:
        assert repost.text == originals[repost.repost_of.removeprefix("x:")]
        assert not repost.text.startswith("RT @")


def test_an_edited_tweet_is_kept_under_its_first_id() -> None:
    (edited,) = [i.mention for i in read("x_tweets_lookup_edited.jsonl") if isinstance(i, Parsed)]
    assert edited.key == "x:1576994746135764992"  # the first of edit_history_tweet_ids
    assert edited.url.endswith("/1576994789110992896")  # the version that was read


def test_a_mastodon_boost_direct_message_and_content_warning() -> None:
    boosts = [
        i.mention for i in read("mastodon_home_timeline_boosts.json") if isinstance(i, Parsed)
    ]
    boost = next(m for m in boosts if m.kind is Kind.REPOST)
    assert boost.text and boost.repost_of.startswith("mastodon:")
    assert all("@" in m.author for m in boosts)  # every handle carries its server
    direct = [
        i.mention for i in read("mastodon_home_timeline_direct.json") if isinstance(i, Parsed)
    ]
    assert sum(m.kind is Kind.DM for m in direct) == 2
    warned = [
        i.mention
        for i in read("mastodon_account_statuses_boosts_cw.json")
        if isinstance(i, Parsed) and i.mention.content_warning
    ]
    assert "guilty pleasure" in {m.content_warning for m in warned}


def test_a_bluesky_repost_is_by_who_reposted_it() -> None:
    feed = json.loads((REAL / "bluesky_getTimeline.json").read_text())["feed"]
    reposters = {i["reason"]["by"]["handle"] for i in feed if "reason" in i}
    reposts = [
        i.mention
        for i in read("bluesky_getTimeline.json")
        if isinstance(i, Parsed) and i.mention.kind is Kind.REPOST
    ]
    assert {r.author for r in reposts} <= reposters and reposts
    assert all(r.repost_of.startswith("bluesky:did:") for r in reposts)


def test_a_thread_read_from_either_end_gives_the_same_posts(service: ConsoleService) -> None:
    first = service.ingest(read("bluesky_getPostThread_replies.json"))
    second = service.ingest(read("bluesky_getPostThread_parents.json"))
    assert (first.new, second.new, second.duplicates) == (4, 0, 4)


def test_x_text_is_read_without_its_html_entities() -> None:
    texts = [
        i.mention.text for i in read("x_search_recent_retweets.jsonl") if isinstance(i, Parsed)
    ]
    assert not any("&amp;" in t or "&lt;" in t or "&gt;" in t for t in texts)
    assert any(" & " in t for t in texts)
