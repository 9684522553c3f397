"""Nothing acknowledged is lost: an ingest killed with SIGKILL at random moments, again and
again, then run to the end, leaves every mention stored exactly once, logged exactly once,
and the audit chain whole."""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.models import Role
from crisis_console.core.store.store import TinyDBStore
from tests.conftest import ROOT

MENTIONS = 8_000


def feed(path: Path) -> None:
    texts = [
        json.loads(line)["text"]
        for line in (ROOT / "tests" / "data" / "devset.jsonl").read_text().splitlines()
    ]
    with path.open("w", encoding="utf-8") as out:
        for n in range(MENTIONS):
            out.write(
                json.dumps(
                    {
                        "id": f"c{n}",
                        "platform": "x",
                        "author": f"a{n % 97}",
                        "text": texts[n % len(texts)],
                    }
                )
                + "\n"
            )


def ingest(data: Path, source: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "crisis_console", "--data-dir", str(data), "ingest", str(source)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
    )


def test_kill_9_at_random_moments_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    source, data = tmp_path / "feed.jsonl", tmp_path / "data"
    feed(source)
    rnd = random.Random()  # a different set of kill points every run
    kills = 0
    for _ in range(6):
        process = ingest(data, source)
        # An uninterrupted run takes about 2 s here (start-up 0.6 s), so every kill point lands
        # before its end; a wider window once let every run finish and killed nothing.
        time.sleep(rnd.uniform(0.4, 1.8))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    final = ingest(data, source)
    assert final.wait(timeout=300) in (0, 1)
    store = TinyDBStore(data, read_only=True)
    try:
        keys = [s.key for s in store.all()]
    finally:
        store.close()
    assert len(keys) == MENTIONS and len(set(keys)) == MENTIONS
    log = AuditLog(data / AUDIT_FILE, repair=False)
    result = log.verify()
    assert result.ok, result.describe()
    logged = collections.Counter(
        e["subject"] for e in log.events() if e["action"] == "mention.ingested"
    )
    assert len(logged) == MENTIONS and set(logged.values()) == {1}
    assert kills >= 1  # the test killed something


SENDER = """
import sys
from pathlib import Path
from crisis_console import config
from crisis_console.cli import open_service
from crisis_console.core.models import system_clock
from crisis_console.core.playbook.playbook_check import load_playbook

folder = Path(sys.argv[1])
playbook = load_playbook(config.playbook_path(None, folder=folder))
with open_service(folder, playbook, system_clock) as service:  # resumes what was in flight
    if sys.argv[2] == "send":
        service.replies.send("x:1", "delivery-delay", {"new_date": "Thursday"})
    reply = service.replies.replies("x:1")[0]
    print(reply.status, reply.id, flush=True)
"""


def test_a_send_killed_in_flight_goes_out_exactly_once_after_restart(tmp_path: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from crisis_console import config
    from crisis_console.core.roster import TEAM_FILE, write_roster

    requests: collections.Counter[str] = collections.Counter()
    published: list[str] = []  # what the platform shows: one post per Idempotency-Key
    entered, gate = threading.Event(), threading.Event()

    class Platform(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            entered.set()
            gate.wait(10)  # the request is on the wire when the console dies
            key = self.headers["Idempotency-Key"]
            requests[key] += 1
            if key not in published:
                published.append(key)
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Platform)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    data = tmp_path / "data"
    data.mkdir()
    write_roster(data / TEAM_FILE, {config.operator(): [Role.LEAD]})
    url = f"http://127.0.0.1:{server.server_address[1]}/replies"
    (data / "settings.yaml").write_text(f"reply_webhook: {url}\n")
    mention = {"id": "1", "platform": "x", "text": "My delivery is late", "author": "dan"}
    (tmp_path / "one.jsonl").write_text(json.dumps(mention) + "\n")
    ingest(data, tmp_path / "one.jsonl").wait(60)
    approve = [sys.executable, "-m", "crisis_console", "--data-dir", str(data)]
    subprocess.run([*approve, "templates", "approve", "delivery-delay"], check=True)
    child = subprocess.Popen([sys.executable, "-c", SENDER, str(data), "send"])
    try:
        assert entered.wait(60)
        child.send_signal(signal.SIGKILL)  # dies with the reply saved as `sending`
        child.wait(10)
        gate.set()  # the platform finishes taking the request the dead console made
        restart = subprocess.run(
            [sys.executable, "-c", SENDER, str(data), "look"], capture_output=True, text=True
        )
        status, reply_id = restart.stdout.split()
        assert status == "sent" and requests == {reply_id: 2}  # asked again with the same key
        assert published == [reply_id]  # so it went out once
        sent = [e for e in AuditLog(data / AUDIT_FILE).events() if e["action"] == "send"]
        assert len(sent) == 1
    finally:
        server.shutdown()
        server.server_close()
