"""The store's keyed state, one typed repository per kind of record, each over small files.

    state/claims/       live claims only: a released or expired claim is removed, so the
                        table holds what people are working on now, not history
    state/alarms/       every harm alarm; state/open_alarms/ the unacknowledged ones;
                        state/alarm_count/ how many are open
    state/breaches/     SLA breaches, reported once per mention
    state/spikes/       spike suggestions, raised once per interval and level
    state/replies/      every reply; state/reply_index/ reply ids per mention;
                        state/replies_open/ replies still in progress (the approval queue);
                        state/answers/ the one answer per mention
    state/templates/    template approvals, by id and content hash
    state/crisis/       the crisis level and its checklist
    state/work/, notes/, notices/   mentions worked without a reply (`work_tables`)
    state/journal.json  a batch spanning several tables, until all of them are written

Records about a mention (alarms, breaches, answers, the reply index) are filed beside the
mention, a file per store segment (`partitioned`): a batch of new mentions touches one file.
The rest are spread by the hash of their key (`buckets`).

Every write that must happen once is a conditional write checked and made under one lock:
`ClaimTable.take`, `OnceTable.add_new`, `ReplyTable.take_answer`, `ReplyTable.replace_if`.
The folder lock keeps other processes out, so "once" holds across the whole store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from crisis_console.core.crisis.crisis_state import Alarm, AlarmSummary, alarm_from, alarm_record
from crisis_console.core.replies.reply_model import APPROVED, FAILED, PENDING, SENDING, Reply
from crisis_console.core.store.buckets import DEFAULT_LIMIT, Record
from crisis_console.core.store.claim_table import Claim, ClaimTable
from crisis_console.core.store.tables import (
    CRISIS,
    Tables,
    TableSet,
    anywhere,
)
from crisis_console.core.store.work_tables import WorkTable

__all__ = ["Claim", "ClaimTable", "StateStore"]  # Claim: where callers long found it

IN_PROGRESS = frozenset({PENDING, APPROVED, FAILED, SENDING})


class OnceTable:
    """Things that happen once per key: an SLA breach, a spike suggestion."""

    def __init__(self, tables: TableSet, name: str) -> None:
        self._tables, self._name, self._table = tables, name, tables.table(name)

    def add_new(
        self,
        records: Mapping[str, Record],
        log: Callable[[Mapping[str, Record]], object] | None = None,
    ) -> dict[str, Record]:
        """Store the records whose key is not yet stored; return those (the new ones).
        `log(new)` writes their audit records, with them or before them (`insert_new`)."""
        return self._tables.insert_new(self._name, records, log)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._table.get(key) is not None

    def __iter__(self) -> Iterator[tuple[str, Record]]:
        return iter(self._table)


class AlarmTable:
    """Harm alarms: every one ever raised, and the open ones apart, so that listing what needs
    acknowledging never reads the acknowledged."""

    def __init__(self, tables: TableSet) -> None:
        self._tables = tables
        self._all, self._count = tables.table("alarms"), tables.table("alarm_count")
        self._open = tables.table("open_alarms")

    def get(self, key: str) -> Alarm | None:
        record = self._all.get(key)
        return alarm_from(record) if record is not None else None

    def get_many(self, keys: Iterable[str]) -> list[Alarm]:
        return [alarm_from(r) for r in self._all.get_many(keys).values()]

    def add_new(
        self, alarms: Iterable[Alarm], log: Callable[[list[Alarm]], object] | None = None
    ) -> list[Alarm]:
        """Raise each alarm whose mention has none yet; return those raised. `log(raised)`
        runs before they are written (the audit record first)."""
        wanted = {a.key: a for a in alarms}
        with self._tables.lock:
            known = self._all.get_many(wanted)
            fresh = {k: alarm_record(a) for k, a in wanted.items() if k not in known}
            if fresh and log is not None:
                log([wanted[k] for k in fresh])
            count = {"current": {"open": self.open_count() + len(fresh)}} if fresh else {}
            self._tables.apply(
                {
                    "alarms": (fresh, []),
                    "open_alarms": (fresh, []),
                    "alarm_count": (count, []),
                }
            )
        return [wanted[k] for k in fresh]

    def raise_again(
        self, alarm: Alarm, log: Callable[[list[Alarm]], object] | None = None
    ) -> Alarm | None:
        """Open `alarm` anew where its mention's alarm is closed (acknowledged, or taken out
        of harm); None, writing nothing, where it is open or was never raised. Checked and
        written under the tables' lock: two processes raising one alarm again raise it
        once, and ring once. `log([alarm])` runs first (the audit record)."""
        with self._tables.lock:
            current = self.get(alarm.key)
            if current is None or current.open:
                return None
            if log is not None:
                log([alarm])
            self.save([alarm])
        return alarm

    def save(self, alarms: Iterable[Alarm]) -> None:
        records = {a.key: alarm_record(a) for a in alarms}
        still_open = {k: r for k, r in records.items() if r["acknowledged_at"] is None}
        closed = [k for k in records if k not in still_open]
        with self._tables.lock:
            was_open = self._open.get_many(records)
            change = len([k for k in still_open if k not in was_open]) - len(
                [k for k in closed if k in was_open]
            )
            count = {"current": {"open": self.open_count() + change}} if change else {}
            self._tables.apply(
                {
                    "alarms": (records, []),
                    "open_alarms": (still_open, closed),
                    "alarm_count": (count, []),
                }
            )

    def open_count(self) -> int:
        record = self._count.get("current")
        return int(record["open"]) if record else 0

    def round_due(self) -> datetime | None:
        """When the next reminder round is due (see `Timers`), or None when none is."""
        record = self._count.get("round")
        return datetime.fromisoformat(record["at"]) if record else None

    def set_round(self, at: datetime | None) -> None:
        changes = ({"round": {"at": at.isoformat()}}, []) if at else ({}, ["round"])
        self._tables.apply({"alarm_count": changes})

    def summary(self) -> AlarmSummary:
        """How many alarms are open, and the oldest of them: a count and one small file (or
        one indexed row), however many there are."""
        count = self.open_count()
        oldest = self._open.oldest("raised_at") if count else None
        return count, alarm_from(oldest) if oldest is not None else None

    def open(self) -> list[Alarm]:
        return sorted((alarm_from(r) for _, r in self._open), key=lambda a: a.raised_at)

    def all(self) -> list[Alarm]:
        return sorted((alarm_from(r) for _, r in self._all), key=lambda a: a.raised_at)


class ReplyTable:
    """Replies by id, the replies of each mention, those still in progress, and the one answer
    each mention may have."""

    def __init__(self, tables: TableSet) -> None:
        self._tables = tables
        self._replies, self._index = tables.table("replies"), tables.table("reply_index")
        self._open, self._answers = tables.table("replies_open"), tables.table("answers")
        self._answered: set[str] | None = None  # see `answered`
        self._cache = not getattr(tables, "shared", False)  # other processes answer too

    def get(self, reply_id: str) -> Reply | None:
        record = self._replies.get(reply_id)
        return Reply.from_record(record) if record is not None else None

    def save(self, reply: Reply) -> Reply:
        record = reply.record()
        in_progress = reply.status in IN_PROGRESS
        with self._tables.lock:  # the mention's list of replies is read, then rewritten
            ids = (self._index.get(reply.mention) or {"ids": []})["ids"]
            index = {reply.mention: {"ids": [*ids, reply.id]}} if reply.id not in ids else {}
            self._tables.apply(
                {
                    "replies": ({reply.id: record}, []),
                    "reply_index": (index, []),
                    "replies_open": (
                        {reply.id: record} if in_progress else {},
                        [] if in_progress else [reply.id],
                    ),
                }
            )
        return reply

    def replace_if(
        self,
        reply: Reply,
        condition: Callable[[Reply], bool],
        log: Callable[[], object] | None = None,
    ) -> Reply | None:
        """Save `reply` if the stored version satisfies `condition` (approve only the version
        that was reviewed); return the stored version that refused it, or None. `log` runs
        before the write, once it will happen (the audit record first)."""
        with self._tables.lock:
            current = self.get(reply.id)
            if current is None or not condition(current):
                return current
            if log is not None:
                self._tables.journaled(log)()
            self.save(reply)
            return None

    def for_mention(self, mention: str) -> list[Reply]:
        ids = (self._index.get(mention) or {"ids": []})["ids"]
        found = [Reply.from_record(r) for r in self._replies.get_many(ids).values()]
        return sorted(found, key=lambda r: r.created_at)

    def in_progress(self) -> list[Reply]:
        return sorted((Reply.from_record(r) for _, r in self._open), key=lambda r: r.created_at)

    def all(self) -> list[Reply]:
        return sorted((Reply.from_record(r) for _, r in self._replies), key=lambda r: r.created_at)

    def take_answer(self, mention: str, reply_id: str) -> str | None:
        """Record `reply_id` as the mention's one answer unless another reply already is;
        return that other reply's id, or None."""
        with self._tables.lock:
            existing = self._answers.insert_if_absent(mention, {"reply": reply_id})
            if existing is None and self._answered is not None:
                self._answered.add(mention)
        if existing is None or existing["reply"] == reply_id:
            return None
        return str(existing["reply"])

    def release_answer(self, mention: str, reply_id: str) -> None:
        """A send that failed no longer answers the mention."""
        with self._tables.lock:
            existing = self._answers.get(mention)
            if existing is not None and existing["reply"] == reply_id:
                self._answers.apply({}, [mention])
                if self._answered is not None:
                    self._answered.discard(mention)

    def answered(self) -> set[str]:
        """Every answered mention: read once, then kept current by `take_answer` and
        `release_answer` (the inbox asks on every page; the one writer makes every change)."""
        with self._tables.lock:
            if self._answered is None or not self._cache:
                self._answered = {key for key, _ in self._answers}
            return set(self._answered)

    def is_answered(self, mention: str) -> bool:
        return self._answers.get(mention) is not None

    def answered_among(self, mentions: Iterable[str]) -> set[str]:
        """Which of `mentions` are answered: one read, however many."""
        return set(self._answers.get_many(mentions))


