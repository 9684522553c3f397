"""A stored mention as the reports read it: nine fields, from the mention or straight from
the store's index rows, without building the mention."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from crisis_console.core.models import SentimentLabel, StoredMention


class Post(NamedTuple):
    """What the figures read of a stored mention: the fields of its index row too
    (`segment_index.entry`), so a store may hand these out without building the mention."""

    key: str
    created_at: datetime
    platform: str
    category: str
    urgency: str
    negative: bool
    queue: str
    respond_within_minutes: int
    deleted: bool


def post_of(m: StoredMention | Post) -> Post:
    if isinstance(m, Post):
        return m
    mention, c, route = m.triage.mention, m.triage.classification, m.triage.route
    negative = c.sentiment.label is SentimentLabel.NEGATIVE
    return Post(mention.key, mention.created_at, mention.platform.value, c.category.value,
                c.urgency.value, negative, route.queue.value, route.respond_within_minutes,
                m.deleted_at is not None)  # fmt: skip


def post_from_row(e: Sequence[Any]) -> Post:
    """A post from a store's index row (`segment_index.entry`), without the record."""
    created = datetime.fromisoformat(e[8])
    return Post(e[0], created, e[2], e[13], e[12], e[14] == "negative", e[10], e[9], e[16])
