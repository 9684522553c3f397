"""What working a mention leaves on it, as values: its assignment, tags and closure (one
`work` record per mention), its internal notes (a `notes` record), and the notices that tell
a team member what was assigned to them; the limits on each; and what a call over a
selection reports for each key (`Outcome`).

The records are plain JSON, the same in a folder and in the team database (whose trigger
reads `assigned.person`, `assigned.queue`, `closed` and `tags` of a `work` record: migration
0011); these functions are the only code that builds or reads them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crisis_console.core.errors import CrisisConsoleError

CLOSE_REASONS = ("spam", "duplicate", "no_reply_needed", "handled_elsewhere", "legal")
JUNK = frozenset({"spam", "duplicate"})  # reasons anyone who answers may close for
NOTE_CHARS = 4_000  # one note at most
NOTES_KEPT = 200  # notes on one mention at most: its record stays small enough to rewrite
COMMENT_CHARS = 500  # a closure's comment at most
TAG_CHARS = 32
TAGS_KEPT = 20  # tags on one mention at most
NOTICES_KEPT = 50  # notices kept for each team member, the newest
NOTICE_KEYS = 100  # mention keys one notice names at most (its `count` says how many)
NOTICE_TEXT = 500  # what a notice says at most (a rejection's comment)
ASSIGNED, REJECTED = "assigned", "rejected"  # what a notice tells
SELECTION_MAX = 5_000  # keys one call takes at most: its audit records are one append
_TAG = re.compile(r"\w[\w-]*")
_SPACES = re.compile(r"\s+")


class WorkError(CrisisConsoleError):
    """A request that cannot be done as asked (an unknown reason, a note too long, no such
    team member or queue): nothing was written."""


def normalise_tag(text: str) -> str:
    """A tag as stored and filtered on: without a leading `#`, lower case, each run of
    spaces one `-`; letters, digits, `-` and `_` only, at most `TAG_CHARS` (else
    `WorkError`, saying why). `#Refund Request` is `refund-request`."""
    tag = _SPACES.sub("-", text.strip().lstrip("#").strip()).casefold()
    if not tag:
        raise WorkError("a tag needs at least one letter or digit")
    if len(tag) > TAG_CHARS:
        raise WorkError(f"a tag is at most {TAG_CHARS} characters: {tag[:TAG_CHARS]}…")
    if not _TAG.fullmatch(tag):
        raise WorkError(f"a tag is letters, digits, - and _ only: {tag!r}")
    return tag


def check_reason(reason: str) -> str:
    if reason not in CLOSE_REASONS:
        raise WorkError(f"no close reason {reason!r}; the reasons are {', '.join(CLOSE_REASONS)}")
    return reason


def check_text(text: str, limit: int, what: str) -> str:
    """`text` stripped, within `limit` characters (else `WorkError`)."""
    text = text.strip()
    if len(text) > limit:
        raise WorkError(f"{what} is at most {limit:,} characters; this one has {len(text):,}")
    return text


@dataclass(frozen=True, slots=True)
class Assignment:
    """Who a mention is assigned to: a team member (`person`), a queue it was moved to
    (`queue`), or both (moved, then given to someone)."""

    person: str | None
    queue: str | None
    by: str
    at: datetime

    def record(self) -> dict[str, Any]:
        return {
            "person": self.person,
            "queue": self.queue,
            "by": self.by,
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_record(cls, r: Mapping[str, Any]) -> Assignment:
        return cls(r.get("person"), r.get("queue"), r["by"], datetime.fromisoformat(r["at"]))


@dataclass(frozen=True, slots=True)
class Closure:
    """Why a mention was closed without a reply, by whom and when."""

    reason: str
    comment: str
    by: str
    at: datetime

    def record(self) -> dict[str, Any]:
        return {"reason": self.reason, "comment": self.comment, "by": self.by,
                "at": self.at.isoformat()}  # fmt: skip

    @classmethod
    def from_record(cls, r: Mapping[str, Any]) -> Closure:
        return cls(r["reason"], r.get("comment", ""), r["by"], datetime.fromisoformat(r["at"]))


@dataclass(frozen=True, slots=True)
class Note:
    """An internal note: seen by the team, kept in the archive, never sent anywhere."""

    by: str
    at: datetime
    text: str

    def record(self) -> dict[str, Any]:
        return {"by": self.by, "at": self.at.isoformat(), "text": self.text}

    @classmethod
    def from_record(cls, r: Mapping[str, Any]) -> Note:
        return cls(r["by"], datetime.fromisoformat(r["at"]), r["text"])


@dataclass(frozen=True, slots=True)
class MentionWork:
    """Everything worked on one mention, for its detail pane (`WorkDesk.detail`)."""

    key: str
    assignment: Assignment | None = None
    tags: tuple[str, ...] = ()
    closure: Closure | None = None
    notes: tuple[Note, ...] = ()  # oldest first

    @property
    def assignee(self) -> str:
        """The team member it is assigned to, or ""."""
        return (self.assignment.person or "") if self.assignment else ""

    @property
    def closed(self) -> bool:
        return self.closure is not None


def work_of(
    key: str, work: Mapping[str, Any] | None, notes: Mapping[str, Any] | None
) -> MentionWork:
    """A mention's work from its `work` and `notes` records (either may be missing)."""
    w = work or {}
    return MentionWork(
        key,
        Assignment.from_record(w["assigned"]) if w.get("assigned") else None,
        tuple(w.get("tags", ())),
        Closure.from_record(w["closed"]) if w.get("closed") else None,
        tuple(Note.from_record(n) for n in (notes or {}).get("notes", ())),
    )


