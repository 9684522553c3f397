"""The webhook receiver over real HTTP on 127.0.0.1: signatures, limits, bodies, and many
concurrent senders each counted exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from crisis_console import server
from crisis_console.core.errors import AuditError
from crisis_console.core.intake.ingest import Parsed
from crisis_console.core.intake.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, Verifier, sign
from crisis_console.core.service import ConsoleService, IngestReport
from crisis_console.server import Receiver
from tests.conftest import record

SECRET = b"test-secret"


@pytest.fixture
def receiver(service: ConsoleService) -> Receiver:
    return Receiver(service, Verifier(SECRET), max_body=20_000)


@contextlib.asynccontextmanager
async def listening(receiver: Receiver) -> AsyncIterator[str]:
    """The receiver on a free port of 127.0.0.1 for the block; its address."""
    runner = web.AppRunner(receiver.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def url(receiver: Receiver) -> AsyncIterator[str]:
    async with listening(receiver) as address:
        yield address


def signed(body: bytes, secret: bytes = SECRET, at: float | None = None) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, body)}


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/mentions", data=body, headers=headers) as response,
    ):
        return response.status, await response.json()


async def status_of(url: str, body: bytes) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/mentions", data=body, headers=signed(body)) as response,
    ):
        return response.status


Ingest = Callable[..., IngestReport]


def commits_held(
    service: ConsoleService, monkeypatch: pytest.MonkeyPatch, release: threading.Event
) -> list[int]:
    """Record how many mentions each commit (one `ingest`) holds; every commit waits for
    `release` before it stores anything."""
    sizes: list[int] = []
    real: Ingest = service.ingest

    def ingest(records: Iterable[Parsed], **options: Any) -> IngestReport:
        held = list(records)
        sizes.append(len(held))
        assert release.wait(10), "the test never released the commit"
        return real(held, **options)

    monkeypatch.setattr(service, "ingest", ingest)
    return sizes


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_a_signed_mention_is_stored_before_the_answer(
    url: str, service: ConsoleService
) -> None:
    body = json.dumps(record("1", "my kettle is leaking")).encode()
    assert await post(url, body, signed(body)) == (200, {"stored": 1})
    stored = service.mention("x:1")
    assert stored is not None and stored.triage.mention.text == "my kettle is leaking"


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "unsigned"),
        ({"secret": b"wrong"}, "does not match"),
        ({"at": time.time() - 3600}, "from our clock"),
    ],
)
async def test_bad_signatures_get_401_and_store_nothing(
    url: str, service: ConsoleService, headers: dict[str, object], why: str
) -> None:
    body = json.dumps(record("2", "hello")).encode()
    sent = (
        {} if not headers else signed(body, headers.get("secret", SECRET), headers.get("at"))  # type: ignore[arg-type]
    )
    status, answer = await post(url, body, sent)
    assert status == 401 and why in str(answer["error"])
    assert service.mention("x:2") is None


async def test_a_replayed_request_is_refused(url: str) -> None:
    body = json.dumps(record("3", "hello")).encode()
    headers = signed(body)
    assert (await post(url, body, headers))[0] == 200
    status, answer = await post(url, body, headers)
    assert status == 401 and "replay" in str(answer["error"])


async def test_a_body_over_the_limit_gets_413(url: str) -> None:
    body = json.dumps(record("4", "x" * 30_000)).encode()
    assert (await post(url, body, signed(body)))[0] == 413


async def test_a_batch_with_a_bad_record_stores_the_good_and_names_the_bad(
    url: str, service: ConsoleService
) -> None:
    body = json.dumps([record("5", "fine"), {"id": "6", "platform": "x"}]).encode()
    status, answer = await post(url, body, signed(body))
    assert status == 400
    assert answer == {"stored": 1, "problems": ["item:2: text: is required"]}
    assert service.mention("x:5") is not None


async def test_jsonl_body_and_health(url: str, service: ConsoleService) -> None:
    body = (json.dumps(record("7", "one")) + "\nnot json\n").encode()
    status, answer = await post(url, body, signed(body))
    assert status == 400 and answer["problems"] == [
        "line:2: not valid JSON: Expecting value at column 1"
    ]
    async with aiohttp.ClientSession() as http, http.get(f"{url}/health") as response:
        assert response.status == 200


async def test_concurrent_senders_are_each_stored_exactly_once(
    url: str, service: ConsoleService
) -> None:
    async def sender(n: int) -> int:
        stored = 0
        for i in range(25):
            body = json.dumps(record(f"c{n}-{i}", f"order {n}-{i} is late")).encode()
            status, answer = await post(url, body, signed(body))
            assert status == 200
            stored += int(answer["stored"])  # type: ignore[call-overload]
        return stored

    assert sum(await asyncio.gather(*(sender(n) for n in range(8)))) == 200
    keys = [f"x:c{n}-{i}" for n in range(8) for i in range(25)]
    assert all(service.mention(k) is not None for k in keys)
    ingested = [e for e in service.audit_records() if e["action"] == "mention.ingested"]
    assert sorted(e["subject"] for e in ingested) == sorted(keys)  # once each, no more


async def test_no_answer_until_the_commit_has_returned(
    url: str, service: ConsoleService, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    sizes = commits_held(service, monkeypatch, release)
    body = json.dumps(record("d1", "the lid is cracked")).encode()
    answer = asyncio.create_task(post(url, body, signed(body)))
    await until(lambda: sizes == [1])
    await asyncio.sleep(0.1)
    assert not answer.done()  # nothing is acknowledged while its commit is in flight
    release.set()
    assert await answer == (200, {"stored": 1})
    assert service.mention("x:d1") is not None


async def test_single_mention_requests_arriving_during_a_commit_share_the_next(
    url: str, receiver: Receiver, service: ConsoleService, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    sizes = commits_held(service, monkeypatch, release)
    bodies = [json.dumps(record(f"g{n}", f"order {n} is late")).encode() for n in range(16)]
    answers = [asyncio.create_task(post(url, b, signed(b))) for b in bodies]
    # The first commit is held; every request it does not hold queues up behind it.
    await until(lambda: len(sizes) == 1 and receiver._queue.qsize() == 16 - sizes[0])
    release.set()
    assert [a for a in await asyncio.gather(*answers)] == [(200, {"stored": 1})] * 16
    assert sizes in ([16], [sizes[0], 16 - sizes[0]])  # two commits at most, not sixteen
    ingested = [e for e in service.audit_records() if e["action"] == "mention.ingested"]
    assert sorted(e["subject"] for e in ingested) == sorted(f"x:g{n}" for n in range(16))


async def test_senders_that_send_again_after_their_answer_share_the_next_commit(
    url: str, receiver: Receiver, service: ConsoleService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "LINGER_MAX", 0.5)  # wide, so the timing cannot decide
    monkeypatch.setattr(server, "LINGER_SHARE", 1e6)
    release = threading.Event()
    sizes = commits_held(service, monkeypatch, release)

    async def send(name: str) -> tuple[int, dict[str, object]]:
        body = json.dumps(record(name, f"order {name} is late")).encode()
        return await post(url, body, signed(body))

    async def sender(n: int) -> list[tuple[int, dict[str, object]]]:
        first = await send(f"s{n}-1")
        await asyncio.sleep(0.05 * n)  # they come back one after another
        return [first, await send(f"s{n}-2")]

    once = asyncio.create_task(send("p"))  # a sender that does not come back
    await until(lambda: sizes == [1])
    senders = [asyncio.create_task(sender(n)) for n in range(3)]
    await until(lambda: receiver._queue.qsize() == 3)
    release.set()
    assert await once == (200, {"stored": 1})
    answers = [a for s in await asyncio.gather(*senders) for a in s]
    assert answers == [(200, {"stored": 1})] * 6
    # The three queued behind the first commit go together (after waiting in vain for the
    # sender that left), and their second requests, sent 50 ms apart, go together too.
    assert sizes == [1, 3, 3]


async def test_a_failed_commit_acknowledges_none_of_its_senders(
    url: str, service: ConsoleService, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk_full = True
    real: Ingest = service.ingest

    def ingest(records: Iterable[Parsed], **options: Any) -> IngestReport:
        if disk_full:
            raise AuditError("cannot append to the audit log: disk full")
        return real(records, **options)

    monkeypatch.setattr(service, "ingest", ingest)
    bodies = [json.dumps(record(f"f{n}", "hello")).encode() for n in range(4)]
    statuses = await asyncio.wait_for(
        asyncio.gather(*(status_of(url, b) for b in bodies)), timeout=10
    )
    assert statuses == [500] * 4  # every sender hears of it (none hangs); none sees a 2xx
    assert service.mention("x:f0") is None
    disk_full = False
    body = json.dumps(record("f9", "after the disk was freed")).encode()
    assert await post(url, body, signed(body)) == (200, {"stored": 1})  # the writer lives on


async def test_the_notifications_a_mention_raises_go_out_from_the_receivers_outbox(
    service: ConsoleService, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A harm post's notification for the lead's sink is queued by the commit, never sent
    inside the request, and the receiver's outbox task delivers it."""
    from crisis_console.core.crisis.notify import JsonlSink
    from crisis_console.core.models import Role
    from crisis_console.core.replies.outbox import NotificationOutbox
    from crisis_console.core.store.buckets import BucketTable

    monkeypatch.setattr(server, "OUTBOX_SECONDS", 0.05)
    sink = JsonlSink(tmp_path / "lead.jsonl")
    service.notifier.routes = [(frozenset({Role.LEAD}), sink)]
    service.notifier.queue = NotificationOutbox(BucketTable(tmp_path / "queue"), service.clock)
    receiver = Receiver(service, Verifier(SECRET), max_body=20_000)
    runner = web.AppRunner(receiver.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        body = json.dumps(record("9", "The heater is sparking and smoking in my kid's room"))
        status, _ = await post(f"http://127.0.0.1:{port}", body.encode(), signed(body.encode()))
        assert status == 200
        await until(lambda: sink.path.exists())
        [sent] = [json.loads(line) for line in sink.path.read_text().splitlines()]
        assert sent["kind"] == "harm" and sent["subject"] == "x:9"
    finally:
        await runner.cleanup()


async def test_a_receiver_whose_operator_may_no_longer_ingest_refuses_with_403_audited_once(
    make_service: Any,
) -> None:
    """The team changed under a running receiver (its operator now an auditor): every
    request gets 403, not a 500 and a traceback; the refusal is audited once, not once a
    request (senders retry); /health says why; nothing is stored."""
    from crisis_console.core.models import Role

    service = make_service(Role.AUDITOR, name="ada")
    receiver = Receiver(service, Verifier(SECRET), max_body=20_000)
    async with listening(receiver) as address:
        bodies = [json.dumps(record(str(n), f"post {n}")).encode() for n in range(5)]
        answers = await asyncio.gather(*(post(address, b, signed(b)) for b in bodies))
        assert [status for status, _ in answers] == [403] * 5
        assert "ada (auditor) may not ingest" in str(answers[0][1]["error"])
        later = json.dumps(record("9", "later")).encode()
        assert (await post(address, later, signed(later)))[0] == 403
        async with aiohttp.ClientSession() as http, http.get(f"{address}/health") as response:
            assert response.status == 503 and "may not ingest" in (await response.json())["error"]
    refusals = [e for e in service._audit.events() if e["action"] == "refused"]
    assert len(refusals) == 1
    assert service.mention("x:0") is None and service.mention("x:9") is None
