"""The first run and the team's own set-up from the command line: `team init` makes the
account running it the first lead (on either backend, by the same test), `team
shared-logins` says who may act as whom with `--as`, and the demo ships a sample team whose
roles can be tried so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crisis_console.core.models import Role
from crisis_console.core.roster import load_roster, process_account, write_roster
from tests.cli_call import Cli
from tests.conftest import jsonl, record

ME = process_account()


@pytest.fixture(params=["folder", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    """A new store nobody is on the team of, as the options that name it, and the operator
    the command line acts as there: the account running it, or in team mode the database
    login (the schema is migrated as `db init` does, without making anyone its lead)."""
    folder = ["--data-dir", str(tmp_path / "data")]
    if request.param == "folder":
        yield folder, ME
        return
    from crisis_console.core.store.postgres import migrations
    from crisis_console.core.store.postgres.connection import connect

    dsn = request.getfixturevalue("pg_dsn")
    with connect(dsn) as conn:
        migrations.migrate(conn)
        row = conn.execute("SELECT current_user").fetchone()
    assert row is not None
    yield [*folder, "--db", dsn], str(row[0])


def test_team_init_makes_whoever_runs_it_the_first_lead_once(
    cli: Cli, store: tuple[list[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    options, me = store
    monkeypatch.setenv("USER", "maya")  # the environment says nothing of who someone is
    monkeypatch.setenv("LOGNAME", "maya")
    first = cli(*options, "team", "init")
    assert first.code == 0, first.err
    assert f"{me} is now the team's lead, its only member" in first.out
    assert "team set NAME ROLE..." in first.out and "templates approve" in first.out
    listed = cli(*options, "team", "list")
    assert listed.out == f"{me:<20} lead\n"
    # Once anyone is on the team it is its lead's: a second init is refused, and audited.
    again = cli(*options, "team", "init")
    assert again.code == 3 and "already has a team of 1 (lead: " in again.err
    assert cli(*options, "team", "list").out == listed.out
    events = [e for e in cli.audit(*options) if e["action"] in ("roster.changed", "refused")]
    assert [(e["action"], e["actor"], e["subject"]) for e in events] == [
        ("roster.changed", me, f"operator:{me}"),
        ("refused", me, "team"),
    ]
    assert (events[0]["data"]["before"], events[0]["data"]["after"]) == ([], ["lead"])
    assert events[1]["data"]["action"] == "init_team"


def test_team_init_is_refused_on_a_team_without_a_lead_and_says_so(
    cli: Cli, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_roster(data / "team.yaml", {"sam": [Role.SUPPORT]})
    done = cli("--data-dir", str(data), "team", "init")
    assert done.code == 3 and "already has a team of 1 (none of them lead)" in done.err
    assert load_roster(data / "team.yaml").operators == {"sam": frozenset({Role.SUPPORT})}


def test_deleting_the_team_file_does_not_make_a_team_to_init_again(
    cli: Cli, tmp_path: Path
) -> None:
    """The team as a lead last accepted it decides, not the file: with it deleted, the store
    still knows its lead, and `team init` is refused."""
    data = tmp_path / "data"
    assert cli("--data-dir", str(data), "team", "init").code == 0
    (data / "team.yaml").unlink()
    again = cli("--data-dir", str(data), "team", "init")
    assert again.code == 3 and f"already has a team of 1 (lead: {ME})" in again.err
    assert not (data / "team.yaml").exists()


def test_a_first_run_says_how_to_become_the_lead(cli: Cli, tmp_path: Path) -> None:
    done = cli("--data-dir", str(tmp_path / "data"), "crisis", "status")
    assert done.code == 0
    assert f"nobody is on the team yet ({tmp_path / 'data' / 'team.yaml'})" in done.err
    assert f"'crisis-console team init' makes {ME} its lead" in done.err


def test_shared_logins_are_set_by_the_lead_and_decide_who_may_use_as(
    cli: Cli, tmp_path: Path
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    assert cli(*data, "team", "init").code == 0
    assert cli(*data, "team", "set", "maya", "social").code == 0
    assert cli(*data, "team", "set", "sam", "support").code == 0
    assert cli(*data, "--as", "maya", "team", "list").code == 3  # not allowed yet
    added = cli(*data, "team", "shared-logins", "add", ME, "maya", "sam")
    assert added.code == 0, added.err
    assert added.out == f"{ME:<20} may act as maya, sam\n"
    shared = load_roster(tmp_path / "data" / "team.yaml").shared_logins
    assert shared == {ME: frozenset({"maya", "sam"})}
    # Now this login may act as maya, with maya's roles, and no more than hers.
    as_maya = cli(*data, "--as", "maya", "crisis", "raise", "2", "--reason", "drill")
    assert as_maya.code == 3 and "maya (social) may not change level" in as_maya.err
    # Only a lead changes them: maya may not widen her own login's reach.
    widened = cli(*data, "--as", "maya", "team", "shared-logins", "add", "maya", "sam")
    assert widened.code == 3 and "maya (social) may not change roster" in widened.err
    unknown = cli(*data, "team", "shared-logins", "add", ME, "bob")
    assert unknown.code == 2 and "not on the team: bob" in unknown.err
    removed = cli(*data, "team", "shared-logins", "remove", ME, "maya")
    assert removed.out == f"{ME:<20} may act as sam\n"
    refused = cli(*data, "--as", "maya", "team", "list")
    assert refused.code == 3 and f"login {ME} may not act as maya" in refused.err
    cleared = cli(*data, "team", "shared-logins", "remove", ME)
    assert cleared.out == "no shared logins: nobody may act as another with --as\n"
    changes = [e for e in cli.audit(*data) if e["action"] == "roster.shared_logins"]
    assert [
        (e["actor"], e["subject"], e["data"]["before"], e["data"]["after"]) for e in changes
    ] == [
        (ME, f"login:{ME}", [], ["maya", "sam"]),
        (ME, f"login:{ME}", ["maya", "sam"], ["sam"]),
        (ME, f"login:{ME}", ["sam"], []),
    ]


def test_shared_logins_do_not_apply_in_team_mode(cli: Cli, tmp_path: Path, pg_dsn: str) -> None:
    team = ["--data-dir", str(tmp_path / "data"), "--db", pg_dsn]
    assert cli(*team, "db", "init").code == 0  # the login running it is the lead
    done = cli(*team, "team", "shared-logins", "add", "ops", "maya")
    assert done.code == 2 and "in team mode each operator connects as" in done.err


def test_the_demo_ships_a_sample_team_whose_roles_can_be_tried_with_as(
    cli: Cli, tmp_path: Path
) -> None:
    demo = ["--data-dir", str(tmp_path / "demo")]
    loaded = cli(*demo, "demo", "--no-open")
    assert loaded.code == 0, loaded.err
    assert "the sample team is lee (lead), priya (pr), maya (social), sam (support)" in loaded.out
    assert "`crisis-console --as maya demo`" in loaded.out
    team = load_roster(tmp_path / "demo" / "team.yaml")
    assert {name: sorted(r.value for r in roles) for name, roles in team.operators.items()} == {
        ME: ["lead"],
        "lee": ["lead"],
        "priya": ["pr"],
        "maya": ["social"],
        "sam": ["support"],
        "dana": ["legal"],
        "ari": ["auditor"],
    }
    assert team.shared_logins == {ME: frozenset({"lee", "priya", "maya", "sam", "dana", "ari"})}
    # Each sample operator acts with their own roles, from this login.
    raised = cli(*demo, "--as", "priya", "crisis", "raise", "2", "--reason", "drill")
    assert raised.code == 0 and "by priya: drill" in raised.out
    lowered = cli(*demo, "--as", "sam", "crisis", "lower", "0", "--reason", "over")
    assert lowered.code == 3 and "sam (support) may not change level" in lowered.err
    feed = tmp_path / "in.jsonl"
    feed.write_text("\n".join(jsonl(record("1", "hello"))) + "\n")
    ingest = cli(*demo, "--as", "ari", "ingest", str(feed))
    assert ingest.code == 3 and "ari (auditor) may not ingest" in ingest.err
    # `--as NAME demo` loads afresh as the operator (the lead approves the templates), then
    # opens as NAME.
    as_maya = cli(*demo, "--as", "maya", "demo", "--no-open")
    assert as_maya.code == 0, as_maya.err
    assert "209 new" in as_maya.out and "acting as maya (social)" in as_maya.out
    events = cli.audit(*demo)
    assert [(e["actor"], e["subject"]) for e in events if e["action"] == "identity.as"] == [
        (ME, "operator:maya")
    ]
    approvals = [e["actor"] for e in events if e["action"] == "template.approved"]
    assert approvals and set(approvals) == {ME}
