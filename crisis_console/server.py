"""`crisis-console serve`: the webhook receiver, on aiohttp (the only module that imports it).

POST /mentions takes one mention, a JSON array of them, or JSON Lines, signed as
`core.webhook` describes. It answers 200 only once the mentions are durably stored (the
audit log is fsynced): what a sender saw acknowledged is never lost. Requests that arrive
together are stored in one commit, so many small requests cost one fsync, not many.
GET /health answers 200 while the receiver can store.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from aiohttp import web

from crisis_console.core.errors import Problem
from crisis_console.core.intake.ingest import Parsed
from crisis_console.core.intake.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Verifier,
    parse_body,
)
from crisis_console.core.service import ConsoleService, IngestReport

log = logging.getLogger("crisis_console.serve")


@dataclass
class _Pending:
    records: list[Parsed]
    done: asyncio.Future[IngestReport]


class Receiver:
    """The aiohttp application over one service; one writer task commits what is queued."""

    def __init__(self, service: ConsoleService, verifier: Verifier, max_body: int) -> None:
        self.service, self.verifier, self.max_body = service, verifier, max_body
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self.app = web.Application(client_max_size=max_body)
        self.app.router.add_post("/mentions", self.receive)
        self.app.router.add_get("/health", self.health)
        self.app.on_startup.append(self._start_writer)
        self.app.on_cleanup.append(self._stop_writer)

    async def _start_writer(self, _: web.Application) -> None:
        self._writer = asyncio.create_task(self._write_forever())

    async def _stop_writer(self, _: web.Application) -> None:
        self._writer.cancel()

    async def health(self, _: web.Request) -> web.Response:
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
        items = list(parse_body(body, self.service.clock()))
        good = [i for i in items if isinstance(i, Parsed)]
        problems = [str(p) for p in items if isinstance(p, Problem)]
        stored = 0
        if good:
            done: asyncio.Future[IngestReport] = asyncio.get_running_loop().create_future()
            await self._queue.put(_Pending(good, done))
            await done  # durable once this resolves
            stored = len(good)
        if problems:
            # The good records are stored all the same; sending them again is harmless.
            log.warning("webhook from %s: %d rejected", request.remote, len(problems))
            return web.json_response({"stored": stored, "problems": problems}, status=400)
        return web.json_response({"stored": stored})

    async def _write_forever(self) -> None:
        while True:
            waiting = [await self._queue.get()]
            while not self._queue.empty():
                waiting.append(self._queue.get_nowait())
            records = [r for p in waiting for r in p.records]
            try:
                report = await asyncio.to_thread(self._store, records)
            except Exception as exc:  # every waiting sender must hear of it, not hang
                for p in waiting:
                    p.done.set_exception(exc)
                continue
            for p in waiting:
                p.done.set_result(report)

    def _store(self, records: list[Parsed]) -> IngestReport:
        with self.service.lock:
            return self.service.ingest(records, batch_size=max(len(records), 1))


def _refuse(status: int, why: str, request: web.Request) -> web.Response:
    log.warning("webhook refused %d from %s: %s", status, request.remote, why)
    return web.json_response({"error": why}, status=status)


def serve(receiver: Receiver, host: str, port: int) -> None:
    """Run until interrupted."""
    web.run_app(receiver.app, host=host, port=port, print=None, handle_signals=True)
