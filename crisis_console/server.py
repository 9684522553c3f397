"""`crisis-console serve`: the webhook receiver, on aiohttp (the only module that imports it).

POST /mentions takes one mention, a JSON array of them, or JSON Lines, signed as
`core.webhook` describes. It answers 200 only once the mentions are durably stored (the
audit log is fsynced): what a sender saw acknowledged is never lost. Requests that arrive
together are stored in one commit, so many small requests cost one commit, not many: one
writer task commits, in a thread, everything queued while the previous commit ran (see
`Receiver._gather` for how long it waits for more).
GET /health answers 200 while the receiver can store. Once the team no longer lets this
process's operator ingest (the refusal audited once), every request is answered 403 and
/health 503 until the receiver is restarted by someone who may.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from aiohttp import web

from crisis_console.core.errors import Notice, Problem
from crisis_console.core.intake.ingest import Parsed
from crisis_console.core.intake.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Verifier,
    parse_body,
)
from crisis_console.core.roster import PermissionDenied
from crisis_console.core.service import ConsoleService, IngestReport

log = logging.getLogger("crisis_console.serve")

OUTBOX_SECONDS = 1.0  # how soon a queued notification goes out
GATHER_TURNS = 8  # event-loop turns given to requests already received, before a commit
LINGER_SHARE = 0.5  # of the last commit's time: the longest wait for its senders to return
LINGER_MAX = 0.002  # seconds; the longest wait however slow the last commit was


@dataclass
class _Pending:
    records: list[Parsed]
    done: asyncio.Future[bool]  # True: stored; False: a replay another process had already
    signature: str
    sent: float


class Receiver:
    """The aiohttp application over one service; one writer task commits what is queued."""

    def __init__(self, service: ConsoleService, verifier: Verifier, max_body: int) -> None:
        self.service, self.verifier, self.max_body = service, verifier, max_body
        self.seen = service.webhook_signatures(verifier.tolerance)
        self.seen.forget_all_before(time.time())
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._wanted = 0  # queued requests that end the writer's wait (see `_gather`)
        self._enough: asyncio.Future[None] | None = None  # resolved when they are there
        self.refused: str | None = None  # why this operator may no longer ingest, once told
        self.app = web.Application(client_max_size=max_body)
        self.app.router.add_post("/mentions", self.receive)
        self.app.router.add_get("/health", self.health)
        self.app.on_startup.append(self._start_writer)
        self.app.on_cleanup.append(self._stop_writer)

    async def _start_writer(self, _: web.Application) -> None:
        self._writer = asyncio.create_task(self._write_forever())
        self._outbox = asyncio.create_task(self._work_outbox_forever())

    async def _stop_writer(self, _: web.Application) -> None:
        self._writer.cancel()
        self._outbox.cancel()

    async def _work_outbox_forever(self) -> None:
        """The notifications the mentions raised (harm alarms to the lead's webhook or mail)
        go out from here, in a thread, never inside a request."""
        while True:
            await asyncio.sleep(OUTBOX_SECONDS)
            try:
                await asyncio.to_thread(self.service.work_outbox)
            except Exception:  # a failing sink must never stop the receiver
                log.exception("outbox worker")

    async def health(self, _: web.Request) -> web.Response:
        if self.refused is not None:
            return web.json_response({"ok": False, "error": self.refused}, status=503)
        return web.json_response({"ok": True})

    async def receive(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > self.max_body:
            return _refuse(413, f"the body is larger than {self.max_body:,} bytes", request)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _refuse(413, f"the body is larger than {self.max_body:,} bytes", request)
        why = self.verifier.refusal(
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
            time.time(),
        )
        if why:
            return _refuse(401, why, request)
        if self.refused is not None:
            return _refuse(403, self.refused, request)
        items = list(parse_body(body, self.service.clock()))
        good = [i for i in items if isinstance(i, Parsed)]
        problems = [str(p) for p in items if isinstance(p, Problem)]
        notices = [str(n) for n in items if isinstance(n, Notice)]
        stored = 0
        if good:
            done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            signature = str(request.headers.get(SIGNATURE_HEADER)).strip()
            sent = float(str(request.headers.get(TIMESTAMP_HEADER)))
            await self._queue.put(_Pending(good, done, signature, sent))
            enough = self._enough
            if enough is not None and not enough.done() and self._queue.qsize() >= self._wanted:
                enough.set_result(None)
            try:
                if not await done:  # durable once this resolves
                    why = "a replay: this signed request was already received"
                    return _refuse(401, why, request)
            except PermissionDenied as exc:
                return _refuse(403, str(exc), request)
            stored = len(good)
        answer: dict[str, object] = {"stored": stored}
        if notices:  # replies a platform left out of what was sent: told, not rejected
            answer["notices"] = notices
        if problems:
            # The good records are stored all the same; sending them again is harmless.
            log.warning("webhook from %s: %d rejected", request.remote, len(problems))
            return web.json_response(answer | {"problems": problems}, status=400)
        return web.json_response(answer)

    async def _write_forever(self) -> None:
        loop = asyncio.get_running_loop()
        # Of the last commit: its senders (answered, or already queued when it ended), how
        # long to wait for them, and by when the first of them must be back for that.
        senders, linger, back_by = 0, 0.0, 0.0
        while True:
            waiting = [await self._queue.get()]
            await self._gather(senders - 1 if loop.time() <= back_by else 0, linger)
            while not self._queue.empty():
                waiting.append(self._queue.get_nowait())
            started = loop.time()
            try:
                outcomes = await asyncio.to_thread(self._store, waiting)
            except Exception as exc:  # every waiting sender must hear of it, not hang
                for p in waiting:
                    p.done.set_exception(exc)
                continue
            answered = loop.time()
            took = answered - started
            senders = len(waiting) + self._queue.qsize()
            linger = min(LINGER_MAX, LINGER_SHARE * took)
            back_by = answered + max(took, LINGER_MAX)
            for p, outcome in zip(waiting, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    p.done.set_exception(outcome)
                else:
                    p.done.set_result(outcome)

    async def _gather(self, wanted: int, linger: float) -> None:
        """Let more requests join the commit about to start, the one request taken aside.

        First the event loop gets a few turns: requests already received are read, verified
        and queued, and the last commit's answers go out; done now, that work does not compete
        with the commit's thread for the GIL. A request takes two turns from its socket to the
        queue, so this stops after two turns that bring nothing new.

        Then, if fewer than `wanted` are queued, it waits for them, `linger` seconds at most.
        A commit costs nearly the same for one mention as for many (its fsyncs), and a sender
        that waits for each answer sends again right after it: without the wait, such senders
        split in two halves, one stored while the other, just answered, arrives a moment too
        late. `wanted` is how many senders the last commit had (none if the first request
        came back late), so a lone sender never waits, nor the first after a quiet spell.
        """
        quiet, seen = 0, self._queue.qsize()
        for _ in range(GATHER_TURNS):
            await asyncio.sleep(0)
            quiet = quiet + 1 if self._queue.qsize() == seen else 0
            seen = self._queue.qsize()
            if quiet == 2:
                break
        if self._queue.qsize() >= wanted or linger <= 0:
            return
        self._wanted, self._enough = wanted, asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(linger):
                await self._enough
        except TimeoutError:
            pass  # commit what is there
        finally:
            self._enough = None

    def _store(self, waiting: list[_Pending]) -> list[bool | Exception]:
        """Store the requests' mentions in one commit; their signatures are remembered
        once it is durable. A request another process already received is a replay (False).
        If the shared commit fails, each request is stored on its own, so one that cannot
        be stored fails alone (its exception) and the others still succeed."""
        if self.refused is not None:  # queued before the refusal came: told, not audited
            return [PermissionDenied(self.refused) for _ in waiting]
        with self.service.lock:
            self.seen.forget_before(time.time())
            fresh = [p for p in waiting if not self.seen.seen(p.signature)]
            try:
                self._ingest([r for p in fresh for r in p.records])
                done: dict[int, bool | Exception] = {id(p): True for p in fresh}
            except PermissionDenied as refused:
                # The team changed under the receiver: audited once, not once a request.
                self.refused = str(refused)
                log.error("webhook: %s; every request is refused until a restart", refused)
                return [refused for _ in waiting]
            except Exception as shared:
                if len(fresh) < 2:
                    raise
                log.warning("a shared commit failed (%s): storing each request alone", shared)
                done = {id(p): self._alone(p) for p in fresh}
            self.seen.remember({p.signature: p.sent for p in fresh if done[id(p)] is True})
        return [done.get(id(p), False) for p in waiting]

    def _alone(self, pending: _Pending) -> bool | Exception:
        try:
            self._ingest(pending.records)
        except Exception as exc:
            return exc
        return True

    def _ingest(self, records: list[Parsed]) -> IngestReport:
        return self.service.ingest(records, batch_size=max(len(records), 1))


def _refuse(status: int, why: str, request: web.Request) -> web.Response:
    log.warning("webhook refused %d from %s: %s", status, request.remote, why)
    return web.json_response({"error": why}, status=status)


def serve(receiver: Receiver, host: str, port: int) -> None:
    """Run until interrupted."""
    web.run_app(receiver.app, host=host, port=port, print=None, handle_signals=True)
