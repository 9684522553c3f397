"""Issue 15, point 11: the smaller ones. A terminal never gets a mention's bidi controls
raw; a template cannot ask for a hundred million characters or a loop of a billion steps;
releasing a claim on an unknown mention is not "released"; a closed pipe ends quietly; and
a settings file that is not YAML says so."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crisis_console.core.replies.templates import RenderError, TemplateFileError, load_template
from tests.conftest import jsonl, record
from tests.security.shell import ME, cli, roster

RLO = "\u202e"  # right-to-left override: makes "gpj.exe" read as "exe.jpg"


def template_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "greedy.j2"
    path.write_text(
        "---\nid: greedy\ntitle: Greedy\nroles: [social]\nversion: 1\n---\n" + body + "\n"
    )
    return path


@pytest.mark.parametrize(
    "body",
    ["{{ 'x' * 10**8 }}", "{{ [1] * 10**8 }}", "{{ 2 ** 100000 }}", "{{ 9**9**9**9**9 }}"],
)
def test_a_template_cannot_grow_a_value_without_bound(tmp_path: Path, body: str) -> None:
    template = load_template(template_file(tmp_path, body))
    start = time.monotonic()
    with pytest.raises(RenderError):
        template.render({}, {})
    assert time.monotonic() - start < 5  # refused, not computed and then refused


def test_a_template_has_no_loops_or_macros(tmp_path: Path) -> None:
    body = "Hi\n{% for i in range(999) %}{% for j in range(999) %}x{% endfor %}{% endfor %}"
    with pytest.raises(TemplateFileError) as refused:
        load_template(template_file(tmp_path, body))
    assert "greedy.j2:8: body: a reply template fills in blanks: no loops or macros" in str(
        refused.value
    )


def hostile_store(data: Path, tmp_path: Path) -> None:
    roster(data, {ME: "lead"})
    feed = tmp_path / "in.jsonl"
    feed.write_text("\n".join(jsonl(record("1", f"my photo {RLO}gpj.exe is broken"))) + "\n")
    assert cli(data, "ingest", str(feed)).returncode == 0


def test_audit_export_to_a_terminal_spells_out_bidi_controls(tmp_path: Path) -> None:
    data = tmp_path / "data"
    hostile_store(data, tmp_path)
    main, child = pty.openpty()
    argv = [sys.executable, "-m", "crisis_console", "--data-dir", str(data), "audit", "export"]
    done = subprocess.run(argv, stdout=child, stderr=subprocess.PIPE, timeout=120)
    os.close(child)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal's other end has closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert done.returncode == 0, done.stderr
    text = shown.decode("utf-8")
    assert "gpj.exe" in text and RLO not in text and "\\u202e" in text
    # A file gets the record as it is: the archive is exact.
    out = tmp_path / "export.jsonl"
    assert cli(data, "audit", "export", "--out", str(out)).returncode == 0
    assert any(RLO in json.dumps(json.loads(line), ensure_ascii=False) for line in out.open())


def test_releasing_a_claim_on_an_unknown_mention_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    hostile_store(data, tmp_path)
    unknown = cli(data, "claim", "x:nope", "--release")
    assert unknown.returncode == 2 and "no mention x:nope" in unknown.stderr
    assert "released" not in unknown.stdout
    unclaimed = cli(data, "claim", "x:1", "--release")
    assert unclaimed.returncode == 0 and "was not claimed" in unclaimed.stdout


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    roster(data, {ME: "lead"})
    feed = tmp_path / "many.jsonl"  # far more records than one pipe buffer holds
    feed.write_text("\n".join(jsonl(*(record(str(i), f"parcel {i}") for i in range(3000)))))
    assert cli(data, "ingest", str(feed)).returncode == 0
    argv = [sys.executable, "-m", "crisis_console", "--data-dir", str(data), "audit", "export"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # `| head -1`
    process.wait(timeout=120)
    assert "Traceback" not in process.stderr.read().decode()


def test_a_settings_file_that_is_not_yaml_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    hostile_store(data, tmp_path)
    (data / "settings.yaml").write_text("brand: Brightwell\nplaybook: [general\n")
    done = cli(data, "crisis", "status")
    assert done.returncode == 2
    assert "settings.yaml:3: not valid YAML" in done.stderr and "must be a text" not in done.stderr
