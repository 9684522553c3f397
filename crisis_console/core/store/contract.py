"""The storage contract: what every store gives the service (`MentionStore`), and the
helpers its records share. `TinyDBStore` (`store.py`) implements it in a folder, `PgStore`
(`postgres/store.py`) in the team database, behind the same contract tests.

`save` is an upsert keyed by mention key and is durable when it returns — the caller may
acknowledge only after that. A folder has one writer at a time; a second is refused naming
the first. Readers (`read_only=True`) need no lock.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol

from crisis_console.core.models import StoredMention
from crisis_console.core.store.due import Due
from crisis_console.core.store.inbox import InboxFilter, InboxPage, InboxRow
from crisis_console.core.store.state_tables import StateStore
from crisis_console.core.store.threads import ThreadIndex
from crisis_console.core.triage.spikes import Interval

# By mention key, its stored record's values as JSON, by field (`MentionStore.save`).
Encoded = Mapping[str, Mapping[str, str]]


def author_key_of(mention_record: Mapping[str, Any]) -> str:
    return f"{mention_record['platform']}:{mention_record['author']}"


class Inbox(Protocol):
    """Pages of the inbox, filtered and sorted (`InboxIndex` in a folder, `PgInbox` in team
    mode): the same filters, the same order, the same page."""

    def page(
        self,
        where: InboxFilter,
        offset: int,
        limit: int,
        level: int = 0,
        now: datetime | None = None,
    ) -> InboxPage:
        """Rows `offset`.. of those `where` keeps, at crisis `level`; whether each mention is
        answered or claimed (at `now`) is the store's own to know."""
        ...

    def by_author(self, author_key: str, limit: int = 20) -> list[InboxRow]: ...


class Reminders(Protocol):
    """What comes due when, for the timers (`DueIndex` in a folder, `PgDueIndex`)."""

    def add(self, entries: Iterable[Due]) -> None: ...
    def due(self, now: datetime, limit: int | None = None) -> list[Due]: ...
    def clear_through(self, now: datetime) -> None: ...
    def pending(self) -> int: ...


class Counts(Protocol):
    """Mentions per minute, counted as they arrive (`VolumeCounts`, `PgVolumeCounts`)."""

    def add(
        self, mentions: Iterable[tuple[datetime, bool, str]], keywords: Iterable[str]
    ) -> None: ...
    def intervals(self, end: datetime, width: timedelta, count: int) -> list[Interval]: ...


class PendingAlarms(Protocol):
    """Escalated posts stored without their alarms yet, where a backend files a batch's
    alarms in a transaction after the batch's (a database server, `atomic`): the batch's
    transaction notes the keys (`note`), the alarms' transaction clears the note (`clear`).
    A note still there later is what a process killed between the two left behind
    (`older_than`): whoever finds it raises the alarms missing, once per mention."""

    def note(self, keys: Sequence[str]) -> str | None:
        """Note `keys` in the unit of work in progress; a token for `clear` (None for none)."""
        ...

    def clear(self, token: str) -> None:
        """Forget a note, in the unit of work that files its alarms."""
        ...

    def older_than(self, age: timedelta, limit: int) -> list[tuple[str, list[str]]]:
        """Up to `limit` notes at least `age` old by the backend's own clock (the same for
        every process), oldest first: (token, keys)."""
        ...


class NoPendingAlarms:
    """`PendingAlarms` of a store that files a batch's alarms with the batch (a folder: the
    alarm is written before the mention), so nothing is ever pending."""

    def note(self, keys: Sequence[str]) -> str | None:
        return None

    def clear(self, token: str) -> None:
        return None

    def older_than(self, age: timedelta, limit: int) -> list[tuple[str, list[str]]]:
        return []


