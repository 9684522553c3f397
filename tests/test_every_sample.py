"""Every sample file, imported as a user imports it: each post it holds is stored, or
reported with a reason; none is dropped without a word (`tests/data/posts.toml`)."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import run

DATA = Path(__file__).parent / "data"
MANIFEST: dict[str, dict[str, dict[str, Any]]] = tomllib.loads(
    (DATA / "posts.toml").read_text(encoding="utf-8")
)
SUMMARY = re.compile(
    r"^(?P<source>.+): (?P<new>\d+) new, (?P<updated>\d+) updated, (?P<deleted>\d+) deleted, "
    r"(?P<duplicates>\d+) duplicate\(s\), (?P<rejected>\d+) rejected$"
)
SAMPLE_SUFFIXES = {".json", ".jsonl", ".csv", ".tsv", ".xlsx"}
FOLDERS = ["platforms", "csv"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_sample_file_is_counted(folder: str) -> None:
    on_disk = {
        p.relative_to(DATA / folder).as_posix()
        for p in (DATA / folder).rglob("*")
        if p.suffix in SAMPLE_SUFFIXES
    }
    assert on_disk == set(MANIFEST.get(folder, {})), "list each sample in tests/data/posts.toml"


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_post_is_stored_or_reported(folder: str, tmp_path: Path) -> None:
    """Files that need the same flags (a CSV preset, say) are imported in one run."""
    runs: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name, expected in MANIFEST[folder].items():
        runs[tuple(expected.get("args", ()))].append(name)
    for n, (args, names) in enumerate(runs.items()):
        paths = [str(DATA / folder / name) for name in names]
        done = run("--data-dir", str(tmp_path / f"data{n}"), "ingest", *args, *paths)
        summaries = {
            m["source"]: m for m in map(SUMMARY.match, done.stdout.splitlines()) if m is not None
        }
        for name, path in zip(names, paths, strict=True):
            expected = MANIFEST[folder][name]
            found = summaries.get(path)
            assert found is not None, (name, done.stdout, done.stderr)
            read = sum(int(found[k]) for k in ("new", "updated", "deleted", "duplicates"))
            rejected = int(found["rejected"])
            posts, refused = expected["posts"], expected.get("rejected", 0)
            assert (read + rejected, rejected) == (posts, refused), (name, done.stderr)
            notes = [
                line for line in done.stderr.splitlines() if line.startswith(f"  note: {path}:")
            ]
            assert len(notes) == expected.get("notes", 0), (name, notes)
        any_refused = any(MANIFEST[folder][name].get("rejected") for name in names)
        assert done.returncode == (1 if any_refused else 0), done.stderr
