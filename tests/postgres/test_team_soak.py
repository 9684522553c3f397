"""A whole team at full load on one database, as issue 14 describes it: two `serve`
processes, an `ingest --follow` and a CLI loop writing; two consoles driven by Pilot, each in
a process of its own; 20,000 mentions, 200 claim races and 100 approve/send races; one
`serve` and then the leading console killed with SIGKILL mid-run. Afterwards: nothing that
was acknowledged is lost, nothing is stored twice, nothing is sent twice, the timers have a
new leader, and the audit chain verifies."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from crisis_console.core.intake.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from crisis_console.core.store.postgres.connection import connect
from crisis_console.core.store.postgres.store import LEADER_LOCK
from tests.conftest import record
from tests.postgres.team_fixture import Team
from tests.postgres.team_workers import racer, service_for

SECRET = "a-shared-secret-of-the-soak-test"  # noqa: S105 (the test's own)
PER_SERVE, FOLLOWED, RACED = 6_000, 8_000, 300  # 20,000 with the raced ones
CLAIM_RACES, SEND_RACES = 200, 100
KILL_SERVE_AFTER = 3_000  # acknowledged by the first serve
TEXTS = (
    "My charger caught fire and burned my hand",  # one in five a harm
    "Where is my parcel? It is three days late",
    "Still waiting for my refund after three weeks",
    "Love the new range, thank you!",
    "The app keeps logging me out, fix it",
)


def lines(prefix: str, count: int) -> list[str]:
    return [
        json.dumps(record(f"{prefix}{i}", f"{TEXTS[i % 5]} ({prefix}{i})", author=f"a{i % 997}"))
        for i in range(count)
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post(port: int, body: bytes) -> bool:
    """True when the receiver acknowledged the batch (it is stored and durable)."""
    stamp = str(int(time.time()))
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/mentions",
        data=body,
        headers={TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(SECRET.encode(), stamp, body)},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (127.0.0.1)
            return bool(answer.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def wait_healthy(port: int) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError(f"serve on {port} never came up")


class Console:
    """A console process driven by Pilot, one command and one answer at a time."""

    def __init__(self, team: Team, name: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.postgres.team_workers", team.dsn(name), str(team.folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        assert self.ask()["ready"]

    def ask(self, command: str = "") -> dict[str, Any]:
        assert self.process.stdin and self.process.stdout
        if command:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, f"the console died before answering {command!r}"
        return dict(json.loads(answer))


def leader_backend(team: Team) -> int | None:
    """The server process of the connection that holds the timers' leader lock, if any."""
    with connect(team.dsn("lead")) as conn:
        row = conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s "
            "AND objid::bigint = hashtext(current_schema())::bigint & 4294967295",
            (LEADER_LOCK,),
        ).fetchone()
    return None if row is None else int(row[0])


def race(action: str, team: Team, names: tuple[str, str], items: list[str]) -> list[Any]:
    """`action` in two spawned processes, as two operators, meeting before each item."""
    spawn = multiprocessing.get_context("spawn")
    barrier, out = spawn.Barrier(2), spawn.Queue()
    racers = [
        spawn.Process(target=racer, args=(team.dsn(n), team.folder, action, items, barrier, out))
        for n in names
    ]
    for process in racers:
        process.start()
    results = [out.get(timeout=300) for _ in racers]
    for process in racers:
        process.join(60)
        assert process.exitcode == 0
    return results


