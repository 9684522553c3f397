"""X API v2: a response (`data` with `includes`), or one tweet a line as twarc2's `flatten`
writes it (the author and referenced tweets embedded in the tweet).

- A long post's whole text is in `note_tweet.text`; `text` holds its first 280 characters.
- A retweet's own `text` is cut short (`RT @user: …`). It is recorded as a repost of the
  original (kind `repost`, `repost_of` the original's key), with the original's whole text
  from `includes.tweets`, by the account that retweeted it.
- Its text has `&`, `<` and `>` as HTML entities: they are read back as the characters.
- An edit arrives with a new id and `edit_history_tweet_ids`, oldest first: it is stored
  under the first id, so that it becomes a new version of the mention already held.
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
    total,
)

RETWEETED, REPLIED_TO = "retweeted", "replied_to"


def is_tweet(data: Any) -> bool:
    first = data[0] if isinstance(data, list) and data else data
    return isinstance(first, dict) and "text" in first and "author_id" in first


def is_flattened(obj: Mapping[str, Any]) -> bool:
    """twarc2 `flatten`: a tweet with its `author` object inside it, and no `data`."""
    return "data" not in obj and is_tweet(obj) and isinstance(obj.get("author"), dict)


def response(obj: Mapping[str, Any]) -> Iterator[Item]:
    """Our records for an X API v2 response."""
    includes = as_dict(obj.get("includes"))
    users = _by_id(includes.get("users"))
    tweets = _by_id(includes.get("tweets"))
    data = obj.get("data")
    if data is None:
        why = "; ".join(
            str(as_dict(e).get("detail") or as_dict(e).get("title") or "")[:200]
            for e in as_list(obj.get("errors"))
        )
        yield Note(f"an X API response without tweets{': ' + why if why else ''}")
        return

    def record(tweet: Mapping[str, Any]) -> Item:
        return _record(tweet, as_dict(users.get(tweet.get("author_id"))), tweets)

    yield from each(_oldest_first(data if isinstance(data, list) else [data]), record, "tweet")


def flattened(tweet: Mapping[str, Any]) -> Iterator[Item]:
    """Our record for one twarc2 `flatten` line; its referenced tweets are embedded in
    `referenced_tweets`, each with its own text."""
    embedded = {
        ref.get("id"): ref
        for ref in as_list(tweet.get("referenced_tweets"))
        if isinstance(ref, dict) and "text" in ref
    }
    yield one(tweet, lambda t: _record(t, as_dict(t.get("author")), embedded), "tweet")


def _by_id(items: Any) -> dict[Any, Mapping[str, Any]]:
    return {
        i["id"]: i for i in as_list(items) if isinstance(i, dict) and isinstance(i.get("id"), str)
    }


def _oldest_first(tweets: list[Any]) -> list[Any]:
    """The versions of an edited tweet in the order they were made, each in the place one of
    them had (a search lists the newest first, and an older version read after a newer one
    would become the current text)."""
    places: dict[str, list[int]] = {}
    for n, tweet in enumerate(tweets):
        first = _first_version(tweet) if isinstance(tweet, dict) else None
        if isinstance(first, str):
            places.setdefault(first, []).append(n)
    ordered = list(tweets)
    for found in places.values():
        if len(found) > 1:
            versions = sorted((tweets[n] for n in found), key=_version)
            for n, tweet in zip(found, versions, strict=True):
                ordered[n] = tweet
    return ordered


def _version(tweet: Mapping[str, Any]) -> int:
    history = as_list(tweet.get("edit_history_tweet_ids"))
    own = tweet.get("id")
    return history.index(own) if own in history else len(history)


def _refs(tweet: Mapping[str, Any], kind: str) -> list[Any]:
    return [
        r.get("id")
        for r in as_list(tweet.get("referenced_tweets"))
        if isinstance(r, dict) and r.get("type") == kind
    ]


def _full_text(tweet: Mapping[str, Any]) -> Any:
    note = as_dict(tweet.get("note_tweet")).get("text")
    text = note if isinstance(note, str) and note.strip() else tweet.get("text")
    return _unescaped(text) if isinstance(text, str) else text


def _unescaped(text: str) -> str:
    """X sends a post's `&`, `<` and `>` as HTML entities (and nothing else): the words as
    written, with `&amp;lt;` staying the `&lt;` its author typed."""
    if "&" not in text:
        return text
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _record(
    tweet: Mapping[str, Any], user: Mapping[str, Any], referenced: Mapping[Any, Any]
) -> Item:
    metrics = as_dict(tweet.get("public_metrics"))
    replied, retweeted = _refs(tweet, REPLIED_TO), _refs(tweet, RETWEETED)
    handle = user.get("username")
    own_id = tweet.get("id")
    text, kind = _full_text(tweet), "reply" if replied else "post"
    if retweeted:
        kind = "repost"
        original = as_dict(referenced.get(retweeted[0]))
        text = _full_text(original) if original else text
    return {
        "id": _first_version(tweet),
        "platform": "x",
        "text": text,
        "created_at": tweet.get("created_at"),
        "kind": kind,
        "author": handle,
        "author_name": user.get("name"),
        "followers": as_dict(user.get("public_metrics")).get("followers_count"),
        "verified": user.get("verified"),
        "url": f"https://x.com/{handle}/status/{own_id}" if handle else None,
        "in_reply_to": f"x:{replied[0]}" if replied else None,
        "repost_of": f"x:{retweeted[0]}" if retweeted else None,
        "engagement": {
            "likes": metrics.get("like_count"),
            "shares": total(metrics.get("retweet_count"), metrics.get("quote_count")),
            "replies": metrics.get("reply_count"),
        },
    }


def _first_version(tweet: Mapping[str, Any]) -> Any:
    """An edited tweet's first id, under which its mention is kept; else its own id."""
    history = as_list(tweet.get("edit_history_tweet_ids"))
    first = history[0] if history else None
    return first if isinstance(first, str) and first else tweet.get("id")
