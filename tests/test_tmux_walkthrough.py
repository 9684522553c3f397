"""The real console in a real terminal (tmux), as a new team would use it: support opens the
demo data, searches, claims, drafts a reply; social opens it, approves, and the reply goes
out once. Each step is checked on the captured screen."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.tmux import Session

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def test_support_drafts_and_social_approves_in_a_real_terminal(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    console = f"{sys.executable} -m crisis_console --data-dir {data}"
    subprocess.run([*console.split(), "demo", "--no-open"], check=True, capture_output=True)
    me = getpass.getuser()
    (data / "team.yaml").write_text(
        f"operators:\n  {me}: [lead]\n  sam: [support]\n  maya: [social]\n"
        f"shared_logins:\n  {me}: [sam, maya]\n"
    )
    # Edited by hand after the demo wrote it: a lead accepts it before it counts.
    accepted = subprocess.run([*console.split(), "team", "accept"], capture_output=True, text=True)
    assert accepted.returncode == 0 and "sam" in accepted.stdout, accepted.stderr
    sam_terminal = Session(f"cc-sam-{os.getpid()}")
    sam = sam_terminal.pane(f"{console} --as sam")
    try:
        # "1–100 of 20x". A console's first start on a busy CI machine (a fresh clone's
        # bytecode compiled as it goes) took over 30 s once.
        sam.wait_for("of 20", seconds=90)
        sam.keys("/")
        sam.wait_for("search text or @author")  # the search box, focused
        sam.type("delivery")
        sam.wait_for("▊  delivery")
        sam.keys("Enter")
        sam.wait_for("search 'delivery'")
        sam.keys("C")
        sam.wait_for("is yours")
        sam.keys("R")
        sam.wait_for("Reply to")
        sam.keys("Down")
        sam.wait_for("Policy guard")
        sam.keys("C-s")
        sam.wait_for("Draft submitted")
        sam.keys("q")
        time.sleep(1.5)
    finally:
        sam_terminal.close()
    maya_terminal = Session(f"cc-maya-{os.getpid()}")
    maya = maya_terminal.pane(f"{console} --as maya")
    try:
        maya.wait_for("of 20", seconds=90)
        maya.keys("A")
        maya.wait_for("pending")
        maya.keys("y")
        maya.wait_for("Nothing waits for approval")
        maya.wait_for("Sent to")  # the outbox worker's word, a moment later
        maya.keys("q")
        time.sleep(1.5)
    finally:
        maya_terminal.close()
    [sent] = [json.loads(line) for line in (data / "outbox.jsonl").read_text().splitlines()]
    assert sent["sent_by"] == "maya"
