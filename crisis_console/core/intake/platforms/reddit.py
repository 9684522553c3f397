"""Reddit things: a comment (`t1`) or a post (`t3`), a `Listing` of them, a whole thread as
`/comments/<id>` returns it (an array of two Listings), or a `/api/morechildren` answer.

- Replies nested under a comment's `data.replies` are read, to any depth.
- A `{"kind": "more"}` placeholder stands for replies Reddit did not send: they are counted
  and told ("fetch them with /api/morechildren"), never silently dropped.
- A `[deleted]` or `[removed]` body is a tombstone, not text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from crisis_console.core.intake.platforms.common import (
    Item,
    Note,
    Unread,
    as_dict,
    as_list,
    epoch,
    one,
    whole,
)

GONE = ("[deleted]", "[removed]")
THINGS = ("t1", "t3", "Listing", "more")


def is_thing(obj: Mapping[str, Any]) -> bool:
    return obj.get("kind") in THINGS and isinstance(obj.get("data"), dict)


def is_more_children(obj: Mapping[str, Any]) -> bool:
    """`/api/morechildren?api_type=json`: `{"json": {"data": {"things": [...]}}}`."""
    return isinstance(as_dict(as_dict(obj.get("json")).get("data")).get("things"), list)


def things(obj: Mapping[str, Any]) -> Iterator[Item]:
    """Every comment and post in `obj`, depth first, then one note of what was left out."""
    left_out = _LeftOut()
    if is_more_children(obj):
        for thing in as_list(obj["json"]["data"]["things"]):
            yield from _walk(as_dict(thing), left_out, depth=0)
    else:
        yield from _walk(obj, left_out, depth=0)
    yield from left_out.notes()


@dataclass(slots=True)
class _LeftOut:
    replies: int = 0  # the replies `more` placeholders stand for
    placeholders: int = 0
    cut: int = 0  # "continue this thread": a branch cut at Reddit's depth limit

    def notes(self) -> Iterator[Note]:
        if self.placeholders:
            yield Note(
                f"{self.replies:,} replies not loaded (Reddit sent {self.placeholders:,} 'more'"
                " placeholders instead): fetch them with /api/morechildren"
            )
        if self.cut:
            yield Note(
                f"{self.cut:,} branch(es) cut at Reddit's depth limit ('continue this "
                "thread'): fetch each with /comments/<post>/_/<comment>"
            )


_MAX_DEPTH = 500  # Reddit stops at 10; a deeper file is not Reddit's, and Python's stack is finite


def _walk(thing: Mapping[str, Any], left_out: _LeftOut, depth: int) -> Iterator[Item]:
    kind, data = thing.get("kind"), as_dict(thing.get("data"))
    if depth > _MAX_DEPTH:
        return
    if kind == "Listing":
        if not isinstance(data.get("children"), list):
            yield Unread("not a valid reddit Listing: its children are not a list", "children")
        for n, child in enumerate(as_list(data.get("children")), start=1):
            if isinstance(child, dict):
                yield from _walk(child, left_out, depth + 1)
            else:
                yield Unread(f"child {n} of a Listing: not a JSON object")
    elif kind == "more":
        ids = as_list(data.get("children"))
        if ids:
            left_out.placeholders += 1
            count = data.get("count")
            plausible = isinstance(count, int) and len(ids) < count < 10_000_000
            left_out.replies += count if isinstance(count, int) and plausible else len(ids)
        else:
            left_out.cut += 1
    elif kind in ("t1", "t3"):
        yield one(data, lambda d: _record(d, comment=kind == "t1"), f"a Reddit {kind}")
        replies = data.get("replies")
        if isinstance(replies, dict):
            yield from _walk(replies, left_out, depth + 1)


def _record(data: Mapping[str, Any], comment: bool) -> Item:
    if comment:
        text = data.get("body")
        gone = text in GONE
        text = None if gone else text
    else:
        title, body = data.get("title"), data.get("selftext")
        gone = body in GONE
        text = f"{title}\n\n{body}" if isinstance(title, str) and body and not gone else title
    parent = data.get("parent_id")
    created = data.get("created_utc")
    permalink = data.get("permalink")
    author = data.get("author")
    return {
        "id": data.get("id"),
        "platform": "reddit",
        "text": text,
        "deleted": gone or None,
        "created_at": epoch(created) if isinstance(created, int | float) else created,
        "kind": "comment" if comment else "post",
        "author": None if author in GONE else author,
        "url": f"https://www.reddit.com{permalink}" if isinstance(permalink, str) else None,
        # A parent id is a fullname, `t1_abc` or `t3_abc`; our key uses the bare id.
        "in_reply_to": f"reddit:{parent.split('_', 1)[-1]}" if isinstance(parent, str) else None,
        "engagement": {"likes": whole(data.get("score")), "replies": data.get("num_comments")},
    }