def work_record(work: MentionWork) -> dict[str, Any] | None:
    """The `work` record of `work` (its notes apart); None when nothing is left on it."""
    out: dict[str, Any] = {}
    if work.assignment is not None:
        out["assigned"] = work.assignment.record()
    if work.closure is not None:
        out["closed"] = work.closure.record()
    if work.tags:
        out["tags"] = list(work.tags)
    return out or None


@dataclass(frozen=True, slots=True)
class Notice:
    """Mentions assigned to a team member, for them to be told (`WorkDesk.notices`)."""

    number: int  # rising for each team member: what `seen_notices` marks read up to
    at: datetime
    by: str
    keys: tuple[str, ...]  # the first `NOTICE_KEYS` of them
    count: int  # how many were assigned in the one call
    what: str = ASSIGNED  # assigned; rejected (their draft: `text` is the comment)
    text: str = ""

    @classmethod
    def from_record(cls, r: Mapping[str, Any]) -> Notice:
        at = datetime.fromisoformat(r["at"])
        what, text = r.get("what", ASSIGNED), r.get("text", "")
        return cls(r["n"], at, r["by"], tuple(r["keys"]), r["count"], what, text)


def noticed(
    current: Mapping[str, Any] | None,
    by: str,
    at: datetime,
    keys: Sequence[str],
    what: str = "",
    text: str = "",
) -> dict[str, Any]:
    """A team member's notices record with one more notice (the oldest beyond
    `NOTICES_KEPT` dropped): mentions assigned to them, or (`what`, `text`) another thing
    they are to be told of, such as their draft rejected and why."""
    record = dict(current or {"seen": 0, "last": 0, "items": []})
    number = int(record["last"]) + 1
    item = {"n": number, "at": at.isoformat(), "by": by, "keys": list(keys[:NOTICE_KEYS]),
            "count": len(keys)}  # fmt: skip
    if what:
        item |= {"what": what, "text": text[:NOTICE_TEXT]}
    record["items"] = [*record["items"], item][-NOTICES_KEPT:]
    record["last"] = number
    return record


@dataclass(slots=True)
class Outcome:
    """What a call over a selection did with each key: `done` (changed, and audited),
    `unchanged` (already so: nothing written), `refused` (key -> why, audited as a
    refusal). A refusal of one key never stops the others."""

    done: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.refused

    def summary(self, verb: str) -> str:
        parts = [f"{verb}: {len(self.done)}"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already so")
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return ", ".join(parts)
