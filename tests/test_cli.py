"""The command line, run as a user would: a real subprocess, real files, exit codes."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from pathlib import Path

from crisis_console.core.models import Category, Role, SentimentLabel, Urgency
from crisis_console.core.store.store import TinyDBStore
from tests.conftest import jsonl, record

TRIAGE_KEYS = {
    "id",
    "sentiment",
    "urgency",
    "category",
    "reasons",
    "queue",
    "respond_within_minutes",
    "escalate",
    "rule",
}


def run(*args: str, stdin: str = "", home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if home is not None:
        env["CRISIS_CONSOLE_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "crisis_console", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_triage_writes_one_documented_object_per_mention(tmp_path: Path) -> None:
    feed = write(
        tmp_path / "in.jsonl",
        jsonl(
            record("1", "The blender blade snapped off and I'm injured", platform="tiktok"),
            record("2", "Love the new range, thank you!", platform="instagram"),
        ),
    )
    out = run("triage", str(feed))
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["tiktok:1", "instagram:2"]
    for row in rows:
        assert set(row) == TRIAGE_KEYS
        assert row["sentiment"]["label"] in {s.value for s in SentimentLabel}
        assert -1 <= row["sentiment"]["compound"] <= 1
        assert row["urgency"] in {u.value for u in Urgency}
        assert row["category"] in {c.value for c in Category}
        assert row["queue"] in {r.value for r in Role}
        assert isinstance(row["respond_within_minutes"], int) and row["reasons"]
    assert (rows[0]["urgency"], rows[0]["escalate"], rows[0]["queue"]) == ("critical", True, "lead")
    assert (rows[1]["category"], rows[1]["escalate"]) == ("praise", False)


def test_triage_reports_a_bad_line_keeps_the_good_ones_and_exits_1(tmp_path: Path) -> None:
    lines = jsonl(record("1", "first"), record("2", "second"))
    lines.insert(1, '{"id": "x", "platform": "x", "text": "ok", "followers": "lots"}')
    out = run("triage", str(write(tmp_path / "in.jsonl", lines)))
    assert out.returncode == 1
    assert [json.loads(line)["id"] for line in out.stdout.splitlines()] == ["x:1", "x:2"]
    assert f"{tmp_path / 'in.jsonl'}:2: followers: must be a whole number" in out.stderr


def test_triage_reads_stdin() -> None:
    out = run("triage", "-", stdin="\n".join(jsonl(record("7", "How do I pause my box?"))))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["category"] == "question"


def test_ingest_stores_once_and_summarises(tmp_path: Path) -> None:
    data = tmp_path / "data"
    feed = write(tmp_path / "in.jsonl", [*jsonl(record("1", "hello"), record("2", "hi")), "nope"])
    first = run("--data-dir", str(data), "ingest", str(feed))
    assert first.returncode == 1  # one line was rejected
    assert "2 new, 0 updated, 0 deleted, 0 duplicate(s), 1 rejected" in first.stdout
    assert "in.jsonl:3: not valid JSON" in first.stderr
    second = run("--data-dir", str(data), "ingest", str(feed))
    assert "0 new, 0 updated, 0 deleted, 2 duplicate(s), 1 rejected" in second.stdout
    store = TinyDBStore(data)
    try:
        assert sorted(s.key for s in store.all()) == ["x:1", "x:2"]
    finally:
        store.close()
    actions = [json.loads(line)["action"] for line in (data / "audit.jsonl").open()]
    assert actions == ["playbook.adopted", "mention.ingested", "mention.ingested"]


def test_data_dir_falls_back_to_the_environment(tmp_path: Path) -> None:
    feed = write(tmp_path / "in.jsonl", jsonl(record("1", "hello")))
    out = run("ingest", str(feed), home=tmp_path / "home")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "home" / "mentions" / "live.json").exists()


def test_ingest_is_refused_while_the_folder_is_in_use(tmp_path: Path) -> None:
    feed = write(tmp_path / "in.jsonl", jsonl(record("1", "hello")))
    holder = TinyDBStore(tmp_path / "data")
    try:
        out = run("--data-dir", str(tmp_path / "data"), "ingest", str(feed))
    finally:
        holder.close()
    assert out.returncode == 2
    assert "already in use" in out.stderr


def test_demo_loads_into_its_own_folder_and_never_over_real_data(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    out = run("--data-dir", str(demo), "demo", "--no-open")
    assert out.returncode == 0, out.stderr
    assert "209 new" in out.stdout and str(demo) in out.stdout
    again = run("--data-dir", str(demo), "demo", "--no-open")
    assert "209 new" in again.stdout  # reset, not duplicated
    real = tmp_path / "real"
    run(
        "--data-dir",
        str(real),
        "ingest",
        str(write(tmp_path / "in.jsonl", jsonl(record("1", "x")))),
    )
    refused = run("--data-dir", str(real), "demo", "--no-open")
    assert refused.returncode == 2 and "not the demo's" in refused.stderr
    assert (real / "mentions" / "live.json").exists()


def test_demo_never_loads_into_a_team_database(tmp_path: Path, pg_dsn: str) -> None:
    """A team database named by the environment (or the settings) is the team's live
    store: the demo's made-up harm posts must never reach it."""
    demo = tmp_path / "demo"
    env = {**os.environ, "CRISIS_CONSOLE_DB": pg_dsn}
    out = subprocess.run(
        [sys.executable, "-m", "crisis_console", "--data-dir", str(demo), "demo", "--no-open"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert f"loaded into {demo}" in out.stdout
    store = TinyDBStore(demo)
    try:
        assert store.all()
    finally:
        store.close()
    refused = run("--data-dir", str(demo), "--db", pg_dsn, "demo", "--no-open")
    assert refused.returncode == 2 and "never a team database" in refused.stderr
    from crisis_console.core.store.postgres.connection import connect

    with connect(pg_dsn) as conn:  # the database was never touched: not even its schema
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'mentions' "
            "AND table_schema = current_schema()"
        ).fetchone()
    assert tables == (0,)


def test_playbook_validate(tmp_path: Path) -> None:
    ok = run("playbook", "validate")
    assert ok.returncode == 0 and "ok" in ok.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: b\nversion: x\n")
    bad = run("playbook", "validate", str(broken))
    assert bad.returncode == 2
    assert f"{broken}:2: version: must be a whole number" in bad.stderr
    assert "title: is required" in bad.stderr


def team(folder: Path, **operators: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["operators:"] + [f"  {name}: [{roles}]" for name, roles in operators.items()]
    (folder / "team.yaml").write_text("\n".join(lines) + "\n")


def test_crisis_level_from_the_shell_with_permissions_and_audit(tmp_path: Path) -> None:
    data = tmp_path / "data"
    me = getpass.getuser()
    team(data, **{me: "support"})
    refused = run("--data-dir", str(data), "crisis", "raise", "2", "--reason", "boycott")
    assert refused.returncode == 3
    assert f"refused: {me} (support) may not change level" in refused.stderr
    team(data, **{me: "pr"})
    raised = run("--data-dir", str(data), "crisis", "raise", "2", "--reason", "boycott")
    assert raised.returncode == 0, raised.stderr
    assert "level 2 (crisis) — CRISIS MODE" in raised.stdout
    assert "ordinary sending paused" in raised.stdout
    assert "[ ] holding-statement" in raised.stdout
    wrong_way = run("--data-dir", str(data), "crisis", "raise", "1", "--reason", "x")
    assert wrong_way.returncode == 2 and "would not raise it" in wrong_way.stderr
    ticked = run("--data-dir", str(data), "checklist", "tick", "holding-statement")
    assert ticked.returncode == 0 and f"by {me}" in ticked.stdout
    status = run("--data-dir", str(data), "checklist")
    assert "[x] holding-statement" in status.stdout
    actions = [
        json.loads(line)["action"] for line in (data / "audit.jsonl").read_text().splitlines()
    ]
    assert actions == ["playbook.adopted", "refused", "level.changed", "checklist.ticked"]


def test_alarms_from_the_shell(tmp_path: Path) -> None:
    data = tmp_path / "data"
    me = getpass.getuser()
    team(data, **{me: "lead"})
    feed = write(tmp_path / "in.jsonl", jsonl(record("1", "The kettle gave me an electric shock")))
    run("--data-dir", str(data), "ingest", str(feed))
    listed = run("--data-dir", str(data), "alarms")
    assert "x:1" in listed.stdout and "OPEN" in listed.stdout
    acked = run("--data-dir", str(data), "alarms", "ack", "x:1")
    assert acked.returncode == 0 and f"acknowledged x:1 by {me}" in acked.stdout
    assert run("--data-dir", str(data), "alarms").stdout == ""
    assert "acknowledged by" in run("--data-dir", str(data), "alarms", "--all").stdout
    log = (data / "crisis-console.log").read_text()
    assert "harm: Risk of harm: acknowledge now" in log


def test_the_active_playbook_is_chosen_in_the_data_folders_settings(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "settings.yaml").write_text("playbook: data-breach\n")
    out = run("--data-dir", str(data), "playbook", "validate")
    assert out.returncode == 0 and "data-breach.yaml: ok — 'Data breach'" in out.stdout
    assert (
        "'General brand playbook'"
        in run("--data-dir", str(data), "--playbook", "general", "playbook", "validate").stdout
    )


def test_team_changes_are_lead_only_audited_and_as_needs_the_team_files_leave(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    me = getpass.getuser()
    (data).mkdir()
    (data / "team.yaml").write_text(
        f"operators:\n  {me}: [lead]\n  sam: [support]\n  maya: [social]\n"
        f"shared_logins:\n  {me}: [sam]\n"
    )
    refused = run("--data-dir", str(data), "--as", "sam", "team", "set", "sam", "lead")
    assert refused.returncode == 3 and "sam (support) may not change roster" in refused.stderr
    not_allowed = run("--data-dir", str(data), "--as", "maya", "team", "list")
    assert not_allowed.returncode == 3 and f"login {me} may not act as maya" in not_allowed.stderr
    changed = run("--data-dir", str(data), "team", "set", "priya", "pr", "legal")
    assert changed.returncode == 0 and "priya                legal, pr" in changed.stdout
    removed = run("--data-dir", str(data), "team", "remove", "maya")
    assert "maya" not in removed.stdout
    events = [json.loads(line) for line in (data / "audit.jsonl").read_text().splitlines()]
    assert [(e["action"], e["actor"]) for e in events] == [
        ("identity.as", me),
        ("playbook.adopted", "sam"),  # the store's first command records its playbook
        ("refused", "sam"),
        ("refused", me),
        ("roster.changed", me),
        ("roster.changed", me),
    ]
    assert {k: v for k, v in events[4]["data"].items() if k != "playbook"} == {
        "before": [],
        "after": ["legal", "pr"],
        "where": str(data / "team.yaml"),
    }


def test_templates_lint_approve_and_a_reply_from_the_shell(tmp_path: Path) -> None:
    data = tmp_path / "data"
    me = getpass.getuser()
    team(data, **{me: "lead"})
    assert "24 template(s) ok, 0 problem(s)" in run("templates", "lint").stdout
    feed = write(
        tmp_path / "in.jsonl",
        jsonl(record("1", "Three days late, still waiting", author_name="{{ 7*7 }}")),
    )
    run("--data-dir", str(data), "ingest", str(feed))
    args = (
        "--data-dir",
        str(data),
        "reply",
        "x:1",
        "--template",
        "delivery-delay",
        "--var",
        "new_date=Friday",
    )
    unapproved = run(*args)
    assert (
        unapproved.returncode == 1
        and "BLOCK: template 'delivery-delay' is not approved" in unapproved.stdout
    )
    assert "NOT APPROVED" in run("--data-dir", str(data), "templates", "list").stdout
    run("--data-dir", str(data), "templates", "approve", "delivery-delay")
    preview = run(*args)
    assert "Hi {{ 7*7 }}, sorry your delivery" in preview.stdout  # the name stays data, not 49
    assert "placeholder" not in preview.stdout  # a name is never a leftover placeholder
    feed2 = write(tmp_path / "in2.jsonl", jsonl(record("2", "Three days late", author_name="Dan")))
    run("--data-dir", str(data), "ingest", str(feed2))
    sent = run(
        "--data-dir",
        str(data),
        "reply",
        "x:2",
        "--template",
        "delivery-delay",
        "--var",
        "new_date=Friday",
        "--send",
    )
    assert sent.returncode == 0, sent.stderr
    [line] = (data / "outbox.jsonl").read_text().splitlines()
    assert json.loads(line)["text"].startswith("Hi Dan, sorry your delivery")


def test_audit_verify_and_export_work_while_the_folder_is_held(tmp_path: Path) -> None:
    data = tmp_path / "data"
    me = getpass.getuser()
    feed = write(tmp_path / "in.jsonl", jsonl(record("1", "hello"), record("2", "hi there")))
    run("--data-dir", str(data), "ingest", str(feed))  # before the team: a folder set up
    team(data, **{me: "auditor"})
    holder = TinyDBStore(data)  # a console has the folder open
    try:
        verified = run("--data-dir", str(data), "audit", "verify").stdout
        assert verified.startswith("ok: 3 events")  # the playbook's adoption, two mentions
        out = tmp_path / "export.csv"
        exported = run(
            "--data-dir",
            str(data),
            "audit",
            "export",
            "--format",
            "csv",
            "--mention",
            "x:2",
            "--out",
            str(out),
        )
        assert exported.returncode == 0 and "exported 1 record(s)" in exported.stderr
        assert "hi there" in out.read_text()
    finally:
        holder.close()
    lines = (data / "audit.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["action"] == "audit.exported"
    assert "hello" in lines[1]  # after the playbook's adoption
    (data / "audit.jsonl").write_text(
        "\n".join([lines[0], lines[1].replace("hello", "HELLO"), *lines[2:]]) + "\n"
    )
    broken = run("--data-dir", str(data), "audit", "verify")
    assert (
        broken.returncode == 1
        and "audit.jsonl:2: its content does not match its hash" in broken.stderr
    )


def test_out_is_never_written_inside_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    feed = write(tmp_path / "in.jsonl", jsonl(record("1", "hello")))
    assert run("--data-dir", str(data), "ingest", str(feed)).returncode == 0
    log = data / "audit.jsonl"
    before = log.read_bytes()
    for command in (
        ["eval", "export-corrections"],
        ["audit", "export", "--format", "jsonl"],
        ["report", "--format", "json"],
    ):
        for out, why in (
            (log, "inside the data folder"),
            (data / "mentions" / "x.json", "inside the data folder"),
            (tmp_path, "is a folder"),
            (tmp_path / "nowhere" / "x.json", "there is no folder"),
        ):
            done = run("--data-dir", str(data), *command, "--out", str(out))
            assert done.returncode == 2 and why in done.stderr, (command, out, done.stderr)
            assert "Traceback" not in done.stderr
    assert log.read_bytes() == before
    assert run("--data-dir", str(data), "audit", "verify").returncode == 0
