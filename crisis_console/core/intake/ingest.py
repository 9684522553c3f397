"""Reads mention records from JSON Lines into `Mention` values, reporting bad lines.

`read_jsonl` yields, in input order, a `Parsed` for every good line and an `IngestProblem`
for every bad one (naming the source, line and field). It never raises for bad input, so one
broken line cannot stop or lose the good lines around it. Nothing from the input is ever
evaluated: text is kept as data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from crisis_console.core.errors import Notice, Problem
from crisis_console.core.intake import platforms
from crisis_console.core.intake.documents import json_items
from crisis_console.core.models import Engagement, Kind, Mention, Platform
from crisis_console.core.text import visible

E = TypeVar("E", Platform, Kind)

MAX_TEXT_CHARS = 20_000
MAX_FIELD_CHARS = 2_000  # ids, handles, names, urls
MAX_FOLLOWERS = 10_000_000_000


@dataclass(frozen=True, slots=True)
class Parsed:
    """A good record and where it came from."""

    mention: Mention
    source: str
    line: int
    deleted: bool = False  # the platform reports the post deleted: store a tombstone


IngestProblem = Problem
"""A bad record: its source, line, field and what is wrong."""


Read = Parsed | Problem | Notice
"""What reading an input yields, in input order."""


class MentionError(ValueError):
    """An input object that is not a valid mention; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def read_jsonl(
    lines: Iterable[bytes | str], source: str, now: datetime, first_line: int = 1
) -> Iterator[Read]:
    """Parse JSON Lines, or whole JSON documents (`documents.json_items` tells them apart);
    `now` stands in for a missing `created_at` (the arrival time); `first_line` numbers the
    lines of a batch from a followed file."""
    for item in json_items(lines, source, first_line):
        if isinstance(item, Problem | Notice):
            yield item
        else:
            yield from read_object(item[1], source, item[0], now)


def read_object(obj: Any, source: str, number: int, now: datetime) -> Iterator[Read]:
    """The records in one decoded JSON value: one of ours, a platform's object (which may
    hold several), or an array of either, as APIs answer; `number` is its line (or position)
    in `source`, named in every problem."""
    if isinstance(obj, list):
        for element in obj:
            if isinstance(element, list):
                yield Problem(source, number, "", "must be a JSON object (an array in an array)")
            else:
                yield from read_object(element, source, number, now)
        return
    if not isinstance(obj, dict):
        yield Problem(source, number, "", "must be a JSON object")
        return
    kind = platforms.shape(obj)
    if kind is None:
        what = platforms.unsupported(obj)
        if what is not None:
            yield Problem(source, number, "", visible(what))
        else:
            yield _parsed(obj, source, number, now)
        return
    try:
        items = list(platforms.items(obj, kind))
    except (TypeError, ValueError, AttributeError, OverflowError, OSError) as exc:
        # A platform object whose parts have the wrong types (a list where a map should be).
        yield Problem(source, number, "", f"not a valid {kind} object: {visible(str(exc))}")
        return
    posts, k = sum(isinstance(item, dict) for item in items), 0
    for item in items:
        if isinstance(item, platforms.Note):
            yield Notice(source, number, visible(item.message))
        elif isinstance(item, platforms.Unread):
            yield Problem(source, number, item.field, visible(item.message))
        else:
            k += 1
            read = _parsed(item, source, number, now)
            if isinstance(read, Problem) and posts > 1:  # which of the response's posts
                which = f" (post {k} of {posts}, id {visible(str(item.get('id'))[:40])})"
                read = replace(read, message=read.message + which)
            yield read


def _parsed(obj: Mapping[str, Any], source: str, number: int, now: datetime) -> Parsed | Problem:
    try:
        deleted = _flag(obj.get("deleted"), "deleted")
        if deleted and obj.get("text") is None:
            obj = {**obj, "text": "(deleted before we saw its text)"}
        return Parsed(mention_from_input(obj, now), source, number, deleted)
    except MentionError as exc:
        return Problem(source, number, exc.field, str(exc))