class MentionStore(Protocol):
    """Where triaged mentions live. Implementations pass `tests/core/test_store.py`."""

    @property
    def inbox(self) -> Inbox:
        """The inbox, kept current by `save`."""
        ...

    def get(self, key: str) -> StoredMention | None:
        """The mention with this key, or None."""
        ...

    def get_many(self, keys: Iterable[str]) -> dict[str, StoredMention]:
        """The stored mentions of those keys that exist, reading each part of the store once."""
        ...

    def __contains__(self, key: object) -> bool:
        """True when a mention with this key is stored (read from an index, not the record)."""
        ...

    def save(
        self,
        items: Sequence[StoredMention],
        applied: int | None = None,
        encoded: Encoded | None = None,
    ) -> None:
        """Insert or replace each item by key, all in one durable write; `applied` is the
        audit sequence number these changes were logged under. `encoded`: by item key, the
        values of its record (`stored_to_record`) as `canonical_json` writes them, where the
        caller has made them already; a backend that keeps JSON may take them instead of
        encoding again."""
        ...

    def all(self) -> list[StoredMention]:
        """Every stored mention, in no particular order."""
        ...

    def iter_all(self) -> Iterator[StoredMention]:
        """Every stored mention, a part of the store in memory at a time."""
        ...

    def recent(self, since: datetime) -> Iterator[StoredMention]:
        """The mentions stored at or after `since` (perhaps a few before), without reading
        the rest of the store."""
        ...

    def recent_rows(self, since: datetime) -> Iterator[Sequence[Any]]:
        """The index rows (`segment_index.entry`) of the segments that can hold mentions
        stored at or after `since`: no record is read or built (reports)."""
        ...

    def overdue_among(self, keys: Iterable[str], now: datetime) -> dict[str, tuple[str, datetime]]:
        """Of these mentions, those past their deadline at `now` and neither deleted,
        answered nor closed (`core/work`): key -> (queue, deadline), the queue the one it was
        moved to if it was. What the SLA timer needs, in one read, with no mention built."""
        ...

    def author_posts(self, author_key: str) -> int:
        """How many stored mentions this author (`platform:handle`) has made."""
        ...

    def author_counts(self, author_keys: Iterable[str]) -> dict[str, int]:
        """`author_posts` of each of these authors who has any, in one read."""
        ...

    @property
    def applied(self) -> int:
        """The last audit sequence number whose mentions are in the store."""
        ...

    def fingerprint(self, key: str) -> int | None:
        """A short digest of the stored mention's content (see `fingerprint`), or None."""
        ...

    def fingerprints(self, keys: Iterable[str]) -> dict[str, int]:
        """`fingerprint` of each of these keys that is stored, in one read."""
        ...

    state: StateStore  # claims, alarms, breaches, replies...: one repository each

    @property
    def threads(self) -> ThreadIndex:
        """The mentions answering each post (`store/threads.py`), filed by ingest."""
        ...

    @property
    def due(self) -> Reminders:
        """What comes due when, for the timers."""
        ...

    @property
    def pending_alarms(self) -> PendingAlarms:
        """Batches stored whose alarms may not be filed yet (see `PendingAlarms`)."""
        ...

    @property
    def volume(self) -> Counts:
        """Mentions per minute, counted as they arrive."""
        ...

    def replay(self, items: Sequence[StoredMention], applied: int) -> None:
        """Apply records the audit log holds past the store's checkpoint (recovery; a
        reader keeps them in memory)."""
        ...

    read_only: bool
    shared: bool  # other processes write to it too (team mode): see `changes`
    atomic: bool  # `together` is one transaction, all of it or none (a database server)

    def together(self) -> AbstractContextManager[None]:
        """A block whose writes, the audit log's appends among them, become one durable
        write where the backend can make them one: on a database server one transaction
        (all of them or none, committed at the block's end, and nothing left for recovery
        to replay), so a mention event appended in it must be stored in it too. In a
        folder each write is its own, as it goes (the audit record first)."""
        ...

    def is_leader(self) -> bool:
        """Whether this process runs the timers and the outboxes: a folder's one writer
        always; in team mode, the one process holding the leader lock (taken over when
        its holder dies)."""
        ...

    def changes(self, stop: threading.Event) -> Iterator[set[str]]:
        """What other processes change, as it happens: a set of the tables changed each time
        something is, until `stop` is set (team mode's change feed; a folder has one writer,
        so it yields nothing and returns when `stop` is set)."""
        ...

    def close(self) -> None:
        """Release the folder; the store is unusable afterwards."""
        ...


def stored_fingerprint(stored: StoredMention) -> int:
    """`fingerprint` of `stored`'s record, without making the record."""
    return fingerprint(
        {"mention": {"text": stored.triage.mention.text}, "deleted_at": stored.deleted_at}
    )


def fingerprint(record: Mapping[str, Any]) -> int:
    """The mention's text and whether it is deleted: what makes a repeat a duplicate. A small
    integer, because the store keeps one per mention in memory."""
    text = record["mention"]["text"]
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") ^ (1 if record.get("deleted_at") else 0)
