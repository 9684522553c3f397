"""The outbox: replies on their way to the platform, delivered exactly once per idempotency key;
and notifications on their way to the team's webhooks, email and files (`NotificationOutbox`).

A reply is saved as `sending` before any network call; that saved reply is the outbox entry,
and its id is the idempotency key. Delivery happens in three steps so that the network call
holds no lock and blocks no screen:

    due()       under the service lock: the replies whose next attempt has come
    deliver()   no lock: the sender's network call, whose answer is an error or ""
    record()    under the service lock: sent; or another attempt after a backoff; or failed

A crash at any point leaves the reply in `sending`; the next worker (or `resume`) delivers it
again with the same key, and the sender publishes a key once (`JsonlOutbox` remembers keys; a
webhook endpoint honours `Idempotency-Key`). So a reply goes out exactly once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from crisis_console.core.actions import Action
from crisis_console.core.archive.audit import Audit, AuditEvent
from crisis_console.core.crisis.notify import Notification
from crisis_console.core.models import Clock
from crisis_console.core.replies.reply_model import FAILED, SENDING, SENT, Reply
from crisis_console.core.replies.senders import Outgoing, Sender, SendError
from crisis_console.core.store.contract import MentionStore
from crisis_console.core.store.tables import KeyedTable

MAX_ATTEMPTS = 6  # then the reply is shown as failed, to be sent again by hand
MAX_BACKOFF = timedelta(minutes=5)
log = logging.getLogger("crisis_console.outbox")


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt: 2, 4, 8... seconds, at most five minutes."""
    return min(timedelta(seconds=2**attempts), MAX_BACKOFF)


class ReplyOutbox:
    """Delivers `sending` replies through the sender; see the module docstring."""

    def __init__(self, store: MentionStore, audit: Audit, sender: Sender, clock: Clock) -> None:
        self._store, self._audit, self.sender, self._clock = store, audit, sender, clock

    def outgoing(self, reply: Reply) -> Outgoing:
        stored = self._store.get(reply.mention)
        url, platform = (
            ("", "")
            if stored is None
            else (
                stored.triage.mention.url,
                stored.triage.mention.platform.value,
            )
        )
        return Outgoing(reply.id, reply.mention, url, platform, reply.text, reply.sent_by)

    def due(self) -> list[tuple[Reply, Outgoing]]:
        """Replies waiting to go whose next attempt has come, with what to send: none but
        in the leader (`MentionStore.is_leader`), so that each goes out from one process."""
        if not self._store.is_leader():
            return []
        now = self._clock()
        return [
            (r, self.outgoing(r))
            for r in self._store.state.replies.in_progress()
            if r.status == SENDING
            and r.as_approved
            and (r.next_attempt_at is None or r.next_attempt_at <= now)
        ]

    def stop_changed(self) -> list[Reply]:
        """Fail, undelivered, each reply on its way whose stored text is no longer the text
        approved (someone edited the store since): checked again at the moment of sending."""
        if not self._store.is_leader():
            return []
        return [
            self.record(r, "its text changed after it was approved: not sent", final=True)
            for r in self._store.state.replies.in_progress()
            if r.status == SENDING and not r.as_approved
        ]

    def deliver(self, outgoing: Outgoing) -> str:
        """The network call: "" when the sender took it, else why not. Holds no lock."""
        try:
            self.sender.deliver(outgoing)
        except SendError as exc:
            return str(exc)
        return ""

    def record(self, reply: Reply, error: str, final: bool = False) -> Reply:
        """What the attempt came to, saved and audited. `final`: no retry (a person is waiting
        for the answer, as at the command line)."""
        now = self._clock()

        def event(action: str, data: Mapping[str, object]) -> AuditEvent:
            return AuditEvent(action, reply.mention, reply.sent_by or reply.author, now, data)

        if not error:
            sent = replace(reply, status=SENT, sent_at=now, error="", next_attempt_at=None)
            self._store.state.replies.save(sent)
            data = {"reply": reply.id, "sender": self.sender.name, "text": reply.text}
            self._audit.append([event(Action.SEND, data)])
            return sent
        attempts = reply.attempts + 1
        if final or attempts >= MAX_ATTEMPTS:
            failed = replace(reply, status=FAILED, error=error, attempts=attempts)
            self._store.state.replies.save(failed)
            self._store.state.replies.release_answer(reply.mention, reply.id)
            self._audit.append([event(Action.SEND_FAILED, {"reply": reply.id, "error": error})])
            return failed
        later = replace(
            reply, error=error, attempts=attempts, next_attempt_at=now + backoff(attempts)
        )
        self._store.state.replies.save(later)
        retry: dict[str, object] = {"reply": reply.id, "error": error, "attempt": attempts}
        self._audit.append([event(Action.SEND_RETRYING, retry)])
        return later

    def send_now(self, reply: Reply) -> Reply:
        """Deliver one reply at once and record the answer, with no retry scheduled."""
        return self.record(reply, self.deliver(self.outgoing(reply)), final=True)

    def resume(self) -> list[Reply]:
        """Deliver what a crash left in `sending`, at once (the same key: published once)."""
        stopped = self.stop_changed()
        return stopped + [self.send_now(r) for r, _ in self.due()]


@dataclass(frozen=True, slots=True)
class Queued:
    """A notification waiting for one sink."""

    id: str
    notification: Notification
    sink: str
    attempts: int


class NotificationOutbox:
    """Notifications for the network sinks, kept until delivered (a small table: only what
    waits). A sink that keeps failing gets `MAX_ATTEMPTS` tries with backoff, then the
    notification is dropped with an error in the log (the console and the audit log had it
    already)."""

    def __init__(self, table: KeyedTable, clock: Clock) -> None:
        self._table, self._clock = table, clock

    def put(self, notification: Notification, sink: str) -> None:
        record = {"n": notification.record(), "sink": sink, "attempts": 0, "next": ""}
        self._table.apply({uuid.uuid4().hex: record})

    def due(self) -> list[Queued]:
        now = self._clock().isoformat()
        return sorted(
            (
                Queued(key, Notification.from_record(r["n"]), r["sink"], r["attempts"])
                for key, r in self._table
                if r["next"] <= now
            ),
            key=lambda q: q.notification.at,
        )

    def record(self, queued: Queued, delivered: bool) -> None:
        if delivered:
            self._table.apply({}, [queued.id])
            return
        attempts = queued.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            log.error("gave up on notification %s to %s", queued.notification.title, queued.sink)
            self._table.apply({}, [queued.id])
            return
        later = (self._clock() + backoff(attempts)).isoformat()
        record = {"n": queued.notification.record(), "sink": queued.sink}
        self._table.apply({queued.id: {**record, "attempts": attempts, "next": later}})

    def waiting(self) -> int:
        return len(self._table)
