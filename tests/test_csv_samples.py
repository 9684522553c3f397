"""tests/data/csv/README.md's counts are what an import of each sample does: its posts are
stored or reported, as many of each as the table says (and its toml block says the same)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tests.test_cli import run

SAMPLES = Path(__file__).parent / "data" / "csv"
README = (SAMPLES / "README.md").read_text(encoding="utf-8")
TABLE = {
    name: (int(posts), int(stored), int(reported))
    for name, posts, stored, reported in re.findall(
        r"^\| `([^`]+)` \|[^|]*\| (\d+) \| (\d+) \| (\d+) \|", README, re.MULTILINE
    )
}
SUMMARY = re.compile(
    r"^(?P<source>.+): (?P<new>\d+) new, (?P<updated>\d+) updated, \d+ deleted, "
    r"(?P<duplicates>\d+) duplicate\(s\), (?P<rejected>\d+) rejected$"
)


def test_the_table_lists_every_sample_and_agrees_with_its_toml_block() -> None:
    on_disk = {p.name for p in SAMPLES.iterdir() if p.suffix in (".csv", ".tsv", ".xlsx")}
    assert set(TABLE) == on_disk
    block = tomllib.loads(README.split("```toml\n", 1)[1].split("```", 1)[0])["csv"]
    assert {name: (count["posts"], count.get("rejected", 0)) for name, count in block.items()} == {
        name: (posts, reported) for name, (posts, _, reported) in TABLE.items()
    }


def test_each_samples_posts_are_stored_or_reported_as_the_table_says(tmp_path: Path) -> None:
    paths = {str(SAMPLES / name): name for name in TABLE}
    done = run("--data-dir", str(tmp_path / "data"), "ingest", *paths)
    found = {m["source"]: m for m in map(SUMMARY.match, done.stdout.splitlines()) if m}
    for path, name in paths.items():
        posts, stored, reported = TABLE[name]
        # One store for all: a workbook's rows that a CSV sample holds too are updated.
        counts = (
            int(found[path]["new"]) + int(found[path]["updated"]),
            int(found[path]["rejected"]),
        )
        assert counts == (stored, reported) and stored + reported == posts, (name, done.stderr)
    assert done.returncode == 1
