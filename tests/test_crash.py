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

from crisis_console.core.audit import AUDIT_FILE, AuditLog
from crisis_console.core.store import TinyDBStore
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
