"""Issue 15, point 9: the webhook over real HTTP on 127.0.0.1. A captured request played
again after the receiver restarts is still a replay (it would roll a mention back to old
text), and one request whose mentions cannot be stored fails alone: the others in the same
commit are stored and answered 200."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from crisis_console.core.intake.ingest import Parsed
from crisis_console.core.intake.webhook import Verifier
from crisis_console.core.service import IngestReport
from crisis_console.server import Receiver
from tests.conftest import ServiceFactory, record
from tests.test_serve import SECRET, post, signed


async def started(receiver: Receiver) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(receiver.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def receivers(make_service: ServiceFactory) -> AsyncIterator[list[web.AppRunner]]:
    runners: list[web.AppRunner] = []
    yield runners
    for runner in runners:
        await runner.cleanup()


async def test_a_request_replayed_after_a_restart_is_refused(
    make_service: ServiceFactory, receivers: list[web.AppRunner]
) -> None:
    service = make_service()
    old = json.dumps(record("1", "The kettle works fine")).encode()
    new = json.dumps(record("1", "The kettle gave me an electric shock")).encode()
    captured = signed(old)
    first, url = await started(Receiver(service, Verifier(SECRET), 20_000))
    receivers.append(first)
    assert (await post(url, old, captured))[0] == 200
    assert (await post(url, new, signed(new)))[0] == 200  # the customer's edit
    await first.cleanup()
    receivers.remove(first)
    # The receiver restarts (a new process would have a new service over the same store).
    again, url = await started(Receiver(make_service(), Verifier(SECRET), 20_000))
    receivers.append(again)
    status, answer = await post(url, old, captured)
    assert status == 401 and "replay" in str(answer["error"])
    stored = service.mention("x:1")
    assert stored is not None and "electric shock" in stored.triage.mention.text


async def test_one_request_that_cannot_be_stored_fails_alone(
    make_service: ServiceFactory,
    receivers: list[web.AppRunner],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = make_service()
    real = service.ingest

    def ingest(records: Iterable[Parsed], **options: Any) -> IngestReport:
        batch = list(records)
        if any(r.mention.native_id == "poison" for r in batch):  # a record the store refuses
            raise ValueError("this record cannot be stored")
        return real(batch, **options)

    monkeypatch.setattr(service, "ingest", ingest)
    runner, url = await started(Receiver(service, Verifier(SECRET), 20_000))
    receivers.append(runner)
    bodies = [json.dumps(record(f"ok{n}", f"parcel {n}")).encode() for n in range(59)]
    bodies.insert(30, json.dumps(record("poison", "boom")).encode())

    async def send(body: bytes) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{url}/mentions", data=body, headers=signed(body)) as response,
        ):
            return response.status

    statuses = await asyncio.wait_for(asyncio.gather(*(send(b) for b in bodies)), timeout=60)
    assert statuses.count(200) == 59 and statuses[30] == 500
    assert all(service.mention(f"x:ok{n}") is not None for n in range(59))
    assert service.mention("x:poison") is None
