"""The console's outbox rounds: replies, then notifications to the network sinks, each
network call outside the service lock (no screen and no other operator waits on a slow or
dead endpoint), one round at a time."""

from __future__ import annotations

import threading

from crisis_console.core.crisis.notify import Notifier
from crisis_console.core.replies.batch import BatchDesk
from crisis_console.core.replies.outbox import NotificationOutbox
from crisis_console.core.replies.replies import ReplyDesk
from crisis_console.core.replies.reply_model import Reply
from crisis_console.core.store.contract import MentionStore


class Delivery:
    """What goes out from this process (the leader's, in team mode)."""

    def __init__(
        self,
        lock: threading.RLock,
        replies: ReplyDesk,
        batches: BatchDesk,
        notifier: Notifier,
        store: MentionStore,
    ) -> None:
        self.lock, self.replies, self.batches = lock, replies, batches
        self.notifier, self._store = notifier, store
        self._running = threading.Lock()  # held by the one round under way

    def round(self) -> list[Reply]:
        """Deliver the replies waiting to go, each network call outside the service lock (so
        no screen and no other operator waits on a slow or dead endpoint); a failed attempt
        is tried again after a backoff. Returns the replies it finished or rescheduled."""
        # One round at a time: a round of a hundred replies outlasts the console's one-second
        # timer, and a second round would read the same replies as due and send them twice.
        if not self._running.acquire(blocking=False):
            return []
        try:
            outbox = self.replies.outbox
            with self.lock:
                done = outbox.stop_changed()
                due = outbox.due()
            for reply, outgoing in due:
                error = outbox.deliver(outgoing)
                with self.lock:
                    done.append(outbox.record(reply, error))
            self.batches.settle(r.id for r in done)  # a batch all sent ticks the step it does
            self._deliver_notifications()
            return done
        finally:
            self._running.release()

    def _deliver_notifications(self) -> None:
        """Queued notifications to the network sinks, each call outside the lock. A sink that
        failed is not tried again in the same round: a dead endpoint costs one timeout."""
        queue = self.notifier.queue
        if not isinstance(queue, NotificationOutbox) or not self._store.is_leader():
            return
        with self.lock:
            due = queue.due()
        failed: set[str] = set()
        for queued in due:
            sink = self.notifier.sink(queued.sink)
            if queued.sink in failed:
                continue
            delivered = sink is None or self.notifier.deliver(sink, queued.notification)
            if not delivered:
                failed.add(queued.sink)
            with self.lock:
                queue.record(queued, delivered)