def mention_from_input(obj: Mapping[str, Any], now: datetime) -> Mention:
    """Validate one input object (the documented format) into a `Mention`."""
    native_id = _native_id(obj.get("id"))
    platform = _enum(obj, "platform", Platform, required=True)
    assert platform is not None  # required=True raises rather than returning None
    return Mention(
        native_id=native_id,
        platform=platform,
        text=_text(obj, "text", MAX_TEXT_CHARS, required=True),
        created_at=_created_at(obj.get("created_at"), now),
        kind=_enum(obj, "kind", Kind, required=False) or Kind.POST,
        author=_text(obj, "author", MAX_FIELD_CHARS).lstrip("@"),
        author_name=_text(obj, "author_name", MAX_FIELD_CHARS),
        followers=_count(obj.get("followers"), "followers"),
        verified=_flag(obj.get("verified"), "verified"),
        url=_text(obj, "url", MAX_FIELD_CHARS),
        in_reply_to=_text(obj, "in_reply_to", MAX_FIELD_CHARS),
        engagement=_engagement(obj.get("engagement")),
        repost_of=_text(obj, "repost_of", MAX_FIELD_CHARS),
        content_warning=_text(obj, "content_warning", MAX_TEXT_CHARS),
    )


def _native_id(value: Any) -> str:
    if value is None:
        raise MentionError("id", "is required")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MentionError("id", "must be a text or a whole number")
    text = str(value).strip()
    if not text:
        raise MentionError("id", "must not be empty")
    if len(text) > MAX_FIELD_CHARS:
        raise MentionError("id", f"is longer than {MAX_FIELD_CHARS:,} characters")
    # The one printable space is " ": every other one is a control or separator character.
    if " " in text or not text.isprintable():
        raise MentionError("id", "must not contain spaces or control characters")
    return text


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(obj: Mapping[str, Any], field: str, limit: int, required: bool = False) -> str:
    value = obj.get(field)
    if value is None:
        if required:
            raise MentionError(field, "is required")
        return ""
    if not isinstance(value, str):
        raise MentionError(field, "must be a text")
    if required and not value.strip():
        raise MentionError(field, "must not be empty")
    if len(value) > limit:
        raise MentionError(field, f"is longer than {limit:,} characters")
    # Half an emoji (a lone UTF-16 surrogate, which JSON allows) cannot be stored as UTF-8:
    # it becomes the replacement character, as a decoder would make of it.
    return value if value.isascii() else _LONE_SURROGATE.sub("\ufffd", value)


def _enum(obj: Mapping[str, Any], field: str, enum: type[E], required: bool) -> E | None:
    value = obj.get(field)
    if value is None:
        if required:
            raise MentionError(field, "is required")
        return None
    if isinstance(value, str):
        found = _members(enum).get(value) or _members(enum).get(value.strip().lower())
        if found is not None:
            return found  # type: ignore[return-value]
    choices = ", ".join(e.value for e in enum)  # only on the error path: ingest is hot
    if not isinstance(value, str):
        raise MentionError(field, f"must be one of {choices}")
    raise MentionError(field, f"'{visible(value[:40])}' is not one of {choices}")


@cache
def _members(enum: type[StrEnum]) -> dict[str, StrEnum]:
    """An enum's members by value: a dict read, where calling the enum is a slow lookup."""
    return {member.value: member for member in enum}


# The times a post can have been made: before any platform, or past this century, is a
# date read wrongly (and 9999-12-31 overflows the first deadline worked out from it).
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _created_at(value: Any, now: datetime) -> datetime:
    if value is None or value == "":
        return now
    if not isinstance(value, str):
        raise MentionError("created_at", "must be an ISO 8601 date and time text")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise MentionError(
            "created_at", f"'{visible(value[:40])}' is not an ISO 8601 date and time"
        ) from None
    # A time without a zone is taken as UTC (documented in the README).
    try:
        when = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the year 1
        when = None
    if when is None or not EARLIEST <= when < LATEST:
        raise MentionError(
            "created_at",
            f"'{visible(value[:40])}' is not a time a post was made: it must be from "
            f"{EARLIEST:%Y} to {LATEST.year - 1}",
        )
    return when


def _count(value: Any, field: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise MentionError(field, "must be a whole number")
    if not 0 <= value <= MAX_FOLLOWERS:
        raise MentionError(field, f"must be between 0 and {MAX_FOLLOWERS:,}")
    return value


def _flag(value: Any, field: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise MentionError(field, "must be true or false")
    return value


def _engagement(value: Any) -> Engagement:
    if value is None:
        return Engagement()
    if not isinstance(value, dict):
        raise MentionError("engagement", "must be an object with likes, shares, replies")
    unknown = set(value) - {"likes", "shares", "replies"}
    if unknown:
        raise MentionError(f"engagement.{sorted(unknown)[0]}", "unknown field")
    return Engagement(
        likes=_count(value.get("likes"), "engagement.likes"),
        shares=_count(value.get("shares"), "engagement.shares"),
        replies=_count(value.get("replies"), "engagement.replies"),
    )
