"""The platforms' own JSON shapes, from hand-written samples of their published formats."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from crisis_console.core.errors import Problem
from crisis_console.core.intake.ingest import Parsed, read_jsonl
from crisis_console.core.intake.platform_json import html_text
from crisis_console.core.models import Kind, Platform
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
    assert problems[1].startswith("mixed.jsonl:2: not a valid reddit object")
    assert problems[2].startswith("mixed.jsonl:3: not a valid reddit object")
    assert [p.mention.platform for p in out if isinstance(p, Parsed)] == [Platform.MASTODON]


def test_html_is_read_as_text_never_run() -> None:
    assert html_text("<script>alert(1)</script><p>a &lt;b&gt;</p>") == "alert(1)\n\na <b>"
