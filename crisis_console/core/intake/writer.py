"""One batch's write at a time, on a thread of its own when the store allows it, so that the
next batch is read and triaged while the database works on this one.

`submit` hands over a batch; `collect` waits for it to be written and gives it back (or
raises what the write raised). There is never more than one write in flight, so writes
happen in the order they were submitted. Without a thread (`threaded=False`), `submit`
writes at once and `collect` gives the batch back.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from typing import Generic, TypeVar

B = TypeVar("B")


class BatchWriter(Generic[B]):
    """See the module docstring. `close` waits for a write still in flight."""

    def __init__(self, write: Callable[[B], None], threaded: bool) -> None:
        self._write, self._threaded = write, threaded
        self._pool: ThreadPoolExecutor | None = None
        self._inflight: Future[B] | None = None
        self._done: B | None = None

    def submit(self, batch: B, last: bool = False) -> None:
        """Start writing `batch`; the batch before it must have been collected. `last`: no
        more work follows it, so there is nothing to overlap and it is written here."""
        assert self._inflight is None and self._done is None, "collect the previous batch"
        if not self._threaded or last:
            self._write(batch)
            self._done = batch
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-write")
        self._inflight = self._pool.submit(self._written, batch)

    def _written(self, batch: B) -> B:
        self._write(batch)
        return batch

    def collect(self) -> B | None:
        """The batch last submitted, once it is written (None if there is none)."""
        done, self._done = self._done, None
        if self._inflight is not None:
            inflight, self._inflight = self._inflight, None
            done = inflight.result()
        return done

    def close(self) -> None:
        """Wait for a write in flight (its error, if any, is not this caller's: only an
        error already on its way out leaves one uncollected) and stop the thread."""
        if self._inflight is not None:
            with suppress(Exception):
                self._inflight.result()
            self._inflight = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
