"""The platforms' own JSON shapes, from hand-written samples of their published formats."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from crisis_console.core.errors import Notice, Problem
from crisis_console.core.intake.ingest import Parsed, Read, read_jsonl
from crisis_console.core.intake.platforms import html_text
from crisis_console.core.models import Kind, Platform
from crisis_console.core.replies.policy import check_reply
from crisis_console.core.service import ConsoleService
from tests.conftest import NOW

SAMPLES = Path(__file__).parent.parent / "data" / "platforms"


def parse(name: str) -> list[Parsed]:
    path = SAMPLES / name
    out = list(read_jsonl(path.read_bytes().splitlines(), name, NOW))
    assert all(isinstance(p, Parsed) for p in out), out
    return [p for p in out if isinstance(p, Parsed)]


def test_x_v2_response_with_its_users() -> None:
    first, reply = (p.mention for p in parse("x_v2.jsonl"))
    assert first.key == "x:1859310000000000001" and first.platform is Platform.X
    assert first.text == "@brightwell my AirCrisp started smoking on the counter"
    assert first.author == "sam_the_dad" and first.author_name == "Sam Okafor"
    assert first.followers == 1500 and not first.verified
    assert first.created_at == datetime(2026, 11, 20, 9, 12, tzinfo=UTC)
    assert first.url == "https://x.com/sam_the_dad/status/1859310000000000001"
    assert (first.engagement.likes, first.engagement.shares, first.engagement.replies) == (
        88,
        15,
        4,
    )
    assert first.kind is Kind.POST and first.in_reply_to == ""
    assert reply.kind is Kind.REPLY and reply.in_reply_to == "x:1859310000000000001"
    assert reply.author == "brightwell_help" and reply.verified and reply.followers == 52000


def test_mastodon_status_html_becomes_text() -> None:
    (status,) = (p.mention for p in parse("mastodon.jsonl"))
    assert status.key == "mastodon:113512345678901234"
    assert status.text == (
        "Two weeks and still no refund from @brightwell & nobody answers.\n\nNot impressed.\nAvoid."
    )
    assert status.author == "kettlefan@mastodon.social" and status.author_name == "Kettle Fan"
    assert status.followers == 240
    assert status.url == "https://mastodon.social/@kettlefan/113512345678901234"
    assert (status.engagement.likes, status.engagement.shares) == (9, 5)


def test_reddit_comment_and_a_listing_of_posts() -> None:
    comment, post = (p.mention for p in parse("reddit.jsonl"))
    assert comment.key == "reddit:kx9f2ab" and comment.kind is Kind.COMMENT
    assert comment.text == "My solicitor will be in touch about the refund."
    assert comment.in_reply_to == "reddit:1gq7xyz"
    assert comment.created_at == datetime(2025, 11, 20, 9, 20, tzinfo=UTC)
    assert comment.url.startswith("https://www.reddit.com/r/BuyItForLife/comments/1gq7xyz/")
    assert post.key == "reddit:1gq7xyz" and post.kind is Kind.POST
    assert (
        post.text
        == "Brightwell air fryer: worth it?\n\nThinking of buying the AirCrisp. Any problems?"
    )
    assert post.engagement.likes == 0 and post.engagement.replies == 42  # a negative score


def test_bluesky_post_view() -> None:
    (post,) = (p.mention for p in parse("bluesky.jsonl"))
    assert post.platform is Platform.BLUESKY
    assert post.native_id == "did:plc:z72i7hdynmk6r22z27h6tvur/3lbxyzabc2k2a"
    assert post.author == "nina.bsky.social" and post.followers == 310
    assert post.text.endswith("burned my hand")
    assert post.kind is Kind.REPLY and post.in_reply_to == "bluesky:did:plc:brand/3lbparent"
    assert post.url == "https://bsky.app/profile/nina.bsky.social/post/3lbxyzabc2k2a"


def test_a_broken_platform_object_is_reported_and_the_rest_still_read() -> None:
    lines = [
        json.dumps({"data": {"id": "1", "author_id": "9", "text": 5}, "includes": {}}),
        json.dumps({"kind": "Listing", "data": {"children": 7}}),
        json.dumps({"kind": "t1", "data": {"id": "ok1", "body": "fine", "created_utc": 1e300}}),
        (SAMPLES / "mastodon.jsonl").read_text().strip(),
    ]
    out = list(read_jsonl(lines, "mixed.jsonl", NOW))
    problems = [str(p) for p in out if isinstance(p, Problem)]
    assert problems[0] == "mixed.jsonl:1: text: must be a text"
    assert problems[1].startswith("mixed.jsonl:2: children: not a valid reddit Listing")
    assert problems[2].startswith("mixed.jsonl:3: a Reddit t1: not valid: timestamp out of range")
    assert [p.mention.platform for p in out if isinstance(p, Parsed)] == [Platform.MASTODON]


def test_html_is_read_as_text_never_run() -> None:
    assert html_text("<script>alert(1)</script><p>a &lt;b&gt;</p>") == "alert(1)\n\na <b>"


def sample(name: str) -> list[Read]:
    with (SAMPLES / name).open("rb") as lines:  # with their endings, as the CLI reads them
        return list(read_jsonl(lines, name, NOW))


def test_x_long_post_edit_and_a_retweet_without_its_original() -> None:
    long, edited, retweet = (
        i.mention for i in sample("x_v2_long_edited_retweet.json") if isinstance(i, Parsed)
    )
    assert long.text.endswith("the serial number is AC-2231-B.")  # note_tweet, not the cut
    assert edited.key == "x:1860000000000000050"  # a new version of the first id's mention
    assert retweet.kind is Kind.REPOST and retweet.repost_of == "x:1859999999999999000"
    assert retweet.author == "passing_it_on"
    assert retweet.text.startswith("RT @someone_else:")  # all there is without includes.tweets


def test_a_thread_tells_what_bluesky_did_not_show() -> None:
    items = sample("bluesky_thread_not_found.json")
    assert [i.mention.author for i in items if isinstance(i, Parsed)] == [
        "ash.bsky.social",
        "bo.bsky.social",
    ]
    assert sorted(i.message for i in items if isinstance(i, Notice)) == [
        "1 post in the thread not shown by Bluesky (blocked)",
        "1 post in the thread not shown by Bluesky (not found)",
    ]


def test_a_mastodon_mention_notification_with_only_a_picture() -> None:
    items = sample("mastodon_notifications.json")
    (status,) = (i.mention for i in items if isinstance(i, Parsed))
    assert status.author == "sam@a.social"  # a local acct gets its server
    assert status.text == "[image: a hand with a red burn mark next to a Brightwell kettle]"
    assert status.content_warning == "burn, photo"
    (note,) = (i for i in items if isinstance(i, Notice))
    assert note.line == 23 and "'follow'" in note.message


def test_removed_and_deleted_reddit_bodies_are_tombstones() -> None:
    post, comment = (i for i in sample("reddit_removed.jsonl") if isinstance(i, Parsed))
    assert post.deleted and post.mention.text == "Brightwell heater left a scorch mark"
    assert comment.deleted and "[deleted]" not in comment.mention.text
    assert post.mention.author == comment.mention.author == ""


def test_a_shape_we_do_not_read_is_named_not_blamed_on_the_file() -> None:
    problems = [str(p) for p in sample("not_supported.jsonl") if isinstance(p, Problem)]
    assert problems == [
        "not_supported.jsonl:1: an X API v1.1 tweet: not supported yet (export with API v2, "
        "or twarc2)",
        "not_supported.jsonl:2: a Mastodon account, not a status",
        "not_supported.jsonl:3: a Bluesky profile, not a post",
    ]


def test_a_document_cut_off_keeps_what_came_before_and_names_the_line() -> None:
    items = sample("broken_array.json")
    assert [i.mention.native_id for i in items if isinstance(i, Parsed)] == ["b1", "b2"]
    (problem,) = (i for i in items if isinstance(i, Problem))
    assert problem.line == 4 and "could not be read" in problem.message


def test_a_reply_greeting_a_mastodon_handle_is_not_blocked_as_an_email(
    service: ConsoleService,
) -> None:
    """With no display name the greeting is the handle, `vince@mastodon.online`: the author's
    own handle, in a reply to them, is no personal data. Another address still is."""
    status = {
        "id": "1136",
        "content": "<p>my kettle's base sparked</p>",
        "created_at": "2026-11-20T10:00:00Z",
        "account": {"acct": "vince", "url": "https://mastodon.online/@vince", "display_name": ""},
    }
    service.ingest(read_jsonl([json.dumps(status)], "m.jsonl", NOW))
    text, findings = service.replies.preview("mastodon:1136", "contact-us-privately", {})
    assert text.startswith("Hi vince@mastodon.online,")
    assert "email" not in {f.code for f in findings}
    other = check_reply(
        text + " or mail dan.k@example.com",
        Platform.MASTODON,
        service.playbook,
        0,
        None,
        author="vince@mastodon.online",
    )
    assert "email" in {f.code for f in other}
