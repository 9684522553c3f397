"""The JSON the platforms themselves publish, turned into our documented input records.

A value read from a file (a JSON Lines line, or a whole document) may hold, instead of one
of our records, what a platform's API returned or an archive tool saved. `shape` recognises
it and `items` yields our records, with a note of anything the platform left out and a
reason for any post that cannot be read; `mention_from_input` then validates each record as
usual, so a platform object with a missing or mistyped field is reported like any other bad
record. A shape we recognise but do not read is named by `unsupported`, instead of blaming
the file for a missing `id`. The mappings are documented in the README ("Platform JSON").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from crisis_console.core.intake.platforms import bluesky, mastodon, reddit, x
from crisis_console.core.intake.platforms.common import Item, Note, Record, Unread, html_text

__all__ = ["Item", "Note", "Record", "Unread", "html_text", "items", "shape", "unsupported"]


def shape(obj: Mapping[str, Any]) -> str | None:
    """The platform shape `obj` has, or None if it is one of our own records (or unknown)."""
    if "platform" in obj:
        return None
    if "data" in obj and ("includes" in obj or x.is_tweet(obj["data"])):
        return "x"
    if "data" in obj and "meta" in obj and obj.get("data") in (None, []):
        return "x"  # a search that found nothing
    if x.is_flattened(obj):
        return "x-flat"
    if reddit.is_thing(obj) or reddit.is_more_children(obj):
        return "reddit"
    if bluesky.is_post_view(obj):
        return "bluesky"
    found = bluesky.wrapper(obj)
    if found is not None:
        return f"bluesky-{found}"
    if mastodon.is_status(obj):
        return "mastodon"
    if mastodon.is_notification(obj):
        return "mastodon-notification"
    if "data" not in obj and ("detail" in obj or isinstance(obj.get("errors"), list)):
        return "api-error"
    return None


def items(obj: Mapping[str, Any], kind: str) -> Iterator[Item]:
    """Our records for a platform object of shape `kind` (one response may hold many)."""
    if kind == "x":
        yield from x.response(obj)
    elif kind == "x-flat":
        yield from x.flattened(obj)
    elif kind == "reddit":
        yield from reddit.things(obj)
    elif kind == "bluesky":
        yield bluesky.post_record(obj)
    elif kind.startswith("bluesky-"):
        yield from bluesky.answer(obj, kind.removeprefix("bluesky-"))
    elif kind == "mastodon":
        yield mastodon.status_record(obj)
    elif kind == "api-error":
        yield Note(f"an API error message, not a post: {_error(obj)}")
    else:
        yield from mastodon.notification(obj)


def unsupported(obj: Mapping[str, Any]) -> str | None:
    """What a value we do not read is, when we can tell (so the error names the shape)."""
    if "platform" in obj or ("id" in obj and "text" in obj):
        return None  # one of our records: its own fields are checked
    if "id_str" in obj and ("full_text" in obj or "text" in obj) and "user" in obj:
        return "an X API v1.1 tweet: not supported yet (export with API v2, or twarc2)"
    if isinstance(obj.get("statuses"), list):
        return "an X API v1.1 search response: not supported yet (use API v2)"
    if "acct" in obj and "username" in obj:
        return "a Mastodon account, not a status"
    kind = obj.get("kind")
    if isinstance(kind, str) and kind[:1] == "t" and kind[1:].isdigit():
        return f"a Reddit thing of kind {kind}: only comments (t1) and posts (t3) are read"
    if "did" in obj and "handle" in obj:
        return "a Bluesky profile, not a post"
    record_type = _record_type(obj)
    if record_type:
        return f"a Bluesky {record_type[:80]} record: not supported yet"
    if "feed" in obj or "thread" in obj:
        return "a Bluesky feed or thread response whose posts cannot be read"
    return None


def _record_type(obj: Mapping[str, Any]) -> str | None:
    record = obj.get("record")
    kind = record.get("$type") if isinstance(record, dict) else obj.get("$type")
    return kind if isinstance(kind, str) else None


def _error(obj: Mapping[str, Any]) -> str:
    """What an error answer says (X's `errors`/`detail`, or a problem+json `title`)."""
    errors = obj.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else {}
    why = obj.get("detail") or obj.get("title") or first
    if isinstance(why, dict):
        why = why.get("message") or why.get("detail") or why.get("title") or ""
    return str(why)[:200]
