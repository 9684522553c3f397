"""Load test of `crisis-console serve` over loopback: several concurrent senders, signed
requests, then a count of what was stored.

Run: python -m bench.webhook_bench [--mentions 50000] [--clients 8] [--per-request 25]
Single-mention requests (how most senders post): --mentions 4000 --clients 16 --per-request 1

Starts the real receiver in a child process on an empty data folder. Each client opens one
keep-alive connection and sends one warm-up request (untimed), then sends its share of the
mentions as signed JSON arrays, one request at a time, waiting for each answer. Reports the
sustained rate (mentions and requests per second), request latency p50/p99, and then, from
the audit log, that every acknowledged mention is stored exactly once and nothing twice.
Target: >= 1,000 mentions/s with nothing lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.intake.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SECRET = b"bench-secret-of-some-length"
TEXTS = [
    "my order {i} never arrived and nobody answers",
    "thank you for the quick refund on order {i}",
    "how do I change the address on order {i}?",
    "the kettle from order {i} leaks all over the counter",
]


def batch(client: int, start: int, size: int) -> bytes:
    return json.dumps(
        [
            {
                "id": f"load-{client}-{n}",
                "platform": "x",
                "author": f"user{n % 500}",
                "text": TEXTS[n % len(TEXTS)].format(i=n),
                "created_at": "2026-11-21T09:00:00Z",
            }
            for n in range(start, start + size)
        ]
    ).encode()


@dataclass
class Tally:
    acked: list[str] = field(default_factory=list)  # keys answered 200 with all stored
    failed: int = 0  # requests answered otherwise
    latencies: list[float] = field(default_factory=list)  # seconds, one per request


async def post(
    http: aiohttp.ClientSession, url: str, client: int, start: int, size: int, tally: Tally
) -> None:
    """Send mentions start..start+size of `client` as one signed request; tally the answer."""
    body = batch(client, start, size)
    stamp = str(int(time.time()))
    headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(SECRET, stamp, body)}
    t0 = time.perf_counter()
    async with http.post(url, data=body, headers=headers) as response:
        answer = await response.json()
    tally.latencies.append(time.perf_counter() - t0)
    if response.status == 200 and answer["stored"] == size:
        tally.acked += [f"x:load-{client}-{n}" for n in range(start, start + size)]
    else:
        tally.failed += 1


async def sender(
    url: str, client: int, count: int, per: int, tallies: tuple[Tally, Tally], go: asyncio.Barrier
) -> None:
    warm, timed = tallies
    async with aiohttp.ClientSession() as http:  # one keep-alive connection per client
        try:  # warm-up, untimed: connect, and let the receiver load what it loads lazily
            await post(http, url, client, count, 1, warm)
        finally:
            await go.wait()
        for start in range(0, count, per):
            await post(http, url, client, start, min(per, count - start), timed)


async def load(url: str, mentions: int, clients: int, per: int) -> tuple[float, Tally, Tally]:
    """Seconds from when every client has connected and warmed up to the last answer, the
    timed requests' tally and the warm-up requests' tally."""
    warm, timed = Tally(), Tally()
    go = asyncio.Barrier(clients + 1)
    share = mentions // clients
    senders = [
        asyncio.create_task(sender(url, c, share, per, (warm, timed), go)) for c in range(clients)
    ]
    await go.wait()
    t0 = time.perf_counter()
    await asyncio.gather(*senders)
    return time.perf_counter() - t0, timed, warm


def wait_for(port: int) -> None:
    for _ in range(200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError("the receiver did not open its port")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--per-request", type=int, default=25)
    args = parser.parse_args()
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {**os.environ, "CRISIS_CONSOLE_WEBHOOK_SECRET": SECRET.decode()}
        command = [sys.executable, "-m", "crisis_console", "--data-dir", str(folder)]
        server = subprocess.Popen(
            [*command, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
        )
        try:
            wait_for(port)
            url = f"http://127.0.0.1:{port}/mentions"
            seconds, timed, warm = asyncio.run(
                load(url, args.mentions, args.clients, args.per_request)
            )
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
        stored = Counter(
            e["subject"]
            for e in AuditLog(folder / AUDIT_FILE).events()
            if e["action"] == "mention.ingested"
        )
    sent = args.mentions // args.clients * args.clients
    acked = timed.acked + warm.acked
    rate, requests = len(timed.acked) / seconds, len(timed.latencies) / seconds
    lost = [k for k in acked if stored[k] != 1]
    doubled = sum(1 for n in stored.values() if n > 1)
    cuts = statistics.quantiles(timed.latencies, n=100)
    kind = "single-mention requests" if args.per_request == 1 else "requests"
    print(
        f"\n{args.clients} clients, {args.per_request:,} mention(s) a request ({kind}), "
        f"{sent:,} mentions timed (+{args.clients} warm-up requests)"
    )
    print(f"acknowledged          {len(timed.acked):8,}   (failed requests: {timed.failed})")
    print(
        f"sustained rate        {rate:8,.0f} mentions/s   ({rate / 1000:.2f}x the 1,000/s target)"
    )
    print(f"                      {requests:8,.0f} requests/s")
    print(f"request latency p50   {1000 * cuts[49]:8.1f} ms")
    print(f"request latency p99   {1000 * cuts[98]:8.1f} ms")
    print(
        f"stored exactly once   {len(acked) - len(lost):8,}   of {len(acked):,} acknowledged "
        f"(lost or doubled: {len(lost)}; any mention doubled: {doubled})"
    )
    if lost or doubled or timed.failed or warm.failed or len(timed.acked) != sent:
        sys.exit(1)


if __name__ == "__main__":
    main()
