"""Reading a file whatever way it was saved: JSON Lines, whole documents, or a mix gone
wrong, as the CLI hands it over (each line with its ending)."""

from __future__ import annotations

import json
from typing import Any

from crisis_console.core.errors import Notice, Problem
from crisis_console.core.intake.documents import MAX_LINE_BYTES
from crisis_console.core.intake.ingest import Parsed, Read, read_jsonl
from crisis_console.core.models import Mention
from crisis_console.core.service import ConsoleService
from tests.conftest import NOW, record


def read(text: str | bytes) -> list[Read]:
    data = text.encode() if isinstance(text, str) else text
    return list(read_jsonl(data.splitlines(keepends=True), "f.json", NOW))


def stored(items: list[Read]) -> list[Mention]:
    return [i.mention for i in items if isinstance(i, Parsed)]


def problems(items: list[Read]) -> list[str]:
    return [str(i) for i in items if isinstance(i, Problem)]


def line(native_id: str, text: str = "fine") -> str:
    return json.dumps(record(native_id, text))


def test_a_broken_first_record_stops_nothing_after_it() -> None:
    for broken in ('{"id": "1", "te', '{"id": "1", "platform": "x", "text": "a"', "{"):
        items = read("\n".join([broken, line("2"), line("3")]) + "\n")
        assert [m.native_id for m in stored(items)] == ["2", "3"], broken
        assert len(problems(items)) == 1 and problems(items)[0].startswith("f.json:1: ")


def test_a_pretty_array_names_each_broken_element_by_its_line_and_reads_on() -> None:
    text = "[\n" + ",\n".join(
        [
            "  " + line("1"),
            '  {"id": "2", "platform": "x"}',  # no text
            '  {"id": "3", "platform": "x", "text": "cut off"',  # no closing brace
            "  " + line("4"),
        ]
    )
    items = read(text + "\n]\n")
    assert [m.native_id for m in stored(items)] == ["1", "4"]
    assert problems(items) == [
        "f.json:3: text: is required",
        "f.json:4: not valid JSON: Expecting property name enclosed in double quotes at line 5, "
        "column 3; reading goes on at line 5",
    ]


def test_a_document_over_two_lines_that_no_line_can_repair_loses_only_its_rest() -> None:
    text = json.dumps({"data": [{"id": "1", "author_id": "9", "text": "a"}]}, indent=2)
    items = read(text[: len(text) // 2])
    assert stored(items) == []
    (problem,) = problems(items)
    assert problem.startswith("f.json:1: not valid JSON") and "could not be read" in problem


def test_an_object_opened_on_the_first_line_is_a_document_when_the_next_line_is_not_a_record() -> (
    None
):
    """`{"data": [` then one tweet a line: X lists an edit's newest version first, and the
    older one must not become the current text."""
    newest = {"id": "200", "edit_history_tweet_ids": ["100", "200"], "author_id": "u"}
    oldest = {"id": "100", "edit_history_tweet_ids": ["100"], "author_id": "u"}
    tweets = [newest | {"text": "CORRECTED: model B only"}, oldest | {"text": "model A"}]
    text = '{"data": [\n' + ",\n".join(json.dumps(t) for t in tweets) + "\n]}\n"
    items = read(text)
    assert [(m.key, m.text) for m in stored(items)] == [
        ("x:100", "model A"),
        ("x:100", "CORRECTED: model B only"),
    ]


def test_one_bad_post_in_a_response_is_reported_alone(service: ConsoleService) -> None:
    tweets: list[dict[str, Any]] = [
        {"id": "1", "author_id": "9", "text": "first"},
        {"id": "2", "author_id": ["not", "an", "id"], "text": "second"},
        {"id": "3", "author_id": "9", "text": "third", "created_at": "yesterday"},
        {"id": "4", "author_id": "9", "text": "fourth"},
    ]
    items = read(json.dumps({"data": tweets, "includes": {"users": []}}) + "\n")
    assert [m.native_id for m in stored(items)] == ["1", "4"]
    assert problems(items) == [
        "f.json:1: tweet 2: not valid: unhashable type: 'list'",
        "f.json:1: created_at: 'yesterday' is not an ISO 8601 date and time (post 2 of 3, id 3)",
    ]
    report = service.ingest(items)
    assert (report.new, report.rejected) == (2, 2)


def test_a_byte_that_is_not_utf8_in_a_document_is_told_and_the_post_kept() -> None:
    data = b'[\n  {"id": "1", "platform": "x", "text": "caf\xe9 burned me"}\n]\n'
    items = read(data)
    assert [m.text for m in stored(items)] == ["caf\ufffd burned me"]
    (notice,) = [i for i in items if isinstance(i, Notice)]
    assert (notice.line, notice.message) == (
        2,
        "not valid UTF-8 (byte 44): read with U+FFFD in its place",
    )


def test_one_long_line_as_curl_saves_an_answer_is_read_past_the_line_limit() -> None:
    tweets = [{"id": str(n), "author_id": "9", "text": "x" * 1_000} for n in range(1_200)]
    text = json.dumps({"data": tweets, "includes": {"users": []}})
    assert len(text) > MAX_LINE_BYTES
    assert len(stored(read(text))) == 1_200
    assert len(stored(read("[" + line("1") + "," + text + "]"))) == 1_201


def test_a_content_warning_is_read_by_triage(service: ConsoleService) -> None:
    """Mastodon users name a post's subject in its content warning."""
    warned = record("cw", "details below, please read", platform="mastodon")
    warned["content_warning"] = "I am going to kill myself tonight"
    service.ingest(read(json.dumps(warned) + "\n"))
    (mention,) = service.inbox()
    assert mention.triage.classification.escalate
    assert mention.triage.mention.text == "details below, please read"
