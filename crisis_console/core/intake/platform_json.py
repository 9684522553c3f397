"""The JSON the platforms themselves publish, turned into our documented input records.

A line of a JSONL feed may hold, instead of one of our records, what a platform's API
returned: an X API v2 response (`data` plus `includes.users`), a Mastodon status, a Reddit
comment or post (`{"kind": "t1"|"t3", "data": ...}`, or a `Listing` of them), or a Bluesky
post view (`{"uri": "at://…", "record": {"$type": "app.bsky.feed.post", …}}`). `records`
recognises the shape and yields our records; `mention_from_input` validates them as usual, so
a platform object with a missing or mistyped field is reported like any other bad record.
The field mappings are documented in the README ("Platform JSON").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

Record = dict[str, Any]

BLUESKY_POST = "app.bsky.feed.post"


def shape(obj: Mapping[str, Any]) -> str | None:
    """The platform shape `obj` has, or None if it is one of our own records."""
    if "platform" in obj:
        return None
    if "data" in obj and ("includes" in obj or _is_tweet(obj["data"])):
        return "x"
    if obj.get("kind") in ("t1", "t3", "Listing") and isinstance(obj.get("data"), dict):
        return "reddit"
    if isinstance(obj.get("record"), dict) and obj["record"].get("$type") == BLUESKY_POST:
        return "bluesky"
    if "account" in obj and "content" in obj:
        return "mastodon"
    return None


def records(obj: Mapping[str, Any], kind: str) -> Iterator[Record]:
    """Our records for a platform object of shape `kind` (one response may hold many)."""
    if kind == "x":
        yield from _x(obj)
    elif kind == "reddit":
        yield from _reddit(obj)
    elif kind == "bluesky":
        yield _bluesky(obj)
    else:
        yield _mastodon(obj)


def _is_tweet(data: Any) -> bool:
    first = data[0] if isinstance(data, list) and data else data
    return isinstance(first, dict) and "text" in first and "author_id" in first


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _x(response: Mapping[str, Any]) -> Iterator[Record]:
    users = {
        u.get("id"): u
        for u in _dict(response.get("includes")).get("users", [])
        if isinstance(u, dict)
    }
    data = response["data"]
    for tweet in data if isinstance(data, list) else [data]:
        tweet = _dict(tweet)
        user = _dict(users.get(tweet.get("author_id")))
        metrics = _dict(tweet.get("public_metrics"))
        replied = [
            r.get("id")
            for r in tweet.get("referenced_tweets") or []
            if isinstance(r, dict) and r.get("type") == "replied_to"
        ]
        handle = user.get("username")
        yield {
            "id": tweet.get("id"),
            "platform": "x",
            "text": tweet.get("text"),
            "created_at": tweet.get("created_at"),
            "kind": "reply" if replied else "post",
            "author": handle,
            "author_name": user.get("name"),
            "followers": _dict(user.get("public_metrics")).get("followers_count"),
            "verified": user.get("verified"),
            "url": f"https://x.com/{handle}/status/{tweet.get('id')}" if handle else None,
            "in_reply_to": f"x:{replied[0]}" if replied else None,
            "engagement": {
                "likes": metrics.get("like_count"),
                "shares": _sum(metrics.get("retweet_count"), metrics.get("quote_count")),
                "replies": metrics.get("reply_count"),
            },
        }


def _mastodon(status: Mapping[str, Any]) -> Record:
    account = _dict(status.get("account"))
    reply_to = status.get("in_reply_to_id")
    return {
        "id": status.get("id"),
        "platform": "mastodon",
        "text": html_text(status["content"]) if isinstance(status.get("content"), str) else None,
        "created_at": status.get("created_at"),
        "kind": "reply" if reply_to else "post",
        "author": account.get("acct"),
        "author_name": account.get("display_name"),
        "followers": account.get("followers_count"),
        "url": status.get("url"),
        "in_reply_to": f"mastodon:{reply_to}" if reply_to else None,
        "engagement": {
            "likes": status.get("favourites_count"),
            "shares": status.get("reblogs_count"),
            "replies": status.get("replies_count"),
        },
    }


def _reddit(thing: Mapping[str, Any]) -> Iterator[Record]:
    data = _dict(thing.get("data"))
    if thing.get("kind") == "Listing":
        for child in data.get("children") or []:
            if isinstance(child, dict) and child.get("kind") in ("t1", "t3"):
                yield from _reddit(child)
        return
    comment = thing.get("kind") == "t1"
    if comment:
        text = data.get("body")
    else:
        title, body = data.get("title"), data.get("selftext")
        text = f"{title}\n\n{body}" if isinstance(title, str) and body else title
    parent = data.get("parent_id")
    created = data.get("created_utc")
    permalink = data.get("permalink")
    yield {
        "id": data.get("id"),
        "platform": "reddit",
        "text": text,
        "created_at": _epoch(created) if isinstance(created, int | float) else created,
        "kind": "comment" if comment else "post",
        "author": data.get("author"),
        "url": f"https://www.reddit.com{permalink}" if isinstance(permalink, str) else None,
        # A parent id is a fullname, `t1_abc` or `t3_abc`; our key uses the bare id.
        "in_reply_to": f"reddit:{parent.split('_', 1)[-1]}" if isinstance(parent, str) else None,
        "engagement": {"likes": _whole(data.get("score")), "replies": data.get("num_comments")},
    }


def _bluesky(view: Mapping[str, Any]) -> Record:
    post, author = _dict(view.get("record")), _dict(view.get("author"))
    uri = view.get("uri")
    rkey = uri.rsplit("/", 1)[-1] if isinstance(uri, str) else None
    handle = author.get("handle")
    parent = _dict(_dict(post.get("reply")).get("parent")).get("uri")
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
        "in_reply_to": f"bluesky:{_at_id(parent)}" if isinstance(parent, str) else None,
        "engagement": {
            "likes": view.get("likeCount"),
            "shares": _sum(view.get("repostCount"), view.get("quoteCount")),
            "replies": view.get("replyCount"),
        },
    }


def _at_id(uri: str) -> str:
    """`at://did:plc:x/app.bsky.feed.post/rkey` → `did:plc:x/rkey`, our id for that post."""
    parts = uri.removeprefix("at://").split("/")
    return f"{parts[0]}/{parts[-1]}"


def _epoch(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _whole(value: Any) -> Any:
    """A Reddit score may be negative; we count likes from zero."""
    return max(value, 0) if isinstance(value, int) and not isinstance(value, bool) else value


def _sum(*values: Any) -> Any:
    numbers = [v for v in values if v is not None]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in numbers):
        return sum(numbers) if numbers else None
    return next(v for v in numbers if not isinstance(v, int) or isinstance(v, bool))


class _TextOnly(HTMLParser):
    """Mastodon sends HTML: keep the words, turn paragraphs and breaks into newlines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    """The text of an HTML fragment; markup is dropped, never interpreted."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()