class Singleton:
    """One record (the crisis state): a table of one key."""

    def __init__(self, tables: TableSet, name: str) -> None:
        self._table = tables.table(name)

    def get(self) -> Record | None:
        return self._table.get(CRISIS[1])

    def set(self, record: Record) -> None:
        self._table.apply({CRISIS[1]: record})


class TemplateApprovals:
    def __init__(self, tables: TableSet) -> None:
        self._table = tables.table("templates")

    def approved(self, template_id: str, sha256: str) -> bool:
        return self._table.get(f"{template_id}:{sha256}") is not None

    def approve(self, template_id: str, sha256: str, record: Record) -> None:
        self._table.apply({f"{template_id}:{sha256}": record})


@dataclass(frozen=True)
class StateStore:
    """Every typed repository of the store's state."""

    tables: TableSet
    claims: ClaimTable
    alarms: AlarmTable
    breaches: OnceTable
    spikes: OnceTable
    replies: ReplyTable
    templates: TemplateApprovals
    crisis: Singleton
    playbook: Singleton  # the playbook in force: its id and hash, who set it and when
    roster: Singleton  # a folder's team file as last accepted: its hash and contents
    work: WorkTable  # assignments, closures, tags, notes (`core/work`)

    @classmethod
    def open(
        cls,
        folder: Path,
        read_only: bool = False,
        limit: int = DEFAULT_LIMIT,
        locate: Callable[[str], str] = anywhere,
    ) -> StateStore:
        """`limit`: the most records a hash-spread file holds (smaller in tests, to show the
        bound); `locate`: the segment that holds a mention."""
        return cls.over(Tables(folder, read_only, limit, locate))

    @classmethod
    def over(cls, tables: TableSet) -> StateStore:
        """The repositories over `tables`: a folder's `Tables` or the team database's."""
        return cls(
            tables,
            ClaimTable(tables),
            AlarmTable(tables),
            OnceTable(tables, "breaches"),
            OnceTable(tables, "spikes"),
            ReplyTable(tables),
            TemplateApprovals(tables),
            Singleton(tables, CRISIS[0]),
            Singleton(tables, "playbook"),
            Singleton(tables, "roster"),
            WorkTable(tables),
        )
