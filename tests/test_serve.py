"""The webhook receiver over real HTTP on 127.0.0.1: signatures, limits, bodies, and many
concurrent senders each counted exactly once."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from crisis_console.core.intake.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, Verifier, sign
from crisis_console.core.service import ConsoleService
from crisis_console.server import Receiver
from tests.conftest import record

SECRET = b"test-secret"


@pytest.fixture
async def url(service: ConsoleService) -> AsyncIterator[str]:
    runner = web.AppRunner(Receiver(service, Verifier(SECRET), max_body=20_000).app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def signed(body: bytes, secret: bytes = SECRET, at: float | None = None) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, body)}


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/mentions", data=body, headers=headers) as response,
    ):
        return response.status, await response.json()


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
