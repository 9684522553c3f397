"""The semantic second pass: posts the word lists did not escalate, judged again by
`SemanticJudge`, behind the fast path.

Ingest stores and routes every post first; the keys it stored without escalating join this
desk's queue (`submit`). `work` takes a batch off the queue, reads the posts, judges them
outside the service's lock (the model's forward pass is the slow part: the inbox, claims and
sends never wait for it), then, under the lock, raises each post judged harm: the category of
its kind, at least that category's urgency (never lower than it was), to the lead with an
alarm, and a reason naming the example it read like. Only a post still as it was judged is
raised (an edit or a person's correction in between wins), and never one a person has
reclassified. Each raise is audited as
`mention.second_opinion` with the whole stored mention (recovery replays it), by the system,
naming the operator whose process ran it.

The queue lives in the process: after a crash, `crisis-console second-opinion --all` judges
every stored post again (a post raised already is skipped).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from crisis_console.core.actions import Action
from crisis_console.core.archive.audit import AuditEvent
from crisis_console.core.context import OperatorContext
from crisis_console.core.crisis.crisis import CrisisDesk
from crisis_console.core.crisis.crisis_state import Alarm
from crisis_console.core.models import Classification, StoredMention, stored_to_record
from crisis_console.core.store.due import Due
from crisis_console.core.triage.classify import read_as_english
from crisis_console.core.triage.corrections import CORRECTED_BY
from crisis_console.core.triage.embedding import BATCH
from crisis_console.core.triage.semantic import Opinion, SemanticJudge

SECOND_OPINION_ACTOR = "system:second-opinion"  # no login has a colon
MAX_QUEUED = 200_000  # posts waiting; more are counted as left, for `second-opinion` to judge
RETRY_SECONDS = 5.0  # after a failed batch (the database away), before the next try


@dataclass(slots=True)
class Progress:
    """How far the second pass has gone in this process."""

    checked: int = 0
    raised: int = 0
    pending: int = 0
    left: int = 0  # not queued: the queue was full (`MAX_QUEUED`)


class SecondOpinion:
    """The queue and the pass for one service. `judge`: builds the judge when first needed
    (the model loads in seconds); None when the second opinion is off."""

    def __init__(
        self,
        ctx: OperatorContext,
        crisis: CrisisDesk,
        judge: Callable[[], SemanticJudge] | None = None,
        may_judge_stored: Callable[[], None] = lambda: None,
    ) -> None:
        """`may_judge_stored`: raises `PermissionDenied` (audited) for an operator who may
        not judge stored posts again (`submit_stored`)."""
        self._ctx, self._crisis, self._make_judge = ctx, crisis, judge
        self._may_judge_stored = may_judge_stored
        self._judge: SemanticJudge | None = None
        self._queue: deque[str] = deque()
        self._queued: set[str] = set()
        self._guard = threading.Lock()  # the queue's own; never held with the service's
        self._progress = Progress()
        self._closed = False

    def close(self) -> None:
        """Stop: a raise in flight finishes first, none begins after (the store is about to
        close). What is still queued is left; `second-opinion` judges it later."""
        with self._ctx.lock:
            self._closed = True

    @property
    def enabled(self) -> bool:
        return self._make_judge is not None

    def progress(self) -> Progress:
        with self._guard:
            return dataclasses.replace(self._progress, pending=len(self._queue))

    def submit(self, keys: Iterable[str]) -> None:
        """Queue posts for the second pass (nothing, when it is off)."""
        if not self.enabled:
            return
        with self._guard:
            for key in keys:
                if key in self._queued:
                    continue
                if len(self._queue) >= MAX_QUEUED:
                    self._progress.left += 1
                    continue
                self._queued.add(key)
                self._queue.append(key)

    def submit_stored(self) -> int:
        """Queue every stored post worth a second opinion; return how many were queued.
        Judging stored posts again changes them: refused to an operator who may not."""
        self._may_judge_stored()
        with self._ctx.lock:
            keys = [s.key for s in self._ctx.store.iter_all() if _worth_judging(s)]
        self.submit(keys)
        return len(keys)

    def work(self, limit: int = BATCH) -> list[str]:
        """Judge up to `limit` queued posts; return the keys raised. Call it off the UI
        thread: it holds the service's lock only to read the posts and to write a raise."""
        if self._closed:
            return []
        with self._guard:
            keys = [self._queue.popleft() for _ in range(min(limit, len(self._queue)))]
            self._queued.difference_update(keys)
        if not keys:
            return []
        raised: list[str] = []
        try:
            with self._ctx.lock:
                stored = self._ctx.store.get_many(keys)
            candidates = [s for s in stored.values() if _worth_judging(s)]
            opinions = self._judged([s.triage.mention.words for s in candidates])
            for before, opinion in zip(candidates, opinions, strict=True):
                if opinion is not None and self._raise(before, opinion):
                    raised.append(before.key)
        except Exception:
            # Back in the queue, to be tried again (a raise already made is skipped then,
            # its post escalated); the caller says what failed.
            self.submit(k for k in keys if k not in raised)
            raise
        with self._guard:
            self._progress.checked += len(keys)
            self._progress.raised += len(raised)
        return raised

    def drain(self, on_progress: Callable[[Progress], None] | None = None) -> Progress:
        """`work` until the queue is empty (or the service closes), telling `on_progress`
        after each batch."""
        while self.progress().pending and not self._closed:
            self.work()
            if on_progress is not None:
                on_progress(self.progress())
        return self.progress()

    def run_until(
        self, stop: threading.Event, failed: Callable[[Exception], None], pause: float = 1.0
    ) -> None:
        """Judge what is queued as it arrives until `stop` is set (a server's thread). A
        failed batch is told to `failed`, put back, and tried again after a pause."""
        while not stop.is_set():
            try:
                self.work()
            except Exception as exc:  # the thread must outlive one failure
                failed(exc)
                stop.wait(RETRY_SECONDS)
                continue
            if not self.progress().pending:
                stop.wait(pause)

    def _judged(self, texts: list[str]) -> list[Opinion | None]:
        if not texts:
            return []
        if self._judge is None:
            assert self._make_judge is not None
            self._judge = self._make_judge()
        return self._judge.opinions(texts)

    def _raise(self, before: StoredMention, opinion: Opinion) -> bool:
        """Raise the post if it is still as it was judged; whether it was raised. Read,
        compared and written under the store's lock for conditional writes (the database's,
        in team mode), which a person's correction takes too: the later of the two sees
        the other's, never writes over it."""
        ctx = self._ctx
        with ctx.lock:
            if self._closed:
                return False  # the service is closing: its store may be gone
            with ctx.store.state.tables.lock:
                now = ctx.store.get(before.key)
                if now is None or now != before:
                    return False  # edited, deleted or corrected since: judged as it was then
                raised = self._raised(now, opinion)
            self._crisis.ring(raised)  # once the raise and its alarm are stored
        return True

    def _raised(self, now: StoredMention, opinion: Opinion) -> list[Alarm]:
        """Store `now` raised as `opinion` says, with its alarm (returned, to ring)."""
        ctx = self._ctx
        c = now.triage.classification
        category = opinion.kind.category
        urgency = ctx.triager.urgency_of(category, c.sentiment.label)
        if c.urgency.rank < urgency.rank:
            urgency = c.urgency  # only ever raised
        classification = Classification(
            c.sentiment, urgency, category, True, (*c.reasons, opinion.reason())
        )
        # Routed as when it arrived: the SLA in force then still judges its answer.
        level = ctx.triager.arrival_level(now.triage)
        triage = ctx.triager.routed(now.triage.mention, classification, level)
        after = dataclasses.replace(now, triage=triage)
        data = {
            **stored_to_record(after),
            "second_opinion": {
                "kind": opinion.kind.name,
                "example": opinion.example,
                "closeness": round(opinion.closeness, 3),
                "run_by": ctx.me,
            },
        }
        event = AuditEvent(
            Action.MENTION_SECOND_OPINION, after.key, SECOND_OPINION_ACTOR, ctx.clock(), data
        )
        with ctx.store.together():  # the audit record first, as for every stored mention
            seq = ctx.audit.append([event])
            # Its alarm before it is stored: a crash between leaves it logged, and the next
            # open stores it and raises the alarm (`Ingester.recover`).
            raised = self._crisis.file_again(after)
            # Its new, nearer deadline, for the timers (the old reminder finds it answered
            # or breached already, and is harmless).
            ctx.store.due.add([Due(after.triage.deadline, "sla", after.key)])
            ctx.store.save([after], applied=seq)
        return raised


def _worth_judging(stored: StoredMention) -> bool:
    """A live post the word lists did not escalate, read as English (the model's language),
    that no person has classified: a person's judgement (the lead's that it is no harm) is
    never overridden by the model."""
    c = stored.triage.classification
    corrected = any(r.startswith(CORRECTED_BY) for r in c.reasons)
    return stored.deleted_at is None and not c.escalate and not corrected and read_as_english(c)
