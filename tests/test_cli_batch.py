"""A bulk answer from a shell: `reply KEY... --submit` makes one batch, `approvals` lists it
as one row, a second person approves it once (`approve-batch`), and a sender sends it
(`send-batch`), which ticks the crisis checklist's holding-statement step. Exit statuses as
`cli/status.py` says: a key refused is named on stderr and makes it 1; a refusal of the whole
call is 3."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from crisis_console.core.roster import process_account
from tests.cli_call import Cli
from tests.conftest import jsonl, record

ME = process_account()
ISSUE = "issue=reports of problems with some orders"


def test_a_batch_answered_approved_once_and_sent_from_the_shell(cli: Cli, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "team.yaml").write_text(
        f'operators:\n  "{ME}": [social]\n  priya: [pr]\nshared_logins:\n  "{ME}": [priya]\n'
    )
    posts = [record(str(i), f"Where is my order {i}?", author=f"u{i}") for i in (1, 2, 3)]
    posts.append(record("4", "Where is my order?", platform="tiktok"))
    feed = tmp_path / "in.jsonl"
    feed.write_text("\n".join(jsonl(*posts)) + "\n")
    home = ("--data-dir", str(data))
    priya = (*home, "--as", "priya")
    assert cli(*home, "ingest", str(feed)).code == 0
    assert cli(*priya, "templates", "approve", "holding-statement").code == 0
    assert cli(*priya, "crisis", "raise", "2", "--reason", "orders going missing").code == 0

    # A batch is submitted or sent, never previewed: a usage error, nothing done.
    keys = ("x:1", "x:2", "x:3", "tiktok:4")
    args = ("reply", *keys, "--template", "holding-statement", "--var", ISSUE)
    assert cli(*home, *args).code == 2
    done = cli(*home, *args, "--submit")
    assert done.code == 1, done.err  # in part: the TikTok reply is too long
    assert "refused: tiktok:4: blocked by the policy guard" in done.err
    [line] = done.out.splitlines()
    batch = line.split()[1].rstrip(":")
    assert line == f"batch {batch}: answered: 3, 3 pending, 1 refused"

    listed = cli(*priya, "approvals").out.splitlines()  # one row (the posts are from March)
    assert listed[0].startswith(f"batch {batch}  holding-statement  by {ME}")
    assert listed[0].endswith("3 pending  (open)")
    assert listed[1:] == ["  LATE: a reply is older than its mention's response deadline"]
    shown = cli(*home, "approvals", "batch", batch).out
    assert "  x:2  pending  " in shown and "  tiktok:4  not in the batch: blocked" in shown

    refused = cli(*home, "approvals", "approve-batch", batch)  # social, at a crisis level
    assert refused.code == 3 and "may not approve" in refused.err
    approved = cli(*priya, "approvals", "approve-batch", batch)
    assert (approved.code, approved.out) == (0, f"batch {batch}: approved: 3, 3 approved\n")
    sent = cli(*home, "approvals", "send-batch", batch)
    assert (sent.code, sent.out) == (
        0,
        f"batch {batch}: sent: 3, 3 sent\nchecklist step ticked: holding-statement\n",
    )
    out = [json.loads(x) for x in (data / "outbox.jsonl").read_text().splitlines()]
    assert sorted(o["mention"] for o in out) == ["x:1", "x:2", "x:3"]
    assert cli(*home, "approvals").out == ""  # the batch has left the queue
    again = cli(*home, "approvals", "send-batch", batch)
    assert again.code == 3 and "has no reply to send (3 sent)" in again.err
    [ticked] = [x for x in cli(*home, "checklist").out.splitlines() if "holding-statement" in x]
    assert ticked.startswith("[x] holding-statement") and " by priya " in ticked


def test_the_last_reply_of_a_batch_sent_on_its_own_closes_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "team.yaml").write_text(
        f'operators:\n  "{ME}": [social]\n  priya: [pr]\nshared_logins:\n  "{ME}": [priya]\n'
    )
    feed = tmp_path / "in.jsonl"
    feed.write_text("\n".join(jsonl(record("1", "Order?"), record("2", "Order??"))) + "\n")
    home = ("--data-dir", str(data))
    priya = (*home, "--as", "priya")
    assert cli(*home, "ingest", str(feed)).code == 0
    assert cli(*priya, "templates", "approve", "holding-statement").code == 0
    assert cli(*priya, "crisis", "raise", "2", "--reason", "orders going missing").code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("x:1\n\nx:2\n"))  # keys from a script
    made = cli(*home, "reply", "-", "--template", "holding-statement", "--var", ISSUE, "--submit")
    assert made.code == 0 and made.out.endswith(": answered: 2, 2 pending\n")
    batch = made.out.split()[1].rstrip(":")
    rows = [x.split() for x in cli(*home, "approvals", "batch", batch).out.splitlines()[1:]]
    replies = {key: reply for key, _, reply in rows}

    for key in ("x:1", "x:2"):  # one by one, as single replies, not as the batch
        assert cli(*priya, "approvals", "approve", replies[key]).code == 0
    first = cli(*home, "approvals", "send", replies["x:1"])
    assert first.code == 0 and "checklist" not in first.out
    last = cli(*home, "approvals", "send", replies["x:2"])
    assert last.code == 0 and last.out.endswith("checklist step ticked: holding-statement\n")
    assert cli(*home, "approvals", "batch", batch).out.split("\n")[0].endswith("2 sent  (sent)")