def test_a_crisis_team_at_full_load(team: Team) -> None:
    for name in ("maya", "lee"):
        assert team.run("lead", "team", "set", team.logins[name], "social").returncode == 0
    env = {**os.environ, "CRISIS_CONSOLE_WEBHOOK_SECRET": SECRET}
    # The mentions raced over exist before anyone races; the lead drafts a reply to each of
    # the send races' mentions (two social operators approve, and so send, each at once).
    # The CLI loop claims and releases a mention of its own: one it held among the raced
    # would rightly stop a racer's send ("claimed by maya"), and a claim race too.
    raced = [*lines("r", RACED), json.dumps(record("loop", "The CLI loop's own mention"))]
    with service_for(team.dsn("lead"), team.folder) as lead:
        assert lead.ingest_lines(raced, "raced.jsonl").new == RACED + 1
        lead.replies.approve_template("delivery-delay")
        drafts = []
        for i in range(CLAIM_RACES, CLAIM_RACES + SEND_RACES):
            lead.claims.claim(f"x:r{i}")
            drafts.append(lead.replies.submit(f"x:r{i}", "delivery-delay", {"new_date": "Thu"}).id)
        for key in (f"x:r{i}" for i in range(CLAIM_RACES, CLAIM_RACES + SEND_RACES)):
            lead.claims.release(key)
    # The first console to tick leads the timers (the first process to ask leads).
    consoles = [Console(team, "maya"), Console(team, "lee")]
    assert consoles[0].ask("tick")["leader"] and not consoles[1].ask("tick")["leader"]
    first_leader = leader_backend(team)
    ports = [free_port(), free_port()]
    serves = [team.cli("lead", "serve", "--port", str(p), env=env) for p in ports]
    feed = team.folder.parent / "followed.jsonl"
    feed.write_text("")
    follower = team.cli("lead", "ingest", "--follow", str(feed))
    for port in ports:
        wait_healthy(port)
    acked: set[str] = set()
    stop_cli = threading.Event()
    cli_runs: list[int] = []

    def serve_feeder(which: int) -> None:
        batch_lines = lines(f"s{which}-", PER_SERVE)
        for start in range(0, PER_SERVE, 200):
            chunk = batch_lines[start : start + 200]
            body = "\n".join(chunk).encode()
            port = ports[which] if serves[which].poll() is None else ports[1]
            # A batch the killed receiver never answered goes to the other (a client retries).
            if not post(port, body) and not post(ports[1], body):
                raise AssertionError(f"batch {start} of serve {which} was never acknowledged")
            acked.update(json.loads(line)["id"] for line in chunk)
            if which == 0 and start + 200 >= KILL_SERVE_AFTER and serves[0].poll() is None:
                serves[0].send_signal(signal.SIGKILL)  # mid-run, with batches still to come

    def follow_feeder() -> None:
        followed = lines("f", FOLLOWED)
        with feed.open("a") as out:
            for start in range(0, FOLLOWED, 500):
                out.write("\n".join(followed[start : start + 500]) + "\n")
                out.flush()
                time.sleep(0.2)

    def cli_loop() -> None:
        while not stop_cli.is_set():
            for args in (("claim", "x:loop"), ("claim", "x:loop", "--release"), ("approvals",)):
                cli_runs.append(team.run("maya", *args).returncode)

    threads = [threading.Thread(target=serve_feeder, args=(w,)) for w in (0, 1)]
    threads += [threading.Thread(target=follow_feeder), threading.Thread(target=cli_loop)]
    for thread in threads:
        thread.start()
    try:
        # Raced while the writers write: one claim of each mention wins, the other is told
        # whose it is.
        claims = race("claim", team, ("maya", "lee"), [f"x:r{i}" for i in range(CLAIM_RACES)])
        by_key: dict[str, list[str]] = {}
        for results in claims:
            for key, result in results:
                by_key.setdefault(key, []).append(result)
        for key, results in by_key.items():
            assert results.count("won") == 1, (key, results)
            loser = next(r for r in results if r != "won")
            assert loser.startswith("refused:"), loser
            assert any(team.logins[n] in loser for n in ("maya", "lee")), loser
        approvals = race("approve", team, ("maya", "lee"), drafts)
        outcomes = Counter(r for results in approvals for _, r in results)
        went = sum(n for status, n in outcomes.items() if not status.startswith("refused"))
        assert went == SEND_RACES, outcomes  # one approval of each; the other refused
        # A claim made in one console shows in the other by itself, without a reload. How
        # fast is team_bench's figure (propagation p99, about 0.3 s); here the bound is only
        # "on its own, soon": 1 s was missed by 0.25 s once on this loaded 2-core machine.
        top = consoles[1].ask("first")["key"]
        claimed = consoles[0].ask(f"claim {top}")
        seen = consoles[1].ask(f"watch {top} {team.logins['maya']}")
        assert seen["seen"] is not None, seen
        assert seen["seen"] - claimed["at"] < 10.0, seen["seen"] - claimed["at"]
        for thread in threads[:3]:
            thread.join(600)
        stop_cli.set()
        threads[3].join(120)
        # The leading console dies; another process takes the timers over (whichever asks
        # first: the other console, a receiver, the follower).
        assert consoles[0].ask("tick")["leader"] and leader_backend(team) == first_leader
        consoles[0].process.send_signal(signal.SIGKILL)
        consoles[0].process.wait(30)
        deadline = time.monotonic() + 15
        while leader_backend(team) in (None, first_leader):
            assert time.monotonic() < deadline, "no process took the timers over"
            consoles[1].ask("tick")
            time.sleep(0.2)
        expected = {f"s0-{i}" for i in range(PER_SERVE)} | {f"s1-{i}" for i in range(PER_SERVE)}
        expected |= {f"f{i}" for i in range(FOLLOWED)}
        assert expected <= acked | {f"f{i}" for i in range(FOLLOWED)}
        with connect(team.dsn("lead")) as conn:
            for _ in range(600):  # the follower ingests what was written
                stored = {
                    k.split(":", 1)[1]
                    for (k,) in conn.execute("SELECT key FROM mentions").fetchall()
                }
                if expected <= stored:
                    break
                time.sleep(0.5)
            ingested = Counter(
                json.loads(line)["subject"]
                for (line,) in conn.execute(
                    "SELECT line FROM audit WHERE action = 'mention.ingested'"
                ).fetchall()
            )
            sent = Counter(
                json.loads(line)["data"]["reply"]
                for (line,) in conn.execute("SELECT line FROM audit WHERE action = 'send'")
            )
        assert expected - stored == set(), "acknowledged mentions lost"
        assert len(stored) == PER_SERVE * 2 + FOLLOWED + RACED + 1
        assert [k for k, n in ingested.items() if n > 1] == []  # nothing stored twice
        assert set(sent) == set(drafts) and set(sent.values()) == {1}  # each sent once
        delivered = Counter(
            json.loads(line)["idempotency_key"]
            for outbox in team.folder.parent.rglob("outbox.jsonl")
            for line in outbox.read_text().splitlines()
        )
        assert set(delivered) == set(drafts) and set(delivered.values()) == {1}
        assert cli_runs and set(cli_runs) <= {0, 3}, Counter(cli_runs)
        verified = team.run("lead", "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        stop_cli.set()
        for process in [*serves, follower, *(c.process for c in consoles)]:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(30)
