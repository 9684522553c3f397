"""Working mentions from a shell (`cli/work.py`), run as a user would: a real subprocess on a
real folder, as the account running the tests, with a colleague reached through the team
file's shared login (`--as`)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

from tests.conftest import jsonl, record
from tests.test_cli import run, write


def test_assign_tag_note_close_and_reopen_from_the_shell(tmp_path: Path) -> None:
    data, me = tmp_path / "data", getpass.getuser()
    data.mkdir()
    (data / "team.yaml").write_text(
        f'operators:\n  "{me}": [social]\n  sam: [support]\nshared_logins:\n  "{me}": [sam]\n'
    )
    posts = [record(str(i), f"My parcel is late again, order {i}") for i in (1, 2, 3)]
    assert (
        run(
            "--data-dir", str(data), "ingest", str(write(tmp_path / "in.jsonl", jsonl(*posts)))
        ).returncode
        == 0
    )

    def cli(*args: str, stdin: str = "", as_name: str = "") -> tuple[int, str, str]:
        who = ("--as", as_name) if as_name else ()
        done = run("--data-dir", str(data), *who, *args, stdin=stdin)
        return done.returncode, done.stdout, done.stderr

    assert cli("assign", "x:1", "x:2", "--to", "sam")[:2] == (0, "assigned to sam: 2\n")
    # One key refused, the other already so: done in part, the refusal named.
    code, out, err = cli("assign", "x:1", "x:404", "--to", "sam")
    assert code == 1 and "1 already so, 1 refused" in out
    assert "refused: x:404: no such mention" in err
    code, out, err = cli("assign", "x:1", "--to", "nobody")
    assert code == 2 and "neither on the team" in err
    # Keys from standard input, a tag as a person types it.
    assert cli("tag", "-", "#Refund Request", stdin="x:1\nx:3\n")[:2] == (0, "tagged: 2\n")
    assert cli("note", "x:1", "Called back; ticket 881")[0] == 0
    assert cli("close", "x:3", "--reason", "spam", "--comment", "a bot")[0] == 0
    code, _, err = cli("close", "x:3", "--reason", "spam")
    assert code == 3 and "x:3: closed already (spam" in err
    code, out, _ = cli("worked", "x:1")
    assert code == 0 and "assigned: sam, by" in out and "tags: refund-request" in out
    assert "Called back; ticket 881" in out
    assert "closed: spam, by" in cli("worked", "x:3")[1]
    # Sam is told, once.
    code, out, _ = cli("notices", as_name="sam")
    assert code == 0 and f"{me} assigned you x:1, x:2" in out
    assert cli("notices", as_name="sam")[1] == "nothing new assigned to you\n"
    assert cli("reopen", "x:3")[:2] == (0, "reopened: 1\n")
    # Support may not close for legal: the whole call is refused.
    code, _, err = cli("close", "x:2", "--reason", "legal", as_name="sam")
    assert code == 3 and "sam (support) may not close" in err
    actions = [json.loads(line) for line in (data / "audit.jsonl").read_text().splitlines()]
    worked = [(e["action"], e["subject"]) for e in actions if e["action"].startswith("mention.")]
    assert worked[3:] == [
        ("mention.assigned", "x:1"),
        ("mention.assigned", "x:2"),
        ("mention.tagged", "x:1"),
        ("mention.tagged", "x:3"),
        ("mention.noted", "x:1"),
        ("mention.closed", "x:3"),
        ("mention.reopened", "x:3"),
    ]
    refused = [e["subject"] for e in actions if e["action"] == "refused"]
    assert refused == ["x:404", "x:3", "x:2"]
