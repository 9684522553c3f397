"""The domain's values: frozen dataclasses and string enums, no behaviour beyond conversion.

Every record that crosses a boundary (the store, the audit log, the `triage` output)
goes through `to_record` / `*_from_record` here, so the shape lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware. Injected so tests can fix it."""


def system_clock() -> datetime:
    """The real clock, in UTC."""
    return datetime.now(UTC)


class Platform(StrEnum):
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    REDDIT = "reddit"
    LINKEDIN = "linkedin"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    REVIEW = "review"
    OTHER = "other"


class Kind(StrEnum):
    POST = "post"
    COMMENT = "comment"
    REPLY = "reply"
    DM = "dm"
    REVIEW = "review"
    REPOST = "repost"  # a retweet, boost or repost: someone passing on another's post


class Urgency(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for the most urgent; used to sort."""
        return _URGENCY_ORDER.index(self)


_URGENCY_ORDER = [Urgency.CRITICAL, Urgency.HIGH, Urgency.NORMAL, Urgency.LOW]


class Category(StrEnum):
    SAFETY = "safety"
    SELF_HARM = "self_harm"
    THREAT = "threat"
    LEGAL = "legal"
    DATA_BREACH = "data_breach"
    MEDIA = "media"
    COMPLAINT = "complaint"
    QUESTION = "question"
    PRAISE = "praise"
    SPAM = "spam"
    OTHER = "other"


class SentimentLabel(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Role(StrEnum):
    SOCIAL = "social"
    PR = "pr"
    SUPPORT = "support"
    LEGAL = "legal"
    LEAD = "lead"
    AUDITOR = "auditor"


@dataclass(frozen=True, slots=True)
class Engagement:
    likes: int = 0
    shares: int = 0
    replies: int = 0


@dataclass(frozen=True, slots=True)
class Mention:
    """One inbound post, comment, reply, DM or review. `key` is `platform:native_id`."""

    native_id: str
    platform: Platform
    text: str
    created_at: datetime
    kind: Kind = Kind.POST
    author: str = ""
    author_name: str = ""
    followers: int = 0
    verified: bool = False
    url: str = ""
    in_reply_to: str = ""
    engagement: Engagement = field(default_factory=Engagement)
    repost_of: str = ""  # the key of the post a repost passes on (its text is that post's)
    content_warning: str = ""  # shown before the text (Mastodon's spoiler_text)

    @property
    def key(self) -> str:
        return f"{self.platform.value}:{self.native_id}"

    @property
    def words(self) -> str:
        """What the post says, as triage reads it: a content warning names the post's subject
        ("suicide", "burn photo"), so it is read before the text."""
        return f"{self.content_warning}\n\n{self.text}" if self.content_warning else self.text


@dataclass(frozen=True, slots=True)
class Sentiment:
    """`compound` is the adjusted score in [-1, 1]; `vader` is VADER's own, kept to compare."""

    label: SentimentLabel
    compound: float
    vader: float


@dataclass(frozen=True, slots=True)
class Classification:
    """What the classifier decided and, in `reasons`, why — in words a person reads."""

    sentiment: Sentiment
    urgency: Urgency
    category: Category
    escalate: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Route:
    """Where a mention goes: the queue (a role), the first-response SLA, the rule that chose it.

    `levels` holds the queue and rule the mention takes at each crisis level, worked out when
    it arrived, so that a level change re-routes every mention without rewriting any of them.
    The SLA stays the one in force when the mention arrived: `sla_level` is the level it was
    routed at then (None in a record written before it was kept), and an edit or a person's
    correction routes it at that level again (`Triager.arrival_level`)."""

    queue: Role
    respond_within_minutes: int
    escalate: bool
    rule: str
    levels: tuple[tuple[int, Role, str], ...] = ()
    sla_level: int | None = None

    def at(self, level: int) -> Route:
        """This route as it stands at crisis `level` (its SLA unchanged)."""
        for number, queue, rule in self.levels:
            if number == level:
                if queue is self.queue and rule == self.rule:
                    return self
                return replace(self, queue=queue, rule=rule)
        return self


@dataclass(frozen=True, slots=True)
class Triage:
    """A mention with its classification and route: the unit the inbox shows."""

    mention: Mention
    classification: Classification
    route: Route

    @property
    def deadline(self) -> datetime:
        return self.mention.created_at + timedelta(minutes=self.route.respond_within_minutes)


@dataclass(frozen=True, slots=True)
class MentionVersion:
    """An earlier text of a mention, kept when the platform reports an edit."""

    text: str
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class StoredMention:
    """A triaged mention as the store keeps it, with its earlier versions."""

    triage: Triage
    ingested_at: datetime
    history: tuple[MentionVersion, ...] = ()
    deleted_at: datetime | None = None  # a tombstone: hidden from queues, kept in the archive

    @property
    def key(self) -> str:
        return self.triage.mention.key


# --- records: plain JSON-compatible dicts ------------------------------------------------
# An enum's string is read as `_value_` (the same string as `.value`) where a record is made:
# `.value` goes through the enum's descriptor, and ingest makes a dozen of them per mention.


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def mention_to_record(m: Mention) -> dict[str, Any]:
    platform, e = m.platform._value_, m.engagement
    record = {
        "id": f"{platform}:{m.native_id}",
        "native_id": m.native_id,
        "platform": platform,
        "kind": m.kind._value_,
        "author": m.author,
        "author_name": m.author_name,
        "followers": m.followers,
        "verified": m.verified,
        "text": m.text,
        "url": m.url,
        "created_at": m.created_at.isoformat(),
        "in_reply_to": m.in_reply_to,
        "engagement": {"likes": e.likes, "shares": e.shares, "replies": e.replies},
    }
    # Written only when set, so that an ordinary post's record (and its archive hash) is
    # what it was before these fields existed.
    if m.repost_of:
        record["repost_of"] = m.repost_of
    if m.content_warning:
        record["content_warning"] = m.content_warning
    return record


def mention_from_record(r: Mapping[str, Any]) -> Mention:
    e = r.get("engagement") or {}
    return Mention(
        native_id=r["native_id"],
        platform=Platform(r["platform"]),
        kind=Kind(r["kind"]),
        author=r["author"],
        author_name=r["author_name"],
        followers=r["followers"],
        verified=r["verified"],
        text=r["text"],
        url=r["url"],
        created_at=_parse_time(r["created_at"]),
        in_reply_to=r["in_reply_to"],
        engagement=Engagement(e.get("likes", 0), e.get("shares", 0), e.get("replies", 0)),
        repost_of=r.get("repost_of", ""),
        content_warning=r.get("content_warning", ""),
    )


def _sentiment_record(s: Sentiment) -> dict[str, Any]:
    return {"label": s.label._value_, "compound": s.compound, "vader": s.vader}


def classification_to_record(c: Classification) -> dict[str, Any]:
    return {
        "sentiment": _sentiment_record(c.sentiment),
        "urgency": c.urgency._value_,
        "category": c.category._value_,
        "escalate": c.escalate,
        "reasons": list(c.reasons),
    }


def classification_from_record(r: Mapping[str, Any]) -> Classification:
    s = r["sentiment"]
    return Classification(
        sentiment=Sentiment(
            SentimentLabel(s["label"]), s["compound"], s.get("vader", s["compound"])
        ),
        urgency=Urgency(r["urgency"]),
        category=Category(r["category"]),
        escalate=r["escalate"],
        reasons=tuple(r["reasons"]),
    )


def route_to_record(route: Route) -> dict[str, Any]:
    record: dict[str, Any] = {
        "queue": route.queue._value_,
        "respond_within_minutes": route.respond_within_minutes,
        "escalate": route.escalate,
        "rule": route.rule,
        "levels": [[n, q._value_, rule] for n, q, rule in route.levels],
    }
    # Written only when known, so that a record made before it was kept reads back, and is
    # written again, exactly as it was (the archive compares stored records with its own).
    if route.sla_level is not None:
        record["sla_level"] = route.sla_level
    return record


def route_from_record(r: Mapping[str, Any]) -> Route:
    levels = tuple((n, Role(q), rule) for n, q, rule in r.get("levels", ()))
    return Route(
        Role(r["queue"]),
        r["respond_within_minutes"],
        r["escalate"],
        r["rule"],
        levels,
        r.get("sla_level"),
    )


def triage_output(t: Triage) -> dict[str, Any]:
    """The documented one-line-per-mention shape of `crisis-console triage`."""
    c, r = t.classification, t.route
    return {
        "id": t.mention.key,
        "sentiment": _sentiment_record(c.sentiment),
        "urgency": c.urgency.value,
        "category": c.category.value,
        "reasons": list(c.reasons),
        "queue": r.queue.value,
        "respond_within_minutes": r.respond_within_minutes,
        "escalate": r.escalate,
        "rule": r.rule,
    }


def stored_to_record(s: StoredMention) -> dict[str, Any]:
    t = s.triage
    mention = mention_to_record(t.mention)
    return {
        "id": mention["id"],
        "mention": mention,
        "classification": classification_to_record(t.classification),
        "route": route_to_record(t.route),
        "ingested_at": s.ingested_at.isoformat(),
        "history": [{"text": v.text, "seen_at": v.seen_at.isoformat()} for v in s.history],
        "deleted_at": s.deleted_at.isoformat() if s.deleted_at else None,
    }


def stored_from_record(r: Mapping[str, Any]) -> StoredMention:
    return StoredMention(
        triage=Triage(
            mention=mention_from_record(r["mention"]),
            classification=classification_from_record(r["classification"]),
            route=route_from_record(r["route"]),
        ),
        ingested_at=_parse_time(r["ingested_at"]),
        history=tuple(MentionVersion(v["text"], _parse_time(v["seen_at"])) for v in r["history"]),
        deleted_at=_parse_time(r["deleted_at"]) if r.get("deleted_at") else None,
    )
