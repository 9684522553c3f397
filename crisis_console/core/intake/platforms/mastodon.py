"""Mastodon statuses (`GET /api/v1/…`), alone, in a timeline's array, or in a notification.

- A boost has empty `content` and the boosted status in `reblog`: it is recorded as a repost
  of that status, with its text, by the account that boosted it.
- `visibility: direct` is a private mention: kind `dm`.
- `spoiler_text`, the content warning, is kept and shown before the text.
- A local account's `acct` has no server (`sam`); the server is taken from the account's
  URL, so that `sam@a.social` and `sam@b.social` never merge.
- A status with pictures and no words keeps the pictures' descriptions as its text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from crisis_console.core.intake.platforms.common import (
    Item,
    Note,
    as_dict,
    as_list,
    html_text,
)


def is_status(obj: Mapping[str, Any]) -> bool:
    return "account" in obj and "content" in obj


def is_notification(obj: Mapping[str, Any]) -> bool:
    return "type" in obj and isinstance(obj.get("account"), dict) and "content" not in obj


def notification(obj: Mapping[str, Any]) -> Iterator[Item]:
    """A notification's status (a mention, or a reply); other kinds hold no post."""
    status = obj.get("status")
    if isinstance(status, dict) and is_status(status):
        yield status_record(status)
    else:
        yield Note(f"a Mastodon notification of type {str(obj.get('type'))[:40]!r}: no post")


def status_record(status: Mapping[str, Any]) -> Item:
    account = as_dict(status.get("account"))
    boosted = as_dict(status.get("reblog"))
    said = boosted or status
    reply_to = status.get("in_reply_to_id")
    kind = "repost" if boosted else "dm" if status.get("visibility") == "direct" else None
    return {
        "id": status.get("id"),
        "platform": "mastodon",
        "text": _text(said),
        "created_at": status.get("created_at"),
        "kind": kind or ("reply" if reply_to else "post"),
        "author": full_handle(account),
        "author_name": account.get("display_name"),
        "followers": account.get("followers_count"),
        "url": status.get("url") or boosted.get("url"),
        "in_reply_to": f"mastodon:{reply_to}" if reply_to else None,
        "repost_of": f"mastodon:{boosted.get('id')}" if boosted.get("id") else None,
        "content_warning": said.get("spoiler_text") or None,
        "engagement": {
            "likes": said.get("favourites_count"),
            "shares": said.get("reblogs_count"),
            "replies": said.get("replies_count"),
        },
    }


def full_handle(account: Mapping[str, Any]) -> Any:
    """`user@server`: a local account's `acct` is only `user`."""
    acct = account.get("acct")
    if not isinstance(acct, str) or "@" in acct:
        return acct
    url = account.get("url")
    try:
        server = urlsplit(url).hostname if isinstance(url, str) else None
    except ValueError:  # not a URL a server could have (`http://[::1`)
        server = None
    return f"{acct}@{server}" if server else acct


def _text(status: Mapping[str, Any]) -> Any:
    content = status.get("content")
    if not isinstance(content, str):
        return content  # reported by the record's check
    text = html_text(content)
    if text:
        return text
    media = [as_dict(m) for m in as_list(status.get("media_attachments"))]
    described = [
        f"[{m.get('type') or 'media'}: {m['description'].strip()}]"
        for m in media
        if isinstance(m.get("description"), str) and m["description"].strip()
    ]
    if described:
        return "\n".join(described)
    if media:
        return f"[{len(media)} attachment(s), no text]"
    return text
