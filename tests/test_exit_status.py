"""Every command keeps to README's "Exit status": 3 for a refusal by a rule, whichever
command and whichever rule, each in the audit log; 2 for a command that cannot run as given
(argparse's usage errors among them), which audits no refusal; 1 for one done in part."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from crisis_console.cli import status
from crisis_console.core.models import Role
from crisis_console.core.roster import write_roster
from tests.cli_call import Cli
from tests.conftest import jsonl, record

ME = getpass.getuser()

# (what, the command after `--data-dir DIR`, its status, what its message says)
CASES = [
    # Refused by a rule: 3, whatever the command.
    ("ingest by an auditor", ["--as", "ari", "ingest", "{feed}"], 3,
     "ari (auditor) may not ingest"),
    ("level change by support", ["--as", "sam", "crisis", "raise", "2", "--reason", "r"], 3,
     "sam (support) may not change level: it needs lead, pr"),
    ("playbook use by social", ["--as", "maya", "playbook", "use", "product-recall"], 3,
     "maya (social) may not change playbook"),
    ("team change by social", ["--as", "maya", "team", "set", "maya", "lead"], 3,
     "maya (social) may not change roster"),
    ("--as not in shared_logins", ["--as", "lee", "team", "list"], 3,
     f"login {ME} may not act as lee"),
    ("a claim someone else holds", ["--as", "sam", "claim", "x:1"], 3, "claimed by maya"),
    ("a send the policy guard blocks",
     ["reply", "x:3", "--template", "delivery-delay", "--var", "new_date=Friday", "--send"], 3,
     "template 'delivery-delay' is not approved"),
    ("a team init once there is a team", ["team", "init"], 3, "already has a team of 4"),
    # Not done as given: 2, nothing refused.
    ("an unknown option", ["claim", "x:1", "--bogus"], 2, "unrecognized arguments: --bogus"),
    ("a missing argument", ["crisis", "raise", "2"], 2, "the following arguments are required"),
    ("an unknown mention", ["claim", "x:nope"], 2, "no mention x:nope"),
    ("a level change the wrong way", ["crisis", "lower", "1", "--reason", "r"], 2,
     "would not lower it"),
    ("a shared login for someone not on the team",
     ["team", "shared-logins", "add", "ops", "bob"], 2, "not on the team: bob"),
    # Done in part: 1.
    ("a rejected line", ["ingest", "{bad_feed}"], 1, "not valid JSON"),
    ("a preview the guard would block",
     ["reply", "x:3", "--template", "delivery-delay", "--var", "new_date=Friday"], 1, ""),
    ("done", ["team", "list"], 0, ""),
]  # fmt: skip


@pytest.mark.parametrize(("what", "argv", "code", "said"), CASES, ids=[c[0] for c in CASES])
def test_each_outcome_has_its_one_exit_status(
    cli: Cli, tmp_path: Path, what: str, argv: list[str], code: int, said: str
) -> None:
    data = str(tmp_path / "data")
    feed = tmp_path / "in.jsonl"
    late = [record(n, "Three days late, still waiting") for n in ("1", "3")]
    feed.write_text("\n".join(jsonl(*late)) + "\n")
    bad_feed = tmp_path / "bad.jsonl"
    bad_feed.write_text("nope\n" + "\n".join(jsonl(record("2", "hello"))) + "\n")
    (tmp_path / "data").mkdir()
    write_roster(
        tmp_path / "data" / "team.yaml",
        {ME: [Role.LEAD], "maya": [Role.SOCIAL], "sam": [Role.SUPPORT], "ari": [Role.AUDITOR]},
        {ME: ["ari", "maya", "sam"]},
    )
    assert cli("--data-dir", data, "ingest", str(feed)).code == 0
    assert cli("--data-dir", data, "--as", "maya", "claim", "x:1").code == 0
    refused_before = [e for e in cli.audit("--data-dir", data) if e["action"] == "refused"]
    args = [a.format(feed=feed, bad_feed=bad_feed) for a in argv]
    done = cli("--data-dir", data, *args)
    assert done.code == code, (what, done.err)
    assert said in done.err + done.out
    refused = [e for e in cli.audit("--data-dir", data) if e["action"] == "refused"]
    if code == status.REFUSED:
        assert done.err.startswith("crisis-console: refused: ")
        assert len(refused) == len(refused_before) + 1  # every refusal is in the audit log
    else:
        assert refused == refused_before
