"""Parsing the documented JSONL format: good lines, every kind of bad line, and what survives."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from crisis_console.core.errors import Problem
from crisis_console.core.intake.ingest import MAX_TEXT_CHARS, Parsed, Read, read_jsonl
from crisis_console.core.models import Kind, Platform
from tests.conftest import NOW, jsonl, record


def parse(lines: list[str] | list[bytes]) -> list[Read]:
    return list(read_jsonl(lines, "in.jsonl", NOW))


def test_full_record_becomes_a_mention_keyed_platform_colon_id() -> None:
    full = record(
        "123",
        "Hello",
        platform="Mastodon",
        kind="reply",
        author="@maya",
        author_name="Maya",
        followers=5000,
        verified=True,
        url="https://example.org/1",
        in_reply_to="mastodon:99",
        created_at="2026-03-14T13:00:00+01:00",
        engagement={"likes": 3, "shares": 1, "replies": 2},
    )
    [item] = parse(jsonl(full))
    assert isinstance(item, Parsed)
    m = item.mention
    assert m.key == "mastodon:123"
    assert (m.platform, m.kind, m.author, m.followers, m.verified) == (
        Platform.MASTODON,
        Kind.REPLY,
        "maya",
        5000,
        True,
    )
    assert m.created_at == datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    assert (m.engagement.likes, m.engagement.shares, m.engagement.replies) == (3, 1, 2)
    assert item.line == 1


def test_minimal_record_takes_defaults_and_arrival_time() -> None:
    [item] = parse(jsonl({"id": 42, "platform": "reddit", "text": "hi"}))
    assert isinstance(item, Parsed)
    assert item.mention.key == "reddit:42"
    assert item.mention.created_at == NOW
    assert item.mention.kind is Kind.POST
    assert item.mention.followers == 0


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"id": None}, "id", "required"),
        ({"id": ""}, "id", "empty"),
        ({"id": "a b"}, "id", "spaces"),
        ({"id": True}, "id", "text or a whole number"),
        ({"platform": "myspace"}, "platform", "not one of"),
        ({"platform": None}, "platform", "required"),
        ({"text": None}, "text", "required"),
        ({"text": 5}, "text", "must be a text"),
        ({"text": "   "}, "text", "empty"),
        ({"text": "x" * (MAX_TEXT_CHARS + 1)}, "text", "longer than"),
        ({"followers": "many"}, "followers", "whole number"),
        ({"followers": -1}, "followers", "between"),
        ({"verified": "yes"}, "verified", "true or false"),
        ({"created_at": "yesterday"}, "created_at", "ISO 8601"),
        ({"kind": "story"}, "kind", "not one of"),
        ({"engagement": {"likes": 1.5}}, "engagement.likes", "whole number"),
        ({"engagement": {"views": 1}}, "engagement.views", "unknown"),
    ],
)
def test_bad_field_is_named_with_its_line(
    fields: dict[str, object], field: str, words: str
) -> None:
    bad = record("1", "text")
    for key, value in fields.items():
        if value is None:
            bad.pop(key, None)
        else:
            bad[key] = value
    items = parse(jsonl(record("0", "fine"), bad))
    problem = items[1]
    assert isinstance(problem, Problem)
    assert (problem.file, problem.line, problem.field) == ("in.jsonl", 2, field)
    assert words in problem.message


def test_good_lines_around_bad_ones_all_survive_in_order() -> None:
    lines = [
        json.dumps(record("1", "one")),
        "{not json",
        "[1, 2]",
        "",
        json.dumps(record("2", "two")),
        json.dumps(record("3", "three", platform="nowhere")),
        json.dumps(record("4", "four")),
    ]
    items = parse(lines)
    good = [i.mention.native_id for i in items if isinstance(i, Parsed)]
    bad = [(i.line, i.message.split(":")[0]) for i in items if isinstance(i, Problem)]
    assert good == ["1", "2", "4"]
    assert bad == [
        (2, "not valid JSON"),
        (3, "must be a JSON object"),  # an array's elements are read one by one: 1, and 2
        (3, "must be a JSON object"),
        (
            6,
            "'nowhere' is not one of x, facebook, instagram, tiktok, youtube, reddit, "
            "linkedin, mastodon, bluesky, review, other",
        ),
    ]


def test_bytes_input_reports_invalid_utf8_and_strips_a_bom() -> None:
    lines = [
        b"\xef\xbb\xbf" + json.dumps(record("1", "bom first")).encode(),
        b'{"id": "2", "platform": "x", "text": "\xff"}',
    ]
    first, second = parse(lines)
    assert isinstance(first, Parsed) and first.mention.text == "bom first"
    assert isinstance(second, Problem) and "UTF-8" in second.message


def test_text_is_kept_as_data_never_interpreted() -> None:
    hostile = "{{ 7*7 }} [bold red]x[/] \x1b[31mred\x1b[0m"
    [item] = parse(jsonl(record("1", hostile)))
    assert isinstance(item, Parsed) and item.mention.text == hostile


def test_problem_message_escapes_control_characters_from_the_input() -> None:
    [problem] = parse(jsonl(record("1", "x", platform="\x1b[2Jevil")))
    assert isinstance(problem, Problem)
    assert "\x1b" not in problem.message and "\\x1b[2Jevil" in problem.message
