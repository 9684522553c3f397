"""Bluesky as its API returns it: a post view alone (`uri`, `author`, `record`), a feed
(`getAuthorFeed`, `getTimeline`: `{"feed": [{"post", "reason"}]}`), a thread
(`getPostThread`: `{"thread": {"post", "parent", "replies"}}`, nested), a list of posts
(`searchPosts`, `getPosts`: `{"posts": [...]}`) or notifications (`listNotifications`).

- A feed item with a `reasonRepost` is recorded as a repost of the post, by the account
  that reposted it, at the time it did.
- A thread's posts are read parents first, then the post, then its replies at any depth.
  A post the thread could not show (not found, blocked) is told, not guessed at.
- A post view carries no follower count: reach cannot raise a Bluesky post's urgency
  unless the line says `followersCount` itself (README, "Platform JSON").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from crisis_console.core.intake.platforms.common import (
    Item,
    Note,
    as_dict,
    as_list,
    each,
    one,
    plural,
    total,
)

POST = "app.bsky.feed.post"
REPOST_REASON = "app.bsky.feed.defs#reasonRepost"
NOT_SHOWN = {
    "app.bsky.feed.defs#notFoundPost": "not found",
    "app.bsky.feed.defs#blockedPost": "blocked",
}
WRAPPERS = ("feed", "thread", "posts", "notifications")


def is_post_view(obj: Mapping[str, Any]) -> bool:
    return as_dict(obj.get("record")).get("$type") == POST


def wrapper(obj: Mapping[str, Any]) -> str | None:
    """Which of the API's answers `obj` is, or None."""
    if isinstance(obj.get("thread"), dict):
        return "thread"
    for key in ("feed", "posts", "notifications"):
        items = obj.get(key)
        if isinstance(items, list):
            first = next((i for i in items if isinstance(i, dict)), None)
            if (first is None and set(obj) <= {key, "cursor", "hitsTotal"}) or (
                first is not None and _looks_bluesky(first, key)
            ):
                return key
    return None


def _looks_bluesky(item: Mapping[str, Any], key: str) -> bool:
    view = as_dict(item.get("post")) if key == "feed" else item
    return isinstance(view.get("uri"), str) and view["uri"].startswith("at://")


def answer(obj: Mapping[str, Any], key: str) -> Iterator[Item]:
    if key == "thread":
        unseen: dict[str, int] = {}
        yield from _thread(as_dict(obj["thread"]), unseen, up=True, down=True)
        for why, n in unseen.items():
            yield Note(f"{plural(n, 'post')} in the thread not shown by Bluesky ({why})")
    elif not obj[key]:
        yield Note(f"a Bluesky answer with no {key}")
    elif key == "feed":
        yield from each(obj["feed"], _feed_item, "feed item")
    elif key == "posts":
        yield from each(obj["posts"], post_record, "post")
    else:
        yield from each(obj["notifications"], _notification, "notification")


def _notification(note: Mapping[str, Any]) -> Item:
    if is_post_view(note):
        return post_record(note)
    return Note(f"a Bluesky notification ({str(note.get('reason'))[:40]}): no post")


def _thread(
    node: Mapping[str, Any], unseen: dict[str, int], up: bool, down: bool
) -> Iterator[Item]:
    """A thread view's posts: its parents' (`up`), its own, its replies' (`down`)."""
    kind = str(node.get("$type"))
    if kind in NOT_SHOWN or node.get("notFound") or node.get("blocked"):
        why = NOT_SHOWN.get(kind, "not found" if node.get("notFound") else "blocked")
        unseen[why] = unseen.get(why, 0) + 1
        return
    parent = node.get("parent")
    if up and isinstance(parent, dict):
        yield from _thread(parent, unseen, up=True, down=False)
    if "post" in node:
        yield one(node["post"], post_record, "a post of the thread")
    for reply in as_list(node.get("replies")) if down else ():
        if isinstance(reply, dict):
            yield from _thread(reply, unseen, up=False, down=True)


def _feed_item(item: Mapping[str, Any]) -> Item:
    view, reason = as_dict(item.get("post")), as_dict(item.get("reason"))
    record = post_record(view)
    if reason.get("$type") != REPOST_REASON or not isinstance(record, dict):
        return record
    by = as_dict(reason.get("by"))
    handle, original, did = by.get("handle"), record["id"], by.get("did")
    repost_uri = reason.get("uri")
    rkey = repost_uri.rsplit("/", 1)[-1] if isinstance(repost_uri, str) else None
    return record | {
        # A repost record has its own key; an older answer names only who reposted.
        "id": (f"{did}/{rkey}" if rkey else f"{did}/repost:{original}") if did else None,
        "kind": "repost",
        "created_at": reason.get("indexedAt") or record["created_at"],
        "author": handle,
        "author_name": by.get("displayName"),
        "followers": by.get("followersCount"),
        "url": record["url"],
        "in_reply_to": None,
        "repost_of": f"bluesky:{original}" if original else None,
        "engagement": None,
    }


def post_record(view: Mapping[str, Any]) -> Item:
    post, author = as_dict(view.get("record")), as_dict(view.get("author"))
    uri = view.get("uri")
    rkey = uri.rsplit("/", 1)[-1] if isinstance(uri, str) else None
    handle = author.get("handle")
    parent = as_dict(as_dict(post.get("reply")).get("parent")).get("uri")
    return {
        # The record key is unique per author only, so the id carries the author's DID too.
        "id": f"{author.get('did')}/{rkey}" if rkey and author.get("did") else None,
        "platform": "bluesky",
        "text": post.get("text"),
        "created_at": post.get("createdAt"),
        "kind": "reply" if parent else "post",
        "author": handle,
        "author_name": author.get("displayName"),
        "followers": author.get("followersCount"),
        "url": f"https://bsky.app/profile/{handle}/post/{rkey}" if handle and rkey else None,
        "in_reply_to": f"bluesky:{at_id(parent)}" if isinstance(parent, str) else None,
        "engagement": {
            "likes": view.get("likeCount"),
            "shares": total(view.get("repostCount"), view.get("quoteCount")),
            "replies": view.get("replyCount"),
        },
    }


def at_id(uri: str) -> str:
    """`at://did:plc:x/app.bsky.feed.post/rkey` → `did:plc:x/rkey`, our id for that post."""
    parts = uri.removeprefix("at://").split("/")
    return f"{parts[0]}/{parts[-1]}"
