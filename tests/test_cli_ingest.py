"""Ingest from the command line as a user runs it: a followed file, a stream on standard
input, the platforms' JSON shapes, and the webhook receiver; real processes, real HTTP."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from crisis_console.core.intake.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.conftest import jsonl, record
from tests.test_cli import run, write


def test_ingest_follow_keeps_reading_a_growing_file(tmp_path: Path) -> None:
    data, feed = tmp_path / "data", write(tmp_path / "live.jsonl", jsonl(record("1", "first")))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crisis_console",
            "--data-dir",
            str(data),
            "ingest",
            "--follow",
            str(feed),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "following" in process.stdout.readline()
        assert "1 new" in process.stdout.readline()
        with feed.open("a") as handle:
            handle.write(json.dumps(record("2", "second")) + "\n" + "not json\n")
        assert (
            "1 new, 0 updated, 0 deleted, 0 duplicate(s), 1 rejected" in process.stdout.readline()
        )
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode == 0  # Ctrl+C is the way out, not a failure
    assert "live.jsonl:3: not valid JSON" in (process.stderr.read() if process.stderr else "")


def test_ingest_reads_each_platform_shape(tmp_path: Path) -> None:
    platforms = Path(__file__).parent / "data" / "platforms"
    # One of each platform's record shape; every other sample: tests/test_every_sample.py.
    names = ["bluesky.jsonl", "mastodon.jsonl", "reddit.jsonl", "x_v2.jsonl"]
    samples = [platforms / name for name in names]
    out = run("--data-dir", str(tmp_path / "data"), "ingest", *map(str, samples))
    assert out.returncode == 0, out.stderr
    assert [line.split(": ", 1)[1] for line in out.stdout.splitlines() if "new" in line] == [
        "1 new, 0 updated, 0 deleted, 0 duplicate(s), 0 rejected",  # bluesky
        "1 new, 0 updated, 0 deleted, 0 duplicate(s), 0 rejected",  # mastodon
        "2 new, 0 updated, 0 deleted, 0 duplicate(s), 0 rejected",  # reddit
        "2 new, 0 updated, 0 deleted, 0 duplicate(s), 0 rejected",  # x
        "6 new, 0 updated, 0 deleted, 0 duplicate(s), 0 rejected",  # total
    ]
    triaged = run("triage", str(samples[0]))
    assert (
        json.loads(triaged.stdout)["id"] == "bluesky:did:plc:z72i7hdynmk6r22z27h6tvur/3lbxyzabc2k2a"
    )
    assert json.loads(triaged.stdout)["category"] == "safety"


def test_serve_receives_a_signed_mention_and_needs_a_secret(tmp_path: Path) -> None:
    data = tmp_path / "data"
    refused = run("--data-dir", str(data), "serve")
    assert refused.returncode == 2 and "shared secret" in refused.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    secret = tmp_path / "secret"
    secret.write_text("a-long-shared-secret\n")
    args = ["--data-dir", str(data), "serve", "--port", str(port), "--secret-file", str(secret)]
    server = subprocess.Popen(
        [sys.executable, "-m", "crisis_console", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None and "receiving" in server.stdout.readline()
        body = json.dumps(record("w1", "the lid burned my hand")).encode()
        stamp = str(int(time.time()))
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/mentions",
            data=body,
            headers={
                TIMESTAMP_HEADER: stamp,
                SIGNATURE_HEADER: sign(b"a-long-shared-secret", stamp, body),
            },
        )
        for _ in range(50):  # the port opens a moment after the first line is printed
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    assert json.loads(response.read()) == {"stored": 1}
                break
            except urllib.error.URLError as exc:
                if isinstance(exc, urllib.error.HTTPError):
                    raise
                time.sleep(0.1)
        else:
            raise AssertionError("the receiver never answered")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert server.returncode == 0, server.stderr.read() if server.stderr else ""
    again = run("--data-dir", str(data), "ingest", "-", stdin=body.decode() + "\n")
    assert "1 duplicate(s)" in again.stdout  # it was stored by the receiver


def test_ingest_stdin_stores_each_line_while_the_pipe_is_still_open(tmp_path: Path) -> None:
    data = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-m", "crisis_console", "--data-dir", str(data), "ingest", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None
    process.stdin.write((json.dumps(record("s1", "first, alone")) + "\n").encode())
    process.stdin.flush()
    audit = data / "audit.jsonl"
    for _ in range(100):  # stored while the collector is still writing, not at the end
        if audit.exists() and '"x:s1"' in audit.read_text():
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the first line was not stored while the pipe stayed open")
    assert process.poll() is None
    rest = b"not json\n" + json.dumps(record("s2", "last")).encode()  # no final newline
    out, err = process.communicate(rest, timeout=60)
    assert "2 new, 0 updated, 0 deleted, 0 duplicate(s), 1 rejected" in out.decode()
    assert "<stdin>:2: not valid JSON" in err.decode()


def test_ingest_reads_each_tools_csv_export_and_stores_it_once(tmp_path: Path) -> None:
    # The first five presets' samples (tests/data/csv/README.md lists the others, which
    # tests/test_csv_samples.py and tests/test_every_sample.py import).
    names = ["brandwatch.csv", "generic.csv", "meltwater.tsv", "sprout-social.csv"]
    csv = Path(__file__).parent / "data" / "csv"
    samples = [str(csv / name) for name in [*names, "talkwalker.csv"]]
    data = str(tmp_path / "data")
    first = run("--data-dir", data, "ingest", *samples)
    assert first.returncode == 1  # each sample holds a bad row on purpose
    recognised = [
        line.split("recognised as ")[1].split(";")[0]
        for line in first.stdout.splitlines()
        if "recognised" in line
    ]
    assert recognised == [
        "Brandwatch Consumer Research mentions export",
        "generic spreadsheet",
        "Meltwater export",
        "Sprout Social Smart Inbox export",
        "Talkwalker results export",
    ]
    assert "total: 11 new, 0 updated, 0 deleted, 0 duplicate(s), 6 rejected" in first.stdout
    assert "brandwatch.csv:9: Date: '20-11-2026 zz' is not a date and time" in first.stderr
    again = run("--data-dir", data, "ingest", *samples)
    assert "total: 0 new, 0 updated, 0 deleted, 11 duplicate(s), 6 rejected" in again.stdout


def test_ingest_csv_from_stdin_with_columns_named_on_the_command_line(tmp_path: Path) -> None:
    sheet = "Wann;Kommentar;Wer\n20.11.2026 14:03;Der Deckel ist abgesprungen!;anna\n"
    args = ["--data-dir", str(tmp_path / "data"), "ingest", "-", "--csv"]
    columns = ["--column", "text=Kommentar", "--column", "created_at=Wann", "--day-first"]
    out = run(*args, *columns, "--timezone", "Europe/Berlin", "--platform", "facebook", stdin=sheet)
    assert out.returncode == 0, out.stderr
    assert "header on line 1, semicolon-separated UTF-8" in out.stdout
    assert "<stdin>: 1 new, 0 updated" in out.stdout


def test_a_bad_mapping_is_refused_before_anything_is_stored(tmp_path: Path) -> None:
    mapping = write(tmp_path / "ours.yaml", ["columns:", "  body: Text", "timezone: Nowhere"])
    sheet = write(tmp_path / "s.csv", ["text", "hello"])
    out = run("--data-dir", str(tmp_path / "data"), "ingest", "--mapping", str(mapping), str(sheet))
    assert out.returncode == 2
    assert f"{mapping}:2: columns.body: is not a field" in out.stderr
    assert f"{mapping}:3: timezone: 'Nowhere' is not a time zone" in out.stderr
    assert not (tmp_path / "data").exists()


def test_a_printed_preset_is_a_mapping_file_to_start_from(tmp_path: Path) -> None:
    listed = run("csv-presets")
    assert listed.stdout.split()[0] == "brandwatch" and "generic spreadsheet" in listed.stdout
    mapping = tmp_path / "ours.yaml"
    mapping.write_text(
        run("csv-presets", "brandwatch").stdout.replace(
            "title: Brandwatch", "title: Our Brandwatch"
        )
    )
    sample = str(Path(__file__).parent / "data" / "csv" / "brandwatch.csv")
    out = run("--data-dir", str(tmp_path / "data"), "ingest", "--mapping", str(mapping), sample)
    assert "read as Our Brandwatch Consumer Research mentions export" in out.stdout
    assert "2 new" in out.stdout  # the same rows, found through the copied mapping


def test_ingest_reads_a_named_encoding_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    sheet = tmp_path / "old.csv"
    sheet.write_bytes("text,author\nCafé kettle broke,ann\n".encode("cp1252"))
    data = str(tmp_path / "data")
    unnamed = run("--data-dir", data, "ingest", str(sheet))
    assert unnamed.returncode == 1 and f"{sheet}:2: not valid UTF-8" in unnamed.stderr
    named = run("--data-dir", data, "ingest", "--encoding", "cp1252", str(sheet))
    assert named.returncode == 0 and "1 new" in named.stdout and "CP1252" in named.stdout
    wrong = run("--data-dir", data, "ingest", "--encoding", "klingon", str(sheet))
    assert wrong.returncode == 2 and "'klingon' is not an encoding" in wrong.stderr


def test_a_pretty_printed_response_on_standard_input_is_read_whole(tmp_path: Path) -> None:
    """`curl … | jq . | crisis-console ingest -`: the stream is one document over many lines,
    which can be read only once it has ended (a real Mastodon timeline, three boosts)."""
    timeline = Path(__file__).parent / "data" / "platforms" / "real"
    pretty = json.dumps(
        json.loads((timeline / "mastodon_home_timeline_boosts.json").read_text()), indent=2
    )
    done = run("--data-dir", str(tmp_path / "data"), "ingest", "-", stdin=pretty)
    assert done.returncode == 0, done.stderr
    assert "<stdin>: 5 new, 0 updated, 0 deleted, 0 duplicate(s), 0 rejected" in done.stdout
